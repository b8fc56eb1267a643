"""Every console page and action of the organisations app, for every persona.

The world: `community` in `chapter` (run by the chapter head; the assistant's community) and
`other_community` in `other_chapter`. A chapter head or assistant asking for anything of the
other chapter gets 404; members and outsiders get 403; anonymous visitors go to sign in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.urls import reverse

from shequn.audit.models import AuditEntry
from shequn.members.models import Member, Membership, MembershipRole
from shequn.organizations.models import Chapter, Community, CommunityStatus
from shequn.organizations.tests.factories import CommunityFactory

PERSONAS = ("org_admin", "chapter_head", "assistant", "member", "outsider", "anonymous")


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@dataclass
class World:
    chapter: Chapter
    other_chapter: Chapter
    community: Community
    other_community: Community
    archived: Community
    membership: Membership
    other_membership: Membership


@pytest.fixture
def world(
    org_admin, chapter_head, assistant, member, outsider, other_member, community, other_community
) -> World:
    archived = CommunityFactory(
        chapter=community.chapter,
        organization=community.organization,
        name="旧群",
        slug="old",
        status=CommunityStatus.ARCHIVED,
    )
    return World(
        chapter=community.chapter,
        other_chapter=other_community.chapter,
        community=community,
        other_community=other_community,
        archived=archived,
        membership=Membership.objects.get(member=member),
        other_membership=Membership.objects.get(member=other_member),
    )


def _login_redirect(url: str) -> str:
    return f"/accounts/login/?next={quote(url)}"


# page → world → url; then the status each persona gets.
PAGES: dict[str, Callable[[World], str]] = {
    "dashboard": lambda w: reverse("organizations:dashboard"),
    "community_list": lambda w: reverse("organizations:community_list"),
    "community_create": lambda w: reverse("organizations:community_create"),
    "community_lifespan": lambda w: reverse("organizations:community_lifespan") + "?kind=lead_gen",
    "community_detail": lambda w: reverse("organizations:community_detail", args=[w.community.pk]),
    "other_community_detail": lambda w: reverse(
        "organizations:community_detail", args=[w.other_community.pk]
    ),
    "community_edit": lambda w: reverse("organizations:community_edit", args=[w.community.pk]),
    "other_community_edit": lambda w: reverse(
        "organizations:community_edit", args=[w.other_community.pk]
    ),
    "community_member_add": lambda w: reverse(
        "organizations:community_member_add", args=[w.community.pk]
    ),
    "other_community_member_add": lambda w: reverse(
        "organizations:community_member_add", args=[w.other_community.pk]
    ),
    "chapter_list": lambda w: reverse("organizations:chapter_list"),
    "chapter_create": lambda w: reverse("organizations:chapter_create"),
    "chapter_detail": lambda w: reverse("organizations:chapter_detail", args=[w.chapter.pk]),
    "other_chapter_detail": lambda w: reverse(
        "organizations:chapter_detail", args=[w.other_chapter.pk]
    ),
    "chapter_edit": lambda w: reverse("organizations:chapter_edit", args=[w.chapter.pk]),
    "other_chapter_edit": lambda w: reverse(
        "organizations:chapter_edit", args=[w.other_chapter.pk]
    ),
}
# Status for (org_admin, chapter_head, assistant); members and outsiders always get 403.
GET_STATUS: dict[str, tuple[int, int, int]] = {
    "dashboard": (200, 200, 200),
    "community_list": (200, 200, 200),
    "community_create": (200, 200, 403),
    "community_lifespan": (200, 200, 200),
    "community_detail": (200, 200, 200),
    "other_community_detail": (200, 404, 404),
    "community_edit": (200, 200, 403),
    "other_community_edit": (200, 404, 404),
    "community_member_add": (200, 200, 200),
    "other_community_member_add": (200, 404, 404),
    "chapter_list": (200, 200, 200),
    "chapter_create": (200, 403, 403),
    "chapter_detail": (200, 200, 200),
    "other_chapter_detail": (200, 404, 404),
    "chapter_edit": (200, 403, 403),
    "other_chapter_edit": (200, 404, 404),
}


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_get_pages(world, client_as, persona, page):
    url = PAGES[page](world)
    response = client_as(persona).get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"] == _login_redirect(url)
        return
    if persona in ("member", "outsider"):
        assert response.status_code == 403
        return
    expected = GET_STATUS[page][("org_admin", "chapter_head", "assistant").index(persona)]
    assert response.status_code == expected


def test_non_numeric_ids_are_not_found(world, client_as):
    assert client_as("org_admin").get("/communities/abc/").status_code == 404
    assert client_as("org_admin").get("/communities/999999/").status_code == 404
    assert client_as("org_admin").get("/chapters/999999/").status_code == 404


# --- writes ----------------------------------------------------------------------------------


def _state() -> tuple[Any, ...]:
    """Everything a console write could change (compared before and after a refused write)."""
    return (
        AuditEntry.objects.count(),
        sorted(
            Community.objects.values_list(
                "pk", "name", "slug", "status", "chapter_id", "capacity", "kind"
            )
        ),
        sorted(Chapter.objects.values_list("pk", "name", "slug", "city")),
        sorted(Membership.objects.values_list("pk", "role", "status", "community_id")),
        Member.objects.count(),
    )


def _community_post(w: World, community: Community) -> dict[str, str]:
    return {
        "chapter": str(community.chapter_id),
        "kind": "regional",
        "access": "open",
        "name": "改名的群",
        "slug": community.slug,
        "capacity": "300",
        "starts_at": "2026-01-01T10:00",
        "ends_at": "",
    }


@dataclass
class Write:
    url: Callable[[World], str]
    data: Callable[[World], dict[str, str]]
    # (org_admin, chapter_head, assistant)
    status: tuple[int, int, int]


WRITES: dict[str, Write] = {
    "community_create": Write(
        lambda w: reverse("organizations:community_create"),
        lambda w: {
            "chapter": str(w.chapter.pk),
            "kind": "lead_gen",
            "access": "open",
            "name": "新裂变群",
            "slug": "new-lead",
        },
        (302, 302, 403),
    ),
    "community_edit": Write(
        lambda w: reverse("organizations:community_edit", args=[w.community.pk]),
        lambda w: _community_post(w, w.community),
        (302, 302, 403),
    ),
    "other_community_edit": Write(
        lambda w: reverse("organizations:community_edit", args=[w.other_community.pk]),
        lambda w: _community_post(w, w.other_community),
        (302, 404, 404),
    ),
    "community_archive": Write(
        lambda w: reverse("organizations:community_archive", args=[w.community.pk]),
        lambda w: {},
        (302, 302, 403),
    ),
    "other_community_archive": Write(
        lambda w: reverse("organizations:community_archive", args=[w.other_community.pk]),
        lambda w: {},
        (302, 404, 404),
    ),
    "community_restore": Write(
        lambda w: reverse("organizations:community_restore", args=[w.archived.pk]),
        lambda w: {},
        (302, 302, 404),  # the archived community is not one of the assistant's
    ),
    "community_member_add": Write(
        lambda w: reverse("organizations:community_member_add", args=[w.community.pk]),
        lambda w: {"action": "new", "new-display_name": "王五", "new-role": "member"},
        (302, 302, 302),
    ),
    "other_community_member_add": Write(
        lambda w: reverse("organizations:community_member_add", args=[w.other_community.pk]),
        lambda w: {"action": "new", "new-display_name": "王五", "new-role": "member"},
        (302, 404, 404),
    ),
    "community_member_role": Write(
        lambda w: reverse(
            "organizations:community_member_role", args=[w.community.pk, w.membership.pk]
        ),
        lambda w: {"role": MembershipRole.STUDY_COMMITTEE},
        (302, 302, 403),
    ),
    "other_community_member_role": Write(
        lambda w: reverse(
            "organizations:community_member_role",
            args=[w.other_community.pk, w.other_membership.pk],
        ),
        lambda w: {"role": MembershipRole.STUDY_COMMITTEE},
        (302, 404, 404),
    ),
    "mismatched_member_role": Write(
        # a membership of another community under this community's address
        lambda w: reverse(
            "organizations:community_member_role", args=[w.community.pk, w.other_membership.pk]
        ),
        lambda w: {"role": MembershipRole.STUDY_COMMITTEE},
        (404, 404, 404),
    ),
    "community_member_remove": Write(
        lambda w: reverse(
            "organizations:community_member_remove", args=[w.community.pk, w.membership.pk]
        ),
        lambda w: {"reason": "违反群规"},
        (302, 302, 302),
    ),
    "other_community_member_remove": Write(
        lambda w: reverse(
            "organizations:community_member_remove",
            args=[w.other_community.pk, w.other_membership.pk],
        ),
        lambda w: {"reason": "违反群规"},
        (302, 404, 404),
    ),
    "chapter_create": Write(
        lambda w: reverse("organizations:chapter_create"),
        lambda w: {"name": "广州分会", "slug": "guangzhou", "city": "广州"},
        (302, 403, 403),
    ),
    "chapter_edit": Write(
        lambda w: reverse("organizations:chapter_edit", args=[w.chapter.pk]),
        lambda w: {"name": "上海分会（新）", "slug": "shanghai", "city": "上海"},
        (302, 403, 403),
    ),
    "other_chapter_edit": Write(
        lambda w: reverse("organizations:chapter_edit", args=[w.other_chapter.pk]),
        lambda w: {"name": "北京分会（新）", "slug": "beijing", "city": "北京"},
        (302, 404, 404),
    ),
}


@pytest.mark.parametrize("action", sorted(WRITES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_post_actions(world, client_as, persona, action):
    write = WRITES[action]
    url = write.url(world)
    before = _state()
    response = client_as(persona).post(url, write.data(world))
    if persona == "anonymous":
        expected = 302
        assert response["Location"] == _login_redirect(url)
    elif persona in ("member", "outsider"):
        expected = 403
    else:
        expected = write.status[("org_admin", "chapter_head", "assistant").index(persona)]
    assert response.status_code == expected
    if expected == 302 and persona != "anonymous":
        assert _state() != before
        assert AuditEntry.objects.count() > before[0]
    else:
        assert _state() == before


@pytest.mark.parametrize(
    "name",
    [
        "community_archive",
        "community_restore",
        "community_member_role",
        "community_member_remove",
    ],
)
def test_post_only_actions_refuse_get(world, client_as, name):
    args = [world.community.pk]
    if name in ("community_member_role", "community_member_remove"):
        args.append(world.membership.pk)
    before = _state()
    response = client_as("org_admin").get(reverse(f"organizations:{name}", args=args))
    assert response.status_code == 405
    assert _state() == before


def test_assistant_cannot_archive_its_community(world, client_as):
    response = client_as("assistant").post(
        reverse("organizations:community_archive", args=[world.community.pk])
    )
    assert response.status_code == 403
    world.community.refresh_from_db()
    assert world.community.status == CommunityStatus.ACTIVE
    assert world.community.archived_at is None


def test_assistant_sees_roles_read_only(world, client_as):
    url = reverse("organizations:community_detail", args=[world.community.pk])
    role_select = f'<select name="role" id="role-{world.membership.pk}">'
    body = client_as("assistant").get(url).content.decode()
    assert role_select not in body
    assert (
        reverse(
            "organizations:community_member_remove", args=[world.community.pk, world.membership.pk]
        )
        in body
    )
    head_body = client_as("chapter_head").get(url).content.decode()
    assert role_select in head_body


def test_assistant_cannot_give_leading_roles(world, client_as):
    url = reverse("organizations:community_member_add", args=[world.community.pk])
    before = _state()
    response = client_as("assistant").post(
        url, {"action": "new", "new-display_name": "王五", "new-role": MembershipRole.OWNER}
    )
    assert response.status_code == 200
    assert response.context["new_form"].has_error("role", code="invalid_choice")
    assert _state() == before


def test_chapter_head_cannot_move_a_community_to_another_chapter(world, client_as):
    url = reverse("organizations:community_edit", args=[world.community.pk])
    data = _community_post(world, world.community) | {"chapter": str(world.other_chapter.pk)}
    before = _state()
    response = client_as("chapter_head").post(url, data)
    assert response.status_code == 200
    assert response.context["form"].has_error("chapter", code="invalid_choice")
    assert _state() == before


def test_chapter_head_cannot_create_in_another_chapter(world, client_as):
    before = _state()
    response = client_as("chapter_head").post(
        reverse("organizations:community_create"),
        {
            "chapter": str(world.other_chapter.pk),
            "kind": "regional",
            "access": "open",
            "name": "北京新群",
            "slug": "bj-new",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("chapter", code="invalid_choice")
    assert _state() == before


def test_chapter_head_must_pick_a_chapter(world, client_as):
    before = _state()
    response = client_as("chapter_head").post(
        reverse("organizations:community_create"),
        {"chapter": "", "kind": "regional", "access": "open", "name": "x", "slug": "x"},
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("chapter", code="required")
    assert _state() == before
