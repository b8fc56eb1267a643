"""The exit rule: flagged after the days below, confirmed (removed) or dismissed."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequn.members.models import Membership, MembershipStatus
from shequn.points.exits import confirm_exit, dismiss_exit, flag_exit_reviews
from shequn.points.ledger import Draft, write_entry
from shequn.points.models import EntryReason, ExitReview, ExitReviewStatus, PointSettings
from shequn.profiles.tests.helpers import at

pytestmark = pytest.mark.django_db


def test_flag_confirm_and_dismiss(
    org, community, member, other_member, org_admin, assistant, scope_of
) -> None:
    PointSettings.objects.create(organization=org, exit_below_points=10, exit_after_days=30)
    write_entry(other_member, Draft(delta=50, reason=EntryReason.AWARD))
    day0 = at("2026-10-01")
    assert flag_exit_reviews(org, now=day0) == 0  # member below from today
    assert flag_exit_reviews(org, now=day0 + datetime.timedelta(days=29)) == 0
    assert flag_exit_reviews(org, now=day0 + datetime.timedelta(days=30)) == 1
    assert flag_exit_reviews(org, now=day0 + datetime.timedelta(days=31)) == 0  # one open
    review = ExitReview.objects.get()
    assert review.member_id == member.pk
    with pytest.raises(PermissionDenied):
        confirm_exit(actor=scope_of(assistant), review=review)
    assert Membership.objects.get(member=member).status == MembershipStatus.ACTIVE
    dismiss_exit(actor=scope_of(org_admin), review=review, note="新人，再观察")
    with pytest.raises(ValidationError):
        confirm_exit(actor=scope_of(org_admin), review=review)
    # Dismissed: the count starts again from the dismissal.
    later = day0 + datetime.timedelta(days=40)
    assert flag_exit_reviews(org, now=later) == 0
    assert not ExitReview.objects.filter(status=ExitReviewStatus.OPEN).exists()
    dismissed_at = ExitReview.objects.get().decided_at
    assert dismissed_at is not None
    assert flag_exit_reviews(org, now=timezone.now() + datetime.timedelta(days=31)) == 1
    second = ExitReview.objects.get(status=ExitReviewStatus.OPEN)
    confirm_exit(actor=scope_of(org_admin), review=second)
    membership = Membership.objects.get(member=member)
    assert membership.status == MembershipStatus.REMOVED
    assert ExitReview.objects.get(pk=second.pk).status == ExitReviewStatus.CONFIRMED
    # A member above the line (50 points) was never flagged.
    assert not ExitReview.objects.filter(member=other_member).exists()
