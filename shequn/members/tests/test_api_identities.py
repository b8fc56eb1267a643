"""/api/v1/identities: every operation for every persona, duplicates, query counts."""

from __future__ import annotations

import pytest

from shequn.core.tests.api_helpers import (
    assert_problem,
    audit_actions,
    body,
    error_locs,
    ids,
    send,
)
from shequn.members.models import Identity
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory

UNAUTHENTICATED = ["member", "outsider", "anonymous"]


@pytest.fixture
def wecom(member):
    """张三's WeCom account."""
    return IdentityFactory(
        member=member, organization=member.organization, external_id="zs-wecom", display_name="三"
    )


@pytest.fixture
def other_identity(other_member):
    return other_member.identities.get()


# List and get


def test_org_admin_lists_all_identities(api_client_as, member, wecom, other_identity):
    response = send(api_client_as("org_admin"), "GET", "/identities")
    assert body(response)["count"] == 3
    item = next(i for i in body(response)["items"] if i["id"] == wecom.pk)
    assert item == {
        "id": wecom.pk,
        "member_id": member.pk,
        "channel": "wecom",
        "external_id": "zs-wecom",
        "display_name": "三",
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_list_only_their_members_identities(
    api_client_as, persona, member, wecom, other_identity
):
    response = send(api_client_as(persona), "GET", "/identities", {"channel": "wecom"})
    assert ids(response) == [wecom.pk]
    assert body(send(api_client_as(persona), "GET", "/identities"))["count"] == 2


def test_list_filters(api_client_as, member, wecom, other_member, other_identity):
    client = api_client_as("org_admin")
    assert ids(send(client, "GET", "/identities", {"q": "lisi"})) == [other_identity.pk]
    response = send(client, "GET", "/identities", {"member_id": member.pk, "channel": "wecom"})
    assert ids(response) == [wecom.pk]
    assert error_locs(send(client, "GET", "/identities", {"channel": "fax"})) == [
        ["query", "channel"]
    ]


def test_chapter_head_filtering_by_other_member_is_404(api_client_as, other_member):
    response = send(
        api_client_as("chapter_head"), "GET", "/identities", {"member_id": other_member.pk}
    )
    assert assert_problem(response, 404)["detail"] == "No such member."


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_list_and_get_need_a_token(api_client_as, persona, wecom):
    client = api_client_as(persona)
    assert_problem(send(client, "GET", "/identities"), 401)
    assert_problem(send(client, "GET", f"/identities/{wecom.pk}"), 401)


@pytest.mark.parametrize(("persona", "queries"), [("org_admin", 2), ("chapter_head", 3)])
def test_list_query_count_is_constant(
    api_client_as, django_assert_num_queries, org, community, persona, queries
):
    client = api_client_as(persona)
    send(client, "GET", "/me")  # the first use of a token notes last_used_at
    for total in (3, 10):
        for _ in range(total - Identity.objects.count()):
            person = MemberFactory(organization=org, chapter=community.chapter)
            IdentityFactory(member=person, organization=org)
        with django_assert_num_queries(queries):
            response = send(client, "GET", "/identities")
        assert body(response)["count"] == total


@pytest.mark.parametrize(
    ("persona", "other_status"), [("org_admin", 200), ("chapter_head", 404), ("assistant", 404)]
)
def test_get_by_persona(api_client_as, wecom, other_identity, persona, other_status):
    client = api_client_as(persona)
    assert body(send(client, "GET", f"/identities/{wecom.pk}"))["external_id"] == "zs-wecom"
    response = send(client, "GET", f"/identities/{other_identity.pk}")
    if other_status == 404:
        assert assert_problem(response, 404)["detail"] == "No such identity."
    else:
        assert body(response)["external_id"] == "lisi"


# Create


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant"])
def test_operators_link_an_account_to_a_member_in_scope(api_client_as, persona, member):
    data = {
        "member_id": member.pk,
        "channel": "telegram",
        "external_id": " 42 ",
        "display_name": "z",
    }
    response = send(api_client_as(persona), "POST", "/identities", data)
    assert response.status_code == 201, response.content
    created = Identity.objects.get(channel="telegram")
    assert (created.member, created.external_id, created.organization) == (
        member,
        "42",
        member.organization,
    )
    assert body(response)["id"] == created.pk
    assert audit_actions() == ["create"]


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_cannot_link_to_others_members(api_client_as, persona, other_member):
    data = {"member_id": other_member.pk, "channel": "telegram", "external_id": "42"}
    assert_problem(send(api_client_as(persona), "POST", "/identities", data), 404)
    assert not Identity.objects.filter(channel="telegram").exists()
    assert audit_actions() == []


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_create_needs_a_token(api_client_as, persona, member):
    data = {"member_id": member.pk, "channel": "telegram", "external_id": "42"}
    assert_problem(send(api_client_as(persona), "POST", "/identities", data), 401)
    assert not Identity.objects.filter(channel="telegram").exists()


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"channel": "wecom", "external_id": "lisi"}, ["body", "external_id"]),  # duplicate
        ({"channel": "fax", "external_id": "1"}, ["body", "channel"]),
        ({"channel": "telegram", "external_id": ""}, ["body", "external_id"]),
        ({"channel": "telegram", "external_id": "  "}, ["body", "external_id"]),
        ({"channel": "telegram", "external_id": "x" * 129}, ["body", "external_id"]),
        ({"channel": "telegram"}, ["body", "external_id"]),
    ],
)
def test_create_rejects_bad_input(api_client_as, member, other_member, data, loc):
    before = Identity.objects.count()
    response = send(
        api_client_as("org_admin"), "POST", "/identities", {"member_id": member.pk, **data}
    )
    assert loc in error_locs(response)
    assert Identity.objects.count() == before
    assert audit_actions() == []


