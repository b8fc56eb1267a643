"""Follow-ups (待跟进): due on or before today in the organisation's zone, upcoming in the next
14 days, the most overdue first, paged by a cursor; whose list an operator may see."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.http import Http404
from django.utils import timezone

from shequn.accounts.tests.factories import OperatorFactory
from shequn.profiles import selectors
from shequn.profiles.tests.factories import TalkNoteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 3)
# 23:59:59 on the 3rd in Shanghai, and the next second (midnight of the 4th there).
LAST_SECOND = datetime.datetime(2026, 12, 3, 15, 59, 59, tzinfo=datetime.UTC)
MIDNIGHT = datetime.datetime(2026, 12, 3, 16, 0, 0, tzinfo=datetime.UTC)


def _days(n: int) -> datetime.date:
    return DAY + datetime.timedelta(days=n)


def _ids(page: selectors.FollowUpPage) -> list[int]:
    return [note.pk for note in page.items]


@pytest.fixture
def notes(assistant, member):
    """The assistant's notes on `member`, by follow-up day relative to DAY (the 3rd)."""
    made = {
        n: TalkNoteFactory(member=member, author=assistant, follow_up_on=_days(n))
        for n in (-10, -1, 0, 1, 14, 15)
    }
    TalkNoteFactory(member=member, author=assistant)  # no follow-up
    TalkNoteFactory(
        member=member, author=assistant, follow_up_on=_days(-2), follow_up_done_at=LAST_SECOND
    )
    return made


def _lists(actor, operator, now):
    with mock.patch("django.utils.timezone.now", return_value=now):
        due = selectors.list_follow_ups(actor=actor, operator=operator, when="due")
        upcoming = selectors.list_follow_ups(actor=actor, operator=operator, when="upcoming")
    return due, upcoming


def test_due_and_upcoming_on_the_last_second_of_the_day_in_shanghai(assistant, notes, scope_of):
    due, upcoming = _lists(scope_of(assistant), assistant, LAST_SECOND)
    assert due.today == DAY
    assert _ids(due) == [notes[-10].pk, notes[-1].pk, notes[0].pk]
    assert _ids(upcoming) == [notes[1].pk, notes[14].pk]
    assert (due.next_cursor, upcoming.next_cursor) == (None, None)


def test_at_midnight_in_shanghai_tomorrow_is_due(assistant, notes, scope_of):
    due, upcoming = _lists(scope_of(assistant), assistant, MIDNIGHT)
    assert due.today == _days(1)
    assert _ids(due) == [notes[-10].pk, notes[-1].pk, notes[0].pk, notes[1].pk]
    assert _ids(upcoming) == [notes[14].pk, notes[15].pk]


def test_an_organisation_in_another_zone_has_its_own_today(assistant, notes, scope_of, org):
    org.time_zone = "Europe/London"  # 15:59 UTC on the 3rd is still the 3rd, 16:00 too
    org.save(update_fields=["time_zone"])
    assistant.refresh_from_db()
    due, _ = _lists(scope_of(assistant), assistant, MIDNIGHT)
    assert due.today == DAY
    assert _ids(due) == [notes[-10].pk, notes[-1].pk, notes[0].pk]


def test_another_operators_notes_and_members_out_of_scope_are_not_listed(
    assistant, org_admin, member, other_member, scope_of
):
    mine = TalkNoteFactory(member=member, author=assistant, follow_up_on=DAY)
    TalkNoteFactory(member=member, author=org_admin, follow_up_on=DAY)
    # The assistant wrote it, but the member is out of their communities now.
    TalkNoteFactory(member=other_member, author=assistant, follow_up_on=DAY)
    due, _ = _lists(scope_of(assistant), assistant, LAST_SECOND)
    assert _ids(due) == [mine.pk]


def test_pages_of_equal_days_neither_skip_nor_repeat(assistant, member, scope_of):
    made = [
        (n, TalkNoteFactory(member=member, author=assistant, follow_up_on=_days(n)).pk)
        for n in (0, -3, 0, -3, 0, -1, 0)
    ]
    expected = [pk for _, pk in sorted(made)]
    actor, walked, cursor = scope_of(assistant), [], None
    with mock.patch("django.utils.timezone.now", return_value=LAST_SECOND):
        while True:
            page = selectors.list_follow_ups(
                actor=actor, operator=assistant, cursor=cursor, limit=2
            )
            walked += _ids(page)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert walked == expected


def test_a_follow_up_list_is_one_query(assistant, notes, scope_of, django_assert_num_queries):
    actor = scope_of(assistant)
    with (
        mock.patch("django.utils.timezone.now", return_value=LAST_SECOND),
        django_assert_num_queries(1),
    ):
        page = selectors.list_follow_ups(actor=actor, operator=assistant, when="due")
        assert [n.member.display_name for n in page.items] == ["张三"] * 3


def test_an_org_admin_may_see_another_operators_follow_ups(org_admin, assistant, scope_of):
    found = selectors.get_follow_up_operator(actor=scope_of(org_admin), operator_id=assistant.pk)
    assert found == assistant


def test_others_see_only_their_own(chapter_head, assistant, org_admin, scope_of):
    actor = scope_of(chapter_head)
    assert selectors.get_follow_up_operator(actor=actor, operator_id=None) == chapter_head
    assert selectors.get_follow_up_operator(actor=actor, operator_id=chapter_head.pk) == (
        chapter_head
    )
    for other in (assistant, org_admin):
        with pytest.raises(Http404):
            selectors.get_follow_up_operator(actor=actor, operator_id=other.pk)


def test_an_operator_of_another_organisation_is_unknown(org_admin, scope_of):
    stranger = OperatorFactory()
    with pytest.raises(Http404):
        selectors.get_follow_up_operator(actor=scope_of(org_admin), operator_id=stranger.pk)


def test_a_bad_follow_up_cursor_is_refused(assistant, scope_of):
    for value in ("", "abc", "x" * 300):
        with pytest.raises(selectors.InvalidCursorError):
            selectors.list_follow_ups(actor=scope_of(assistant), operator=assistant, cursor=value)
    cursor = selectors.FollowUpCursor(follow_up_on=DAY, id=7)
    assert selectors.decode_follow_up_cursor(cursor.encode()) == cursor


def test_the_limit_is_bounded(assistant, member, scope_of):
    for _ in range(3):
        TalkNoteFactory(member=member, author=assistant, follow_up_on=timezone.localdate())
    page = selectors.list_follow_ups(actor=scope_of(assistant), operator=assistant, limit=0)
    assert len(page.items) == 1
    assert page.next_cursor is not None
