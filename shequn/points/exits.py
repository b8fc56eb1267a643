"""The exit rule (docs/points.md, "Exit rule"): members below a balance or a level for a
number of days are flagged for a removal review; an operator confirms (the member is removed
from their communities with the reason) or dismisses it (the count starts again).

`flag_exit_reviews` runs daily (a member is "below" from the first daily check that finds
them below; a check that finds them above clears it). Only members with an active
membership are flagged; one open review per member at a time.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.core.text import clean_name
from shequn.members.models import Membership, MembershipStatus
from shequn.organizations.models import Organization
from shequn.points.models import (
    NOTE_MAX_LENGTH,
    ExitReview,
    ExitReviewStatus,
    MemberPoints,
    PointSettings,
)

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope


def _below(row: PointSettings) -> Q:
    below = Q()
    if row.exit_below_points is not None:
        below |= Q(balance__lt=row.exit_below_points)
    if row.exit_below_level is not None:
        below |= Q(level__isnull=True) | Q(level__number__lt=row.exit_below_level)
    return below


def flag_exit_reviews(organization: Organization, *, now: datetime.datetime | None = None) -> int:
    """The daily check; how many members were flagged."""
    row = PointSettings.objects.filter(organization=organization).first()
    if row is None or (row.exit_below_points is None and row.exit_below_level is None):
        return 0
    now = now or timezone.now()
    active = Membership.objects.filter(
        member_id=OuterRef("member_id"), status=MembershipStatus.ACTIVE
    )
    # Every member with an active membership has a points row (0 points before the first).
    members = (
        Membership.objects.filter(
            community__organization=organization, status=MembershipStatus.ACTIVE
        )
        .values_list("member_id", flat=True)
        .distinct()
    )
    MemberPoints.objects.bulk_create(
        [MemberPoints(member_id=m, organization=organization) for m in members.iterator()],
        ignore_conflicts=True,
        batch_size=2000,
    )
    rows = MemberPoints.objects.filter(organization=organization)
    below = _below(row)
    rows.filter(below, below_since__isnull=True).update(below_since=now)
    rows.filter(~below, below_since__isnull=False).update(below_since=None)
    due = (
        rows.filter(below, below_since__lte=now - datetime.timedelta(days=row.exit_after_days))
        .filter(Exists(active))
        .exclude(member__exit_reviews__status=ExitReviewStatus.OPEN)
        .select_related("level")
    )
    made = 0
    for points in due.iterator(chunk_size=500):
        level = points.level.number if points.level else 0
        reason = _("Below the exit line since %(since)s: %(balance)s points, level %(level)s.") % {
            "since": timezone.localtime(points.below_since).date().isoformat()
            if points.below_since
            else "",
            "balance": points.balance,
            "level": level,
        }
        _created, made_now = _open_review(organization, points.member_id, reason, now)
        made += made_now
    return made


def _open_review(
    organization: Organization, member_id: int, reason: str, now: datetime.datetime
) -> tuple[ExitReview | None, int]:
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            review = ExitReview.objects.create(
                organization=organization, member_id=member_id, reason=reason, flagged_at=now
            )
    except IntegrityError:  # one is open already
        return None, 0
    return review, 1


def _decide(review: ExitReview, note: str) -> tuple[ExitReview, str]:
    text = clean_name(str(note or ""))
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": _("At most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}})
    locked = ExitReview.objects.select_for_update().get(pk=review.pk)
    if locked.status != ExitReviewStatus.OPEN:
        raise ValidationError(_("This review is already decided."), code="review_decided")
    return locked, text


def confirm_exit(*, actor: OperatorScope, review: ExitReview, note: str = "") -> ExitReview:
    """Remove the member from every community the actor runs, with the review's reason."""
    from shequn.joining.services import remove_member

    actor.require(actor.is_org_admin or actor.is_chapter_head)
    with transaction.atomic():
        review, text = _decide(review, note)
        reason = text or review.reason
        for membership in Membership.objects.filter(
            member_id=review.member_id, status=MembershipStatus.ACTIVE
        ).select_related("community"):
            if actor.can_manage_chapter(membership.community.chapter_id):
                remove_member(actor=actor, membership=membership, reason=reason)
        review.status = ExitReviewStatus.CONFIRMED
        review.decided_at = timezone.now()
        review.decided_by_id = actor.user.pk
        review.note = text
        review.save(update_fields=["status", "decided_at", "decided_by", "note"])
        record_audit(
            actor=actor, action=AuditAction.UPDATE, target=review, changes={"status": "confirmed"}
        )
    return review


def dismiss_exit(*, actor: OperatorScope, review: ExitReview, note: str = "") -> ExitReview:
    """Keep the member; the count of days below starts again."""
    actor.require(actor.is_org_admin or actor.is_chapter_head)
    with transaction.atomic():
        review, text = _decide(review, note)
        now = timezone.now()
        review.status = ExitReviewStatus.DISMISSED
        review.decided_at = now
        review.decided_by_id = actor.user.pk
        review.note = text
        review.save(update_fields=["status", "decided_at", "decided_by", "note"])
        MemberPoints.objects.filter(pk=review.member_id, below_since__isnull=False).update(
            below_since=now
        )
        record_audit(
            actor=actor, action=AuditAction.UPDATE, target=review, changes={"status": "dismissed"}
        )
    return review
