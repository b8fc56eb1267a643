"""API v1 of segments: CRUD, count, members, export and the preview of unsaved filters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shequn.audit.models import AuditEntry
from shequn.segments.models import Segment
from shequn.segments.services import create_segment
from shequn.segments.tests.conftest import planner_queries

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
EMPTY_FILTERS: dict[str, Any] = {
    "stages": [],
    "layers": [],
    "layer_community_id": None,
    "tags_all": [],
    "tags_any": [],
    "tags_none": [],
    "chapter_ids": [],
    "community_ids": [],
    "roles": [],
    "joined_from": None,
    "joined_to": None,
    "last_active_from": None,
    "last_active_to": None,
    "activity": None,
    "channels": [],
}


def post(client, url, body, method="post"):
    return getattr(client, method)(
        f"/api/v1{url}", data=json.dumps(body), content_type="application/json", **EN
    )


def test_create_read_update_delete(world, api_client_as) -> None:
    client = api_client_as("org_admin")
    t1 = world.tags["t1"].pk
    body = {
        "name": "KOL",
        "filters": {
            "roles": ["kol"],
            "tags_any": [t1],
            "activity": {"min_count": 2, "window_days": 7},
            "joined_from": "2026-10-01",
        },
    }
    response = post(client, "/segments", body)
    assert response.status_code == 201, response.content
    created = response.json()
    segment = Segment.objects.get()
    assert created["id"] == segment.pk
    assert created["chapter_id"] is None
    assert created["filters"] == EMPTY_FILTERS | {
        "roles": ["kol"],
        "tags_any": [t1],
        "activity": {"min_count": 2, "window_days": 7, "kinds": []},
        "joined_from": "2026-10-01",
    }
    assert client.get(f"/api/v1/segments/{segment.pk}").json() == created

    response = post(
        client,
        f"/segments/{segment.pk}",
        {"description": "月度", "filters": {"stages": [3]}, "chapter_id": world.chapter.pk},
        method="patch",
    )
    assert response.status_code == 200
    assert response.json()["filters"] == EMPTY_FILTERS | {"stages": [3]}
    assert response.json()["chapter_id"] == world.chapter.pk
    listed = client.get("/api/v1/segments").json()
    assert (listed["count"], [s["name"] for s in listed["items"]]) == (1, ["KOL"])

    assert client.delete(f"/api/v1/segments/{segment.pk}").status_code == 204
    assert not Segment.objects.exists()
    assert list(
        AuditEntry.objects.filter(object_type="segment")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "create",
        "update",
        "delete",
    ]


@pytest.mark.parametrize(
    ("filters", "loc", "msg"),
    [
        ({"stages": [9]}, ["body", "filters", "stages", 0], None),
        ({"tags_all": [999999]}, ["body", "filters", "tags_all"], "No such tag: 999999."),
        (
            {"joined_from": "2026-02-02", "joined_to": "2026-02-01"},
            ["body", "filters", "joined_to"],
            "The end date is before the start date.",
        ),
        (
            {"activity": {"min_count": 0}},
            ["body", "filters", "activity", "min_count"],
            "Ensure this value is at least 1.",
        ),
        ({"colour": "red"}, ["body", "filters", "colour"], "Unknown field."),
        ({"tags_any": list(range(1, 52))}, ["body", "filters", "tags_any"], None),
        (
            {"joined_from": "1900-01-01"},
            ["body", "filters", "joined_from"],
            "Enter a date between 2000-01-01 and 2099-12-31.",
        ),
    ],
)
def test_bad_filters_are_a_422_and_change_nothing(world, api_client_as, filters, loc, msg) -> None:
    response = post(api_client_as("org_admin"), "/segments", {"name": "x", "filters": filters})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [e["loc"] for e in errors] == [loc]
    if msg:
        assert errors[0]["msg"] == msg
    assert not Segment.objects.exists()
    assert not AuditEntry.objects.filter(object_type="segment").exists()


def test_a_chapter_head_works_in_their_chapter(world, admin_scope, api_client_as) -> None:
    client = api_client_as("chapter_head")
    response = post(client, "/segments", {"name": "上海"})
    assert response.status_code == 201
    assert response.json()["chapter_id"] == world.chapter.pk
    far = post(client, "/segments", {"name": "北京", "chapter_id": world.other_chapter.pk})
    assert far.status_code == 404
    scoped = post(
        client, "/segments", {"name": "y", "filters": {"community_ids": [world.other_community.pk]}}
    )
    assert scoped.status_code == 422
    assert scoped.json()["errors"] == [
        {
            "loc": ["body", "filters", "community_ids"],
            "msg": f"No such community in your scope: {world.other_community.pk}.",
        }
    ]
    other = create_segment(actor=admin_scope, name="北京", chapter=world.other_chapter)
    assert client.get(f"/api/v1/segments/{other.pk}").status_code == 404
    assert client.delete(f"/api/v1/segments/{other.pk}").status_code == 404
    assert Segment.objects.count() == 2


def test_duplicate_names_are_a_422(world, api_client_as) -> None:
    client = api_client_as("org_admin")
    assert post(client, "/segments", {"name": "A"}).status_code == 201
    response = post(client, "/segments", {"name": "A"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "name"], "msg": "Another segment of the organisation has this name."}
    ]


def test_count_members_and_export(
    world, admin_scope, api_client_as, django_assert_max_num_queries
) -> None:
    segment = create_segment(
        actor=admin_scope,
        name="t1 or t2",
        filters={"tags_any": [world.tags["t1"].pk, world.tags["t2"].pk]},
    )
    admin, head = api_client_as("org_admin"), api_client_as("chapter_head")
    assert admin.get(f"/api/v1/segments/{segment.pk}/count").json() == {"count": 3}
    # token, operator, segment, the page
    with django_assert_max_num_queries(4 + planner_queries()):
        page = admin.get(f"/api/v1/segments/{segment.pk}/members", {"limit": 2}).json()
    alice = world.members["Alice"]
    assert page["next_offset"] == 2
    assert page["items"][0] == {
        "id": alice.pk,
        "display_name": "Alice",
        "phone": "",
        "email": "",
        "chapter_id": world.chapter.pk,
        "stage": 3,
        "last_active_at": "2026-11-30T15:59:00Z",
    }
    assert [m["display_name"] for m in page["items"]] == ["Alice", "Bob"]
    rest = admin.get(f"/api/v1/segments/{segment.pk}/members", {"offset": 2}).json()
    assert ([m["display_name"] for m in rest["items"]], rest["count"]) == (["Dave"], 3)
    response = admin.get(f"/api/v1/segments/{segment.pk}/export", **EN)
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert [line.split(",")[1] for line in lines] == ["Display name", "Alice", "Bob", "Dave"]
    assert head.get(f"/api/v1/segments/{segment.pk}/count").status_code == 404


def test_preview_of_unsaved_filters(world, api_client_as, frozen_now) -> None:
    body = {"filters": {"activity": {"min_count": 1, "window_days": 5}}, "limit": 2}
    response = post(api_client_as("org_admin"), "/segments/preview", body)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 5
    assert [m["display_name"] for m in data["items"]] == ["Alice", "Bob"]
    head = post(api_client_as("chapter_head"), "/segments/preview", body).json()
    assert head["count"] == 3  # Frank's purchase belongs to no community of the chapter
    assert post(api_client_as("org_admin"), "/segments/preview", {"limit": 51}).status_code == 422
    assert Segment.objects.count() == 0


def test_assistants_are_refused(world, api_client_as) -> None:
    client = api_client_as("assistant")
    assert client.get("/api/v1/segments").status_code == 403
    assert post(client, "/segments", {"name": "x"}).status_code == 403
    assert post(client, "/segments/preview", {}).status_code == 403
    assert not Segment.objects.exists()
