"""/api/v1/members: every operation for every persona, filters, bad input, query counts."""

from __future__ import annotations

from typing import get_args

import pytest

from shequn.audit.models import AuditEntry
from shequn.core.tests.api_helpers import (
    assert_problem,
    audit_actions,
    body,
    error_locs,
    ids,
    send,
)
from shequn.members.models import Channel, Identity, Member, Membership
from shequn.members.schemas import MemberOrder
from shequn.members.selectors import MEMBER_ORDERINGS
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory

UNAUTHENTICATED = ["member", "outsider", "anonymous"]


# List and get


def test_org_admin_lists_all_members(api_client_as, member, other_member):
    response = send(api_client_as("org_admin"), "GET", "/members", {"order": "created"})
    assert ids(response) == [member.pk, other_member.pk]
    assert body(response)["items"][0] == {
        "id": member.pk,
        "display_name": "张三",
        "phone": "",
        "email": "",
        "notes": "",
        "chapter_id": member.chapter_id,
        "created_at": body(response)["items"][0]["created_at"],
        "updated_at": body(response)["items"][0]["updated_at"],
    }


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_list_only_their_members(api_client_as, persona, member, other_member):
    assert ids(send(api_client_as(persona), "GET", "/members")) == [member.pk]


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_list_and_get_need_a_token(api_client_as, persona, member):
    client = api_client_as(persona)
    assert_problem(send(client, "GET", "/members"), 401)
    assert_problem(send(client, "GET", f"/members/{member.pk}"), 401)


def test_list_filters(api_client_as, org, chapter, community, member, other_member):
    client = api_client_as("org_admin")
    assert ids(send(client, "GET", "/members", {"q": "李"})) == [other_member.pk]
    assert ids(send(client, "GET", "/members", {"chapter_id": chapter.pk})) == [member.pk]
    response = send(client, "GET", "/members", {"community_id": community.pk})
    assert ids(response) == [member.pk]
    assert ids(send(client, "GET", "/members", {"channel": "wecom"})) == [other_member.pk]
    assert ids(send(client, "GET", "/members", {"order": "-created"})) == [
        other_member.pk,
        member.pk,
    ]


def test_order_values_match_the_selector():
    assert set(get_args(MemberOrder)) == set(MEMBER_ORDERINGS)


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"channel": "fax"}, ["query", "channel"]),
        ({"order": "age"}, ["query", "order"]),
        ({"limit": 500}, ["query", "limit"]),
    ],
)
def test_list_rejects_bad_filters(api_client_as, member, params, loc):
    assert error_locs(send(api_client_as("org_admin"), "GET", "/members", params)) == [loc]


def test_chapter_head_filtering_by_other_scope_is_404(
    api_client_as, member, other_chapter, other_community
):
    client = api_client_as("chapter_head")
    response = send(client, "GET", "/members", {"chapter_id": other_chapter.pk})
    assert assert_problem(response, 404)["detail"] == "No such chapter."
    response = send(client, "GET", "/members", {"community_id": other_community.pk})
    assert assert_problem(response, 404)["detail"] == "No such community."


@pytest.mark.parametrize(("persona", "queries"), [("org_admin", 2), ("assistant", 4)])
def test_list_query_count_is_constant(
    api_client_as, django_assert_num_queries, org, community, persona, queries
):
    client = api_client_as(persona)
    send(client, "GET", "/me")  # the first use of a token notes last_used_at
    for total in (3, 10):
        for _ in range(total - Member.objects.count()):
            person = MemberFactory(organization=org, chapter=community.chapter)
            MembershipFactory(member=person, community=community)
            IdentityFactory(member=person, organization=org)
        with django_assert_num_queries(queries):
            response = send(client, "GET", "/members")
        assert body(response)["count"] == total


@pytest.mark.parametrize(
    ("persona", "other_status"), [("org_admin", 200), ("chapter_head", 404), ("assistant", 404)]
)
def test_get_by_persona(api_client_as, member, other_member, persona, other_status):
    client = api_client_as(persona)
    assert body(send(client, "GET", f"/members/{member.pk}"))["display_name"] == "张三"
    response = send(client, "GET", f"/members/{other_member.pk}")
    if other_status == 404:
        assert assert_problem(response, 404)["detail"] == "No such member."
    else:
        assert body(response)["display_name"] == "李四"


