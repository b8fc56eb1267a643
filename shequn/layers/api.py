"""API v1 of activity layers (docs/layers.md): a community's distribution, the members of a
layer, a member's layers, the rules of each community kind."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_responses
from shequn.core.schemas import InputSchema, PageMeta, PageParams, PathId, paginate
from shequn.layers import selectors, services
from shequn.layers.compute import rules_by_kind
from shequn.layers.models import Layer, LayerMode
from shequn.members.selectors import get_member_for_user
from shequn.organizations.models import CommunityKind
from shequn.organizations.selectors import get_community_for_user

router = Router(tags=["layers"])


class LayerShareOut(Schema):
    layer: Layer
    label: str
    members: int
    share: float


class LayerMemberOut(Schema):
    member_id: int
    display_name: str
    layer: Layer
    since: datetime.datetime


class LayerMemberPage(PageMeta):
    items: list[LayerMemberOut]


class LayerFilter(Schema):
    layer: Layer = Layer.CORE


class MemberLayerOut(Schema):
    community_id: int
    layer: Layer
    since: datetime.datetime


class LayerRulesIO(InputSchema):
    mode: LayerMode = LayerMode.THRESHOLDS
    new_days: int = Field(7, ge=0, le=365)
    window_days: int = Field(30, ge=1, le=365)
    core_top_percent: int = Field(10, ge=1, le=100)
    core_min_active_weeks: int = Field(3, ge=0, le=4)
    active_min_score: int = Field(8, ge=1, le=1_000_000)
    active_band_percent: int = Field(30, ge=0, le=100)
    lurker_min_member_days: int = Field(14, ge=0, le=3650)
    lurker_silent_days: int = Field(30, ge=1, le=365)
    dormant_days: int = Field(90, ge=1, le=730)


@router.get(
    "/communities/{community_id}/layers",
    response=list[LayerShareOut],
    openapi_extra=problem_responses(403, 404, 422),
)
def distribution(request: HttpRequest, community_id: PathId) -> list[selectors.LayerShare]:
    """Members per layer (from the last recompute)."""
    community = get_community_for_user(actor=actor_of(request), community_id=community_id)
    return selectors.layer_distribution(community=community)


@router.get(
    "/communities/{community_id}/layer-members",
    response=LayerMemberPage,
    openapi_extra=problem_responses(403, 404, 422),
)
def layer_members(
    request: HttpRequest, community_id: PathId, filters: Query[LayerFilter], page: Query[PageParams]
) -> dict[str, Any]:
    """The members of one layer, longest in it first."""
    community = get_community_for_user(actor=actor_of(request), community_id=community_id)
    rows = selectors.list_layer_members(community=community, layer=filters.layer)
    result = paginate(rows, page)
    result["items"] = [
        {
            "member_id": r.member_id,
            "display_name": r.member.display_name,
            "layer": r.layer,
            "since": r.since,
        }
        for r in result["items"]
    ]
    return result


@router.get(
    "/members/{member_id}/layers",
    response=list[MemberLayerOut],
    openapi_extra=problem_responses(403, 404, 422),
)
def member_layers(request: HttpRequest, member_id: PathId) -> list[Any]:
    """A member's layer in each community of theirs the token sees."""
    actor = actor_of(request)
    member = get_member_for_user(actor=actor, member_id=member_id)
    return selectors.list_member_layers(actor=actor, member=member)


def _kind(kind: str) -> str:
    if kind not in CommunityKind.values:
        raise Http404(_("No such community kind."))
    return kind


@router.get(
    "/layer-rules/{kind}", response=LayerRulesIO, openapi_extra=problem_responses(403, 404, 422)
)
def get_rules(request: HttpRequest, kind: str) -> Any:
    """The layer rules of a community kind (the documented defaults when none were saved)."""
    actor = actor_of(request)
    actor.require(actor.is_org_admin)
    return rules_by_kind(actor.organization)[_kind(kind)]


@router.put(
    "/layer-rules/{kind}", response=LayerRulesIO, openapi_extra=problem_responses(403, 404, 422)
)
def put_rules(request: HttpRequest, kind: str, payload: LayerRulesIO) -> Any:
    """Replace the layer rules of a community kind (organisation admins)."""
    return services.save_layer_rules(
        actor=actor_of(request), community_kind=_kind(kind), data=payload.dict()
    )
