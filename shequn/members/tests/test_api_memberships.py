"""/api/v1/memberships: every operation for every persona, bad input, query counts."""

from __future__ import annotations

from typing import get_args

import pytest

from shequn.core.tests.api_helpers import (
    assert_problem,
    audit_actions,
    body,
    error_locs,
    ids,
    send,
)
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.members.schemas import MembershipOrder
from shequn.members.selectors import MEMBERSHIP_ORDERINGS
from shequn.members.tests.factories import MemberFactory, MembershipFactory

UNAUTHENTICATED = ["member", "outsider", "anonymous"]


@pytest.fixture
def membership(member):
    return member.memberships.get()


@pytest.fixture
def other_membership(other_member):
    return other_member.memberships.get()


@pytest.fixture
def newcomer(org, chapter):
    """A member of `chapter` in no community yet."""
    return MemberFactory(organization=org, chapter=chapter, display_name="新人")


# List and get


def test_org_admin_lists_all_memberships(api_client_as, membership, other_membership, member):
    response = send(api_client_as("org_admin"), "GET", "/memberships", {"order": "joined"})
    assert ids(response) == [membership.pk, other_membership.pk]
    item = body(response)["items"][0]
    assert item == {
        "id": membership.pk,
        "member_id": member.pk,
        "member_name": "张三",
        "community_id": membership.community_id,
        "community_name": "上海沙龙群",
        "role": "member",
        "status": "active",
        "source": "console",
        "joined_at": item["joined_at"],
        "left_at": None,
    }


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_list_only_their_communities(
    api_client_as, persona, membership, other_membership
):
    assert ids(send(api_client_as(persona), "GET", "/memberships")) == [membership.pk]


def test_list_filters(api_client_as, community, member, membership, other_membership):
    MembershipFactory(community=community, role="kol", status="left")
    client = api_client_as("org_admin")
    response = send(client, "GET", "/memberships", {"community_id": community.pk})
    assert body(response)["count"] == 2
    response = send(client, "GET", "/memberships", {"member_id": member.pk})
    assert ids(response) == [membership.pk]
    assert body(send(client, "GET", "/memberships", {"role": "kol"}))["count"] == 1
    assert body(send(client, "GET", "/memberships", {"status": "left"}))["count"] == 1
    assert ids(send(client, "GET", "/memberships", {"q": "李四"})) == [other_membership.pk]
    assert error_locs(send(client, "GET", "/memberships", {"role": "boss"})) == [["query", "role"]]
    assert error_locs(send(client, "GET", "/memberships", {"status": "gone"})) == [
        ["query", "status"]
    ]


def test_order_values_match_the_selector():
    assert set(get_args(MembershipOrder)) == set(MEMBERSHIP_ORDERINGS)


def test_chapter_head_filtering_by_other_scope_is_404(api_client_as, other_community, other_member):
    client = api_client_as("chapter_head")
    response = send(client, "GET", "/memberships", {"community_id": other_community.pk})
    assert_problem(response, 404)
    assert_problem(send(client, "GET", "/memberships", {"member_id": other_member.pk}), 404)


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_list_and_get_need_a_token(api_client_as, persona, membership):
    client = api_client_as(persona)
    assert_problem(send(client, "GET", "/memberships"), 401)
    assert_problem(send(client, "GET", f"/memberships/{membership.pk}"), 401)


@pytest.mark.parametrize(("persona", "queries"), [("org_admin", 2), ("assistant", 3)])
def test_list_query_count_is_constant(
    api_client_as, django_assert_num_queries, community, persona, queries
):
    client = api_client_as(persona)
    send(client, "GET", "/me")  # the first use of a token notes last_used_at
    for total in (3, 10):
        for _ in range(total - Membership.objects.count()):
            MembershipFactory(community=community)
        with django_assert_num_queries(queries):
            response = send(client, "GET", "/memberships")
        assert body(response)["count"] == total