# Create


def test_org_admin_creates_a_member_into_a_community(api_client_as, community):
    data = {
        "display_name": "王五",
        "phone": "13800000000",
        "email": "wangwu@example.com",
        "community_id": community.pk,
        "role": "kol",
    }
    response = send(api_client_as("org_admin"), "POST", "/members", data)
    assert response.status_code == 201, response.content
    created = Member.objects.get(display_name="王五")
    assert body(response)["id"] == created.pk
    assert created.chapter == community.chapter  # from the community
    assert created.email == "wangwu@example.com"
    membership = Membership.objects.get(member=created)
    assert (membership.community, membership.role, membership.source) == (community, "kol", "api")
    assert audit_actions() == ["create", "join"]


def test_chapter_head_creates_in_own_chapter(api_client_as, chapter):
    response = send(
        api_client_as("chapter_head"),
        "POST",
        "/members",
        {"display_name": "王五", "chapter_id": chapter.pk},
    )
    assert response.status_code == 201
    assert Member.objects.get(display_name="王五").chapter == chapter


def test_assistant_creates_only_into_own_community(api_client_as, community, chapter):
    client = api_client_as("assistant")
    response = send(client, "POST", "/members", {"display_name": "甲", "chapter_id": chapter.pk})
    assert_problem(response, 403)
    response = send(
        client, "POST", "/members", {"display_name": "乙", "community_id": community.pk}
    )
    assert response.status_code == 201
    response = send(
        client,
        "POST",
        "/members",
        {"display_name": "丙", "community_id": community.pk, "role": "owner"},
    )
    assert_problem(response, 403)
    assert list(Member.objects.values_list("display_name", flat=True)) == ["乙"]
    assert Membership.objects.filter(role="owner").count() == 0


def test_chapter_head_cannot_create_into_other_scope(api_client_as, other_chapter, other_community):
    client = api_client_as("chapter_head")
    data = {"display_name": "王五", "chapter_id": other_chapter.pk}
    assert_problem(send(client, "POST", "/members", data), 404)
    data = {"display_name": "王五", "community_id": other_community.pk}
    assert_problem(send(client, "POST", "/members", data), 404)
    assert_problem(send(client, "POST", "/members", {"display_name": "王五"}), 403)
    assert not Member.objects.filter(display_name="王五").exists()
    assert audit_actions() == []


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_create_needs_a_token(api_client_as, persona, chapter):
    response = send(api_client_as(persona), "POST", "/members", {"display_name": "王五"})
    assert_problem(response, 401)
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"display_name": ""}, ["body", "display_name"]),
        ({"display_name": "   "}, ["body", "display_name"]),
        ({"display_name": "长" * 65}, ["body", "display_name"]),
        ({"display_name": "王五", "email": "not-an-email"}, ["body", "email"]),
        ({"display_name": "王五", "phone": "1" * 21}, ["body", "phone"]),
        ({"display_name": "王五", "community_id": 0, "role": "boss"}, ["body", "role"]),
        ({"display_name": "王五", "chapter_id": "上海"}, ["body", "chapter_id"]),
        ({"name": "王五"}, ["body", "display_name"]),
        ("{", ["body"]),
    ],
)
def test_create_rejects_bad_input(api_client_as, chapter, data, loc):
    if isinstance(data, dict) and "chapter_id" not in data:
        data = {**data, "chapter_id": chapter.pk}
    response = send(api_client_as("org_admin"), "POST", "/members", data)
    assert loc in error_locs(response)
    assert Member.objects.count() == 0
    assert Membership.objects.count() == 0
    assert audit_actions() == []


def test_create_into_a_full_community_saves_nothing(api_client_as, community, member):
    community.capacity = 1
    community.save()
    response = send(
        api_client_as("org_admin"),
        "POST",
        "/members",
        {"display_name": "王五", "community_id": community.pk},
    )
    assert assert_problem(response, 422)["detail"] == "This community is full (1 members)."
    assert not Member.objects.filter(display_name="王五").exists()
    assert audit_actions() == []


# Patch


