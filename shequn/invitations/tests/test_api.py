from __future__ import annotations

import json

import pytest

from shequn.audit.models import AuditEntry
from shequn.invitations.models import InviteLink
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.joining.admission import admit_member
from shequn.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _post(client, path: str, body: object):
    return client.post(API + path, data=json.dumps(body), content_type="application/json")


def _joined(link: InviteLink, n: int) -> None:
    for _ in range(n):
        admit_member(
            member=MemberFactory(organization=link.community.organization),
            community=link.community,
            source="self_signup",
            invite_link=link,
        )


def test_create_read_patch_switch(api_client_as, chapter_head, community) -> None:
    client = api_client_as("chapter_head")
    response = _post(client, "/invite-links", {"community_id": community.pk, "max_uses": 5})
    assert response.status_code == 201
    data = response.json()
    link = InviteLink.objects.get()
    assert data["id"] == link.pk
    assert data["url"] == f"http://testserver/c/i/{link.code}/"
    assert (data["inviter_operator_id"], data["max_uses"], data["status"]) == (
        chapter_head.pk,
        5,
        "active",
    )
    response = client.patch(
        f"{API}/invite-links/{link.pk}",
        data=json.dumps({"purpose": "海报", "max_uses": None}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["purpose"], response.json()["max_uses"]) == ("海报", None)
    response = client.post(f"{API}/invite-links/{link.pk}/disable")
    assert response.json()["status"] == "off"
    response = client.post(f"{API}/invite-links/{link.pk}/enable")
    assert response.json()["status"] == "active"
    assert AuditEntry.objects.filter(action__startswith="invite_link.").count() == 4


@pytest.mark.parametrize(
    "body",
    [
        {"community_id": 0},
        {"community_id": 2**63},
        {"community_id": "@c", "max_uses": 0},
        {"community_id": "@c", "purpose": "x" * 81},
        {"community_id": "@c", "inviter": "none"},
        {"community_id": "@c", "inviter": "member"},
        {"community_id": "@c", "expires_at": "2020-01-01T00:00:00+08:00"},
        {"community_id": "@c", "expires_at": "2030-01-01T00:00:00"},
        {"community_id": "@c", "surprise": 1},
    ],
)
def test_bad_input_is_422_and_creates_nothing(api_client_as, community, body) -> None:
    body = {k: community.pk if v == "@c" else v for k, v in body.items()}
    response = _post(api_client_as("org_admin"), "/invite-links", body)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert InviteLink.objects.count() == 0


def test_out_of_scope(api_client_as, other_community, other_member, community) -> None:
    client = api_client_as("chapter_head")
    assert _post(client, "/invite-links", {"community_id": other_community.pk}).status_code == 404
    body = {"community_id": community.pk, "inviter": "member", "inviter_member_id": other_member.pk}
    assert _post(client, "/invite-links", body).status_code == 404
    far = InviteLinkFactory(community=other_community)
    assert client.get(f"{API}/invite-links/{far.pk}").status_code == 404
    assert client.post(f"{API}/invite-links/{far.pk}/disable").status_code == 404
    far.refresh_from_db()
    assert far.disabled_at is None
    assert InviteLink.objects.count() == 1


def test_patch_refuses_null_purpose(api_client_as, community) -> None:
    link = InviteLinkFactory(community=community)
    response = api_client_as("org_admin").patch(
        f"{API}/invite-links/{link.pk}",
        data=json.dumps({"purpose": None}),
        content_type="application/json",
    )
    assert response.status_code == 422
    link.refresh_from_db()
    assert link.purpose == "poster campaign"


def test_list_and_joins(api_client_as, community, django_assert_num_queries) -> None:
    client = api_client_as("org_admin")
    link = InviteLinkFactory(community=community)
    _joined(link, 2)
    client.get(f"{API}/invite-links")
    with django_assert_num_queries(2) as ctx:
        client.get(f"{API}/invite-links")
    for _ in range(4):
        _joined(InviteLinkFactory(community=community), 1)
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(f"{API}/invite-links?limit=3")
    data = response.json()
    assert (len(data["items"]), data["next_offset"], data["count"]) == (3, 3, None)
    assert client.get(f"{API}/invite-links?offset=3").json()["items"][-1]["still_in"] == 2
    joins = client.get(f"{API}/invite-links/{link.pk}/joins").json()
    assert [j["still_in"] for j in joins["items"]] == [True, True]
    assert client.get(f"{API}/invite-links?limit=201").status_code == 422
    assert client.get(f"{API}/invite-links?offset=99999999999").status_code == 422


def test_qr_endpoints(api_client_as, community) -> None:
    link = InviteLinkFactory(community=community)
    client = api_client_as("assistant")
    png = client.get(f"{API}/invite-links/{link.pk}/qr.png")
    assert (png.status_code, png["Content-Type"]) == (200, "image/png")
    assert png.content.startswith(b"\x89PNG")
    svg = client.get(f"{API}/invite-links/{link.pk}/qr.svg")
    assert (svg.status_code, svg["Content-Type"]) == (200, "image/svg+xml")
    assert "attachment" in svg["Content-Disposition"]


def test_inviters_and_invitees(api_client_as, community, member, django_assert_num_queries):
    client = api_client_as("chapter_head")
    _joined(InviteLinkFactory(community=community, inviter_member=member, purpose=""), 2)
    with django_assert_num_queries(6):  # first call: the token is looked up and touched
        data = client.get(f"{API}/inviters").json()
    assert [(r["kind"], r["id"], r["invitees"], r["still_in"]) for r in data["items"]] == [
        ("member", member.pk, 2, 2)
    ]
    invitees = client.get(f"{API}/inviters/members/{member.pk}/invitees").json()
    assert len(invitees["items"]) == 2
    assert client.get(f"{API}/inviters?limit=0").status_code == 422
