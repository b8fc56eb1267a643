"""Organisation slugs that member-page addresses use are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import URLPattern, URLResolver, get_resolver

from shequn.organizations.models import Organization
from shequn.organizations.services import RESERVED_ORGANIZATION_SLUGS, create_organization


def _member_page_first_parts() -> set[str]:
    """The literal first part of every /c/ address with two or more parts after /c/."""
    parts: set[str] = set()
    for entry in get_resolver().url_patterns:
        if not (isinstance(entry, URLResolver) and str(entry.pattern) == "c/"):
            continue
        for pattern in entry.url_patterns:
            assert isinstance(pattern, URLPattern | URLResolver)
            route = str(pattern.pattern)
            segments = [s for s in route.split("/") if s]
            if len(segments) >= 2 and "<" not in segments[0]:
                parts.add(segments[0])
    return parts


def test_every_member_page_prefix_is_reserved():
    first_parts = _member_page_first_parts()
    assert {"i", "orders", "verify", "password-reset"} <= first_parts
    assert first_parts <= RESERVED_ORGANIZATION_SLUGS


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["i", "orders", "I"])
def test_a_reserved_slug_is_refused(slug):
    with pytest.raises(ValidationError) as caught:
        create_organization(name="Club", slug=slug)
    assert caught.value.message_dict["slug"]
    assert Organization.objects.count() == 0
