"""Reads of rewards for operators and members (docs/rewards.md). Every id from a user goes
through a selector here that checks the viewer's scope (a 404 outside it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.members.models import Member
from shequn.points.selectors import points_of
from shequn.rewards.models import Redemption, RedemptionStatus, Reward

if TYPE_CHECKING:
    import datetime

    from shequn.accounts.selectors import OperatorScope
    from shequn.organizations.models import Organization


def can_manage_rewards(actor: OperatorScope) -> bool:
    """The catalogue (create, edit, switch off, coupon codes): organisation admins."""
    return actor.is_org_admin


def can_fulfil(actor: OperatorScope) -> bool:
    """Fulfil and cancel redemptions: organisation admins, chapter heads (their members)."""
    return actor.is_org_admin or actor.is_chapter_head


def list_rewards(*, actor: OperatorScope) -> QuerySet[Reward]:
    return Reward.objects.filter(organization_id=actor.organization.pk).select_related("community")


def get_reward(*, actor: OperatorScope, reward_id: int) -> Reward:
    return get_object_or_404(list_rewards(actor=actor), pk=reward_id)


def list_redemptions(*, actor: OperatorScope) -> QuerySet[Redemption]:
    """The redemptions of the members in the operator's scope, newest first."""
    members = Member.objects.filter(actor.member_filter()).values("pk")
    return (
        Redemption.objects.filter(organization_id=actor.organization.pk)
        .filter(Q(member_id__in=members) if not actor.is_org_admin else Q())
        .select_related("reward", "member", "coupon")
        .order_by("-created_at", "-id")
    )


def get_redemption(*, actor: OperatorScope, redemption_id: int) -> Redemption:
    return get_object_or_404(list_redemptions(actor=actor), pk=redemption_id)


def queue(*, actor: OperatorScope) -> QuerySet[Redemption]:
    """Requested redemptions, oldest first: the fulfilment queue."""
    return (
        list_redemptions(actor=actor)
        .filter(status=RedemptionStatus.REQUESTED)
        .order_by("created_at", "id")
    )


# --- members ------------------------------------------------------------------------------------


def shop_rewards(organization: Organization) -> QuerySet[Reward]:
    """What the shop shows: the organisation's switched-on rewards."""
    return Reward.objects.filter(organization=organization, is_active=True).select_related(
        "community"
    )


def get_shop_reward(*, organization: Organization, reward_id: int) -> Reward:
    return get_object_or_404(shop_rewards(organization), pk=reward_id)


def own_redemptions(member: Member) -> QuerySet[Redemption]:
    return (
        Redemption.objects.filter(member=member)
        .select_related("reward", "coupon")
        .order_by("-created_at", "-id")
    )


def taken_by(member: Member, reward_ids: list[int]) -> dict[int, int]:
    """How many of each reward the member holds (redemptions not cancelled)."""
    rows = (
        Redemption.objects.filter(member=member, reward_id__in=reward_ids)
        .exclude(status=RedemptionStatus.CANCELLED)
        .values("reward_id")
        .annotate(n=Count("id"))
    )
    return {row["reward_id"]: row["n"] for row in rows}


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str = ""
    code: str = ""


def member_level(member: Member) -> int:
    level = points_of(member).level
    return level.number if level else 0


def check_redeem(
    reward: Reward,
    *,
    balance: int,
    level: int,
    taken: int,
    now: datetime.datetime | None = None,
) -> Check:
    """Whether a member with `balance`, `level` and `taken` of this reward may redeem it; the
    refusal's message and code otherwise (the same checks and messages as the service)."""
    now = now or timezone.now()
    if not reward.is_active:
        return Check(False, _("This reward is switched off."), "switched_off")
    if (reward.available_from and now < reward.available_from) or (
        reward.available_until and now >= reward.available_until
    ):
        return Check(False, _("This reward is not available at this time."), "not_available")
    if reward.min_level and level < reward.min_level:
        return Check(
            False,
            _("This reward needs level %(level)s or higher.") % {"level": reward.min_level},
            "level_too_low",
        )
    if reward.per_member_limit is not None and taken >= reward.per_member_limit:
        return Check(
            False,
            _("You have reached the limit of %(limit)s per member for this reward.")
            % {"limit": reward.per_member_limit},
            "limit_reached",
        )
    if reward.stock is not None and reward.stock <= 0:
        return Check(False, _("This reward is out of stock."), "out_of_stock")
    if balance < reward.cost:
        return Check(
            False,
            _("Not enough points: the balance is %(balance)s, this needs %(needed)s.")
            % {"balance": balance, "needed": reward.cost},
            "not_enough_points",
        )
    return Check(True)
