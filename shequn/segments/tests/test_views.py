"""Console pages of segments: list, builder with live count and preview, detail pages, edit,
delete and the CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from shequn.audit.models import AuditEntry
from shequn.segments.models import Segment
from shequn.segments.services import create_segment
from shequn.segments.tests.conftest import planner_queries

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def segments(world, admin_scope):
    t1 = world.tags["t1"].pk
    return {
        "org": create_segment(actor=admin_scope, name="有标签t1", filters={"tags_any": [t1]}),
        "chapter": create_segment(
            actor=admin_scope, name="上海老成员", chapter=world.chapter, filters={"stages": [3, 5]}
        ),
        "other": create_segment(
            actor=admin_scope, name="北京", chapter=world.other_chapter, filters={}
        ),
    }


def test_the_list_shows_the_segments_one_may_see(segments, client_as) -> None:
    response = client_as("org_admin").get(reverse("segments:list"))
    assert response.status_code == 200
    assert [s.name for s in response.context["page"]] == ["北京", "上海老成员", "有标签t1"]
    response = client_as("chapter_head").get(reverse("segments:list"))
    assert [s.name for s in response.context["page"]] == ["上海老成员"]
    assert client_as("assistant").get(reverse("segments:list")).status_code == 403


def test_the_list_costs_the_same_queries_at_any_size(
    world, admin_scope, client_as, django_assert_num_queries
) -> None:
    for i in range(30):
        create_segment(actor=admin_scope, name=f"s{i:02d}", chapter=world.chapter)
    client = client_as("org_admin")
    # session, user, operator scope (two), the page of segments with chapters; nav and layout.
    with django_assert_num_queries(4):
        response = client.get(reverse("segments:list"))
    assert len(response.context["page"]) == 25
    assert response.context["page"].has_next()


def test_the_count_button(segments, client_as) -> None:
    url = reverse("segments:count", args=[segments["org"].pk])
    response = client_as("org_admin").get(url, HTTP_HX_REQUEST="true", **EN)
    assert response.status_code == 200
    assert response.context["count"] == 2  # Alice and Bob (Eve was merged away)
    assert "2 members" in response.content.decode()
    assert client_as("chapter_head").get(url).status_code == 404  # the organisation's


def test_the_builder_saves_a_segment(world, client_as) -> None:
    client = client_as("chapter_head")
    assert client.get(reverse("segments:create")).status_code == 200
    response = client.post(
        reverse("segments:create"),
        {
            "name": "活跃的KOL",
            "chapter": world.chapter.pk,
            "stages": ["0", "3"],
            "roles": ["kol"],
            "activity_min_count": "2",
            "activity_window_days": "7",
            "tags_any": [world.tags["t1"].pk],
        },
    )
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:detail", args=[segment.pk])
    assert segment.chapter_id == world.chapter.pk
    assert segment.filters == {
        "stages": [0, 3],
        "roles": ["kol"],
        "tags_any": [world.tags["t1"].pk],
        "activity": {"min_count": 2, "window_days": 7},
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"joined_from": "2026-03-02", "joined_to": "2026-03-01"},
            "joined_to",
            "The end date is before the start date.",
        ),
        (
            {"activity_min_count": "0"},
            "activity_min_count",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            {"layer_community": "@community"},
            "layer_community",
            "Choose a layer for this community.",
        ),
        ({"communities": "@other_community"}, "communities", None),  # not offered
    ],
)
def test_the_builder_refuses_bad_filters(world, client_as, data, field, message) -> None:
    data = {
        k: getattr(world, v[1:]).pk if isinstance(v, str) and v.startswith("@") else v
        for k, v in data.items()
    }
    response = client_as("chapter_head").post(
        reverse("segments:create"), {"name": "x", "chapter": world.chapter.pk, **data}, **EN
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert not Segment.objects.exists()
    assert not AuditEntry.objects.exists()


def test_the_live_preview(world, client_as, frozen_now) -> None:
    client = client_as("org_admin")
    query = {"stages": ["0", "3"], "activity_min_count": "2", "activity_window_days": "5"}
    response = client.get(reverse("segments:preview"), query, HTTP_HX_REQUEST="true", **EN)
    assert response.status_code == 200
    # Alice (stage 3, 3 messages), Bob (0, 2), Carol (not placed: 0; 2 messages)
    assert response.context["count"] == 3
    assert [row.member.display_name for row in response.context["page"]] == [
        "Alice",
        "Bob",
        "Carol",
    ]
    body = response.content.decode()
    assert "3 members match" in body
    assert 'href="/members/' in body


def test_the_preview_of_a_chapter_head_is_their_chapter(world, client_as) -> None:
    response = client_as("chapter_head").get(reverse("segments:preview"), {})
    assert response.context["count"] == 4  # Alice, Bob, Dave, Frank
    response = client_as("chapter_head").get(
        reverse("segments:preview"), {"communities": [world.other_community.pk]}, **EN
    )
    assert response.status_code == 422
    assert "communities" in response.context["form"].errors


def test_the_preview_answers_in_a_bounded_number_of_queries(
    world, client_as, django_assert_max_num_queries
) -> None:
    client = client_as("org_admin")
    query = {
        "stages": ["3"],
        "tags_all": [world.tags["t1"].pk, world.tags["t2"].pk],
        "communities": [world.community.pk],
        "channels": ["wecom"],
        "activity_min_count": "1",
    }
    # session, user, scope (2), tags, communities, chapters (choices), tags / communities
    # checked, count, page: no query per member or per filter value.
    with django_assert_max_num_queries(13 + planner_queries()):
        response = client.get(reverse("segments:preview"), query)
    assert response.context["count"] == 1


def test_detail_pages_by_keyset(world, admin_scope, client_as, django_assert_num_queries) -> None:
    from shequn.members.tests.factories import MemberFactory

    for i in range(30):
        MemberFactory(organization=world.org, display_name=f"Zed{i:02d}", chapter=world.chapter)
    segment = create_segment(
        actor=admin_scope, name="上海", filters={"chapter_ids": [world.chapter.pk]}
    )
    client = client_as("org_admin")
    url = reverse("segments:detail", args=[segment.pk])
    # session, user, operator (its scope), segment, chapter name of the filter line, count,
    # page (with chapters and stages joined in).
    with django_assert_num_queries(7 + planner_queries()):
        first = client.get(url)
    names = [row.member.display_name for row in first.context["page"]]
    assert names[:3] == ["Alice", "Bob", "Dave"]
    assert len(names) == 25
    assert first.context["count"] == 33
    cursor = first.context["page"].next_cursor
    assert f"?after={cursor}" in first.content.decode().replace("%3A", ":")
    second = client.get(url, {"after": cursor}, HTTP_HX_REQUEST="true")
    assert [row.member.display_name for row in second.context["page"]] == [
        f"Zed{i:02d}" for i in range(22, 30)
    ]
    assert second.context["page"].next_cursor is None
    assert second.context["count"] is None
    bad = client.get(url, {"after": "forged"})
    assert bad.status_code == 302
    assert bad["Location"] == url


def test_another_chapters_segment_is_not_found(segments, client_as) -> None:
    head = client_as("chapter_head")
    other = segments["other"].pk
    for name in ("detail", "edit", "delete", "count", "export"):
        assert head.get(reverse(f"segments:{name}", args=[other])).status_code == 404
    assert head.post(reverse("segments:delete", args=[other])).status_code == 404
    assert Segment.objects.filter(pk=other).exists()


def test_edit_and_delete(segments, world, client_as) -> None:
    client = client_as("chapter_head")
    segment = segments["chapter"]
    url = reverse("segments:edit", args=[segment.pk])
    form = client.get(url).context["form"]
    assert form.initial["stages"] == [3, 5]
    assert form.initial["name"] == "上海老成员"
    response = client.post(
        url, {"name": "上海老成员", "chapter": world.chapter.pk, "stages": ["5"]}
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.filters == {"stages": [5]}
    assert client.get(reverse("segments:delete", args=[segment.pk])).status_code == 200
    response = client.post(reverse("segments:delete", args=[segment.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("segments:list")
    assert not Segment.objects.filter(pk=segment.pk).exists()


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_csv_export(world, admin_scope, client_as) -> None:
    alice, bob = world.members["Alice"], world.members["Bob"]
    alice.phone, alice.email = "+8613812345678", "alice@example.com"
    alice.save(update_fields=["phone", "email"])
    bob.display_name = "=HYPERLINK(1)"
    bob.save(update_fields=["display_name"])
    segment = create_segment(
        actor=admin_scope, name="t1", filters={"tags_any": [world.tags["t1"].pk]}
    )
    response = client_as("org_admin").get(reverse("segments:export", args=[segment.pk]), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="segment-{segment.pk}-'
    )
    body = b"".join(response.streaming_content)
    assert (
        body
        == (
            "\ufeffID,Display name,Phone,Email,Home chapter,Stage,Last active\r\n"
            f"{alice.pk},Alice,+8613812345678,alice@example.com,上海分会,Understands,"
            "2026-11-30 23:59\r\n"
            f"{bob.pk},'=HYPERLINK(1),,,上海分会,Unaware,2026-12-01 00:00\r\n"
        ).encode()
    )


def test_the_export_of_a_chapter_head_is_their_chapter(world, admin_scope, client_as) -> None:
    segment = create_segment(actor=admin_scope, name="all", chapter=world.chapter)
    rows = _rows(client_as("chapter_head").get(reverse("segments:export", args=[segment.pk])))
    assert [r[1] for r in rows[1:]] == ["Alice", "Bob", "Dave", "Frank"]
    rows = _rows(client_as("org_admin").get(reverse("segments:export", args=[segment.pk])))
    assert [r[1] for r in rows[1:]] == ["Alice", "Bob", "Carol", "Dave", "Frank"]
