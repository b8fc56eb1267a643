"""API v1 of tags (docs/tags.md): tag groups, tags and rule tags (preview, switch on and off),
a tag's members and a member's tags. Managing groups, tags and rules: organisation admins
(403 otherwise); every operator lists tags and tags or untags the members in their scope.
Deleting a tag that segments use is a 409 problem naming them, unless `?confirm=true`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.core.problems import django_errors, problem_response, problem_responses
from shequn.core.schemas import (
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PatchSchema,
    PathId,
    paginate,
)
from shequn.layers.models import Layer
from shequn.members.selectors import get_member_for_user
from shequn.tags import selectors, services
from shequn.tags.models import (
    GROUP_NAME_MAX_LENGTH,
    TAG_NAME_MAX_LENGTH,
    MemberTag,
    RuleType,
    Tag,
    TagColour,
    TagGroup,
    TagSource,
)
from shequn.tags.rules import (
    MAX_KEYWORDS,
    MAX_MIN_COUNT,
    MAX_WINDOW_DAYS,
    REGEX_MAX_LENGTH,
)

router = Router(tags=["tags"])

RULE_KEYS = frozenset(
    {
        "keywords",
        "match",
        "min_count",
        "window_days",
        "event_kind",
        "activity_kind",
        "stages",
        "layer",
        "community_id",
        "invite_link_id",
    }
)
TAG_KEYS = {"group": "group_id", "tag": "tag_id"}


def _invalid(exc: ValidationError) -> HttpResponse:
    """A 422 whose `loc` names the body's fields: a rule's parameters under `rule`."""
    errors = django_errors(exc)
    for error in errors:
        loc = error["loc"]
        if len(loc) == 2 and loc[1] in RULE_KEYS:
            error["loc"] = ["body", "rule", loc[1]]
        elif len(loc) == 2 and loc[1] in TAG_KEYS:
            error["loc"] = ["body", TAG_KEYS[str(loc[1])]]
    detail = errors[0]["msg"] if len(errors) == 1 else _("The request has invalid fields.")
    return problem_response(status=422, title=_("Invalid input"), detail=detail, errors=errors)


def _conflict(exc: ValidationError, **extra: Any) -> HttpResponse:
    return problem_response(
        status=409, title=_("Conflict"), detail=" ".join(exc.messages), extra=extra or None
    )


# --- schemas ------------------------------------------------------------------------------------

TagName = Annotated[str, Field(min_length=1, max_length=TAG_NAME_MAX_LENGTH)]
GroupName = Annotated[str, Field(min_length=1, max_length=GROUP_NAME_MAX_LENGTH)]
Position = Annotated[int, Field(ge=0, le=services.MAX_POSITION)]
Description = Annotated[str, Field(max_length=services.DESCRIPTION_MAX_LENGTH)]
Keyword = Annotated[str, Field(min_length=1, max_length=REGEX_MAX_LENGTH)]
TagColourOrGroup = TagColour | Literal[""]


class TagGroupOut(Schema):
    id: int
    name: str
    colour: TagColour
    position: int


class TagGroupIn(InputSchema):
    name: GroupName
    colour: TagColour = TagColour.BLUE
    position: Position = 0


class TagGroupPatch(PatchSchema):
    name: GroupName | None = None
    colour: TagColour | None = None
    position: Position | None = None


class TagGroupPage(PageMeta):
    items: list[TagGroupOut]


class RuleIn(InputSchema):
    """A rule's parameters; which ones a rule type reads is in docs/tags.md."""

    keywords: list[Keyword] | None = Field(
        None,
        max_length=MAX_KEYWORDS,
        description="keyword: whole words (jieba's segmentation), or one regular expression.",
    )
    match: Literal["word", "regex"] | None = Field(None, description="keyword: `word` (default).")
    min_count: int | None = Field(
        None, ge=1, le=MAX_MIN_COUNT, description="keyword, activity_kind: at least (default 1)."
    )
    window_days: int | None = Field(
        None,
        ge=1,
        le=MAX_WINDOW_DAYS,
        description="keyword, event_kind, activity_kind: the last N calendar days (null: ever).",
    )
    event_kind: str | None = Field(None, max_length=64)
    activity_kind: str | None = Field(None, max_length=64)
    stages: list[int] | None = Field(None, max_length=7, description="stage: ladder stages 0–6.")
    layer: Layer | None = None
    community_id: ObjectId | None = Field(None, description="layer: only this community.")
    invite_link_id: ObjectId | None = None

    def params(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class TagOut(Schema):
    id: int
    name: str
    group_id: int | None
    colour: TagColourOrGroup = Field(description="Empty: the group's colour.")
    shown_colour: TagColour
    description: str
    rule_type: RuleType | None = Field(description="Null for a tag set by hand.")
    rule: dict[str, Any]
    is_active: bool = Field(description="A rule tag: switched on. A tag set by hand: true.")
    member_count: int
    created_at: datetime

    @staticmethod
    def resolve_rule_type(obj: Tag) -> str | None:
        return obj.rule_type or None

    @staticmethod
    def resolve_is_active(obj: Tag) -> bool:
        return obj.is_active or not obj.is_rule


class TagPage(PageMeta):
    items: list[TagOut]


class TagIn(InputSchema):
    name: TagName
    group_id: ObjectId | None = None
    colour: TagColourOrGroup = ""
    description: Description = ""
    rule_type: RuleType | None = Field(
        None, description="Set for a rule tag (created switched off); null for a tag set by hand."
    )
    rule: RuleIn | None = None


class TagPatch(PatchSchema):
    nullable_fields = frozenset({"group_id"})

    name: TagName | None = None
    group_id: ObjectId | None = None
    colour: TagColourOrGroup | None = None
    description: Description | None = None
    rule_type: RuleType | None = Field(None, description="Rule tags only.")
    rule: RuleIn | None = Field(None, description="Rule tags only: all the rule's parameters.")


class PreviewIn(InputSchema):
    rule_type: RuleType
    rule: RuleIn


class MemberRef(Schema):
    id: int
    display_name: str


class PreviewOut(Schema):
    count: int = Field(description="Members in the token's scope the rule would tag now.")
    examples: list[MemberRef]
    messages_read: int | None = Field(
        description="Word-keyword rules: the candidate messages read (null for other rules)."
    )
    capped: bool = Field(
        description="Only the newest candidate messages were read: `count` is a lower bound."
    )


class TagMemberOut(Schema):
    member_id: int
    display_name: str
    added_at: datetime
    source: TagSource


class TagMemberPage(PageMeta):
    items: list[TagMemberOut]


class TagMemberFilters(Schema):
    order: Literal["newest", "name"] = "newest"


class BulkTagIn(InputSchema):
    member_ids: list[ObjectId] = Field(..., min_length=1, max_length=services.BULK_MAX_MEMBERS)


class BulkTagOut(Schema):
    added: int


class MemberTagOut(Schema):
    tag_id: int
    name: str
    shown_colour: TagColour
    rule_type: RuleType | None
    source: TagSource
    added_at: datetime


class MemberTagIn(InputSchema):
    tag_id: ObjectId


class TagFilters(Schema):
    group_id: ObjectId | None = None
    rule: bool | None = Field(None, description="true: rule tags only; false: tags set by hand.")


class DeleteFilters(Schema):
    confirm: bool = Field(False, description="Delete also when segments use the tag.")


def _member_tag_out(row: MemberTag) -> dict[str, Any]:
    return {
        "tag_id": row.tag_id,
        "name": row.tag.name,
        "shown_colour": row.tag.shown_colour,
        "rule_type": row.tag.rule_type or None,
        "source": row.source,
        "added_at": row.added_at,
    }


def _preview_out(preview: Any) -> dict[str, Any]:
    return {
        "count": preview.count,
        "examples": [{"id": m.pk, "display_name": m.display_name} for m in preview.examples],
        "messages_read": preview.messages_read,
        "capped": preview.capped,
    }


# --- tag groups ---------------------------------------------------------------------------------


@router.get("/tag-groups", response=TagGroupPage, openapi_extra=problem_responses(422))
def list_tag_groups(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """The organisation's tag groups, by position."""
    return paginate(selectors.list_tag_groups(actor=actor_of(request)), page)


@router.post("/tag-groups", response={201: TagGroupOut}, openapi_extra=problem_responses(403, 422))
def create_tag_group(request: HttpRequest, payload: TagGroupIn) -> Any:
    """A new tag group (organisation admins)."""
    try:
        group = services.create_tag_group(actor=actor_of(request), **payload.dict())
    except ValidationError as exc:
        return _invalid(exc)
    return Status(201, group)


@router.patch(
    "/tag-groups/{group_id}",
    response=TagGroupOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def update_tag_group(request: HttpRequest, group_id: PathId, payload: TagGroupPatch) -> Any:
    actor = actor_of(request)
    group = selectors.get_tag_group_for_user(actor=actor, group_id=group_id)
    try:
        return services.update_tag_group(actor=actor, group=group, data=payload.changes())
    except ValidationError as exc:
        return _invalid(exc)


@router.delete(
    "/tag-groups/{group_id}",
    response={204: None},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def delete_tag_group(request: HttpRequest, group_id: PathId) -> Any:
    """Delete an empty tag group (409 while it has tags)."""
    actor = actor_of(request)
    group = selectors.get_tag_group_for_user(actor=actor, group_id=group_id)
    try:
        services.delete_tag_group(actor=actor, group=group)
    except ValidationError as exc:
        return _conflict(exc)
    return Status(204, None)


# --- tags ---------------------------------------------------------------------------------------


def _group(request: HttpRequest, group_id: int | None) -> TagGroup | None:
    if group_id is None:
        return None
    return selectors.get_tag_group_for_user(actor=actor_of(request), group_id=group_id)


@router.get("/tags", response=TagPage, openapi_extra=problem_responses(422))
def list_tags(
    request: HttpRequest, filters: Query[TagFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """The organisation's tags by group and name; `member_count` counts the organisation."""
    tags = selectors.list_tags(
        actor=actor_of(request), group_id=filters.group_id, rule=filters.rule
    )
    return paginate(tags, page)


@router.post("/tags", response={201: TagOut}, openapi_extra=problem_responses(403, 404, 422))
def create_tag(request: HttpRequest, payload: TagIn) -> Any:
    """A tag set by hand, or with `rule_type` and `rule` a rule tag (switched off: preview it,
    then `activate`). Organisation admins."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_tags(actor))
    fields: dict[str, Any] = {
        "name": payload.name,
        "group": _group(request, payload.group_id),
        "colour": payload.colour,
        "description": payload.description,
    }
    try:
        if payload.rule_type is None:
            if payload.rule is not None:
                raise ValidationError({"rule_type": _("Choose a rule.")})
            tag = services.create_tag(actor=actor, **fields)
        else:
            params = payload.rule.params() if payload.rule else {}
            tag = services.create_rule_tag(
                actor=actor, rule_type=payload.rule_type, params=params, **fields
            )
    except ValidationError as exc:
        return _invalid(exc)
    return Status(201, tag)


@router.post("/tags/preview", response=PreviewOut, openapi_extra=problem_responses(403, 422))
def preview_rule(request: HttpRequest, payload: PreviewIn) -> Any:
    """Who a rule would tag now (not saved): the count and up to 10 members."""
    try:
        preview = selectors.preview_tag_rule(
            actor=actor_of(request), rule_type=payload.rule_type, params=payload.rule.params()
        )
    except ValidationError as exc:
        return _invalid(exc)
    return _preview_out(preview)


@router.get("/tags/{tag_id}", response=TagOut, openapi_extra=problem_responses(404, 422))
def get_tag(request: HttpRequest, tag_id: PathId) -> Tag:
    return selectors.get_tag_for_user(actor=actor_of(request), tag_id=tag_id)


@router.patch("/tags/{tag_id}", response=TagOut, openapi_extra=problem_responses(403, 404, 422))
def update_tag(request: HttpRequest, tag_id: PathId, payload: TagPatch) -> Any:
    """Change a tag; a rule tag's `rule` replaces all its parameters (a switched-on rule tag
    is applied again)."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_tags(actor))
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    changes = payload.changes()
    if "group_id" in changes:
        changes["group"] = _group(request, changes.pop("group_id"))
    if "rule" in changes:
        changes["rule"] = payload.rule.params() if payload.rule else {}
    try:
        return services.update_tag(actor=actor, tag=tag, data=changes)
    except ValidationError as exc:
        return _invalid(exc)


@router.delete(
    "/tags/{tag_id}",
    response={204: None},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def delete_tag(request: HttpRequest, tag_id: PathId, filters: Query[DeleteFilters]) -> Any:
    """Delete a tag. When segments filter on it: 409 naming them (`segments`), unless
    `confirm=true`, which takes it out of their filters first."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_tags(actor))
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    try:
        services.delete_tag(actor=actor, tag=tag, confirm=filters.confirm)
    except services.TagInUseError as exc:
        return _conflict(exc, segments=[{"id": s.pk, "name": s.name} for s in exc.segments])
    return Status(204, None)


@router.post(
    "/tags/{tag_id}/preview",
    response=PreviewOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def preview_tag(request: HttpRequest, tag_id: PathId) -> Any:
    """Who the rule tag's saved rule would tag now: the count and up to 10 members."""
    actor = actor_of(request)
    actor.require(selectors.can_manage_tags(actor))
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    try:
        preview = selectors.preview_tag_rule(actor=actor, rule_type=tag.rule_type, params=tag.rule)
    except ValidationError as exc:
        return _invalid(exc)
    return _preview_out(preview)


def _switch(request: HttpRequest, tag_id: int, *, on: bool) -> Any:
    actor = actor_of(request)
    actor.require(selectors.can_manage_tags(actor))
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    switch = services.activate_rule_tag if on else services.deactivate_rule_tag
    try:
        return switch(actor=actor, tag=tag)
    except ValidationError as exc:
        return _conflict(exc)


@router.post(
    "/tags/{tag_id}/activate",
    response=TagOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def activate_tag(request: HttpRequest, tag_id: PathId) -> Any:
    """Switch a rule tag on: a job tags every member its rule matches (409 for a tag set by
    hand)."""
    return _switch(request, tag_id, on=True)


@router.post(
    "/tags/{tag_id}/deactivate",
    response=TagOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def deactivate_tag(request: HttpRequest, tag_id: PathId) -> Any:
    """Switch a rule tag off: the tag is taken off everyone now."""
    return _switch(request, tag_id, on=False)


@router.get(
    "/tags/{tag_id}/members",
    response=TagMemberPage,
    openapi_extra=problem_responses(404, 422),
)
def list_tag_members(
    request: HttpRequest,
    tag_id: PathId,
    filters: Query[TagMemberFilters],
    page: Query[PageParams],
) -> dict[str, Any]:
    """The tag's members in the token's scope: newest first, or by name."""
    actor = actor_of(request)
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    result = paginate(selectors.list_tag_members(actor=actor, tag=tag, order=filters.order), page)
    result["items"] = [
        {
            "member_id": row.member.pk,
            "display_name": row.member.display_name,
            "added_at": row.added_at,
            "source": row.source,
        }
        for row in selectors.tag_member_rows(result["items"])
    ]
    return result


@router.post(
    "/tags/{tag_id}/members",
    response=BulkTagOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def tag_members(request: HttpRequest, tag_id: PathId, payload: BulkTagIn) -> Any:
    """Put a tag set by hand on up to 500 members at once, all in the token's scope (422
    naming the ids that are not, and nothing changes)."""
    actor = actor_of(request)
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    try:
        counts = services.tag_members(actor=actor, tag=tag, member_ids=payload.member_ids)
    except ValidationError as exc:
        return _invalid(exc)
    return {"added": counts.added}


# --- a member's tags ----------------------------------------------------------------------------


@router.get(
    "/members/{member_id}/tags",
    response=list[MemberTagOut],
    openapi_extra=problem_responses(404, 422),
)
def list_member_tags(request: HttpRequest, member_id: PathId) -> Any:
    """The member's tags (at most 200), by group and name."""
    member = get_member_for_user(actor=actor_of(request), member_id=member_id)
    return [_member_tag_out(row) for row in selectors.list_member_tags(member=member)]


@router.post(
    "/members/{member_id}/tags",
    response={200: MemberTagOut, 201: MemberTagOut},
    openapi_extra=problem_responses(403, 404, 422),
)
def add_member_tag(request: HttpRequest, member_id: PathId, payload: MemberTagIn) -> Any:
    """Tag the member with a tag set by hand: 201, or 200 when they had it already (422 for a
    rule tag)."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    tag = selectors.get_tag_for_user(actor=actor, tag_id=payload.tag_id)
    try:
        added = services.tag_member(actor=actor, tag=tag, member=member)
    except ValidationError as exc:
        return _invalid(exc)
    row = MemberTag.objects.select_related("tag", "tag__group").get(
        tag_id=tag.pk, member_id=member.pk
    )
    return Status(201 if added else 200, _member_tag_out(row))


@router.delete(
    "/members/{member_id}/tags/{tag_id}",
    response={204: None},
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def remove_member_tag(request: HttpRequest, member_id: PathId, tag_id: PathId) -> Any:
    """Take a tag set by hand off the member (204 also when they did not have it; 409 for a
    rule tag, whose rule decides)."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    tag = selectors.get_tag_for_user(actor=actor, tag_id=tag_id)
    try:
        services.untag_member(actor=actor, tag=tag, member=member)
    except ValidationError as exc:
        return _conflict(exc)
    return Status(204, None)
