"""The member timeline: activities, stage changes and talk notes newest first on (time, kind,
id), paged by a cursor that neither skips nor repeats an item, at a fixed number of queries."""

from __future__ import annotations

import base64
import datetime
import itertools

import pytest
from django.core import signing

from shequn.activity.models import Activity
from shequn.ladder.models import Stage, StageTransition, TransitionCause
from shequn.profiles import selectors
from shequn.profiles.models import TalkNote
from shequn.profiles.tests.factories import TalkNoteFactory
from shequn.profiles.tests.helpers import act, at

pytestmark = pytest.mark.django_db

_rank = {"activity": 0, "stage_change": 1, "note": 2}


def _change(member, when: datetime.datetime, to: int = Stage.CURIOUS) -> StageTransition:
    return StageTransition.objects.create(
        organization_id=member.organization_id,
        member=member,
        from_stage=to - 1 if to else None,
        to_stage=to,
        occurred_at=when,
        cause=TransitionCause.RULES,
    )


def _note(member, author, when: datetime.datetime) -> TalkNote:
    return TalkNoteFactory(member=member, author=author, talked_at=when)


@pytest.fixture
def crowded(member, community, org_admin):
    """Items of all three kinds, many at the same moments (ties on time, then on kind)."""
    noon, one, two = at("2026-11-01", "12:00"), at("2026-11-01", "13:00"), at("2026-11-02")
    made: list[tuple[str, object]] = []
    for when in (noon, noon, one, two, two, two):
        made.append(("activity", act(member, community, "message", when)))
    made.append(("activity", act(member, None, "purchase", noon)))  # organisation-wide
    for when in (noon, one, two, two):
        made.append(("stage_change", _change(member, when)))
    for when in (noon, noon, two, at("2026-10-01")):
        made.append(("note", _note(member, org_admin, when)))
    return made


def _key(kind: str, obj: object) -> tuple[datetime.datetime, int, int]:
    when = {
        "activity": lambda o: o.occurred_at,
        "stage_change": lambda o: o.occurred_at,
        "note": lambda o: o.talked_at,
    }[kind](obj)
    return (when, _rank[kind], obj.pk)  # type: ignore[attr-defined]


def _expected(made, *, with_org_wide: bool = True) -> list[tuple[str, int]]:
    kept = [
        (kind, obj)
        for kind, obj in made
        if with_org_wide or not (kind == "activity" and obj.community_id is None)
    ]
    kept.sort(key=lambda pair: _key(*pair), reverse=True)
    return [(kind, obj.pk) for kind, obj in kept]


def _walk(actor, member, limit: int) -> list[list[tuple[str, int]]]:
    pages: list[list[tuple[str, int]]] = []
    cursor = None
    for _ in range(100):
        page = selectors.get_member_timeline(actor=actor, member=member, cursor=cursor, limit=limit)
        pages.append([(item.type, item.id) for item in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
    raise AssertionError("the timeline did not end")


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 30])
def test_every_page_size_walks_the_same_exact_order(org_admin, member, crowded, scope_of, limit):
    pages = _walk(scope_of(org_admin), member, limit)
    walked = list(itertools.chain.from_iterable(pages))
    assert walked == _expected(crowded)
    assert all(len(page) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= limit


def test_at_the_same_moment_a_note_comes_before_a_stage_change_before_an_activity(
    org_admin, member, community, scope_of
):
    when = at("2026-11-05", "09:30")
    activity = act(member, community, "check_in", when)
    change = _change(member, when)
    note = _note(member, org_admin, when)
    page = selectors.get_member_timeline(actor=scope_of(org_admin), member=member)
    assert [(i.type, i.id) for i in page.items] == [
        ("note", note.pk),
        ("stage_change", change.pk),
        ("activity", activity.pk),
    ]
    assert page.next_cursor is None
    assert page.items[0].note == note
    assert page.items[1].stage_change == change
    assert page.items[2].activity == activity


def test_a_page_that_ends_exactly_at_the_last_item_has_no_next_cursor(
    org_admin, member, community, scope_of
):
    act(member, community, "message", at("2026-11-01"))
    _change(member, at("2026-11-02"))
    page = selectors.get_member_timeline(actor=scope_of(org_admin), member=member, limit=2)
    assert len(page.items) == 2
    assert page.next_cursor is None


def test_a_chapter_head_sees_no_organisation_wide_activity(chapter_head, member, crowded, scope_of):
    walked = list(itertools.chain.from_iterable(_walk(scope_of(chapter_head), member, 4)))
    assert walked == _expected(crowded, with_org_wide=False)


def test_an_assistant_sees_only_their_communities_activities(
    assistant, member, other_community, crowded, scope_of
):
    elsewhere = act(member, other_community, "message", at("2026-11-03"))
    walked = list(itertools.chain.from_iterable(_walk(scope_of(assistant), member, 7)))
    assert ("activity", elsewhere.pk) not in walked
    assert walked == _expected(crowded, with_org_wide=False)


def test_an_item_written_after_the_first_page_does_not_shift_the_next_one(
    org_admin, member, community, scope_of
):
    actor = scope_of(org_admin)
    items = [act(member, community, "message", at("2026-11-01", f"1{n}:00")) for n in range(4)]
    first = selectors.get_member_timeline(actor=actor, member=member, limit=2)
    act(member, community, "message", at("2026-11-30"))  # newer than everything
    second = selectors.get_member_timeline(
        actor=actor, member=member, cursor=first.next_cursor, limit=2
    )
    assert [i.id for i in second.items] == [items[1].pk, items[0].pk]


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant"])
def test_a_deep_page_costs_three_queries(
    request, persona, member, community, crowded, scope_of, django_assert_num_queries
):
    actor = scope_of(request.getfixturevalue(persona))
    cursor = None
    for _ in range(4):
        with django_assert_num_queries(3):
            page = selectors.get_member_timeline(actor=actor, member=member, cursor=cursor, limit=2)
        cursor = page.next_cursor


def _forged(salt: str, text: str) -> str:
    raw = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return signing.Signer(salt=salt).sign(raw)


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        "",
        "x" * 300,
        _forged("shequn.activity.cursor", "123.4"),  # another list's cursor
        _forged("shequn.profiles.timeline", "123.9.4"),  # no such kind
        _forged("shequn.profiles.timeline", "123.0.0"),  # id 0
        _forged("shequn.profiles.timeline", "123.0"),  # a part missing
        _forged("shequn.profiles.timeline", "99999999999999999999.0.1"),  # past year 9999
    ],
)
def test_a_cursor_not_handed_out_is_refused(org_admin, member, scope_of, cursor):
    with pytest.raises(selectors.InvalidCursorError):
        selectors.get_member_timeline(actor=scope_of(org_admin), member=member, cursor=cursor)


def test_a_cursor_round_trips():
    cursor = selectors.TimelineCursor(at=at("2026-11-01", "12:00:00.123456"), rank=1, id=42)
    assert selectors.decode_timeline_cursor(cursor.encode()) == cursor
    assert Activity.objects.count() == 0
