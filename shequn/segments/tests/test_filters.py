"""Reading and checking filters: the shape (parse_filters) and the ids (clean_filters)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shequn.segments.filters import (
    ActivityFilter,
    SegmentFilters,
    clean_filters,
    load_filters,
    parse_filters,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages in English (the zh-hans catalogue is merged later); one test checks zh-hans."""
    with translation.override("en"):
        yield


def errors_of(data) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        parse_filters(data)
    return caught.value.message_dict


def test_empty_filters_are_empty() -> None:
    assert parse_filters({}) == SegmentFilters()
    assert parse_filters(None).is_empty
    assert SegmentFilters().to_json() == {}


def test_a_full_set_round_trips_through_json() -> None:
    data = {
        "stages": [4, 3, 3],
        "layers": ["lurker", "core"],
        "layer_community_id": 7,
        "tags_all": [3, 1],
        "tags_any": [5],
        "tags_none": [9],
        "chapter_ids": [2],
        "community_ids": [8, 7],
        "roles": ["kol", "owner"],
        "joined_from": "2026-01-01",
        "joined_to": "2026-01-31",
        "last_active_from": "2026-02-01",
        "last_active_to": "2026-02-01",
        "activity": {"min_count": 3, "window_days": 30, "kinds": ["reply", "message"]},
        "channels": ["wecom", "web"],
    }
    filters = parse_filters(data)
    assert filters.stages == (3, 4)
    assert filters.layers == ("core", "lurker")  # in the order of the choices
    assert filters.roles == ("owner", "kol")
    assert filters.channels == ("web", "wecom")
    assert filters.joined_from == datetime.date(2026, 1, 1)
    assert filters.activity == ActivityFilter(3, 30, ("message", "reply"))
    assert filters.to_json() == {
        "stages": [3, 4],
        "layers": ["core", "lurker"],
        "layer_community_id": 7,
        "tags_all": [1, 3],
        "tags_any": [5],
        "tags_none": [9],
        "chapter_ids": [2],
        "community_ids": [7, 8],
        "roles": ["owner", "kol"],
        "joined_from": "2026-01-01",
        "joined_to": "2026-01-31",
        "last_active_from": "2026-02-01",
        "last_active_to": "2026-02-01",
        "activity": {"min_count": 3, "window_days": 30, "kinds": ["message", "reply"]},
        "channels": ["web", "wecom"],
    }
    assert parse_filters(filters.to_json()) == filters


def test_form_values_as_text_are_read() -> None:
    filters = parse_filters({"stages": ["2", "6"], "activity": {"min_count": "2"}})
    assert filters.stages == (2, 6)
    assert filters.activity == ActivityFilter(min_count=2, window_days=30)


BAD = [
    ({"stages": [7]}, "stages", "Unknown stage: 7. Stages are 0 to 6."),
    ({"stages": [True]}, "stages", "Unknown stage: True. Stages are 0 to 6."),
    ({"stages": ["x"]}, "stages", "Unknown stage: x. Stages are 0 to 6."),
    ({"layers": ["vip"]}, "layers", "Unknown layer: vip."),
    ({"roles": ["boss"]}, "roles", "Unknown role: boss."),
    ({"channels": ["fax"]}, "channels", "Unknown channel: fax."),
    ({"tags_all": list(range(1, 52))}, "tags_all", "Choose at most 50 values."),
    ({"community_ids": [0]}, "community_ids", "Ids are whole numbers from 1."),
    ({"chapter_ids": ["a"]}, "chapter_ids", "Ids are whole numbers from 1."),
    ({"tags_any": {"a": 1}}, "tags_any", "Send a list of values."),
    ({"joined_from": "2026-02-30"}, "joined_from", "Enter a valid date (YYYY-MM-DD)."),
    (
        {"joined_from": "1999-12-31"},
        "joined_from",
        "Enter a date between 2000-01-01 and 2099-12-31.",
    ),
    (
        {"joined_from": "2026-02-02", "joined_to": "2026-02-01"},
        "joined_to",
        "The end date is before the start date.",
    ),
    (
        {"last_active_from": "2026-02-02", "last_active_to": "2026-02-01"},
        "last_active_to",
        "The end date is before the start date.",
    ),
    ({"activity": {"min_count": 0}}, "activity.min_count", "Enter a number from 1 to 1000."),
    ({"activity": {"min_count": -3}}, "activity.min_count", "Enter a number from 1 to 1000."),
    ({"activity": {"min_count": 1.5}}, "activity.min_count", "Enter a whole number."),
    ({"activity": {"window_days": 366}}, "activity.window_days", "Enter a number from 1 to 365."),
    ({"activity": {"kinds": ["dance"]}}, "activity.kinds", "Unknown activity kind: dance."),
    ({"activity": {"min": 1}}, "activity", "Unknown filter: min."),
    ({"activity": 3}, "activity", "Send an object with min_count, window_days and kinds."),
    ({"layer_community_id": 4}, "layer_community_id", "Choose a layer for this community."),
    (
        {"tags_all": [1], "tags_none": [1]},
        "tags_none",
        "A tag cannot be both required and excluded.",
    ),
    ({"colour": "red"}, "__all__", "Unknown filter: colour."),
]


@pytest.mark.parametrize(
    ("data", "key", "message"), BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)]
)
def test_bad_input_names_the_filter(data, key, message) -> None:
    assert errors_of(data) == {key: [message]}


def test_every_bad_filter_is_reported_at_once() -> None:
    assert sorted(errors_of({"stages": [9], "roles": ["x"], "joined_from": "no"})) == [
        "joined_from",
        "roles",
        "stages",
    ]


def test_messages_are_translated() -> None:
    with translation.override("zh-hans"):
        messages = errors_of({"joined_from": "2026-02-02", "joined_to": "2026-02-01"})
    assert messages == {"joined_to": ["截止日期早于起始日期。"]}


def test_stored_filters_keep_what_still_parses() -> None:
    stored = {"stages": [3], "roles": ["retired-role"], "tags_all": [1], "tags_none": [1]}
    assert load_filters(stored) == SegmentFilters(stages=(3,), tags_all=(1,))
    assert load_filters("garbage") == SegmentFilters()


@pytest.mark.django_db
def test_ids_must_be_the_actors(world, admin_scope, head_scope) -> None:
    far_tag = world.tags["far"].pk
    with pytest.raises(ValidationError) as caught:
        clean_filters(actor=admin_scope, data={"tags_any": [world.tags["t1"].pk, far_tag]})
    assert caught.value.message_dict == {"tags_any": [f"No such tag: {far_tag}."]}

    data = {
        "community_ids": [world.community.pk, world.other_community.pk],
        "chapter_ids": [world.other_chapter.pk],
        "layers": ["core"],
        "layer_community_id": world.other_community.pk,
    }
    assert clean_filters(actor=admin_scope, data=data).community_ids == tuple(
        sorted([world.community.pk, world.other_community.pk])
    )
    with pytest.raises(ValidationError) as caught:
        clean_filters(actor=head_scope, data=data)
    far = world.other_community.pk
    assert caught.value.message_dict == {
        "chapter_ids": [f"No such chapter in your scope: {world.other_chapter.pk}."],
        "community_ids": [f"No such community in your scope: {far}."],
        "layer_community_id": [f"No such community in your scope: {far}."],
    }
