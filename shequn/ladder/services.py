"""Writes of the ladder: the organisation's rules, pinning a member's stage by hand and
removing the pin (docs/ladder.md). The computed stages are written by shequn.ladder.compute."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.core.forms import whole_numbers
from shequn.core.sqlsets import Members
from shequn.ladder.compute import compute_stages
from shequn.ladder.models import (
    PIN_REASON_MAX_LENGTH,
    LadderRules,
    MemberStage,
    Stage,
    StageTransition,
    TransitionCause,
)
from shequn.ladder.rollups import move_stage_counts
from shequn.members.models import Member

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

RULE_FIELDS = (
    "understands_min_activities",
    "understands_window_days",
    "familiar_min_member_days",
    "familiar_min_activities",
    "familiar_window_days",
    "bought_min_purchases",
    "bought_again_min_purchases",
)
# Bounds of every rule number (inclusive).
RULE_BOUNDS: dict[str, tuple[int, int]] = {
    "understands_min_activities": (1, 10_000),
    "understands_window_days": (1, 365),
    "familiar_min_member_days": (1, 3650),
    "familiar_min_activities": (1, 100_000),
    "familiar_window_days": (1, 730),
    "bought_min_purchases": (1, 1000),
    "bought_again_min_purchases": (2, 1000),
}


def can_pin(actor: OperatorScope) -> bool:
    """Organisation admins and chapter heads (for members they see) pin stages."""
    return actor.is_org_admin or actor.is_chapter_head


def save_ladder_rules(*, actor: OperatorScope, data: Mapping[str, Any]) -> LadderRules:
    """Save the organisation's ladder rules (organisation admins). The stages follow at the
    next recompute."""
    actor.require(actor.is_org_admin)
    values, errors = whole_numbers(data, RULE_BOUNDS)
    if not errors and values["bought_again_min_purchases"] <= values["bought_min_purchases"]:
        errors["bought_again_min_purchases"] = _(
            "“Bought again” needs more purchases than “bought”."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rules, _created = LadderRules.objects.select_for_update().get_or_create(
            organization=actor.organization
        )
        before = {name: getattr(rules, name) for name in RULE_FIELDS}
        for name, number in values.items():
            setattr(rules, name, number)
        rules.save()
        changes = {n: [before[n], values[n]] for n in RULE_FIELDS if before[n] != values[n]}
        if changes:
            record_audit(
                actor=actor,
                action=AuditAction.UPDATE,
                target=rules,
                changes=changes,
            )
    return rules


def _current(member: Member) -> MemberStage:
    """The member's stage row, computed now when the member was never computed."""
    row = MemberStage.objects.select_for_update().filter(member=member).first()
    if row is None:
        compute_stages(member.organization, Members(ids=(member.pk,)), timezone.now())
        row = MemberStage.objects.select_for_update().get(member=member)
        move_stage_counts(member, None, row.stage)
    return row


def pin_stage(*, actor: OperatorScope, member: Member, stage: int, reason: str) -> MemberStage:
    """Pin a member's stage by hand, with a reason; the computed stage is kept beside it."""
    actor.require(can_pin(actor))
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if stage not in Stage.values:
        errors["stage"] = _("Choose a stage of the ladder.")
    if not reason:
        errors["reason"] = _("Say why the stage is set by hand.")
    elif len(reason) > PIN_REASON_MAX_LENGTH:
        errors["reason"] = _("Keep the reason under %(n)d characters.") % {
            "n": PIN_REASON_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        row = _current(member)
        old = row.stage
        row.stage = stage
        row.pinned = True
        row.pin_reason = reason
        row.pinned_by = actor.operator
        row.pinned_at = now
        if old != stage:
            row.since = now
        row.save(update_fields=["stage", "pinned", "pin_reason", "pinned_by", "pinned_at", "since"])
        StageTransition.objects.create(
            organization_id=member.organization_id,
            member=member,
            from_stage=old,
            to_stage=stage,
            occurred_at=now,
            cause=TransitionCause.PIN,
            reason=reason,
            actor=actor.operator,
        )
        move_stage_counts(member, old, stage)
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=member,
            changes={"stage": [old, stage], "pinned": [False, True], "reason": reason},
        )
    return row


def unpin_stage(*, actor: OperatorScope, member: Member) -> MemberStage:
    """Remove a pin: the member stands on the computed stage again."""
    actor.require(can_pin(actor))
    now = timezone.now()
    with transaction.atomic():
        row = _current(member)
        if not row.pinned:
            raise ValidationError(_("This member's stage is not pinned."))
        old = row.stage
        row.stage = row.computed_stage
        row.pinned = False
        row.pin_reason = ""
        row.pinned_by = None
        row.pinned_at = None
        if old != row.stage:
            row.since = now
        row.save(update_fields=["stage", "pinned", "pin_reason", "pinned_by", "pinned_at", "since"])
        StageTransition.objects.create(
            organization_id=member.organization_id,
            member=member,
            from_stage=old,
            to_stage=row.stage,
            occurred_at=now,
            cause=TransitionCause.UNPIN,
            actor=actor.operator,
        )
        move_stage_counts(member, old, row.stage)
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=member,
            changes={"stage": [old, row.stage], "pinned": [True, False]},
        )
    return row
