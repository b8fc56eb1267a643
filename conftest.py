"""Personas shared by every test. Each fixture says in one line what the persona may do.

The world: organisation `org` with chapters `chapter` (上海) and `other_chapter` (北京); the
open regional community `community` in `chapter` and `other_community` in `other_chapter`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.test import Client

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.selectors import OperatorScope, build_scope
from shequn.accounts.services import issue_api_token
from shequn.accounts.tests.factories import OperatorFactory, UserFactory
from shequn.members.models import Channel, Member
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.models import Chapter, Community, Organization
from shequn.organizations.tests.factories import (
    ChapterFactory,
    CommunityFactory,
    OrganizationFactory,
)

PERSONAS = ("org_admin", "chapter_head", "assistant", "member", "outsider", "anonymous")
OPERATOR_PERSONAS = ("org_admin", "chapter_head", "assistant")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SHEQUN_PRIVATE_ROOT = tmp_path / "private"  # import files and their rejects


@pytest.fixture
def huey_immediate() -> Iterator[Any]:
    """Huey in immediate mode: tasks run when enqueued (in transaction.on_commit: use
    django_capture_on_commit_callbacks or the test client, whose requests commit), scheduled
    ones wait in memory for `HUEY.scheduled()`; restored afterwards."""
    from huey.contrib.djhuey import HUEY

    assert HUEY.immediate is False
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = False


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Rate-limit counters live in the cache: every test starts with none (axes keeps its
    sign-in attempts in the database, which each test's transaction resets)."""
    cache.clear()


@pytest.fixture
def org(db) -> Organization:
    return OrganizationFactory(name="培训经理人俱乐部", slug="pj")


@pytest.fixture
def chapter(org) -> Chapter:
    return ChapterFactory(organization=org, name="上海分会", slug="shanghai", city="上海")


@pytest.fixture
def other_chapter(org) -> Chapter:
    return ChapterFactory(organization=org, name="北京分会", slug="beijing", city="北京")


@pytest.fixture
def community(chapter) -> Community:
    return CommunityFactory(
        chapter=chapter, organization=chapter.organization, name="上海沙龙群", slug="sh-salon"
    )


@pytest.fixture
def other_community(other_chapter) -> Community:
    return CommunityFactory(
        chapter=other_chapter,
        organization=other_chapter.organization,
        name="北京沙龙群",
        slug="bj-salon",
    )


@pytest.fixture
def org_admin(org) -> Operator:
    """Runs the whole organisation: every chapter, community, member and operator account."""
    return OperatorFactory(
        user=UserFactory(username="admin"), organization=org, role=OperatorRole.ORG_ADMIN
    )


@pytest.fixture
def chapter_head(org, chapter) -> Operator:
    """Runs `chapter` only: its communities and their members; nothing of `other_chapter`."""
    return OperatorFactory(
        user=UserFactory(username="head"),
        organization=org,
        role=OperatorRole.CHAPTER_HEAD,
        chapters=[chapter],
    )


@pytest.fixture
def assistant(org, community) -> Operator:
    """Runs `community` only: sees it and its members, adds members; no roles, no settings."""
    return OperatorFactory(
        user=UserFactory(username="assistant"),
        organization=org,
        role=OperatorRole.ASSISTANT,
        communities=[community],
    )


@pytest.fixture
def member(org, community) -> Member:
    """A member with a web account in `community`: member pages only, no console."""
    person = MemberFactory(
        organization=org,
        chapter=community.chapter,
        display_name="张三",
        user=UserFactory(username="zhangsan@example.com"),
    )
    IdentityFactory(
        member=person, organization=org, channel=Channel.WEB, external_id=str(person.user_id)
    )
    MembershipFactory(member=person, community=community)
    return person


@pytest.fixture
def other_member(org, other_community) -> Member:
    """A member of `other_community` only (outside the chapter head's and assistant's scope)."""
    person = MemberFactory(organization=org, chapter=other_community.chapter, display_name="李四")
    IdentityFactory(member=person, organization=org, channel=Channel.WECOM, external_id="lisi")
    MembershipFactory(member=person, community=other_community)
    return person


@pytest.fixture
def outsider(db) -> AbstractBaseUser:
    """Signed in, but neither an operator nor a member: sees nothing of the organisation."""
    return UserFactory(username="outsider")


@pytest.fixture
def persona_user(request) -> Callable[[str], AbstractBaseUser | None]:
    """persona_user("chapter_head") → that persona's user (None for anonymous)."""

    def get(name: str) -> AbstractBaseUser | None:
        if name == "anonymous":
            return None
        value = request.getfixturevalue(name)
        if isinstance(value, Operator | Member):
            return value.user
        return value

    return get


@pytest.fixture
def client_as(persona_user) -> Callable[[str], Client]:
    """client_as("assistant") → a test client signed in as that persona."""

    def make(name: str) -> Client:
        c = Client()
        user = persona_user(name)
        if user is not None:
            c.force_login(user)
        return c

    return make


@pytest.fixture
def scope_of() -> Callable[[Operator], OperatorScope]:
    return build_scope


@pytest.fixture
def api_client_as(request) -> Callable[[str], Client]:
    """api_client_as("chapter_head") → a client sending that persona's API token."""

    def make(name: str) -> Client:
        if name in OPERATOR_PERSONAS:
            operator = request.getfixturevalue(name)
            _, raw = issue_api_token(actor=None, operator=operator, name="test")
            return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        if name == "anonymous":
            return Client()
        return Client(HTTP_AUTHORIZATION="Bearer sq_not-a-valid-token")

    return make
