"""POST /api/v1/activities/batch: storing, duplicates, rejections, scope, limits, bad bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shequn.activity import api as activity_api
from shequn.activity.models import Activity, ActivitySource
from shequn.activity.schemas import BATCH_MAX_BYTES, BATCH_MAX_ITEMS
from shequn.activity.services import MAX_BATCH_ROWS
from shequn.members.models import Identity, Member

URL = "/api/v1/activities/batch"


def item(n: int, community: str | None = "sh-salon", **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"tg-{n}",
        "channel": "telegram",
        "kind": "message",
        "occurred_at": "2026-06-01T08:00:00+08:00",
        "actor": {"external_id": f"user{n % 3}", "display_name": f"用户{n % 3}"},
        "text": f"第{n}条",
    }
    if community is not None:
        row["community"] = community
    row.update(changes)
    return row


def post(client: Any, body: Any, **extra: Any) -> Any:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    return client.post(URL, data=data, content_type="application/json", **extra)


def test_the_limit_is_the_services(db):
    assert BATCH_MAX_ITEMS == MAX_BATCH_ROWS == 10_000


def test_a_batch_is_stored(api_client_as, community, org):
    response = post(api_client_as("org_admin"), [item(1), item(2), item(3, reply_to="tg-1")])
    assert response.status_code == 200
    assert response.json() == {"new": 3, "duplicate": 0, "rejected": []}
    rows = Activity.objects.order_by("external_id")
    assert [(a.external_id, a.community_id, a.source, a.text) for a in rows] == [
        ("tg-1", community.pk, ActivitySource.API, "第1条"),
        ("tg-2", community.pk, ActivitySource.API, "第2条"),
        ("tg-3", community.pk, ActivitySource.API, "第3条"),
    ]
    assert rows[2].reply_to == "tg-1"
    # Three rows from three new accounts: members and identities created on the way.
    assert Identity.objects.filter(channel="telegram").count() == 3
    listed = api_client_as("org_admin").get("/api/v1/activities").json()["items"]
    assert sorted(a["external_id"] for a in listed) == ["tg-1", "tg-2", "tg-3"]


def test_a_second_delivery_is_stored_once(api_client_as, community):
    client = api_client_as("org_admin")
    assert post(client, [item(1), item(2)]).json() == {"new": 2, "duplicate": 0, "rejected": []}
    again = post(client, [item(2), item(3), item(1)])
    assert again.json() == {"new": 1, "duplicate": 2, "rejected": []}
    # and inside one batch
    assert post(client, [item(4), item(4)]).json() == {"new": 1, "duplicate": 1, "rejected": []}
    assert sorted(Activity.objects.values_list("external_id", flat=True)) == [
        "tg-1",
        "tg-2",
        "tg-3",
        "tg-4",
    ]
    assert Member.objects.count() == 3  # user0, user1, user2


def test_bad_rows_are_rejected_with_their_index_and_the_rest_stored(api_client_as, community):
    body = [
        item(1),
        item(2, kind="shout"),
        "not an object",
        item(4, community="nowhere"),
        item(5, text="长" * 4001),
        item(6),
    ]
    response = post(api_client_as("org_admin"), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    result = response.json()
    assert (result["new"], result["duplicate"]) == (2, 0)
    assert [r["index"] for r in result["rejected"]] == [1, 2, 3, 4]
    reasons = [r["reason"] for r in result["rejected"]]
    assert reasons[0] == "Unknown activity kind: shout"
    assert reasons[2] == "Unknown community: nowhere"
    assert all(reasons)
    assert sorted(Activity.objects.values_list("external_id", flat=True)) == ["tg-1", "tg-6"]


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_a_scoped_token_ingests_only_into_its_communities(
    api_client_as, community, other_community, persona
):
    body = [item(1), item(2, community="bj-salon"), item(3, community=None)]
    response = post(api_client_as(persona), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {
        "new": 1,
        "duplicate": 0,
        "rejected": [
            {"index": 1, "reason": "This community is not one you manage."},
            {
                "index": 2,
                "reason": "Only an organisation admin may record activities without a community.",
            },
        ],
    }
    assert list(Activity.objects.values_list("external_id", "community_id")) == [
        ("tg-1", community.pk)
    ]


def test_an_admin_records_organisation_wide_activities(api_client_as, community):
    response = post(api_client_as("org_admin"), [item(1, community=None, kind="purchase")])
    assert response.json()["new"] == 1
    assert Activity.objects.get().community_id is None


def test_an_empty_array_stores_nothing(api_client_as, community):
    assert post(api_client_as("org_admin"), []).json() == {
        "new": 0,
        "duplicate": 0,
        "rejected": [],
    }


def test_more_than_10000_items_is_413_and_nothing_stored(api_client_as, community):
    body = [item(n) for n in range(BATCH_MAX_ITEMS + 1)]
    response = post(api_client_as("org_admin"), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"] == "At most 10000 activities and 20 MB per request."
    assert Activity.objects.count() == 0
    assert Member.objects.count() == 0


def test_a_body_over_20_mb_is_413_and_nothing_stored(api_client_as, community):
    padding = "x" * (BATCH_MAX_BYTES - 200)
    body = json.dumps([item(1), item(2, properties={"padding": padding})]).encode()
    assert len(body) > BATCH_MAX_BYTES
    response = post(api_client_as("org_admin"), body)
    assert response.status_code == 413
    assert Activity.objects.count() == 0


def test_a_body_of_exactly_the_limit_is_read(api_client_as, community, monkeypatch):
    body = json.dumps([item(1)]).encode()
    monkeypatch.setattr(activity_api, "BATCH_MAX_BYTES", len(body))
    assert post(api_client_as("org_admin"), body).json()["new"] == 1
    monkeypatch.setattr(activity_api, "BATCH_MAX_BYTES", len(body) - 1)
    assert post(api_client_as("org_admin"), body).status_code == 413


def test_a_declared_length_over_the_limit_is_refused_before_reading(api_client_as, community):
    client = api_client_as("org_admin")
    body = json.dumps([item(1)])
    response = client.generic(
        "POST",
        URL,
        data=body,
        content_type="application/json",
        CONTENT_LENGTH=str(BATCH_MAX_BYTES + 1),
    )
    assert response.status_code == 413
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "The body is not valid JSON."),
        (b"[{", "The body is not valid JSON."),
        (b"\xff\xfe", "The body is not valid JSON."),
        (b'{"items": []}', "Send a JSON array of activities."),
        (b'"tg-1"', "Send a JSON array of activities."),
        (b"[] []", "The body is not valid JSON."),
    ],
)
def test_a_malformed_body_is_422_and_nothing_stored(api_client_as, community, body, message):
    response = post(api_client_as("org_admin"), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == message
    assert problem["errors"] == [{"loc": ["body"], "msg": message}]
    assert Activity.objects.count() == 0


@pytest.mark.parametrize("persona", ["member", "outsider", "anonymous"])
def test_without_a_valid_token_nothing_is_stored(api_client_as, community, persona):
    assert post(api_client_as(persona), [item(1)]).status_code == 401
    assert Activity.objects.count() == 0


def test_the_openapi_documents_the_item_schema(db):
    from config.api import api

    operation = api.get_openapi_schema()["paths"]["/api/v1/activities/batch"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["maxItems"] == 10_000
    assert schema["items"]["required"] == ["id", "channel", "kind", "occurred_at", "actor"]
    assert set(operation["responses"]) >= {200, 401, 413, 422, 429}


def test_problems_are_in_the_language_of_the_request(api_client_as, community):
    client = api_client_as("org_admin")
    too_many = post(client, [item(n) for n in range(BATCH_MAX_ITEMS + 1)])
    assert too_many.json()["title"] == "请求过大"
    assert too_many.json()["detail"] == "每次请求最多 10000 条动态、20 MB。"
    assert post(client, b"[{").json()["detail"] == "请求体不是有效的 JSON。"
    assert post(client, b"{}").json()["detail"] == "请发送动态的 JSON 数组。"


def test_new_people_ask_for_merge_suggestions_once(
    api_client_as, community, org, huey_immediate, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    client = api_client_as("org_admin")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, [item(1), item(2)]).json()["new"] == 2  # two new members
        cache.clear()  # past the once-a-minute window
        assert post(client, [item(4), item(5)]).json()["new"] == 2  # known ones: no ask
    scheduled = [
        (t.name, tuple(t.args))
        for t in huey_immediate.scheduled()
        if t.name not in ("recompute_pending", "award_pending")  # derived data: own tests
    ]
    assert scheduled == [("find_merge_suggestions", (org.pk,))]
