"""API v1 of profiles (docs/profiles.md): talk notes (一对一沟通), follow-ups and the member
timeline. Bad input is a 422; a follow-up already done (or none) a 409; out of scope 404; not
the note's author (nor an organisation admin) 403."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator

from shequn.accounts.api import actor_of
from shequn.activity.models import ActivityKind
from shequn.core.problems import problem_response, problem_responses
from shequn.core.schemas import (
    ApiDatetime,
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PatchSchema,
    PathId,
    paginate,
)
from shequn.ladder.models import Stage, TransitionCause
from shequn.members.models import Channel
from shequn.members.selectors import get_member_for_user
from shequn.profiles import selectors, services
from shequn.profiles.models import NOTE_MAX_LENGTH, TalkChannel, TalkNote

router = Router(tags=["profiles"])

CONFLICTS = frozenset({"already_done", "no_follow_up", "note_deleted"})


def _conflict(exc: ValidationError) -> HttpResponse:
    if getattr(exc, "code", None) in CONFLICTS:
        return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))
    raise exc


def _check_timeline_cursor(value: str | None) -> str | None:
    if value is not None:
        selectors.decode_timeline_cursor(value)
    return value


def _check_follow_up_cursor(value: str | None) -> str | None:
    if value is not None:
        selectors.decode_follow_up_cursor(value)
    return value


TimelineCursorText = Annotated[str | None, AfterValidator(_check_timeline_cursor)]
FollowUpCursorText = Annotated[str | None, AfterValidator(_check_follow_up_cursor)]


class NoteOut(Schema):
    id: int
    member_id: int
    author_id: int | None = Field(description="The operator who wrote it (null: account removed).")
    author_name: str | None
    talked_at: datetime
    channel: TalkChannel
    body: str
    follow_up_on: date | None = Field(description="The day to follow up (organisation's zone).")
    follow_up_done_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_author_name(obj: TalkNote) -> str | None:
        return obj.author.user.get_username() if obj.author is not None else None


class NotePage(PageMeta):
    items: list[NoteOut]


class NoteIn(InputSchema):
    body: str = Field(..., min_length=1, max_length=NOTE_MAX_LENGTH)
    talked_at: ApiDatetime | None = Field(None, description="When you talked; now by default.")
    channel: TalkChannel = TalkChannel.CHAT
    follow_up_on: date | None = Field(
        None, description="Today or later (in the organisation's zone), within 366 days."
    )


class NotePatch(PatchSchema):
    nullable_fields: ClassVar[frozenset[str]] = frozenset({"follow_up_on"})

    body: str | None = Field(None, min_length=1, max_length=NOTE_MAX_LENGTH)
    talked_at: ApiDatetime | None = None
    channel: TalkChannel | None = None
    follow_up_on: date | None = Field(
        None, description="A new day opens the follow-up again; null removes it."
    )


class FollowUpOut(NoteOut):
    member_name: str

    @staticmethod
    def resolve_member_name(obj: TalkNote) -> str:
        return obj.member.display_name


class FollowUpParams(Schema):
    when: Literal["due", "upcoming"] = Field(
        "due",
        description="`due`: on or before today; `upcoming`: in the next 14 days.",
    )
    operator_id: ObjectId | None = Field(
        None, description="Another operator's follow-ups (organisation admins only)."
    )
    limit: int = Field(selectors.FOLLOW_UP_PAGE_SIZE, ge=1, le=selectors.FOLLOW_UP_MAX_LIMIT)
    cursor: FollowUpCursorText = Field(
        None,
        max_length=selectors.CURSOR_MAX_LENGTH,
        description="The `next_cursor` of the previous page (opaque); omit for the first page.",
    )


class FollowUpPageOut(Schema):
    today: date = Field(description="Today in the organisation's zone.")
    operator_id: int
    items: list[FollowUpOut]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last.")


class TimelineParams(Schema):
    limit: int = Field(selectors.TIMELINE_PAGE_SIZE, ge=1, le=selectors.TIMELINE_MAX_LIMIT)
    before: TimelineCursorText = Field(
        None,
        max_length=selectors.CURSOR_MAX_LENGTH,
        description="The `next_cursor` of the previous page (opaque); omit for the first page.",
    )


class TimelineActivityOut(Schema):
    kind: ActivityKind
    channel: Channel
    community_id: int | None = Field(description="Null for organisation-wide activities.")
    text: str


class TimelineStageChangeOut(Schema):
    from_stage: Stage | None = Field(description="Null for the first placement on the ladder.")
    to_stage: Stage
    cause: TransitionCause
    reason: str


class TimelineItemOut(Schema):
    type: Literal["activity", "stage_change", "note"]
    id: int = Field(description="The id of the activity, stage change or note.")
    at: datetime = Field(description="When it happened (a note: when the talk was).")
    activity: TimelineActivityOut | None = Field(description="Set when `type` is activity.")
    stage_change: TimelineStageChangeOut | None = Field(
        description="Set when `type` is stage_change."
    )
    note: NoteOut | None = Field(description="Set when `type` is note.")


class TimelinePageOut(Schema):
    items: list[TimelineItemOut]
    next_cursor: str | None = Field(description="`before` of the next page; null on the last.")


def _note_for(request: HttpRequest, note_id: int) -> TalkNote:
    return selectors.get_talk_note_for_user(actor=actor_of(request), note_id=note_id)


@router.get(
    "/members/{member_id}/notes",
    response=NotePage,
    openapi_extra=problem_responses(404, 422),
)
def list_notes(request: HttpRequest, member_id: PathId, page: Query[PageParams]) -> dict[str, Any]:
    """The member's talk notes, newest first (every operator who may see the member)."""
    member = get_member_for_user(actor=actor_of(request), member_id=member_id)
    return paginate(selectors.list_member_notes(member=member), page)


