"""Who is in a segment: each filter against the hand-computed world (tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from shequn.ladder.models import Stage
from shequn.segments.filters import parse_filters
from shequn.segments.selectors import (
    InvalidCursorError,
    count_segment,
    list_segment_page,
    segment_members,
)
from shequn.segments.tests.conftest import NOW

pytestmark = pytest.mark.django_db

EVERYONE = ["Alice", "Bob", "Carol", "Dave", "Frank"]


def found(world, actor, data) -> list[str]:
    filters = parse_filters(data)
    members = list(segment_members(actor=actor, filters=filters, now=NOW))
    assert count_segment(actor=actor, filters=filters, now=NOW) == len(members)
    return world.names(members)


CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({}, EVERYONE),
    ({"stages": [3]}, ["Alice"]),
    ({"stages": [0]}, ["Bob", "Carol"]),  # Carol has no stage row: unaware
    ({"stages": [0, 5]}, ["Bob", "Carol", "Dave"]),
    ({"stages": [1, 5]}, ["Dave", "Frank"]),
    ({"stages": [6]}, []),
    ({"last_active_from": "2026-12-01"}, ["Bob"]),
    ({"last_active_to": "2026-11-30"}, ["Alice"]),
    ({"last_active_from": "2026-11-30", "last_active_to": "2026-11-30"}, ["Alice"]),
    ({"last_active_from": "2026-12-01", "last_active_to": "2026-12-01"}, ["Bob"]),
    ({"last_active_from": "2026-11-01", "stages": [0]}, ["Bob"]),
    ({"joined_from": "2026-11-01", "joined_to": "2026-11-30"}, ["Alice", "Carol", "Frank"]),
    ({"joined_to": "2026-10-31"}, ["Bob"]),
    ({"joined_from": "2026-11-10", "joined_to": "2026-11-10"}, []),  # Dave left
    ({"community_ids": "@community"}, ["Alice", "Bob"]),
    ({"community_ids": "@other_community"}, ["Carol"]),
    ({"roles": ["kol"]}, ["Bob"]),
    ({"roles": ["admin"]}, ["Carol"]),
    ({"roles": ["admin"], "community_ids": "@community"}, []),
    ({"roles": ["member"], "joined_from": "2026-11-01"}, ["Alice", "Frank"]),
    ({"tags_all": ["t1", "t2"]}, ["Alice"]),
    ({"tags_any": ["t2", "t3"]}, ["Alice", "Carol", "Dave"]),
    ({"tags_none": ["t1"]}, ["Carol", "Dave", "Frank"]),
    ({"tags_any": ["t1"], "tags_none": ["t2"]}, ["Bob"]),
    ({"chapter_ids": "@chapter"}, ["Alice", "Bob", "Dave"]),
    ({"chapter_ids": "@other_chapter"}, ["Carol"]),
    ({"channels": ["wecom"]}, ["Alice", "Dave"]),
    ({"channels": ["wechat", "wecom"]}, ["Alice", "Bob", "Dave"]),
    ({"layers": ["core"]}, ["Alice"]),
    ({"layers": ["core", "active"]}, ["Alice", "Carol"]),
    ({"layers": ["active"], "layer_community_id": "@community"}, []),
    ({"layers": ["lurker"], "layer_community_id": "@community"}, ["Bob"]),
    ({"activity": {"min_count": 1, "window_days": 5}}, EVERYONE),
    ({"activity": {"min_count": 3, "window_days": 5}}, ["Alice", "Dave"]),
    ({"activity": {"min_count": 4, "window_days": 5}}, ["Dave"]),
    ({"activity": {"min_count": 4, "window_days": 6}}, ["Alice", "Dave"]),  # from 11-30 00:00
    ({"activity": {"min_count": 1, "window_days": 1}}, ["Alice"]),  # today: 12-05
    ({"activity": {"min_count": 1, "window_days": 5, "kinds": ["check_in"]}}, ["Bob"]),
    ({"activity": {"min_count": 1, "window_days": 5, "kinds": ["join"]}}, ["Alice"]),
    ({"activity": {"min_count": 2, "window_days": 5, "kinds": ["purchase"]}}, []),
    (
        {
            "stages": [0, 3],
            "channels": ["wechat"],
            "activity": {"min_count": 2, "window_days": 5},
        },
        ["Bob"],
    ),
    (
        {"tags_any": ["t1", "t2"], "community_ids": "@community", "stages": [3, 5]},
        ["Alice"],  # Dave left the community; Eve was merged away
    ),
]


def resolve(world, data):
    """`"@community"` → [its id]; tag names → their ids."""
    out = {}
    for key, value in data.items():
        if isinstance(value, str) and value.startswith("@"):
            obj = getattr(world, value[1:])
            value = obj.pk if key == "layer_community_id" else [obj.pk]
        elif key.startswith("tags_"):
            value = [world.tags[name].pk for name in value]
        out[key] = value
    return out


@pytest.mark.parametrize(("data", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_each_filter_for_an_admin(world, admin_scope, data, expected) -> None:
    assert found(world, admin_scope, resolve(world, data)) == expected


HEAD_CASES = [
    ({}, ["Alice", "Bob", "Dave", "Frank"]),  # Frank: a member of c2, in the chapter
    ({"stages": [0]}, ["Bob"]),
    ({"layers": ["core", "active"]}, ["Alice"]),
    # Frank's purchase belongs to no community: not in the chapter head's reach.
    ({"activity": {"min_count": 1, "window_days": 5}}, ["Alice", "Bob", "Dave"]),
    ({"roles": ["admin"]}, []),
    ({"tags_any": ["t3"]}, []),
]


@pytest.mark.parametrize(("data", "expected"), HEAD_CASES, ids=[str(c[0]) for c in HEAD_CASES])
def test_a_chapter_head_sees_only_the_chapter(world, head_scope, data, expected) -> None:
    assert found(world, head_scope, resolve(world, data)) == expected


def test_another_organisations_admin_finds_only_their_members(world, scope_of) -> None:
    from shequn.accounts.models import OperatorRole
    from shequn.accounts.tests.factories import OperatorFactory

    far_admin = scope_of(OperatorFactory(organization=world.other_org, role=OperatorRole.ORG_ADMIN))
    assert world.names(segment_members(actor=far_admin, filters=parse_filters({}))) == ["Gina"]
    # Another organisation's tag id filters by that id only: none of ours carry it.
    data = {"tags_any": [world.tags["far"].pk]}
    assert found(world, far_admin, data) == ["Gina"]


def test_members_in_keyset_pages_by_name(world, admin_scope) -> None:
    filters = parse_filters({})
    first = list_segment_page(actor=admin_scope, filters=filters, limit=2, now=NOW)
    assert world.names(first) == ["Alice", "Bob"]
    assert [row.member.display_name for row in first] == ["Alice", "Bob"]
    assert (first.items[0].stage, first.items[0].stage_label) == (3, str(Stage.UNDERSTANDS.label))
    assert first.items[0].last_active_at == world.members["Alice"].ladder_stage.last_active_at
    second = list_segment_page(
        actor=admin_scope, filters=filters, cursor=first.next_cursor, limit=2, now=NOW
    )
    assert [row.member.display_name for row in second] == ["Carol", "Dave"]
    assert second.items[0].stage == 0  # no stage row: unaware
    last = list_segment_page(
        actor=admin_scope, filters=filters, cursor=second.next_cursor, limit=2, now=NOW
    )
    assert [row.member.display_name for row in last] == ["Frank"]
    assert last.next_cursor is None


def test_equal_names_are_paged_by_id(world, admin_scope) -> None:
    from shequn.members.tests.factories import MemberFactory

    twins = [MemberFactory(organization=world.org, display_name="Alice") for _ in range(3)]
    filters = parse_filters({"tags_none": [world.tags["t3"].pk]})
    seen = []
    cursor = None
    while True:
        page = list_segment_page(actor=admin_scope, filters=filters, cursor=cursor, limit=1)
        seen += [row.pk for row in page]
        cursor = page.next_cursor
        if cursor is None:
            break
    alice = world.members["Alice"].pk
    expected = sorted([alice, *(t.pk for t in twins)])
    assert seen[:4] == expected
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize("cursor", ["nonsense", "x" * 700, "WyJhIiwxXQ:bad-signature"])
def test_a_cursor_we_did_not_sign_is_refused(world, admin_scope, cursor) -> None:
    with pytest.raises(InvalidCursorError):
        list_segment_page(actor=admin_scope, filters=parse_filters({}), cursor=cursor)


@pytest.mark.parametrize(
    "data",
    [c[0] for c in CASES if "activity" in c[0]] + [{"stages": [0, 3], "tags_none": ["t3"]}],
    ids=str,
)
def test_a_page_finds_the_same_members_as_the_count(world, admin_scope, head_scope, data) -> None:
    """Pages read the activity filter in another shape than counts on PostgreSQL."""
    filters = parse_filters(resolve(world, data))
    for actor in (admin_scope, head_scope):
        page = list_segment_page(actor=actor, filters=filters, limit=50, now=NOW)
        members = segment_members(actor=actor, filters=filters, now=NOW)
        assert world.names(page) == world.names(members)


def test_member_ids_for_broadcasts_are_the_owners(world, admin_scope) -> None:
    from shequn.segments.selectors import iter_segment_member_ids
    from shequn.segments.services import create_segment

    org_wide = create_segment(actor=admin_scope, name="all")
    chapter = create_segment(actor=admin_scope, name="sh", chapter=world.chapter)
    ids = world.ids
    assert list(iter_segment_member_ids(org_wide)) == sorted(
        ids("Alice", "Bob", "Carol", "Dave", "Frank")
    )
    assert list(iter_segment_member_ids(chapter)) == sorted(ids("Alice", "Bob", "Dave", "Frank"))


def test_facts_written_by_the_recompute(org, community, admin_scope) -> None:
    """The stage, last-active and layer facts as the lead's recompute writes them."""
    from shequn.members.tests.factories import MemberFactory
    from shequn.profiles.recompute import run_full_recompute
    from shequn.profiles.tests.helpers import act, at, join

    as_of = at("2026-11-30", "20:00")
    quiet = MemberFactory(organization=org, display_name="quiet")
    busy = MemberFactory(organization=org, display_name="busy")
    join(quiet, community, at("2026-10-01"))
    join(busy, community, at("2026-10-01"))
    for day in ("03", "05", "07", "09", "11"):
        act(busy, community, "message", at(f"2026-11-{day}"))
    run_full_recompute(org, as_of=as_of)

    def names(data) -> list[str]:
        members = segment_members(actor=admin_scope, filters=parse_filters(data), now=as_of)
        return sorted(m.display_name for m in members)

    assert names({"stages": [3]}) == ["busy"]  # understands: 5 activities in 30 days
    assert names({"stages": [2]}) == ["quiet"]  # acquainted: a member
    assert names({"last_active_from": "2026-11-11", "last_active_to": "2026-11-11"}) == ["busy"]
    assert names({"activity": {"min_count": 5, "window_days": 28}}) == ["busy"]
    assert names({"activity": {"min_count": 5, "window_days": 27}}) == []  # from 11-04
    assert names({"layers": ["lurker"]}) == ["quiet"]