@pytest.mark.parametrize(
    ("persona", "other_status"), [("org_admin", 200), ("chapter_head", 404), ("assistant", 404)]
)
def test_get_by_persona(api_client_as, membership, other_membership, persona, other_status):
    client = api_client_as(persona)
    assert body(send(client, "GET", f"/memberships/{membership.pk}"))["member_name"] == "张三"
    response = send(client, "GET", f"/memberships/{other_membership.pk}")
    if other_status == 404:
        assert assert_problem(response, 404)["detail"] == "No such membership."
    else:
        assert body(response)["member_name"] == "李四"


# Create


@pytest.fixture
def former(org, community):
    """A member who left `community`: still in the assistant's scope."""
    person = MemberFactory(organization=org, display_name="老成员")
    MembershipFactory(member=person, community=community, status=MembershipStatus.LEFT)
    return person


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head"])
def test_operators_add_a_member_to_a_community(api_client_as, persona, newcomer, community):
    data = {"member_id": newcomer.pk, "community_id": community.pk}
    response = send(api_client_as(persona), "POST", "/memberships", data)
    assert response.status_code == 201, response.content
    created = Membership.objects.get(member=newcomer)
    assert (created.community, created.role, created.source, created.status) == (
        community,
        "member",
        "api",
        "active",
    )
    assert body(response)["member_name"] == "新人"
    assert audit_actions() == ["join"]


def test_assistant_adds_back_a_member_who_left(api_client_as, former, community):
    data = {"member_id": former.pk, "community_id": community.pk}
    response = send(api_client_as("assistant"), "POST", "/memberships", data)
    assert response.status_code == 201, response.content
    again = Membership.objects.get(member=former)
    assert (again.status, again.source, again.left_at) == ("active", "api", None)
    assert audit_actions() == ["join"]


def test_assistant_cannot_see_members_outside_their_communities(api_client_as, newcomer, community):
    data = {"member_id": newcomer.pk, "community_id": community.pk}
    response = send(api_client_as("assistant"), "POST", "/memberships", data)
    assert assert_problem(response, 404)["detail"] == "No such member."
    assert not Membership.objects.filter(member=newcomer).exists()


def test_role_can_be_given_and_the_source_is_api(api_client_as, newcomer, community):
    data = {"member_id": newcomer.pk, "community_id": community.pk, "role": "study_committee"}
    response = send(api_client_as("chapter_head"), "POST", "/memberships", data)
    assert (body(response)["role"], body(response)["source"]) == ("study_committee", "api")


@pytest.mark.parametrize("source", ["self_signup", "import", "api"])
def test_a_client_cannot_claim_a_source(api_client_as, newcomer, community, source):
    data = {"member_id": newcomer.pk, "community_id": community.pk, "source": source}
    response = send(api_client_as("org_admin"), "POST", "/memberships", data)
    assert error_locs(response) == [["body", "source"]]
    assert not Membership.objects.filter(member=newcomer).exists()
    assert audit_actions() == []


def test_assistant_cannot_hand_out_leading_roles(api_client_as, former, community):
    data = {"member_id": former.pk, "community_id": community.pk, "role": "admin"}
    assert_problem(send(api_client_as("assistant"), "POST", "/memberships", data), 403)
    assert Membership.objects.get(member=former).status == "left"
    assert audit_actions() == []


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_cannot_add_to_other_communities(
    api_client_as, persona, newcomer, other_community
):
    data = {"member_id": newcomer.pk, "community_id": other_community.pk}
    assert_problem(send(api_client_as(persona), "POST", "/memberships", data), 404)
    assert not Membership.objects.filter(member=newcomer).exists()
    assert audit_actions() == []


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_create_needs_a_token(api_client_as, persona, newcomer, community):
    data = {"member_id": newcomer.pk, "community_id": community.pk}
    assert_problem(send(api_client_as(persona), "POST", "/memberships", data), 401)
    assert not Membership.objects.filter(member=newcomer).exists()


@pytest.mark.parametrize(
    ("extra", "loc"),
    [({"role": "boss"}, ["body", "role"]), ({"source": "fax"}, ["body", "source"])],
)
def test_create_rejects_unknown_values(api_client_as, newcomer, community, extra, loc):
    data = {"member_id": newcomer.pk, "community_id": community.pk, **extra}
    assert error_locs(send(api_client_as("org_admin"), "POST", "/memberships", data)) == [loc]
    assert not Membership.objects.filter(member=newcomer).exists()


