"""A stateful property test: any interleaving of awards, penalties, redemptions,
cancellations, reversals and expiry keeps balance == sum(entries) and the zero rule."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from shequn.members.tests.factories import MemberFactory
from shequn.organizations.tests.factories import OrganizationFactory
from shequn.points.expiry import expire_points
from shequn.points.ledger import Draft, NotEnoughPointsError, reverse_entry, write_entry
from shequn.points.models import EntryReason, LedgerEntry, MemberPoints, PointSettings

pytestmark = pytest.mark.django_db


class Ledger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.org = OrganizationFactory()
        PointSettings.objects.create(organization=self.org, expiry_months=1)
        self.member = MemberFactory(organization=self.org)
        self.balance = 0  # the model's balance
        self.redemptions: list[int] = []
        self.last_penalty_below_zero = False

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _stored(self) -> int:
        row = MemberPoints.objects.filter(pk=self.member.pk).first()
        return row.balance if row else 0

    def _debit(self, reason: str, amount: int) -> LedgerEntry | None:
        before = LedgerEntry.objects.count()
        if self.balance < amount:
            with pytest.raises(NotEnoughPointsError):
                write_entry(self.member, Draft(delta=-amount, reason=reason))
            assert LedgerEntry.objects.count() == before  # nothing written
            return None
        entry = write_entry(self.member, Draft(delta=-amount, reason=reason))
        self.balance -= amount
        return entry

    @rule(points=st.integers(1, 200))
    def award(self, points: int) -> None:
        write_entry(self.member, Draft(delta=points, reason=EntryReason.AWARD))
        self.balance += points

    @rule(points=st.integers(1, 200))
    def penalty(self, points: int) -> None:
        write_entry(self.member, Draft(delta=-points, reason=EntryReason.PENALTY))
        self.balance -= points

    @rule(points=st.integers(1, 200))
    def redeem(self, points: int) -> None:
        entry = self._debit(EntryReason.REDEMPTION, points)
        if entry is not None:
            self.redemptions.append(entry.pk)

    @rule()
    def cancel_a_redemption(self) -> None:
        if not self.redemptions:
            return
        spent = LedgerEntry.objects.get(pk=self.redemptions.pop())
        write_entry(self.member, Draft(delta=-spent.delta, reason=EntryReason.REFUND))
        self.balance += -spent.delta

    @rule(pick=st.integers(0, 10_000))
    def reverse_one(self, pick: int) -> None:
        open_entries = list(
            LedgerEntry.objects.filter(member=self.member, reversed_by__isnull=True)
            .exclude(reason=EntryReason.REVERSAL)
            .order_by("pk")
        )
        if not open_entries:
            return
        entry = open_entries[pick % len(open_entries)]
        if entry.delta > 0 and self.balance < entry.delta:
            before = LedgerEntry.objects.count()
            with pytest.raises(NotEnoughPointsError):
                reverse_entry(entry, actor_id=None, note="x")
            assert LedgerEntry.objects.count() == before
            return
        reverse_entry(entry, actor_id=None, note="x")
        self.balance -= entry.delta
        if entry.pk in self.redemptions:
            self.redemptions.remove(entry.pk)

    @rule(days=st.integers(0, 400))
    def expire(self, days: int) -> None:
        now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
        expired = expire_points(self.org, now=now)
        assert 0 <= expired <= max(self.balance, 0)
        self.balance -= expired
        assert expire_points(self.org, now=now) == 0  # safe to run twice

    @invariant()
    def balance_is_the_sum(self) -> None:
        entries = list(
            LedgerEntry.objects.filter(member=self.member).values_list("delta", flat=True)
        )
        assert sum(entries) == self._stored() == self.balance


def test_ledger_state_machine() -> None:
    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