def test_duplicate_message(api_client_as, member, other_member):
    data = {"member_id": member.pk, "channel": "wecom", "external_id": "lisi"}
    response = send(api_client_as("org_admin"), "POST", "/identities", data)
    assert assert_problem(response, 422)["errors"] == [
        {
            "loc": ["body", "external_id"],
            "msg": "This account is already linked to a member on this channel.",
        }
    ]


# Patch and delete


def test_patch_an_identity(api_client_as, wecom):
    response = send(
        api_client_as("assistant"), "PATCH", f"/identities/{wecom.pk}", {"display_name": "张老三"}
    )
    assert body(response)["display_name"] == "张老三"
    wecom.refresh_from_db()
    assert (wecom.display_name, wecom.external_id) == ("张老三", "zs-wecom")
    assert audit_actions() == ["update"]


@pytest.mark.parametrize(
    "data", [{"external_id": "lisi"}, {"external_id": None}, {"channel": "fax"}]
)
def test_patch_rejects_bad_input(api_client_as, wecom, other_identity, data):
    response = send(api_client_as("org_admin"), "PATCH", f"/identities/{wecom.pk}", data)
    assert error_locs(response) == [["body", next(iter(data))]]
    wecom.refresh_from_db()
    assert (wecom.channel, wecom.external_id) == ("wecom", "zs-wecom")


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_cannot_touch_others_identities(api_client_as, persona, other_identity):
    client = api_client_as(persona)
    response = send(client, "PATCH", f"/identities/{other_identity.pk}", {"external_id": "x"})
    assert_problem(response, 404)
    assert_problem(send(client, "DELETE", f"/identities/{other_identity.pk}"), 404)
    other_identity.refresh_from_db()
    assert other_identity.external_id == "lisi"
    assert audit_actions() == []


@pytest.mark.parametrize("persona", UNAUTHENTICATED)
def test_patch_and_delete_need_a_token(api_client_as, persona, wecom):
    client = api_client_as(persona)
    assert_problem(send(client, "PATCH", f"/identities/{wecom.pk}", {"external_id": "x"}), 401)
    assert_problem(send(client, "DELETE", f"/identities/{wecom.pk}"), 401)
    wecom.refresh_from_db()
    assert wecom.external_id == "zs-wecom"


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant"])
def test_delete_unlinks_the_account(api_client_as, persona, wecom, member):
    response = send(api_client_as(persona), "DELETE", f"/identities/{wecom.pk}")
    assert response.status_code == 204
    assert not Identity.objects.filter(pk=wecom.pk).exists()
    assert member.identities.count() == 1  # the web identity stays
    assert audit_actions() == ["delete"]


def test_visitor_member_is_in_chapter_heads_scope(api_client_as, org, community, other_chapter):
    """A member of another home chapter who joined the head's community is visible too."""
    visitor = MemberFactory(organization=org, chapter=other_chapter)
    MembershipFactory(member=visitor, community=community)
    identity = IdentityFactory(member=visitor, organization=org, external_id="visitor")
    response = send(api_client_as("chapter_head"), "GET", f"/identities/{identity.pk}")
    assert body(response)["external_id"] == "visitor"
