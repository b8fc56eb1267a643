"""Operators' writes of points (docs/points.md): rules, settings, levels, adjustments,
reversals. Each checks the actor's rights, refuses bad input with a message and no change,
and is audited. The ledger itself is written by shequn.points.ledger."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shequn.activity.models import ActivityKind
from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.core.text import clean_name
from shequn.members.models import Member
from shequn.organizations.models import Community
from shequn.points.ledger import Draft, reverse_entry, write_entry
from shequn.points.models import (
    CUSTOM_NAME_MAX_LENGTH,
    MAX_COOLDOWN_MINUTES,
    MAX_DAILY_CAP,
    MAX_POINTS,
    NOTE_MAX_LENGTH,
    EntryReason,
    LedgerEntry,
    Level,
    PointRule,
    PointSettings,
)
from shequn.points.selectors import can_adjust_points, can_manage_points

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

MAX_RULES = 200
MAX_LEVELS = 30
# Kinds no rule may price: joining and leaving are not something to reward.
UNPRICED_KINDS = frozenset({ActivityKind.JOIN, ActivityKind.LEAVE})

# The defaults drawn from the seeds (docs/points.md): (kind, custom name, points, cap, cooldown)
DEFAULT_RULES: tuple[tuple[str, str, int, int | None, int], ...] = (
    (ActivityKind.CHECK_IN, "", 5, 5, 0),
    (ActivityKind.POST, "", 3, 15, 0),
    (ActivityKind.MESSAGE, "", 1, 10, 1),
    (ActivityKind.REPLY, "", 2, 10, 0),
    (ActivityKind.EVENT_ATTENDANCE, "", 10, None, 0),
    (ActivityKind.CUSTOM, "featured_post", 20, None, 0),
    (ActivityKind.CUSTOM, "answer", 5, 25, 0),
    (ActivityKind.CUSTOM, "camp_finished", 50, None, 0),
    (ActivityKind.CUSTOM, "violation", -20, None, 0),
)


def _number(
    errors: dict[str, str], field: str, value: Any, *, low: int, high: int, blank: bool = False
) -> int | None:
    if value in (None, "") and blank:
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = _("Enter a whole number.")
        return None
    if not low <= number <= high:
        errors[field] = _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return None
    return number


def save_rule(
    *, actor: OperatorScope, data: Mapping[str, Any], rule: PointRule | None = None
) -> PointRule:
    """Create or change a rule; `data`: kind, custom_name, points, daily_cap, cooldown_minutes,
    is_active, community (id or empty)."""
    actor.require(can_manage_points(actor))
    org = actor.organization
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "")
    if kind not in ActivityKind.values or kind in UNPRICED_KINDS:
        errors["kind"] = _("Choose an activity kind that can earn points.")
    custom = clean_name(str(data.get("custom_name") or ""))
    if kind == ActivityKind.CUSTOM and not custom:
        errors["custom_name"] = _("Name the custom activity (for example featured_post).")
    if kind != ActivityKind.CUSTOM:
        custom = ""
    if len(custom) > CUSTOM_NAME_MAX_LENGTH:
        errors["custom_name"] = _("At most %(max)s characters.") % {"max": CUSTOM_NAME_MAX_LENGTH}
    points = _number(errors, "points", data.get("points"), low=-MAX_POINTS, high=MAX_POINTS)
    if points == 0:
        errors["points"] = _("Enter a number of points other than 0.")
    cap = _number(errors, "daily_cap", data.get("daily_cap"), low=1, high=MAX_DAILY_CAP, blank=True)
    if cap is not None and points and cap < abs(points):
        errors["daily_cap"] = _("The daily cap must be at least one award.")
    cooldown = _number(
        errors,
        "cooldown_minutes",
        data.get("cooldown_minutes") or 0,
        low=0,
        high=MAX_COOLDOWN_MINUTES,
    )
    community: Community | None = None
    raw_community = data.get("community")
    if raw_community not in (None, "", 0, "0"):
        try:
            community = Community.objects.get(organization=org, pk=int(str(raw_community)))
        except (ValueError, Community.DoesNotExist):
            errors["community"] = _("Choose a community of this organisation.")
    if rule is None and PointRule.objects.filter(organization=org).count() >= MAX_RULES:
        errors["__all__"] = _("At most %(max)s rules.") % {"max": MAX_RULES}
    if errors:
        raise ValidationError(errors)
    target = rule or PointRule(organization=org)
    before = {f: getattr(target, f) for f in ("kind", "custom_name", "points", "daily_cap")}
    target.kind = kind
    target.custom_name = custom
    target.points = int(points or 0)
    target.daily_cap = cap
    target.cooldown_minutes = int(cooldown or 0)
    target.is_active = bool(data.get("is_active", True))
    target.community = community
    try:
        with transaction.atomic():
            target.save()
            record_audit(
                actor=actor,
                action=AuditAction.CREATE if rule is None else AuditAction.UPDATE,
                target=target,
                changes={"before": before, "points": target.points, "kind": kind},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"kind": _("There is a rule for this activity kind here already.")},
            code="rule_exists",
        ) from exc
    return target


def delete_rule(*, actor: OperatorScope, rule: PointRule) -> None:
    """Entries keep their points; the rule stops awarding."""
    actor.require(can_manage_points(actor))
    with transaction.atomic():
        record_audit(actor=actor, action=AuditAction.DELETE, target=rule)
        rule.delete()


def install_default_rules(organization_id: int, *, actor: OperatorScope | None = None) -> int:
    """The seeds' default rules for an organisation without any; how many were created.
    With an `actor` (an operator's button): organisation admins only, and audited."""
    if actor is not None:
        actor.require(can_manage_points(actor) and actor.organization.pk == organization_id)
    if PointRule.objects.filter(organization_id=organization_id).exists():
        return 0
    PointRule.objects.bulk_create(
        [
            PointRule(
                organization_id=organization_id,
                kind=kind,
                custom_name=name,
                points=points,
                daily_cap=cap,
                cooldown_minutes=cooldown,
            )
            for kind, name, points, cap, cooldown in DEFAULT_RULES
        ],
        ignore_conflicts=True,
    )
    if actor is not None:
        first = PointRule.objects.filter(organization_id=organization_id).order_by("pk").first()
        if first is not None:
            record_audit(
                actor=actor,
                action=AuditAction.CREATE,
                target=first,
                changes={"default_rules": len(DEFAULT_RULES)},
            )
    return len(DEFAULT_RULES)


def save_settings(*, actor: OperatorScope, data: Mapping[str, Any]) -> PointSettings:
    actor.require(can_manage_points(actor))
    errors: dict[str, str] = {}
    months = _number(
        errors, "expiry_months", data.get("expiry_months"), low=1, high=120, blank=True
    )
    referral = _number(
        errors, "referral_points", data.get("referral_points") or 0, low=0, high=MAX_POINTS
    )
    days = _number(errors, "referral_days", data.get("referral_days") or 7, low=1, high=365)
    if errors:
        raise ValidationError(errors)
    row = PointSettings.objects.filter(organization=actor.organization).first() or (
        PointSettings(organization=actor.organization)
    )
    row.expiry_months = months
    row.referral_points = int(referral or 0)
    row.referral_days = int(days or 7)
    with transaction.atomic():
        row.save()
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=row,
            changes={"expiry_months": months, "referral_points": row.referral_points},
        )
    return row


