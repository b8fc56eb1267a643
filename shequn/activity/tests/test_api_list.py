"""GET /api/v1/activities and /api/v1/members/{id}/activities: scope, filters, keyset pages."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shequn.activity import selectors
from shequn.activity.models import Activity, ActivityKind, ActivitySource
from shequn.members.models import Channel, Identity, Member
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.models import Community
from shequn.organizations.tests.factories import CommunityFactory

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
_ids = itertools.count(1)


def add_activity(
    member: Member,
    community: Community | None,
    at: datetime = T0,
    *,
    kind: str = ActivityKind.MESSAGE,
    channel: str = Channel.TELEGRAM,
    text: str = "",
    reply_to: str = "",
    identity: Identity | None = None,
) -> Activity:
    """Test set-up: one activity row, straight through the ORM."""
    return Activity.objects.create(
        organization=member.organization,
        community=community,
        member=member,
        identity=identity,
        channel=channel,
        kind=kind,
        occurred_at=at,
        external_id=f"ev-{next(_ids)}",
        text=text,
        reply_to=reply_to,
        source=ActivitySource.API,
    )


def _ids_of(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def stream(org, community, other_community, member, other_member):
    """Two activities in `community`, one in `other_community`, one organisation-wide."""
    return {
        "own": add_activity(member, community, T0, text="早安"),
        "own_later": add_activity(
            member, community, T0 + timedelta(hours=1), kind=ActivityKind.CHECK_IN
        ),
        "other": add_activity(other_member, other_community, T0 + timedelta(hours=2)),
        "org_wide": add_activity(
            member, None, T0 + timedelta(hours=3), kind=ActivityKind.PURCHASE, channel="web"
        ),
    }


def test_admin_sees_every_activity_newest_first(api_client_as, stream, member, community):
    response = api_client_as("org_admin").get("/api/v1/activities")
    body = response.json()
    assert _ids_of(response) == [stream[k].pk for k in ("org_wide", "other", "own_later", "own")]
    assert body["next_cursor"] is None
    assert body["items"][3] == {
        "id": stream["own"].pk,
        "external_id": stream["own"].external_id,
        "channel": "telegram",
        "kind": "message",
        "occurred_at": "2026-05-01T08:00:00Z",
        "community_id": community.pk,
        "community_slug": "sh-salon",
        "member_id": member.pk,
        "member_name": "张三",
        "identity_id": None,
        "text": "早安",
        "reply_to": "",
        "weight": 1,
        "properties": {},
        "source": "api",
        "created_at": body["items"][3]["created_at"],
    }
    assert body["items"][0]["community_id"] is None
    assert body["items"][0]["community_slug"] is None


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_scoped_operators_see_their_communities_only(api_client_as, stream, persona):
    response = api_client_as(persona).get("/api/v1/activities")
    # Neither the other chapter's community nor organisation-wide activities.
    assert _ids_of(response) == [stream["own_later"].pk, stream["own"].pk]


def test_a_chapter_head_sees_every_community_of_the_chapter(
    api_client_as, org, chapter, member, stream
):
    second = CommunityFactory(organization=org, chapter=chapter, slug="sh-2")
    late = add_activity(member, second, T0 + timedelta(minutes=30))
    assert _ids_of(api_client_as("chapter_head").get("/api/v1/activities")) == [
        stream["own_later"].pk,
        late.pk,
        stream["own"].pk,
    ]
    # The assistant runs `community` only.
    assert _ids_of(api_client_as("assistant").get("/api/v1/activities")) == [
        stream["own_later"].pk,
        stream["own"].pk,
    ]


def test_filters(api_client_as, stream, community, other_community, member, other_member):
    client = api_client_as("org_admin")
    url = "/api/v1/activities"
    assert _ids_of(client.get(url, {"community_id": community.pk})) == [
        stream["own_later"].pk,
        stream["own"].pk,
    ]
    assert _ids_of(client.get(url, {"member_id": other_member.pk})) == [stream["other"].pk]
    assert _ids_of(client.get(url, {"member_id": member.pk, "kind": "purchase"})) == [
        stream["org_wide"].pk
    ]
    assert _ids_of(client.get(url, {"channel": "web"})) == [stream["org_wide"].pk]
    assert _ids_of(client.get(url, {"kind": "check_in"})) == [stream["own_later"].pk]
    # since inclusive, until exclusive
    window = {"since": "2026-05-01T17:00:00+08:00", "until": "2026-05-01T11:00:00Z"}
    assert _ids_of(client.get(url, window)) == [stream["other"].pk, stream["own_later"].pk]
    assert _ids_of(client.get(url, {"community_id": other_community.pk, "kind": "reply"})) == []


def test_filters_outside_the_scope_are_404(api_client_as, stream, other_community, other_member):
    client = api_client_as("chapter_head")
    response = client.get("/api/v1/activities", {"community_id": other_community.pk})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert client.get("/api/v1/activities", {"member_id": other_member.pk}).status_code == 404


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"kind": "shout"}, ["query", "kind"]),
        ({"channel": "icq"}, ["query", "channel"]),
        ({"since": "yesterday"}, ["query", "since"]),
        ({"since": "2026-05-01T08:00:00"}, ["query", "since"]),  # no offset
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 201}, ["query", "limit"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
        ({"cursor": "x" * 201}, ["query", "cursor"]),
    ],
)
def test_bad_parameters_are_422(api_client_as, stream, params, loc):
    response = api_client_as("org_admin").get("/api/v1/activities", params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


def test_a_tampered_cursor_is_422(api_client_as, stream):
    client = api_client_as("org_admin")
    cursor = client.get("/api/v1/activities", {"limit": 1}).json()["next_cursor"]
    payload, signature = cursor.split(":")
    forged = selectors.Cursor(occurred_at=T0 + timedelta(days=9), id=10**9).encode()
    tampered = f"{forged.split(':')[0]}:{signature}"
    for bad in (tampered, f"{payload}:{signature[:-2]}", payload, f"{payload}x:{signature}"):
        response = client.get("/api/v1/activities", {"cursor": bad}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422, bad
        assert response.json()["detail"] == (
            "This cursor is not valid. Start again from the first page."
        )


def test_cursor_round_trip_keeps_microseconds():
    cursor = selectors.Cursor(occurred_at=datetime(1969, 7, 20, 20, 17, 40, 123456, UTC), id=7)
    assert selectors.decode_cursor(cursor.encode()) == cursor


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head"])
def test_cursor_pages_have_no_duplicates_or_gaps_across_equal_times(
    api_client_as, org, chapter, community, member, persona
):
    second = CommunityFactory(organization=org, chapter=chapter, slug="sh-2")
    rows = [
        add_activity(member, community if i % 2 else second, T0 + timedelta(minutes=i // 3))
        for i in range(11)
    ]  # groups of three activities with the same time, in two communities
    expected = [a.pk for a in sorted(rows, key=lambda a: (a.occurred_at, a.pk), reverse=True)]
    client = api_client_as(persona)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/api/v1/activities", params)
        seen += _ids_of(response)
        pages += 1
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 6


def test_a_large_scope_walks_the_organisation_index_with_the_same_result(
    api_client_as, monkeypatch, org, chapter, community, member
):
    second = CommunityFactory(organization=org, chapter=chapter, slug="sh-2")
    rows = [add_activity(member, community if i % 2 else second, T0) for i in range(5)]
    client = api_client_as("chapter_head")
    union = _ids_of(client.get("/api/v1/activities", {"limit": 3}))
    monkeypatch.setattr(selectors, "UNION_MAX_COMMUNITIES", 1)
    first = client.get("/api/v1/activities", {"limit": 3})
    assert _ids_of(first) == union == [rows[4].pk, rows[3].pk, rows[2].pk]
    rest = client.get("/api/v1/activities", {"limit": 3, "cursor": first.json()["next_cursor"]})
    assert _ids_of(rest) == [rows[1].pk, rows[0].pk]


def test_a_chapter_without_communities_sees_nothing(api_client_as, org, chapter_head, stream):
    chapter_head.chapters.clear()
    response = api_client_as("chapter_head").get("/api/v1/activities")
    assert response.json() == {"items": [], "next_cursor": None}


def test_member_timeline(api_client_as, stream, member, other_community, community):
    # The member also spoke in the other chapter's community: not for the chapter head.
    elsewhere = add_activity(member, other_community, T0 + timedelta(hours=4))
    url = f"/api/v1/members/{member.pk}/activities"
    assert _ids_of(api_client_as("org_admin").get(url)) == [
        elsewhere.pk,
        stream["org_wide"].pk,
        stream["own_later"].pk,
        stream["own"].pk,
    ]
    assert _ids_of(api_client_as("chapter_head").get(url)) == [
        stream["own_later"].pk,
        stream["own"].pk,
    ]
    assert _ids_of(api_client_as("org_admin").get(url, {"community_id": community.pk})) == [
        stream["own_later"].pk,
        stream["own"].pk,
    ]
    assert _ids_of(api_client_as("org_admin").get(url, {"kind": "purchase"})) == [
        stream["org_wide"].pk
    ]


def test_member_timeline_outside_the_scope_is_404(api_client_as, stream, other_member):
    response = api_client_as("assistant").get(
        f"/api/v1/members/{other_member.pk}/activities", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "No such member."


def _many(org, community, member, rows: int) -> None:
    for i in range(rows):
        person = MemberFactory(organization=org, chapter=community.chapter)
        MembershipFactory(member=person, community=community)
        identity = IdentityFactory(member=person, organization=org, channel=Channel.TELEGRAM)
        add_activity(person, community, T0 + timedelta(seconds=i), identity=identity)
    add_activity(member, community, T0 - timedelta(days=1))


# token, its last use; (chapter head: their chapters; assistant: their communities); the page
# (a scoped stream: the chapter's community ids, the merged keys, then their rows)
@pytest.mark.parametrize(
    ("persona", "queries"), [("org_admin", 3), ("chapter_head", 6), ("assistant", 5)]
)
@pytest.mark.parametrize("rows", [11, 25])
def test_list_query_count_is_constant(
    api_client_as, django_assert_num_queries, org, community, member, persona, queries, rows
):
    _many(org, community, member, rows)
    client = api_client_as(persona)
    with django_assert_num_queries(queries):
        response = client.get("/api/v1/activities", {"limit": 10})
    assert len(response.json()["items"]) == 10
    assert response.json()["next_cursor"] is not None


# token, its last use; (scope); community; page
@pytest.mark.parametrize(
    ("persona", "queries"), [("org_admin", 4), ("chapter_head", 5), ("assistant", 5)]
)
@pytest.mark.parametrize("rows", [11, 25])
def test_community_filter_query_count_is_constant(
    api_client_as, django_assert_num_queries, org, community, member, persona, queries, rows
):
    _many(org, community, member, rows)
    client = api_client_as(persona)
    with django_assert_num_queries(queries):
        response = client.get("/api/v1/activities", {"community_id": community.pk, "limit": 10})
    assert len(response.json()["items"]) == 10


# token, its last use; (scope); member; page
@pytest.mark.parametrize(
    ("persona", "queries"), [("org_admin", 4), ("chapter_head", 5), ("assistant", 5)]
)
@pytest.mark.parametrize("rows", [3, 12])
def test_member_timeline_query_count_is_constant(
    api_client_as, django_assert_num_queries, org, community, member, persona, queries, rows
):
    identity = Identity.objects.get(member=member)
    for i in range(rows):
        add_activity(member, community, T0 + timedelta(seconds=i), identity=identity)
    client = api_client_as(persona)
    with django_assert_num_queries(queries):
        response = client.get(f"/api/v1/members/{member.pk}/activities", {"limit": 2})
    assert len(response.json()["items"]) == 2