@router.post(
    "/members/{member_id}/notes",
    response={201: NoteOut},
    openapi_extra=problem_responses(403, 404, 422),
)
def create_note(request: HttpRequest, member_id: PathId, payload: NoteIn) -> Any:
    """Note a one-to-one talk with the member, maybe with a follow-up day."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    note = services.write_talk_note(
        actor=actor,
        member=member,
        body=payload.body,
        talked_at=payload.talked_at,
        channel=payload.channel,
        follow_up_on=payload.follow_up_on,
    )
    return Status(201, note)


@router.get("/notes/{note_id}", response=NoteOut, openapi_extra=problem_responses(404, 422))
def get_note(request: HttpRequest, note_id: PathId) -> Any:
    return _note_for(request, note_id)


@router.patch(
    "/notes/{note_id}", response=NoteOut, openapi_extra=problem_responses(403, 404, 409, 422)
)
def update_note(request: HttpRequest, note_id: PathId, payload: NotePatch) -> Any:
    """Change the fields sent (the note's author, or an organisation admin)."""
    actor = actor_of(request)
    note = _note_for(request, note_id)
    try:
        return services.update_talk_note(actor=actor, note=note, data=payload.changes())
    except ValidationError as exc:
        return _conflict(exc)


@router.delete(
    "/notes/{note_id}", response={204: None}, openapi_extra=problem_responses(403, 404, 409, 422)
)
def delete_note(request: HttpRequest, note_id: PathId) -> Any:
    """Delete the note (the note's author, or an organisation admin)."""
    actor = actor_of(request)
    note = _note_for(request, note_id)
    try:
        services.delete_talk_note(actor=actor, note=note)
    except ValidationError as exc:
        return _conflict(exc)
    return Status(204, None)


@router.post(
    "/notes/{note_id}/done",
    response=NoteOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def complete_note_follow_up(request: HttpRequest, note_id: PathId) -> Any:
    """Mark the note's follow-up done (409 when it has none or it is done already)."""
    actor = actor_of(request)
    note = _note_for(request, note_id)
    try:
        return services.complete_follow_up(actor=actor, note=note)
    except ValidationError as exc:
        return _conflict(exc)


@router.get("/follow-ups", response=FollowUpPageOut, openapi_extra=problem_responses(404, 422))
def list_follow_ups(request: HttpRequest, params: Query[FollowUpParams]) -> dict[str, Any]:
    """The token's operator's open follow-ups (or, for an organisation admin, `operator_id`'s),
    the most overdue first, a page at a time (follow `next_cursor`)."""
    actor = actor_of(request)
    operator = selectors.get_follow_up_operator(actor=actor, operator_id=params.operator_id)
    page = selectors.list_follow_ups(
        actor=actor, operator=operator, when=params.when, cursor=params.cursor, limit=params.limit
    )
    return {
        "today": page.today,
        "operator_id": operator.pk,
        "items": page.items,
        "next_cursor": page.next_cursor,
    }


@router.get(
    "/members/{member_id}/timeline",
    response=TimelinePageOut,
    openapi_extra=problem_responses(404, 422),
)
def member_timeline(
    request: HttpRequest, member_id: PathId, params: Query[TimelineParams]
) -> dict[str, Any]:
    """The member's activities (those the token may see), stage changes and talk notes, newest
    first on (time, type, id), a page at a time: pass `next_cursor` as `before`."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    page = selectors.get_member_timeline(
        actor=actor, member=member, cursor=params.before, limit=params.limit
    )
    return {
        "items": [selectors.timeline_item_fields(item) for item in page.items],
        "next_cursor": page.next_cursor,
    }
