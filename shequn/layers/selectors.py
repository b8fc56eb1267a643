"""Reads of layers: a community's distribution, the members of one layer, a member's layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from shequn.layers.models import Layer, LayerCount, MembershipLayer
from shequn.members.models import Member
from shequn.organizations.models import Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope


@dataclass(frozen=True)
class LayerShare:
    layer: str
    label: str
    members: int
    share: float


def layer_distribution(*, community: Community) -> list[LayerShare]:
    """Members per layer of a community the caller fetched through its scope selector (from
    the counts of the last recompute)."""
    counts = dict(LayerCount.objects.filter(community=community).values_list("layer", "members"))
    total = sum(counts.values())
    return [
        LayerShare(
            layer=layer.value,
            label=str(layer.label),
            members=counts.get(layer.value, 0),
            share=(counts.get(layer.value, 0) / total) if total else 0.0,
        )
        for layer in Layer
    ]


def list_layer_members(*, community: Community, layer: str) -> QuerySet[MembershipLayer]:
    """The members of one layer of a community, longest there first (index (community,
    layer) then the membership order)."""
    return (
        MembershipLayer.objects.filter(community=community, layer=layer)
        .select_related("member")
        .order_by("since", "membership_id")
    )


def list_member_layers(*, actor: OperatorScope, member: Member) -> list[MembershipLayer]:
    """A member's layers in the communities the actor sees."""
    visible = Community.objects.filter(actor.community_filter()).values("pk")
    return list(
        MembershipLayer.objects.filter(member=member, community_id__in=visible)
        .select_related("community")
        .order_by("community__name", "membership_id")
    )