def save_levels(*, actor: OperatorScope, levels: Sequence[Mapping[str, Any]]) -> list[Level]:
    """Replace the organisation's levels: [{name, threshold, badge}], thresholds rising from
    0. Members' levels follow at their next entry (or the next recount)."""
    actor.require(can_manage_points(actor))
    errors: dict[str, str] = {}
    if not levels:
        errors["levels"] = _("Keep at least one level.")
    if len(levels) > MAX_LEVELS:
        errors["levels"] = _("At most %(max)s levels.") % {"max": MAX_LEVELS}
    cleaned: list[tuple[str, int, str]] = []
    for i, row in enumerate(levels, start=1):
        name = clean_name(str(row.get("name") or ""))
        if not name or len(name) > 30:
            errors[f"name_{i}"] = _("Level %(n)s: enter a name of at most 30 characters.") % {
                "n": i
            }
        threshold = _number(errors, f"threshold_{i}", row.get("threshold"), low=0, high=10**9)
        badge = str(row.get("badge") or "")[:8]
        cleaned.append((name, int(threshold or 0), badge))
    thresholds = [t for _n, t, _b in cleaned]
    bad_threshold = any(key.startswith("threshold_") for key in errors)
    if cleaned and thresholds[0] != 0 and not bad_threshold:
        errors["threshold_1"] = _("The first level starts at 0 points.")
    if not bad_threshold and any(b <= a for a, b in itertools.pairwise(thresholds)):
        errors["levels"] = _("Each level needs more points than the one before.")
    if errors:
        raise ValidationError(errors)
    org = actor.organization
    with transaction.atomic():
        from shequn.points.models import MemberPoints

        MemberPoints.objects.filter(organization=org).update(level=None)
        Level.objects.filter(organization=org).delete()
        made = Level.objects.bulk_create(
            [
                Level(organization=org, number=i, name=n, threshold=t, badge=b)
                for i, (n, t, b) in enumerate(cleaned, start=1)
            ]
        )
        _relevel(org.pk)
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=made[0],
            changes={"levels": [f"{n} ≥ {t}" for n, t, _b in cleaned]},
        )
    return made


