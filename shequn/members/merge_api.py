"""Identity merge over the API: suggestions (list, accept, reject), merge and unmerge.

Organisation admins and chapter heads (for members of their scope) only; an assistant's token
gets 403. A conflict with the current state (already decided, already merged or undone) is a
409 problem.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_response, problem_responses
from shequn.core.schemas import InputSchema, ObjectId, PageMeta, PageParams, PathId, paginate
from shequn.members import merge_suggestions, merging, selectors
from shequn.members.merge_suggestions import describe_evidence
from shequn.members.models import Merge, MergeReason, MergeSuggestion, MergeSuggestionStatus

router = Router(tags=["merges"])

# ValidationError codes of the merge services that are a conflict with the current state.
CONFLICTS = frozenset({"already_decided", "already_merged", "already_unmerged"})


class EvidenceOut(Schema):
    code: MergeReason
    params: dict[str, Any]
    text: str = Field(description="The reason in words, in the request's language.")


class MemberRef(Schema):
    id: int
    display_name: str


class MergeSuggestionOut(Schema):
    id: int
    member_a: MemberRef
    member_b: MemberRef
    confidence: float = Field(description="0–1; see docs/merges.md for the signals.")
    evidence: list[EvidenceOut]
    status: MergeSuggestionStatus
    decided_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_evidence(obj: MergeSuggestion) -> list[dict[str, Any]]:
        return [
            {"code": e["code"], "params": e.get("params") or {}, "text": describe_evidence(e)}
            for e in obj.evidence
        ]


class MergeSuggestionPage(PageMeta):
    items: list[MergeSuggestionOut]


class MergeSuggestionFilters(Schema):
    status: MergeSuggestionStatus = MergeSuggestionStatus.OPEN
    min_confidence: float | None = Field(None, ge=0, le=1)
    reason: MergeReason | None = None


class MergeOut(Schema):
    id: int
    source: MemberRef = Field(description="The merged member (kept as a record).")
    target: MemberRef = Field(description="The surviving member.")
    suggestion_id: int | None
    merged_at: datetime
    unmerged_at: datetime | None
    active: bool

    @staticmethod
    def resolve_active(obj: Merge) -> bool:
        return obj.unmerged_at is None


class MergePage(PageMeta):
    items: list[MergeOut]


class MergeFilters(Schema):
    member_id: ObjectId | None = None
    active: bool | None = None


class AcceptIn(InputSchema):
    keep: ObjectId | None = Field(
        None,
        description="The id of the member who survives (default: the one with a web "
        "account, else in more communities, else recorded first).",
    )


class MergeIn(InputSchema):
    source_id: ObjectId = Field(description="The member merged away (kept as a record).")
    target_id: ObjectId = Field(description="The surviving member.")


def _conflict(exc: ValidationError) -> HttpResponse:
    if getattr(exc, "code", None) in CONFLICTS:
        return problem_response(status=409, title=_("Conflict"), detail=" ".join(exc.messages))
    raise exc


def _merge(merge: Merge) -> Merge:
    return Merge.objects.select_related("source", "target").get(pk=merge.pk)


@router.get(
    "/merge-suggestions",
    response=MergeSuggestionPage,
    openapi_extra=problem_responses(403, 422),
)
def list_merge_suggestions(
    request: HttpRequest, filters: Query[MergeSuggestionFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Suggestions whose two members are in the token's scope, most confident first."""
    suggestions = selectors.list_merge_suggestions(
        actor=actor_of(request),
        status=filters.status,
        min_confidence=filters.min_confidence,
        reason=filters.reason or "",
    )
    return paginate(suggestions, page)


@router.post(
    "/merge-suggestions/{suggestion_id}/accept",
    response={200: MergeOut},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def accept_merge_suggestion(
    request: HttpRequest, suggestion_id: PathId, payload: AcceptIn | None = None
) -> Any:
    """Merge the pair (the merge can be undone: `POST /merges/{id}/unmerge`)."""
    actor = actor_of(request)
    suggestion = selectors.get_merge_suggestion_for_user(actor=actor, suggestion_id=suggestion_id)
    keep = payload.keep if payload else None
    if keep is not None and keep not in (suggestion.member_a_id, suggestion.member_b_id):
        raise ValidationError({"keep": _("Name one of the two members of the suggestion.")})
    try:
        merge = merge_suggestions.accept_suggestion(actor=actor, suggestion=suggestion, keep=keep)
    except ValidationError as exc:
        return _conflict(exc)
    return _merge(merge)


@router.post(
    "/merge-suggestions/{suggestion_id}/reject",
    response=MergeSuggestionOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def reject_merge_suggestion(request: HttpRequest, suggestion_id: PathId) -> Any:
    """The two are different people: the pair is never suggested again."""
    actor = actor_of(request)
    suggestion = selectors.get_merge_suggestion_for_user(actor=actor, suggestion_id=suggestion_id)
    try:
        return merge_suggestions.reject_suggestion(actor=actor, suggestion=suggestion)
    except ValidationError as exc:
        return _conflict(exc)


@router.get("/merges", response=MergePage, openapi_extra=problem_responses(403, 422))
def list_merges(
    request: HttpRequest, filters: Query[MergeFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Merges into members of the token's scope, newest first."""
    merges = selectors.list_merges(
        actor=actor_of(request), member_id=filters.member_id, active=filters.active
    )
    return paginate(merges, page)


@router.post(
    "/merges",
    response={201: MergeOut},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def create_merge(request: HttpRequest, payload: MergeIn) -> Any:
    """Merge `source_id` into `target_id` (both in the token's scope)."""
    actor = actor_of(request)
    actor.require(selectors.can_review_merges(actor))
    source = selectors.get_member_for_user(actor=actor, member_id=payload.source_id)
    target = selectors.get_member_for_user(actor=actor, member_id=payload.target_id)
    try:
        merge = merging.merge_members(actor=actor, source=source, target=target)
    except ValidationError as exc:
        return _conflict(exc)
    return Status(201, _merge(merge))


@router.post(
    "/merges/{merge_id}/unmerge",
    response=MergeOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def unmerge_merge(request: HttpRequest, merge_id: PathId) -> Any:
    """Undo a merge: the merged member gets back exactly what it had."""
    actor = actor_of(request)
    merge = selectors.get_merge_for_user(actor=actor, merge_id=merge_id)
    try:
        merging.unmerge(actor=actor, merge=merge)
    except ValidationError as exc:
        return _conflict(exc)
    return _merge(merge)
