from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from shequn.applications.models import ApplicationForm
from shequn.applications.tests.factories import make_form, private_community
from shequn.organizations.models import Community


@pytest.fixture
def private(chapter) -> Community:
    """A private community in `chapter` (the chapter head's), with no form yet."""
    return private_community(chapter)


@pytest.fixture
def app_form(private) -> ApplicationForm:
    """The private community's form: four questions and the identity statement."""
    return make_form(private)


@pytest.fixture
def far_private(other_chapter) -> Community:
    """A private community in `other_chapter` with a form (outside the head's scope)."""
    community = private_community(other_chapter, slug="bj-core", name="北京铁粉群")
    make_form(community)
    return community


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages of services (outside a request) in English; pages follow the request."""
    with translation.override("en"):
        yield