def test_adding_an_active_member_again_is_409(api_client_as, member, community):
    data = {"member_id": member.pk, "community_id": community.pk}
    response = send(api_client_as("org_admin"), "POST", "/memberships", data)
    assert assert_problem(response, 409)["detail"] == "张三 is already a member of this community."
    assert Membership.objects.filter(member=member).count() == 1


# Patch


def test_chapter_head_changes_a_role(api_client_as, membership):
    response = send(
        api_client_as("chapter_head"), "PATCH", f"/memberships/{membership.pk}", {"role": "kol"}
    )
    assert body(response)["role"] == "kol"
    membership.refresh_from_db()
    assert membership.role == "kol"
    assert audit_actions() == ["update"]


def test_assistant_cannot_change_roles(api_client_as, membership):
    response = send(
        api_client_as("assistant"), "PATCH", f"/memberships/{membership.pk}", {"role": "kol"}
    )
    assert_problem(response, 403)
    membership.refresh_from_db()
    assert membership.role == "member"


@pytest.mark.parametrize("status", ["left", "removed"])
def test_assistant_ends_a_membership(api_client_as, membership, status):
    response = send(
        api_client_as("assistant"), "PATCH", f"/memberships/{membership.pk}", {"status": status}
    )
    assert body(response)["status"] == status
    assert body(response)["left_at"] is not None
    membership.refresh_from_db()
    assert membership.status == status
    assert audit_actions() == ["leave"]


def test_role_and_end_together_are_all_or_nothing(api_client_as, membership):
    membership.status = MembershipStatus.LEFT
    membership.save()
    response = send(
        api_client_as("org_admin"),
        "PATCH",
        f"/memberships/{membership.pk}",
        {"role": "kol", "status": "removed"},
    )
    assert assert_problem(response, 409)["detail"] == "This membership has already ended."
    membership.refresh_from_db()
    assert (membership.role, membership.status) == ("member", "left")
    assert audit_actions() == []


@pytest.mark.parametrize(
    "data", [{"status": "active"}, {"role": "boss"}, {"role": None}, {"joined_at": "2020-01-01"}]
)
def test_patch_rejects_bad_input(api_client_as, membership, data):
    response = send(api_client_as("org_admin"), "PATCH", f"/memberships/{membership.pk}", data)
    assert error_locs(response) == [["body", next(iter(data))]]
    membership.refresh_from_db()
    assert (membership.role, membership.status) == ("member", "active")


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_cannot_touch_other_memberships(api_client_as, persona, other_membership):
    client = api_client_as(persona)
    response = send(client, "PATCH", f"/memberships/{other_membership.pk}", {"status": "left"})
    assert_problem(response, 404)
    assert_problem(send(client, "DELETE", f"/memberships/{other_membership.pk}"), 404)
    other_membership.refresh_from_db()
    assert other_membership.status == "active"
    assert audit_actions() == []


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_patch_and_delete_need_a_token(api_client_as, persona, membership):
    client = api_client_as(persona)
    assert_problem(send(client, "PATCH", f"/memberships/{membership.pk}", {"role": "kol"}), 401)
    assert_problem(send(client, "DELETE", f"/memberships/{membership.pk}"), 401)
    membership.refresh_from_db()
    assert (membership.role, membership.status) == ("member", "active")


# Delete = end as removed


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant"])
def test_delete_ends_the_membership_as_removed(api_client_as, persona, membership):
    response = send(api_client_as(persona), "DELETE", f"/memberships/{membership.pk}")
    assert response.status_code == 204
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    assert membership.left_at is not None
    assert Member.objects.filter(pk=membership.member_id).exists()
    response = send(api_client_as(persona), "DELETE", f"/memberships/{membership.pk}")
    assert assert_problem(response, 409)["detail"] == "This membership has already ended."
    assert audit_actions() == ["leave"]
