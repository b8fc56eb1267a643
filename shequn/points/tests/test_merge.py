"""A merge carries the ledgers over; an unmerge splits them back exactly."""

from __future__ import annotations

import pytest

from shequn.members.merging import merge_members, unmerge
from shequn.members.tests.factories import MemberFactory
from shequn.points.ledger import Draft, write_entry
from shequn.points.models import EntryReason, LedgerEntry, MemberPoints

pytestmark = pytest.mark.django_db


def test_merge_and_unmerge_carry_the_ledger(org, org_admin, scope_of) -> None:
    a = MemberFactory(organization=org, display_name="甲")
    b = MemberFactory(organization=org, display_name="乙")
    write_entry(a, Draft(delta=30, reason=EntryReason.AWARD))
    write_entry(a, Draft(delta=-10, reason=EntryReason.REDEMPTION))
    write_entry(b, Draft(delta=100, reason=EntryReason.AWARD))
    before = {
        m.pk: sorted(LedgerEntry.objects.filter(member=m).values_list("pk", flat=True))
        for m in (a, b)
    }
    merge = merge_members(actor=scope_of(org_admin), source=a, target=b)
    assert LedgerEntry.objects.filter(member=b).count() == 3
    points = MemberPoints.objects.get(pk=b.pk)
    assert (points.balance, points.earned) == (120, 130)
    assert MemberPoints.objects.get(pk=a.pk).balance == 0
    unmerge(actor=scope_of(org_admin), merge=merge)
    after = {
        m.pk: sorted(LedgerEntry.objects.filter(member=m).values_list("pk", flat=True))
        for m in (a, b)
    }
    assert after == before
    assert MemberPoints.objects.get(pk=a.pk).balance == 20
    assert MemberPoints.objects.get(pk=b.pk).balance == 100
