"""/api/v1/communities: every operation for every persona, filters, bad input, query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

import pytest
from django.utils import timezone

from shequn.audit.models import AuditAction, AuditEntry
from shequn.core.tests.api_helpers import assert_problem, audit_actions, body, error_locs, ids, send
from shequn.members.tests.factories import MembershipFactory
from shequn.organizations.models import (
    Community,
    CommunityAccess,
    CommunityKind,
    CommunityStatus,
)
from shequn.organizations.schemas import CommunityOrder
from shequn.organizations.selectors import COMMUNITY_ORDERINGS
from shequn.organizations.tests.factories import ChapterFactory, CommunityFactory

UNAUTHENTICATED = ["member", "outsider", "anonymous"]


def new_community(**overrides):
    data = {"kind": "regional", "name": "杭州沙龙群", "slug": "hz-salon"}
    data.update(overrides)
    return data


# List


def test_org_admin_lists_all_communities(api_client_as, community, other_community):
    response = send(api_client_as("org_admin"), "GET", "/communities", {"order": "created"})
    assert body(response)["count"] == 2
    assert ids(response) == [community.pk, other_community.pk]


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_list_only_their_communities(
    api_client_as, persona, community, other_community
):
    response = send(api_client_as(persona), "GET", "/communities")
    assert ids(response) == [community.pk]
    assert body(response)["count"] == 1


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_list_needs_a_token(api_client_as, persona, community):
    assert_problem(send(api_client_as(persona), "GET", "/communities"), 401)


def test_list_item_shape_and_member_count(api_client_as, community, member):
    MembershipFactory(community=community, status="left")
    item = body(send(api_client_as("org_admin"), "GET", "/communities"))["items"][0]
    assert item["member_count"] == 1
    assert item["chapter_id"] == community.chapter_id
    assert item["kind"] == "regional"
    assert item["access"] == "open"
    assert item["status"] == "active"
    assert set(item) == {
        "id", "chapter_id", "kind", "access", "name", "slug", "intro", "rules", "capacity",
        "starts_at", "ends_at", "status", "archived_at", "member_count", "created_at",
        "updated_at",
    }  # fmt: skip


def test_list_filters(api_client_as, org, chapter, community, other_community):
    camp = CommunityFactory(
        chapter=chapter,
        organization=org,
        kind=CommunityKind.TRAINING_CAMP,
        access=CommunityAccess.PAID,
        name="七日训练营",
        slug="camp-7",
        status=CommunityStatus.ARCHIVED,
    )
    client = api_client_as("org_admin")
    assert ids(send(client, "GET", "/communities", {"kind": "training_camp"})) == [camp.pk]
    assert ids(send(client, "GET", "/communities", {"access": "paid"})) == [camp.pk]
    assert ids(send(client, "GET", "/communities", {"status": "archived"})) == [camp.pk]
    assert ids(send(client, "GET", "/communities", {"q": "北京"})) == [other_community.pk]
    assert ids(send(client, "GET", "/communities", {"q": "camp"})) == [camp.pk]
    response = send(client, "GET", "/communities", {"chapter_id": other_community.chapter_id})
    assert ids(response) == [other_community.pk]
    newest_first = [camp.pk, other_community.pk, community.pk]
    assert ids(send(client, "GET", "/communities", {"order": "-created"})) == newest_first
    MembershipFactory(community=other_community)
    response = send(client, "GET", "/communities", {"order": "-members", "status": "active"})
    assert ids(response) == [other_community.pk, community.pk]


def test_order_values_match_the_selector():
    assert set(get_args(CommunityOrder)) == set(COMMUNITY_ORDERINGS)


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"kind": "wechat_group"}, ["query", "kind"]),
        ({"access": "secret"}, ["query", "access"]),
        ({"status": "gone"}, ["query", "status"]),
        ({"order": "random"}, ["query", "order"]),
        ({"limit": "201"}, ["query", "limit"]),
        ({"limit": "0"}, ["query", "limit"]),
        ({"offset": "-1"}, ["query", "offset"]),
        ({"chapter_id": "x"}, ["query", "chapter_id"]),
    ],
)
def test_list_rejects_bad_filters(api_client_as, community, params, loc):
    assert error_locs(send(api_client_as("org_admin"), "GET", "/communities", params)) == [loc]


def test_chapter_head_filtering_by_other_chapter_is_404(api_client_as, community, other_chapter):
    response = send(
        api_client_as("chapter_head"), "GET", "/communities", {"chapter_id": other_chapter.pk}
    )
    assert assert_problem(response, 404)["detail"] == "No such chapter."


def test_pagination(api_client_as, org, chapter):
    for n in range(5):
        CommunityFactory(chapter=chapter, organization=org, name=f"群{n}", slug=f"g-{n}")
    client = api_client_as("org_admin")
    response = send(client, "GET", "/communities", {"limit": 2, "offset": 1})
    # No COUNT: the total is null until the last page, which knows it (offset + items).
    assert (body(response)["count"], body(response)["next_offset"]) == (None, 3)
    assert [i["name"] for i in body(response)["items"]] == ["群1", "群2"]
    last = body(send(client, "GET", "/communities", {"limit": 2, "offset": 3}))
    assert ([i["name"] for i in last["items"]], last["count"], last["next_offset"]) == (
        ["群3", "群4"],
        5,
        None,
    )
    assert body(send(client, "GET", "/communities", {"offset": 10}))["items"] == []


def _grow(org, chapter, n):
    for _ in range(n):
        c = CommunityFactory(chapter=chapter, organization=org)
        MembershipFactory(community=c)


@pytest.mark.parametrize(("persona", "queries"), [("org_admin", 2), ("chapter_head", 3)])
def test_list_query_count_is_constant(
    api_client_as, django_assert_num_queries, org, chapter, persona, queries
):
    client = api_client_as(persona)
    send(client, "GET", "/me")  # the first use of a token notes last_used_at
    for total in (3, 10):
        _grow(org, chapter, total - Community.objects.count())
        with django_assert_num_queries(queries):
            response = send(client, "GET", "/communities")
        assert body(response)["count"] == total


# Create


def test_org_admin_creates_a_community_with_the_kinds_lifespan(api_client_as, chapter):
    response = send(
        api_client_as("org_admin"),
        "POST",
        "/communities",
        new_community(kind="lead_gen", chapter_id=chapter.pk, access="open", capacity=200),
    )
    assert response.status_code == 201, response.content
    created = Community.objects.get(slug="hz-salon")
    assert body(response)["id"] == created.pk
    assert body(response)["member_count"] == 0
    assert created.chapter == chapter
    assert created.access == CommunityAccess.OPEN
    assert created.capacity == 200
    assert created.ends_at is not None
    assert created.ends_at - created.starts_at == timedelta(hours=48)
    entry = AuditEntry.objects.get(object_type="community")
    assert (entry.action, entry.object_id, entry.actor_name) == ("create", str(created.pk), "admin")


def test_explicit_dates_are_kept(api_client_as):
    response = send(
        api_client_as("org_admin"),
        "POST",
        "/communities",
        new_community(starts_at="2030-01-01T09:00:00+08:00", ends_at="2030-01-08T09:00:00+08:00"),
    )
    assert response.status_code == 201, response.content
    created = Community.objects.get(slug="hz-salon")
    assert created.ends_at is not None
    assert created.ends_at - created.starts_at == timedelta(days=7)
    assert created.chapter is None


def test_chapter_head_creates_in_own_chapter(api_client_as, chapter):
    response = send(
        api_client_as("chapter_head"), "POST", "/communities", new_community(chapter_id=chapter.pk)
    )
    assert response.status_code == 201, response.content
    assert Community.objects.get(slug="hz-salon").chapter == chapter


def test_chapter_head_cannot_create_in_other_chapter(api_client_as, chapter, other_chapter):
    client = api_client_as("chapter_head")
    response = send(client, "POST", "/communities", new_community(chapter_id=other_chapter.pk))
    assert_problem(response, 404)
    assert_problem(send(client, "POST", "/communities", new_community()), 403)  # org-wide
    assert Community.objects.count() == 0
    assert audit_actions() == []


def test_assistant_cannot_create(api_client_as, community):
    response = send(
        api_client_as("assistant"), "POST", "/communities", new_community(chapter_id=None)
    )
    assert_problem(response, 403)
    response = send(
        api_client_as("assistant"),
        "POST",
        "/communities",
        new_community(chapter_id=community.chapter_id),
    )
    assert_problem(response, 403)
    assert Community.objects.count() == 1


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_create_needs_a_token(api_client_as, persona, db):
    assert_problem(send(api_client_as(persona), "POST", "/communities", new_community()), 401)
    assert Community.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        (new_community(kind="wechat_group"), ["body", "kind"]),
        (new_community(access="secret"), ["body", "access"]),
        (new_community(name=""), ["body", "name"]),
        (new_community(name="   "), ["body", "name"]),
        (new_community(name="长" * 81), ["body", "name"]),
        (new_community(slug="not a slug"), ["body", "slug"]),
        (new_community(slug="s" * 51), ["body", "slug"]),
        (new_community(capacity=0), ["body", "capacity"]),
        (new_community(starts_at="2030-01-01T09:00:00"), ["body", "starts_at"]),
        (new_community(starts_at="yesterday"), ["body", "starts_at"]),
        (new_community(colour="red"), ["body", "colour"]),
        ({"name": "x", "slug": "x"}, ["body", "kind"]),
    ],
)
def test_create_rejects_bad_input(api_client_as, db, data, loc):
    response = send(api_client_as("org_admin"), "POST", "/communities", data)
    assert loc in error_locs(response)
    assert Community.objects.count() == 0
    assert audit_actions() == []


def test_create_rejects_end_before_start(api_client_as, db):
    data = new_community(starts_at="2030-01-08T09:00:00+08:00", ends_at="2030-01-01T09:00:00+08:00")
    response = send(api_client_as("org_admin"), "POST", "/communities", data)
    assert assert_problem(response, 422)["detail"] == "The end must come after the start."
    assert Community.objects.count() == 0


def test_create_rejects_duplicate_slug(api_client_as, community):
    response = send(
        api_client_as("org_admin"), "POST", "/communities", new_community(slug=community.slug)
    )
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body", "slug"], "msg": "Another community of this organisation has this slug."}
    ]
    assert Community.objects.count() == 1


@pytest.mark.parametrize("raw", ["{not json", "", "[]", '"text"'])
def test_create_rejects_malformed_body(api_client_as, db, raw):
    response = send(api_client_as("org_admin"), "POST", "/communities", raw)
    assert_problem(response, 422)
    assert Community.objects.count() == 0


# Get


@pytest.mark.parametrize(
    ("persona", "own", "other"),
    [("org_admin", 200, 200), ("chapter_head", 200, 404), ("assistant", 200, 404)],
)
def test_get_by_persona(api_client_as, community, other_community, persona, own, other):
    client = api_client_as(persona)
    response = send(client, "GET", f"/communities/{community.pk}")
    assert response.status_code == own
    assert body(response)["slug"] == "sh-salon"
    response = send(client, "GET", f"/communities/{other_community.pk}")
    if other == 404:
        assert assert_problem(response, 404)["detail"] == "No such community."
    else:
        assert body(response)["id"] == other_community.pk


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_get_needs_a_token(api_client_as, persona, community):
    assert_problem(send(api_client_as(persona), "GET", f"/communities/{community.pk}"), 401)


def test_get_unknown_id_is_404(api_client_as, community):
    assert_problem(send(api_client_as("org_admin"), "GET", "/communities/999999"), 404)


# Patch


def test_org_admin_patches_only_the_fields_sent(api_client_as, community, other_chapter):
    response = send(
        api_client_as("org_admin"),
        "PATCH",
        f"/communities/{community.pk}",
        {"name": "上海读书会", "chapter_id": other_chapter.pk},
    )
    assert response.status_code == 200, response.content
    community.refresh_from_db()
    assert (community.name, community.chapter, community.slug) == (
        "上海读书会",
        other_chapter,
        "sh-salon",
    )
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE)
    assert entry.changes["name"] == ["上海沙龙群", "上海读书会"]


def test_org_admin_makes_a_community_organisation_wide(api_client_as, community):
    response = send(
        api_client_as("org_admin"), "PATCH", f"/communities/{community.pk}", {"chapter_id": None}
    )
    assert body(response)["chapter_id"] is None
    community.refresh_from_db()
    assert community.chapter is None


def test_chapter_head_patches_own_community(api_client_as, community):
    response = send(
        api_client_as("chapter_head"), "PATCH", f"/communities/{community.pk}", {"capacity": 300}
    )
    assert body(response)["capacity"] == 300


def test_chapter_head_cannot_move_or_touch_other_chapters(
    api_client_as, community, other_community, other_chapter
):
    client = api_client_as("chapter_head")
    response = send(
        client, "PATCH", f"/communities/{community.pk}", {"chapter_id": other_chapter.pk}
    )
    assert_problem(response, 404)
    response = send(client, "PATCH", f"/communities/{community.pk}", {"chapter_id": None})
    assert_problem(response, 403)
    response = send(client, "PATCH", f"/communities/{other_community.pk}", {"name": "改"})
    assert_problem(response, 404)
    community.refresh_from_db()
    other_community.refresh_from_db()
    assert community.chapter_id != other_chapter.pk
    assert community.chapter_id is not None
    assert other_community.name == "北京沙龙群"
    assert audit_actions() == []


def test_assistant_cannot_patch(api_client_as, community):
    response = send(
        api_client_as("assistant"), "PATCH", f"/communities/{community.pk}", {"name": "改"}
    )
    assert_problem(response, 403)
    community.refresh_from_db()
    assert community.name == "上海沙龙群"


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_patch_needs_a_token(api_client_as, persona, community):
    response = send(api_client_as(persona), "PATCH", f"/communities/{community.pk}", {"name": "x"})
    assert_problem(response, 401)
    community.refresh_from_db()
    assert community.name == "上海沙龙群"


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"name": None}, ["body", "name"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "长" * 81}, ["body", "name"]),
        ({"kind": "fan_club"}, ["body", "kind"]),
        ({"slug": "bj-salon"}, ["body", "slug"]),
        ({"capacity": None}, ["body", "capacity"]),
        ({"ends_at": "2000-01-01T00:00:00+08:00"}, ["body"]),
    ],
)
def test_patch_rejects_bad_input(api_client_as, community, other_community, data, loc):
    response = send(api_client_as("org_admin"), "PATCH", f"/communities/{community.pk}", data)
    assert loc in error_locs(response)
    community.refresh_from_db()
    assert (community.name, community.kind, community.slug, community.ends_at) == (
        "上海沙龙群",
        "regional",
        "sh-salon",
        None,
    )
    assert audit_actions() == []


# Archive, restore, and no delete


def test_archive_and_restore(api_client_as, community):
    client = api_client_as("chapter_head")
    response = send(client, "POST", f"/communities/{community.pk}/archive")
    assert body(response)["status"] == "archived"
    assert body(response)["archived_at"] is not None
    response = send(client, "POST", f"/communities/{community.pk}/archive")
    assert assert_problem(response, 422)["detail"] == "Only an active community can be archived."
    response = send(client, "POST", f"/communities/{community.pk}/restore")
    assert body(response)["status"] == "active"
    response = send(client, "POST", f"/communities/{community.pk}/restore")
    assert_problem(response, 422)
    community.refresh_from_db()
    assert community.status == CommunityStatus.ACTIVE
    assert audit_actions() == ["archive", "update"]


@pytest.mark.parametrize("action", ["archive", "restore"])
@pytest.mark.parametrize(
    ("persona", "status"),
    [("assistant", 403), ("member", 401), ("outsider", 401), ("anonymous", 401)],
)
def test_archive_restore_forbidden(api_client_as, community, persona, status, action):
    if action == "restore":
        Community.objects.filter(pk=community.pk).update(
            status=CommunityStatus.ARCHIVED, archived_at=timezone.now()
        )
    before = Community.objects.get(pk=community.pk).status
    assert_problem(
        send(api_client_as(persona), "POST", f"/communities/{community.pk}/{action}"), status
    )
    assert Community.objects.get(pk=community.pk).status == before


@pytest.mark.parametrize("action", ["archive", "restore"])
def test_chapter_head_cannot_archive_other_chapters(api_client_as, other_community, action):
    response = send(
        api_client_as("chapter_head"), "POST", f"/communities/{other_community.pk}/{action}"
    )
    assert_problem(response, 404)
    other_community.refresh_from_db()
    assert other_community.status == CommunityStatus.ACTIVE


def test_org_admin_archives_any_community(api_client_as, other_community):
    response = send(
        api_client_as("org_admin"), "POST", f"/communities/{other_community.pk}/archive"
    )
    assert body(response)["status"] == "archived"


def test_there_is_no_delete(api_client_as, community):
    response = send(api_client_as("org_admin"), "DELETE", f"/communities/{community.pk}")
    problem = assert_problem(response, 405)
    assert response["Allow"] == "GET, PATCH"
    assert problem["detail"] == "Allowed methods: GET, PATCH."
    assert Community.objects.filter(pk=community.pk).exists()


def test_chapter_ids_of_new_chapters_are_in_admin_scope(api_client_as, org):
    new_chapter = ChapterFactory(organization=org)
    response = send(
        api_client_as("org_admin"), "POST", "/communities", new_community(chapter_id=new_chapter.pk)
    )
    assert body(response)["chapter_id"] == new_chapter.pk