def _relevel(organization_id: int) -> None:
    """Every member's level from their earnings (after the levels changed): no LevelChange."""
    from shequn.core.sqlsets import execute

    execute(
        """
        UPDATE points_memberpoints SET level_id = (
          SELECT l.id FROM points_level l WHERE l.organization_id = %s
            AND l.threshold <= points_memberpoints.earned ORDER BY l.threshold DESC LIMIT 1)
        WHERE points_memberpoints.organization_id = %s
        """,
        [organization_id, organization_id],
    )


def adjust_points(
    *, actor: OperatorScope, member: Member, points: Any, note: str, penalty: bool = False
) -> LedgerEntry:
    """An operator's adjustment (or penalty) with a required reason; audited."""
    actor.require(can_adjust_points(actor))
    errors: dict[str, str] = {}
    delta = _number(errors, "points", points, low=-MAX_POINTS, high=MAX_POINTS)
    if delta == 0:
        errors["points"] = _("Enter a number of points other than 0.")
    if penalty and delta is not None and delta > 0:
        delta = -delta
    text = clean_name(str(note or ""))
    if not text:
        errors["note"] = _("Give a reason.")
    elif len(text) > NOTE_MAX_LENGTH:
        errors["note"] = _("At most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        entry = write_entry(
            member,
            Draft(
                delta=int(delta or 0),
                reason=EntryReason.PENALTY if penalty else EntryReason.ADJUSTMENT,
                note=text,
                actor_id=actor.user.pk,
            ),
        )
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=entry,
            changes={"member": member.pk, "points": entry.delta, "note": text},
            chapter_id=member.chapter_id,
        )
    return entry


def reverse(*, actor: OperatorScope, entry: LedgerEntry, note: str) -> LedgerEntry:
    """Reverse a ledger entry with a reason; audited."""
    actor.require(can_adjust_points(actor))
    text = clean_name(str(note or ""))
    if not text:
        raise ValidationError({"note": _("Give a reason.")})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": _("At most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}})
    with transaction.atomic():
        reversal = reverse_entry(entry, actor_id=actor.user.pk, note=text)
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=reversal,
            changes={"reverses": entry.pk, "points": reversal.delta, "note": text},
        )
    return reversal


def mark_level_changes_seen(*, member: Member, change_ids: Sequence[int]) -> int:
    """The member saw these level changes on their page; how many were marked."""
    from django.utils import timezone

    from shequn.points.models import LevelChange

    return LevelChange.objects.filter(
        member_id=member.pk, pk__in=list(change_ids), seen_at__isnull=True
    ).update(seen_at=timezone.now())
