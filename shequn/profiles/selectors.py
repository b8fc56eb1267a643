"""Reads of member profiles (docs/profiles.md): talk notes, follow-ups and the member timeline.

Who sees what: a member's talk notes, to every operator who may see the member (through
`get_member_for_user`); an operator's follow-ups, to the operator and to organisation admins.
The timeline mixes three sources, each read by its own (member, time, id) index:
- activities, as the activity stream shows them to the actor (`shequn.activity.selectors`:
  a chapter head or assistant sees those in the communities of their scope only);
- stage changes of the relationship ladder (`shequn.ladder.selectors`);
- talk notes.
A page is newest first on (time, kind, id) and paged by a cursor (the last item's key, signed):
each source reads at most `limit + 1` rows after the cursor from its index, the three are merged
in Python, and nothing is counted, so page 100 costs what page 1 does.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core import signing
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.activity.models import Activity
from shequn.activity.selectors import Cursor as ActivityCursor
from shequn.activity.selectors import list_activities
from shequn.core.schemas import MAX_ID
from shequn.ladder.models import StageTransition
from shequn.ladder.selectors import list_member_transitions
from shequn.members.models import Member
from shequn.profiles.models import TalkNote

if TYPE_CHECKING:
    from shequn.accounts.models import Operator
    from shequn.accounts.selectors import OperatorScope
    from shequn.organizations.models import Organization

TIMELINE_PAGE_SIZE = 30
TIMELINE_MAX_LIMIT = 100
FOLLOW_UP_PAGE_SIZE = 50
FOLLOW_UP_MAX_LIMIT = 200
# "Upcoming" follow-ups: due after today, up to this many days ahead.
UPCOMING_DAYS = 14
CURSOR_MAX_LENGTH = 200

TimelineType = Literal["activity", "stage_change", "note"]
# The order of items at the same moment (newest first): a note, then a stage change, then the
# activity that may have caused it.
KIND_RANK: dict[TimelineType, int] = {"activity": 0, "stage_change": 1, "note": 2}
_TYPES = {rank: kind for kind, rank in KIND_RANK.items()}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_TIMELINE_SALT = "shequn.profiles.timeline"
_FOLLOW_UP_SALT = "shequn.profiles.follow_ups"


class InvalidCursorError(ValueError):
    """A cursor this server did not hand out (altered, truncated or from another list)."""

    def __init__(self) -> None:
        super().__init__(_("This cursor is not valid. Start again from the first page."))


def _sign(salt: str, text: str) -> str:
    raw = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return signing.Signer(salt=salt).sign(raw)


def _unsign(salt: str, value: str) -> list[str]:
    if not value or len(value) > CURSOR_MAX_LENGTH:
        raise InvalidCursorError
    try:
        raw = signing.Signer(salt=salt).unsign(value)
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii").split(".")
    except (signing.BadSignature, binascii.Error, ValueError):
        raise InvalidCursorError from None


# --- time --------------------------------------------------------------------------------------


def organization_zone(organization: Organization) -> ZoneInfo:
    """The organisation's time zone (its days are calendar days there)."""
    try:
        return ZoneInfo(organization.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def organization_today(organization: Organization) -> datetime.date:
    return timezone.now().astimezone(organization_zone(organization)).date()


# --- talk notes --------------------------------------------------------------------------------


def _notes() -> QuerySet[TalkNote]:
    return TalkNote.objects.select_related("author__user")


def list_member_notes(*, member: Member) -> QuerySet[TalkNote]:
    """The talk notes of a member the caller fetched through `get_member_for_user`, newest
    first (the (member, talked_at, id) index)."""
    return _notes().filter(member_id=member.pk).order_by("-talked_at", "-id")


def _member_in_scope(actor: OperatorScope) -> Q:
    """A filter on TalkNote: its member is one the actor may see."""
    if actor.is_org_admin:
        return Q(organization_id=actor.organization.pk)
    visible = Member.objects.filter(
        actor.member_filter(), pk=OuterRef("member_id"), merged_into__isnull=True
    )
    return Q(organization_id=actor.organization.pk) & Q(Exists(visible))


def get_talk_note_for_user(*, actor: OperatorScope, note_id: int) -> TalkNote:
    """A talk note of a member the actor may see; Http404 otherwise."""
    note = (
        _notes()
        .select_related("member")
        .filter(_member_in_scope(actor), pk=note_id)
        .defer("member__notes")
        .first()
    )
    if note is None:
        raise Http404(_("No such talk note."))
    return note


def can_change_note(actor: OperatorScope, note: TalkNote) -> bool:
    """Edit, delete or mark the follow-up done: the note's author, or an organisation admin."""
    if note.organization_id != actor.organization.pk:
        return False
    return actor.is_org_admin or note.author_id == actor.operator.pk


# --- follow-ups --------------------------------------------------------------------------------

FollowUpWhen = Literal["due", "upcoming"]


@dataclass(frozen=True)
class FollowUpCursor:
    """Where a page of follow-ups ends: the (follow_up_on, id) of its last note."""

    follow_up_on: datetime.date
    id: int

    def encode(self) -> str:
        return _sign(_FOLLOW_UP_SALT, f"{self.follow_up_on.isoformat()}.{self.id}")


def decode_follow_up_cursor(value: str) -> FollowUpCursor:
    parts = _unsign(_FOLLOW_UP_SALT, value)
    try:
        day_text, id_text = parts
        day, pk = datetime.date.fromisoformat(day_text), int(id_text)
    except ValueError:
        raise InvalidCursorError from None
    if not 1 <= pk <= MAX_ID:
        raise InvalidCursorError
    return FollowUpCursor(follow_up_on=day, id=pk)


@dataclass(frozen=True)
class FollowUpPage:
    """Open follow-ups, the soonest (most overdue) first; `next_cursor` None on the last page."""

    when: FollowUpWhen
    today: datetime.date
    items: list[TalkNote]
    next_cursor: str | None


def get_follow_up_operator(*, actor: OperatorScope, operator_id: int | None) -> Operator:
    """Whose follow-ups a list shows: the actor's own, or (organisation admins) another
    operator's of the organisation; Http404 for anyone else."""
    if operator_id is None or operator_id == actor.operator.pk:
        return actor.operator
    from shequn.accounts.selectors import get_operator_for_user

    return get_operator_for_user(actor=actor, operator_id=operator_id)


def list_follow_ups(
    *,
    actor: OperatorScope,
    operator: Operator,
    when: FollowUpWhen = "due",
    cursor: FollowUpCursor | str | None = None,
    limit: int = FOLLOW_UP_PAGE_SIZE,
) -> FollowUpPage:
    """The open follow-ups of `operator`'s notes (from `get_follow_up_operator`) on members the
    actor may see: "due" on or before today in the organisation's zone, "upcoming" in the next
    UPCOMING_DAYS days. One query on the partial (author, follow_up_on) index of open ones."""
    if isinstance(cursor, str):
        cursor = decode_follow_up_cursor(cursor)
    limit = max(1, min(limit, FOLLOW_UP_MAX_LIMIT))
    today = organization_today(actor.organization)
    qs = TalkNote.objects.filter(
        _member_in_scope(actor),
        author_id=operator.pk,
        follow_up_on__isnull=False,
        follow_up_done_at__isnull=True,
    )
    if when == "due":
        qs = qs.filter(follow_up_on__lte=today)
    else:
        qs = qs.filter(
            follow_up_on__gt=today,
            follow_up_on__lte=today + datetime.timedelta(days=UPCOMING_DAYS),
        )
    if cursor is not None:
        qs = qs.filter(
            Q(follow_up_on__gte=cursor.follow_up_on),
            Q(follow_up_on__gt=cursor.follow_up_on) | Q(id__gt=cursor.id),
        )
    rows = list(
        qs.select_related("member", "author__user")
        .defer("member__notes")
        .order_by("follow_up_on", "id")[: limit + 1]
    )
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        assert last.follow_up_on is not None
        next_cursor = FollowUpCursor(follow_up_on=last.follow_up_on, id=last.pk).encode()
    return FollowUpPage(when=when, today=today, items=items, next_cursor=next_cursor)


# --- the timeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineCursor:
    """Where a timeline page ends: the (time, kind, id) of its last item."""

    at: datetime.datetime
    rank: int
    id: int

    def encode(self) -> str:
        micros = (self.at - _EPOCH) // _MICROSECOND
        return _sign(_TIMELINE_SALT, f"{micros}.{self.rank}.{self.id}")


def decode_timeline_cursor(value: str) -> TimelineCursor:
    """The cursor `value` names; InvalidCursorError for anything this server did not sign."""
    parts = _unsign(_TIMELINE_SALT, value)
    try:
        micros_text, rank_text, id_text = parts
        micros, rank, pk = int(micros_text), int(rank_text), int(id_text)
        at = _EPOCH + micros * _MICROSECOND
    except (ValueError, OverflowError):
        raise InvalidCursorError from None
    if rank not in _TYPES or not 1 <= pk <= MAX_ID:
        raise InvalidCursorError
    return TimelineCursor(at=at, rank=rank, id=pk)


@dataclass(frozen=True)
class TimelineItem:
    """One entry of a member's timeline: an activity, a stage change or a talk note."""

    type: TimelineType
    at: datetime.datetime
    id: int
    activity: Activity | None = None
    stage_change: StageTransition | None = None
    note: TalkNote | None = None

    @property
    def key(self) -> tuple[datetime.datetime, int, int]:
        return (self.at, KIND_RANK[self.type], self.id)

    @property
    def cursor(self) -> TimelineCursor:
        return TimelineCursor(at=self.at, rank=KIND_RANK[self.type], id=self.id)


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str | None


def _bounds(cursor: TimelineCursor | None, kind: TimelineType) -> tuple[datetime.datetime, int]:
    """The (time, id) a source's rows must come strictly before, newest first.

    A source ranked below the cursor's kind takes rows at the cursor's time too (any id), one
    ranked above only earlier rows; the cursor's own kind breaks the tie on id."""
    assert cursor is not None
    rank = KIND_RANK[kind]
    if rank == cursor.rank:
        return cursor.at, cursor.id
    return cursor.at, (MAX_ID if rank < cursor.rank else 0)


def _before(field: str, at: datetime.datetime, pk: int) -> Q:
    # The redundant `<=` bounds the index range; the OR then only breaks ties on id.
    return Q(**{f"{field}__lte": at}) & (Q(**{f"{field}__lt": at}) | Q(id__lt=pk))


def get_member_timeline(
    *,
    actor: OperatorScope,
    member: Member,
    cursor: TimelineCursor | str | None = None,
    limit: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """A page of `member`'s timeline (fetched through `get_member_for_user`), newest first.

    Three queries whatever the page: the activities the actor may see, the stage changes and
    the talk notes, each `limit + 1` rows after the cursor from its (member, time, id) index.
    `cursor` is the previous page's `next_cursor` (InvalidCursorError when it is not one).
    """
    if isinstance(cursor, str):
        cursor = decode_timeline_cursor(cursor)
    limit = max(1, min(limit, TIMELINE_MAX_LIMIT))
    if member.organization_id != actor.organization.pk:
        raise Http404(_("No such member."))
    more = False

    activity_cursor = None
    if cursor is not None:
        at, pk = _bounds(cursor, "activity")
        activity_cursor = ActivityCursor(occurred_at=at, id=pk)
    activities = list_activities(actor=actor, member=member, cursor=activity_cursor, limit=limit)
    more = more or activities.next_cursor is not None
    items = [
        TimelineItem(type="activity", at=a.occurred_at, id=a.pk, activity=a) for a in activities
    ]

    changes = list_member_transitions(member=member)
    if cursor is not None:
        changes = changes.filter(_before("occurred_at", *_bounds(cursor, "stage_change")))
    change_rows = list(changes[: limit + 1])
    more = more or len(change_rows) > limit
    items += [
        TimelineItem(type="stage_change", at=t.occurred_at, id=t.pk, stage_change=t)
        for t in change_rows[:limit]
    ]

    notes = list_member_notes(member=member)
    if cursor is not None:
        notes = notes.filter(_before("talked_at", *_bounds(cursor, "note")))
    note_rows = list(notes[: limit + 1])
    more = more or len(note_rows) > limit
    items += [TimelineItem(type="note", at=n.talked_at, id=n.pk, note=n) for n in note_rows[:limit]]

    items.sort(key=lambda item: item.key, reverse=True)
    more = more or len(items) > limit
    page = items[:limit]
    next_cursor = page[-1].cursor.encode() if more and page else None
    return TimelinePage(items=page, next_cursor=next_cursor)


def timeline_item_fields(item: TimelineItem) -> dict[str, Any]:
    """The item's own object under its type's name (for the API's flat item)."""
    return {
        "type": item.type,
        "at": item.at,
        "id": item.id,
        "activity": item.activity,
        "stage_change": item.stage_change,
        "note": item.note,
    }
