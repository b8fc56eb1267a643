"""Personas shared by every test. Each fixture says in one line what the persona may do.

The world (tests/personas.py builds it): organisation `org` with chapters `chapter` (上海) and
`other_chapter` (北京); the open regional community `community` in `chapter` and
`other_community` in `other_chapter`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.test import Client

from shequn.accounts.models import Operator
from shequn.accounts.selectors import OperatorScope, build_scope
from shequn.accounts.services import issue_api_token
from shequn.members.models import Member
from shequn.organizations.models import Chapter, Community, Organization
from tests import personas

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
    return personas.make_org()


@pytest.fixture
def chapter(org) -> Chapter:
    return personas.make_chapter(org)


@pytest.fixture
def other_chapter(org) -> Chapter:
    return personas.make_other_chapter(org)


@pytest.fixture
def community(chapter) -> Community:
    return personas.make_community(chapter)


@pytest.fixture
def other_community(other_chapter) -> Community:
    return personas.make_other_community(other_chapter)


@pytest.fixture
def org_admin(org) -> Operator:
    """Runs the whole organisation: every chapter, community, member and operator account."""
    return personas.make_org_admin(org)


@pytest.fixture
def chapter_head(org, chapter) -> Operator:
    """Runs `chapter` only: its communities and their members; nothing of `other_chapter`."""
    return personas.make_chapter_head(org, chapter)


@pytest.fixture
def assistant(org, community) -> Operator:
    """Runs `community` only: sees it and its members, adds members; no roles, no settings."""
    return personas.make_assistant(org, community)


@pytest.fixture
def member(org, community) -> Member:
    """A member with a web account in `community`: member pages only, no console."""
    return personas.make_member(org, community)


@pytest.fixture
def other_member(org, other_community) -> Member:
    """A member of `other_community` only (outside the chapter head's and assistant's scope)."""
    return personas.make_other_member(org, other_community)


@pytest.fixture
def outsider(db) -> AbstractBaseUser:
    """Signed in, but neither an operator nor a member: sees nothing of the organisation."""
    return personas.make_outsider()


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
