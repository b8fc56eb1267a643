"""Expiry of points, first in, first out (docs/points.md, "Expiry").

With `PointSettings.expiry_months` N, credits earned (`occurred_at`: the activity's time for
an award) more than N months ago expire as far as they are
not used yet. Used means: every debit of the member (redemptions, penalties, negative
adjustments, reversals of credits, earlier expiries) consumes the oldest credits first. So on
a day D, what is still unused of the credits earned before D − N months is

    expiring = credits earned before (D − N months) − all debits so far

and, when positive (and at most the balance), it is written as one `expiry` entry. Running it
twice the same day finds 0 the second time: the first expiry is itself a debit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.members.models import Member
from shequn.organizations.models import Organization
from shequn.points.ledger import Draft, write_entry
from shequn.points.models import EntryReason, LedgerEntry, MemberPoints, PointSettings


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day-of-month `months` earlier (the month's last day when it has no such day)."""
    year, month = moment.year, moment.month - months
    while month < 1:
        month += 12
        year -= 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def unused_before(member_id: int, cutoff: datetime.datetime) -> int:
    """Credits of the member written before `cutoff` that no debit has consumed."""
    sums = LedgerEntry.objects.filter(member_id=member_id).aggregate(
        old=Coalesce(Sum("delta", filter=Q(delta__gt=0, occurred_at__lt=cutoff)), 0),
        debits=Coalesce(Sum("delta", filter=Q(delta__lt=0)), 0),
    )
    return max(0, int(sums["old"]) + int(sums["debits"]))


def expire_points(organization: Organization, *, now: datetime.datetime | None = None) -> int:
    """Expire what is due for every member of the organisation; how many points."""
    settings_row = PointSettings.objects.filter(organization=organization).first()
    if settings_row is None or not settings_row.expiry_months:
        return 0
    now = now or timezone.now()
    cutoff = months_before(now, settings_row.expiry_months)
    candidates = (
        MemberPoints.objects.filter(organization=organization, balance__gt=0)
        .filter(member__ledger_entries__occurred_at__lt=cutoff)
        .values_list("member_id", flat=True)
        .distinct()
    )
    total = 0
    for member_id in list(candidates):
        due = unused_before(member_id, cutoff)
        if due <= 0:
            continue
        member = Member.objects.get(pk=member_id)
        points = MemberPoints.objects.get(pk=member_id)
        amount = min(due, points.balance)
        if amount <= 0:
            continue
        write_entry(
            member,
            Draft(
                delta=-amount,
                reason=EntryReason.EXPIRY,
                note=_("Points earned before %(date)s") % {"date": cutoff.date().isoformat()},
            ),
        )
        total += amount
    return total


@dataclass(frozen=True)
class Expiring:
    on: datetime.date
    points: int


def upcoming_expiry(member: Member, *, months_ahead: int = 3) -> list[Expiring]:
    """What will expire in the coming months if nothing is spent (for the member's page)."""
    settings_row = PointSettings.objects.filter(organization_id=member.organization_id).first()
    if settings_row is None or not settings_row.expiry_months:
        return []
    now = timezone.now()
    balance = MemberPoints.objects.filter(pk=member.pk).values_list("balance", flat=True).first()
    if not balance:
        return []
    out: list[Expiring] = []
    already = 0
    for ahead in range(1, months_ahead + 1):
        moment = _months_after(now, ahead)
        cutoff = months_before(moment, settings_row.expiry_months)
        due = min(unused_before(member.pk, cutoff), balance) - already
        if due > 0:
            out.append(Expiring(on=moment.date(), points=due))
            already += due
    return out


def _months_after(moment: datetime.datetime, months: int) -> datetime.datetime:
    year, month = moment.year, moment.month + months
    while month > 12:
        month -= 12
        year += 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1
