"""Writing the ledger (docs/points.md): every change of points is an entry written here.

Each write locks the member's `MemberPoints` row (SELECT … FOR UPDATE on PostgreSQL; SQLite
takes its write lock when the transaction begins, `transaction_mode` IMMEDIATE), checks the
zero rule, inserts the entry and moves the balance and earnings by the same amounts in the
same transaction: balance == sum(entries) at every commit.

The zero rule: a balance never goes below zero, except through a penalty. A redemption, a
negative adjustment, an expiry or the reversal of a credit that the balance cannot cover is
refused (`NotEnoughPointsError`) and changes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.members.models import Member
from shequn.points.models import (
    EARNING,
    MAY_GO_NEGATIVE,
    EntryReason,
    LedgerEntry,
    MemberPoints,
    PointRule,
)


class NotEnoughPointsError(ValidationError):
    def __init__(self, balance: int, needed: int) -> None:
        super().__init__(
            _("Not enough points: the balance is %(balance)s, this needs %(needed)s.")
            % {"balance": balance, "needed": needed},
            code="not_enough_points",
        )
        self.balance = balance
        self.needed = needed


@dataclass(frozen=True)
class Draft:
    """An entry to write."""

    delta: int
    reason: str
    community_id: int | None = None
    note: str = ""
    activity_id: int | None = None
    rule: PointRule | None = None
    actor_id: int | None = None
    reverses: LedgerEntry | None = None
    source_key: str = ""
    occurred_at: datetime.datetime | None = None


def lock_points(member: Member) -> MemberPoints:
    """The member's points row, created when missing, locked for this transaction."""
    MemberPoints.objects.bulk_create(
        [MemberPoints(member_id=member.pk, organization_id=member.organization_id)],
        ignore_conflicts=True,
    )
    return MemberPoints.objects.select_for_update().get(pk=member.pk)


def write_entry(member: Member, draft: Draft) -> LedgerEntry:
    """Write one entry for `member` (with its balance) or refuse by the zero rule."""
    if draft.delta == 0:
        raise ValidationError(_("Enter a number of points other than 0."), code="zero_points")
    with transaction.atomic():
        points = lock_points(member)
        if (
            draft.delta < 0
            and draft.reason not in MAY_GO_NEGATIVE
            and points.balance + draft.delta < 0
        ):
            raise NotEnoughPointsError(points.balance, -draft.delta)
        earning = _is_earning(draft)
        now = timezone.now()
        entry = LedgerEntry.objects.create(
            organization_id=member.organization_id,
            member_id=member.pk,
            community_id=draft.community_id,
            delta=draft.delta,
            reason=draft.reason,
            note=draft.note,
            activity_id=draft.activity_id,
            rule=draft.rule,
            actor_id=draft.actor_id,
            reverses=draft.reverses,
            source_key=draft.source_key,
            earning=earning,
            occurred_at=draft.occurred_at or now,
            created_at=now,
        )
        MemberPoints.objects.filter(pk=member.pk).update(
            balance=F("balance") + draft.delta,
            earned=F("earned") + (draft.delta if earning else 0),
            updated_at=now,
        )
        from shequn.points.levels import check_level

        check_level(member)
        from shequn.points.leaderboards import record_entry, redis_url

        if redis_url():  # the Redis leaderboards, after the commit (docs/leaderboards.md)
            transaction.on_commit(lambda: record_entry(entry))
        return entry


def _is_earning(draft: Draft) -> bool:
    if draft.reverses is not None:
        return draft.reverses.earning
    return draft.reason in EARNING


def reverse_entry(entry: LedgerEntry, *, actor_id: int | None, note: str) -> LedgerEntry:
    """The reversal of `entry` (once: a second is refused), by the zero rule."""
    if entry.reason == EntryReason.REVERSAL:
        raise ValidationError(_("A reversal cannot be reversed."), code="reverse_reversal")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("This entry is already reversed."), code="already_reversed")
    member = Member.objects.get(pk=entry.member_id)
    return write_entry(
        member,
        Draft(
            delta=-entry.delta,
            reason=EntryReason.REVERSAL,
            community_id=entry.community_id,
            note=note,
            actor_id=actor_id,
            reverses=entry,
        ),
    )


def recount_points(member_ids: list[int]) -> int:
    """Set the points rows of `member_ids` to the sums of their entries (after a merge or an
    unmerge moved entries between members); how many rows changed."""
    changed = 0
    for member in Member.objects.filter(pk__in=member_ids).order_by("pk"):
        with transaction.atomic():
            points = lock_points(member)
            sums = LedgerEntry.objects.filter(member_id=member.pk).aggregate(
                balance=Coalesce(Sum("delta"), 0),
                earned=Coalesce(Sum("delta", filter=Q(earning=True)), 0),
            )
            if (points.balance, points.earned) != (sums["balance"], sums["earned"]):
                MemberPoints.objects.filter(pk=member.pk).update(
                    balance=sums["balance"], earned=sums["earned"], updated_at=timezone.now()
                )
                changed += 1
            from shequn.points.levels import check_level

            check_level(member)
    return changed
