"""The ledger: the zero rule, reversals, adjustments, balances under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from shequn.audit.models import AuditEntry
from shequn.points import services
from shequn.points.ledger import Draft, NotEnoughPointsError, write_entry
from shequn.points.models import EntryReason, LedgerEntry, LevelChange, MemberPoints

pytestmark = pytest.mark.django_db


def _sum(member) -> int:
    return sum(LedgerEntry.objects.filter(member=member).values_list("delta", flat=True))


def test_zero_rule_and_reversal(member) -> None:
    write_entry(member, Draft(delta=30, reason=EntryReason.AWARD))
    with pytest.raises(NotEnoughPointsError):
        write_entry(member, Draft(delta=-31, reason=EntryReason.REDEMPTION))
    assert (MemberPoints.objects.get(pk=member.pk).balance, _sum(member)) == (30, 30)
    spend = write_entry(member, Draft(delta=-25, reason=EntryReason.REDEMPTION))
    award = LedgerEntry.objects.get(reason=EntryReason.AWARD)
    from shequn.points.ledger import reverse_entry

    # Reversing the award would leave −25: refused, nothing written.
    with pytest.raises(NotEnoughPointsError):
        reverse_entry(award, actor_id=None, note="错发")
    assert LedgerEntry.objects.count() == 2
    reverse_entry(spend, actor_id=None, note="退回")
    reversal = reverse_entry(award, actor_id=None, note="错发")
    assert reversal.delta == -30
    assert reversal.earning
    with pytest.raises(ValidationError):
        reverse_entry(award, actor_id=None, note="again")
    with pytest.raises(ValidationError):
        reverse_entry(reversal, actor_id=None, note="undo")
    points = MemberPoints.objects.get(pk=member.pk)
    assert (points.balance, points.earned, _sum(member)) == (0, 0, 0)
    # A penalty may go below zero.
    write_entry(member, Draft(delta=-5, reason=EntryReason.PENALTY))
    assert MemberPoints.objects.get(pk=member.pk).balance == -5


def test_adjustment_needs_a_reason_rights_and_is_audited(
    org_admin, chapter_head, assistant, member, other_member, scope_of
) -> None:
    admin = scope_of(org_admin)
    with pytest.raises(ValidationError) as caught:
        services.adjust_points(actor=admin, member=member, points="abc", note="")
    assert set(caught.value.message_dict) == {"points", "note"}
    with pytest.raises(PermissionDenied):
        services.adjust_points(actor=scope_of(assistant), member=member, points=5, note="x")
    assert LedgerEntry.objects.count() == 0
    entry = services.adjust_points(
        actor=scope_of(chapter_head), member=member, points=60, note="活动奖励"
    )
    assert (entry.delta, entry.reason, entry.note) == (60, "adjustment", "活动奖励")
    assert (
        AuditEntry.objects.filter(object_type="ledgerentry", object_id=str(entry.pk)).count() == 1
    )
    # 60 earned: level 2 (≥ 50) reached, kept as a change.
    points = MemberPoints.objects.select_related("level").get(pk=member.pk)
    assert points.level is not None
    assert (points.balance, points.earned, points.level.number) == (60, 60, 2)
    assert list(LevelChange.objects.values_list("from_number", "to_number")) == [(None, 2)]
    with pytest.raises(NotEnoughPointsError):
        services.adjust_points(actor=admin, member=member, points=-61, note="扣减")
    services.adjust_points(actor=admin, member=member, points=-61, note="违规", penalty=True)
    assert MemberPoints.objects.get(pk=member.pk).balance == -1


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_overdraw(member) -> None:
    write_entry(member, Draft(delta=50, reason=EntryReason.AWARD))
    outcomes: list[str] = []

    def spend() -> None:
        try:
            write_entry(member, Draft(delta=-10, reason=EntryReason.REDEMPTION))
            outcomes.append("ok")
        except NotEnoughPointsError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 5 + ["refused"] * 7
    assert MemberPoints.objects.get(pk=member.pk).balance == 0
    assert _sum(member) == 0
