"""Reads of points for operators and members (docs/points.md). Every id from a user goes
through a selector here that checks the viewer's scope (a 404 outside it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from shequn.members.models import Member
from shequn.points.levels import ensure_levels, level_for
from shequn.points.models import (
    ExitReview,
    ExitReviewStatus,
    LedgerEntry,
    Level,
    LevelChange,
    MemberPoints,
    PointRule,
    PointSettings,
)

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.organizations.models import Organization


def can_manage_points(actor: OperatorScope) -> bool:
    """Rules, levels, settings: organisation admins."""
    return actor.is_org_admin


def can_adjust_points(actor: OperatorScope) -> bool:
    """Adjustments and reversals: organisation admins and chapter heads (their members)."""
    return actor.is_org_admin or actor.is_chapter_head


def list_rules(*, actor: OperatorScope) -> QuerySet[PointRule]:
    """The organisation's rules first, then the communities' overrides (the same order on
    SQLite and PostgreSQL, which sort NULL differently)."""
    return (
        PointRule.objects.filter(organization_id=actor.organization.pk)
        .select_related("community")
        .order_by(F("community_id").asc(nulls_first=True), "kind", "custom_name", "pk")
    )


def get_rule(*, actor: OperatorScope, rule_id: int) -> PointRule:
    return get_object_or_404(list_rules(actor=actor), pk=rule_id)


def get_settings(organization: Organization) -> PointSettings:
    return PointSettings.objects.filter(organization=organization).first() or PointSettings(
        organization=organization
    )


def list_levels(organization: Organization) -> list[Level]:
    return ensure_levels(organization)


def get_member(*, actor: OperatorScope, member_id: int) -> Member:
    members = Member.objects.filter(
        actor.member_filter(), organization_id=actor.organization.pk, merged_into__isnull=True
    )
    return get_object_or_404(members, pk=member_id)


def member_ledger(member: Member) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(member_id=member.pk).order_by("-created_at", "-id")


def get_entry(*, actor: OperatorScope, entry_id: int) -> LedgerEntry:
    entry = get_object_or_404(
        LedgerEntry.objects.filter(organization_id=actor.organization.pk), pk=entry_id
    )
    get_member(actor=actor, member_id=entry.member_id)  # the member must be in scope
    return entry


def points_of(member: Member) -> MemberPoints:
    """The member's row (an unsaved empty one before their first entry)."""
    return MemberPoints.objects.filter(pk=member.pk).select_related("level").first() or (
        MemberPoints(member=member, organization_id=member.organization_id)
    )


def progress(member: Member) -> tuple[Level | None, Level | None, int]:
    """(current level, next level, percent of the way to it)."""
    levels = ensure_levels(member.organization)
    earned = points_of(member).earned
    current = level_for(levels, earned)
    higher = [lv for lv in levels if lv.threshold > earned]
    nxt = min(higher, key=lambda lv: lv.threshold) if higher else None
    if nxt is None:
        return current, None, 100
    base = current.threshold if current else 0
    span = max(1, nxt.threshold - base)
    return current, nxt, max(0, min(100, (earned - base) * 100 // span))


def require_member_of(organization: Organization, member: Member | None) -> Member:
    if member is None or member.organization_id != organization.pk:
        raise Http404
    return member


def list_unseen_level_changes(member: Member) -> list[LevelChange]:
    """Level changes the member has not seen on their page yet (newest first, at most 20)."""
    return list(
        LevelChange.objects.filter(member_id=member.pk, seen_at__isnull=True).order_by(
            "-occurred_at", "-id"
        )[:20]
    )


def is_move_up(change: LevelChange) -> bool:
    """A level reached upwards (the first level, 1, is where everybody starts)."""
    if change.from_number is None:
        return change.to_number > 1
    return change.to_number > change.from_number


def list_exit_reviews(
    *, actor: OperatorScope, status: str = ExitReviewStatus.OPEN
) -> QuerySet[ExitReview]:
    if not (actor.is_org_admin or actor.is_chapter_head):
        raise PermissionDenied
    members = Member.objects.filter(actor.member_filter(), organization_id=actor.organization.pk)
    return (
        ExitReview.objects.filter(
            organization_id=actor.organization.pk, status=status, member__in=members
        )
        .select_related("member", "decided_by")
        .order_by("-flagged_at", "-id")
    )


def get_exit_review(*, actor: OperatorScope, review_id: int) -> ExitReview:
    if not (actor.is_org_admin or actor.is_chapter_head):
        raise PermissionDenied
    members = Member.objects.filter(actor.member_filter(), organization_id=actor.organization.pk)
    return get_object_or_404(
        ExitReview.objects.filter(organization_id=actor.organization.pk, member__in=members),
        pk=review_id,
    )
