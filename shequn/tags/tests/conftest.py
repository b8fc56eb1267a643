from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from shequn.members.models import Member
from shequn.tags.models import MemberTag, Tag, TagGroup, TagSource


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Messages in English unless a test asks for another language (Accept-Language)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def admin_scope(org_admin, scope_of):
    return scope_of(org_admin)


@pytest.fixture
def head_scope(chapter_head, scope_of):
    return scope_of(chapter_head)


@pytest.fixture
def assistant_scope(assistant, scope_of):
    return scope_of(assistant)


@pytest.fixture
def group(org) -> TagGroup:
    return TagGroup.objects.create(organization=org, name="行业", colour="green", position=1)


@pytest.fixture
def tag(org, group) -> Tag:
    """A tag set by hand, in `group`, nobody has it yet."""
    return Tag.objects.create(organization=org, group=group, name="培训经理")


@pytest.fixture
def give() -> Callable[..., MemberTag]:
    """give(tag, member, source=...) → the row, keeping the tag's counter as the services do."""

    def make(tag: Tag, member: Member, source: str = TagSource.MANUAL, **extra: Any) -> MemberTag:
        row = MemberTag.objects.create(
            tag=tag,
            member=member,
            organization_id=tag.organization_id,
            source=source,
            added_at=extra.pop("added_at", timezone.now()),
            **extra,
        )
        Tag.objects.filter(pk=tag.pk).update(member_count=tag.member_count + 1)
        tag.refresh_from_db()
        return row

    return make
