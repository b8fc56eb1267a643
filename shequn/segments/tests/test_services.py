"""Writes of segments: who may, what is saved and audited, and that bad input changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from shequn.audit.models import AuditEntry
from shequn.segments.filters import parse_filters
from shequn.segments.models import Segment
from shequn.segments.selectors import list_segments_using_tag
from shequn.segments.services import create_segment, delete_segment, forget_tag, update_segment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_an_admin_creates_an_organisation_segment(world, admin_scope, org_admin) -> None:
    segment = create_segment(
        actor=admin_scope,
        name="  活跃  新人 ",
        description="本月",
        filters={"stages": [2, 1], "tags_any": [world.tags["t1"].pk]},
    )
    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.chapter_id) == ("活跃 新人", "本月", None)
    assert segment.filters == {"stages": [1, 2], "tags_any": [world.tags["t1"].pk]}
    assert segment.created_by == org_admin
    entry = AuditEntry.objects.get(object_type="segment", object_id=str(segment.pk))
    assert (entry.action, entry.chapter_id, entry.actor_name) == ("create", None, "admin")
    assert entry.changes == {
        "name": "活跃 新人",
        "description": "本月",
        "chapter": None,
        "filters": {"stages": [1, 2], "tags_any": [world.tags["t1"].pk]},
    }


def test_a_chapter_head_saves_under_their_chapter(world, head_scope) -> None:
    segment = create_segment(actor=head_scope, name="上海活跃", filters=parse_filters({}))
    assert segment.chapter_id == world.chapter.pk
    entry = AuditEntry.objects.get(object_type="segment")
    assert entry.chapter_id == world.chapter.pk


def test_a_chapter_head_cannot_save_under_another_chapter(world, head_scope) -> None:
    with pytest.raises(ValidationError) as caught:
        create_segment(actor=head_scope, name="北京", chapter=world.other_chapter)
    assert caught.value.message_dict == {
        "chapter": ["You can only save segments of your own chapter."]
    }
    assert not Segment.objects.exists()
    assert not AuditEntry.objects.exists()


def test_assistants_have_no_segments(world, assistant, scope_of) -> None:
    with pytest.raises(PermissionDenied):
        create_segment(actor=scope_of(assistant), name="x")
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"name": "  "}, {"name": ["Give the segment a name."]}),
        ({"name": "x" * 61}, {"name": ["At most 60 characters."]}),
        ({"name": "ok", "description": "d" * 201}, {"description": ["At most 200 characters."]}),
        (
            {"name": "ok", "filters": {"stages": [8]}},
            {"stages": ["Unknown stage: 8. Stages are 0 to 6."]},
        ),
        ({"name": "ok", "filters": {"tags_all": [999999]}}, {"tags_all": ["No such tag: 999999."]}),
    ],
)
def test_bad_input_creates_nothing(world, admin_scope, kwargs, errors) -> None:
    with pytest.raises(ValidationError) as caught:
        create_segment(actor=admin_scope, **kwargs)
    assert caught.value.message_dict == errors
    assert not Segment.objects.exists()
    assert not AuditEntry.objects.exists()


def test_names_are_unique_in_the_organisation(world, admin_scope, head_scope) -> None:
    create_segment(actor=admin_scope, name="活跃")
    with pytest.raises(ValidationError) as caught:
        create_segment(actor=head_scope, name="活跃")
    assert caught.value.message_dict == {
        "name": ["Another segment of the organisation has this name."]
    }
    assert Segment.objects.count() == 1


def test_update_changes_and_audits_only_what_changed(world, admin_scope) -> None:
    segment = create_segment(actor=admin_scope, name="A", filters={"stages": [1]})
    updated = update_segment(
        actor=admin_scope,
        segment=segment,
        data={"name": "A", "filters": {"stages": [1, 2]}, "chapter": world.chapter},
    )
    assert updated.filters == {"stages": [1, 2]}
    assert updated.chapter_id == world.chapter.pk
    entry = AuditEntry.objects.filter(action="update").get()
    assert entry.changes == {
        "chapter": [None, world.chapter.pk],
        "filters": [{"stages": [1]}, {"stages": [1, 2]}],
    }
    assert entry.chapter_id == world.chapter.pk
    update_segment(actor=admin_scope, segment=updated, data={"name": "A"})
    assert AuditEntry.objects.filter(action="update").count() == 1  # nothing changed


def test_a_bad_update_changes_nothing(world, admin_scope) -> None:
    segment = create_segment(actor=admin_scope, name="A", filters={"stages": [1]})
    create_segment(actor=admin_scope, name="B")
    for data in (
        {"filters": {"stages": [1], "joined_from": "2026-01-02", "joined_to": "2026-01-01"}},
        {"name": "B", "filters": {"stages": [2]}},
    ):
        with pytest.raises(ValidationError):
            update_segment(actor=admin_scope, segment=segment, data=data)
        segment.refresh_from_db()
        assert (segment.name, segment.filters) == ("A", {"stages": [1]})
    assert not AuditEntry.objects.filter(action="update").exists()


def test_a_chapter_head_changes_only_their_chapters_segments(
    world, admin_scope, head_scope
) -> None:
    theirs = create_segment(actor=admin_scope, name="上海", chapter=world.chapter)
    other = create_segment(actor=admin_scope, name="北京", chapter=world.other_chapter)
    org_wide = create_segment(actor=admin_scope, name="全部")
    update_segment(actor=head_scope, segment=theirs, data={"description": "会长改的"})
    for segment in (other, org_wide):
        with pytest.raises(PermissionDenied):
            update_segment(actor=head_scope, segment=segment, data={"description": "x"})
        with pytest.raises(PermissionDenied):
            delete_segment(actor=head_scope, segment=segment)
    assert set(Segment.objects.values_list("description", flat=True)) == {"会长改的", ""}
    assert Segment.objects.count() == 3


def test_delete_audits_what_was_there(world, admin_scope) -> None:
    segment = create_segment(actor=admin_scope, name="A", filters={"stages": [1]})
    pk = segment.pk
    delete_segment(actor=admin_scope, segment=segment)
    assert not Segment.objects.exists()
    entry = AuditEntry.objects.get(action="delete")
    assert (entry.object_id, entry.changes["filters"]) == (str(pk), {"stages": [1]})


def test_forget_tag_removes_it_from_every_segment(world, admin_scope, head_scope) -> None:
    t1, t2, t3 = (world.tags[n].pk for n in ("t1", "t2", "t3"))
    a = create_segment(actor=admin_scope, name="a", filters={"tags_all": [t1, t2]})
    b = create_segment(actor=head_scope, name="b", filters={"tags_any": [t1], "tags_none": [t3]})
    c = create_segment(actor=admin_scope, name="c", filters={"tags_none": [t2], "stages": [1]})
    tag = world.tags["t1"]
    assert [s.name for s in list_segments_using_tag(tag=tag)] == ["a", "b"]

    assert forget_tag(actor=admin_scope, tag=tag) == 2

    for segment in (a, b, c):
        segment.refresh_from_db()
    assert a.filters == {"tags_all": [t2]}
    assert b.filters == {"tags_none": [t3]}
    assert c.filters == {"tags_none": [t2], "stages": [1]}
    assert list_segments_using_tag(tag=tag) == []
    entries = AuditEntry.objects.filter(action="update").order_by("object_id")
    assert [(e.object_id, e.chapter_id) for e in entries] == [
        (str(a.pk), None),
        (str(b.pk), world.chapter.pk),
    ]
    assert entries[0].changes == {"filters": [{"tags_all": [t1, t2]}, {"tags_all": [t2]}]}
    assert forget_tag(actor=admin_scope, tag=tag) == 0


def test_forget_tag_leaves_other_organisations_alone(world, admin_scope) -> None:
    create_segment(actor=admin_scope, name="a", filters={"tags_any": [world.tags["t1"].pk]})
    assert forget_tag(actor=None, tag=world.tags["far"]) == 0
    assert Segment.objects.get().filters == {"tags_any": [world.tags["t1"].pk]}
