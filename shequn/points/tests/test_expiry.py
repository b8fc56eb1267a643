"""Expiry, first in, first out, safe to run twice."""

from __future__ import annotations

import datetime

import pytest

from shequn.points.expiry import expire_points, months_before, upcoming_expiry
from shequn.points.ledger import Draft, write_entry
from shequn.points.models import EntryReason, LedgerEntry, MemberPoints, PointSettings

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def _at(member, delta: int, reason: str, when: datetime.datetime) -> None:
    entry = write_entry(member, Draft(delta=delta, reason=reason))
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=when, occurred_at=when)


def test_months_before_clamps_to_the_month_end() -> None:
    assert months_before(datetime.datetime(2026, 3, 31, tzinfo=UTC), 1).day == 28
    assert months_before(datetime.datetime(2026, 1, 15, tzinfo=UTC), 12).year == 2025


def test_fifo_expiry_twice_is_once(org, member) -> None:
    PointSettings.objects.create(organization=org, expiry_months=12)
    now = datetime.datetime(2026, 12, 1, 12, tzinfo=UTC)
    _at(member, 100, EntryReason.AWARD, datetime.datetime(2025, 10, 1, tzinfo=UTC))
    _at(member, 50, EntryReason.AWARD, datetime.datetime(2025, 11, 20, tzinfo=UTC))
    _at(member, 40, EntryReason.AWARD, datetime.datetime(2026, 6, 1, tzinfo=UTC))
    _at(member, -120, EntryReason.REDEMPTION, datetime.datetime(2026, 7, 1, tzinfo=UTC))
    # Before 2025-12-01: 150 credited, 120 used (oldest first): 30 expire.
    assert expire_points(org, now=now) == 30
    assert expire_points(org, now=now) == 0
    assert MemberPoints.objects.get(pk=member.pk).balance == 40
    assert LedgerEntry.objects.filter(reason=EntryReason.EXPIRY).count() == 1
    # Without expiry switched on, nothing.
    PointSettings.objects.filter(organization=org).update(expiry_months=None)
    assert expire_points(org, now=now + datetime.timedelta(days=400)) == 0


def test_member_sees_what_expires_when(org, member) -> None:
    PointSettings.objects.create(organization=org, expiry_months=1)
    write_entry(member, Draft(delta=70, reason=EntryReason.AWARD))
    soon = upcoming_expiry(member, months_ahead=3)
    assert [e.points for e in soon] == [70]