def test_chapter_head_patches_a_member(api_client_as, member):
    response = send(
        api_client_as("chapter_head"),
        "PATCH",
        f"/members/{member.pk}",
        {"notes": "积极分子", "phone": " 139 0000 0000 "},
    )
    assert body(response)["notes"] == "积极分子"
    member.refresh_from_db()
    assert (member.notes, member.phone, member.display_name) == (
        "积极分子",
        "+8613900000000",
        "张三",
    )
    assert AuditEntry.objects.get(action="update").changes == {
        "notes": ["", "积极分子"],
        "phone": ["", "+8613900000000"],
    }


def test_org_admin_moves_a_member_to_another_chapter(api_client_as, member, other_chapter):
    response = send(
        api_client_as("org_admin"),
        "PATCH",
        f"/members/{member.pk}",
        {"chapter_id": other_chapter.pk},
    )
    assert body(response)["chapter_id"] == other_chapter.pk


def test_chapter_head_cannot_move_member_out_or_patch_others(
    api_client_as, member, other_member, other_chapter
):
    client = api_client_as("chapter_head")
    response = send(client, "PATCH", f"/members/{member.pk}", {"chapter_id": other_chapter.pk})
    assert_problem(response, 404)
    response = send(client, "PATCH", f"/members/{other_member.pk}", {"notes": "x"})
    assert_problem(response, 404)
    member.refresh_from_db()
    other_member.refresh_from_db()
    assert member.chapter_id != other_chapter.pk
    assert other_member.notes == ""
    assert audit_actions() == []


def test_assistant_cannot_move_member_to_a_chapter(api_client_as, member, chapter):
    response = send(
        api_client_as("assistant"), "PATCH", f"/members/{member.pk}", {"chapter_id": None}
    )
    assert_problem(response, 403)
    member.refresh_from_db()
    assert member.chapter == chapter


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_patch_needs_a_token(api_client_as, persona, member):
    response = send(api_client_as(persona), "PATCH", f"/members/{member.pk}", {"notes": "x"})
    assert_problem(response, 401)
    member.refresh_from_db()
    assert member.notes == ""


@pytest.mark.parametrize(
    "data",
    [{"display_name": None}, {"display_name": ""}, {"email": "x@"}, {"display_name": "长" * 65}],
)
def test_patch_rejects_bad_input(api_client_as, member, data):
    response = send(api_client_as("org_admin"), "PATCH", f"/members/{member.pk}", data)
    assert error_locs(response) == [["body", next(iter(data))]]
    member.refresh_from_db()
    assert (member.display_name, member.email) == ("张三", "")


# Delete


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head"])
def test_admin_and_home_chapter_head_delete_a_member(api_client_as, persona, member):
    response = send(api_client_as(persona), "DELETE", f"/members/{member.pk}")
    assert response.status_code == 204
    assert not Member.objects.filter(pk=member.pk).exists()
    assert Identity.objects.filter(member_id=member.pk).count() == 0
    assert Membership.objects.filter(member_id=member.pk).count() == 0
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.object_type, entry.object_id, entry.object_repr) == (
        "member",
        str(member.pk),
        "张三",
    )


def test_chapter_head_cannot_delete_a_member_of_another_home_chapter(
    api_client_as, org, community, other_chapter
):
    visitor = MemberFactory(organization=org, chapter=other_chapter, display_name="访客")
    MembershipFactory(member=visitor, community=community)
    client = api_client_as("chapter_head")
    assert body(send(client, "GET", f"/members/{visitor.pk}"))["display_name"] == "访客"
    assert_problem(send(client, "DELETE", f"/members/{visitor.pk}"), 403)
    assert Member.objects.filter(pk=visitor.pk).exists()
    assert audit_actions() == []


def test_chapter_head_deleting_other_chapters_member_is_404(api_client_as, other_member):
    assert_problem(
        send(api_client_as("chapter_head"), "DELETE", f"/members/{other_member.pk}"), 404
    )
    assert Member.objects.filter(pk=other_member.pk).exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("assistant", 403), *((p, 401) for p in UNAUTHENTICATED)]
)
def test_others_cannot_delete(api_client_as, member, persona, status):
    assert_problem(send(api_client_as(persona), "DELETE", f"/members/{member.pk}"), status)
    assert Member.objects.filter(pk=member.pk).exists()
    assert Identity.objects.filter(member=member, channel=Channel.WEB).exists()
