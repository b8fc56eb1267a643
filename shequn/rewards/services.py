"""Writes of rewards (docs/rewards.md): the catalogue, coupon codes, the atomic redemption,
fulfilment and cancellation. Operator actions are audited."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.services import record_audit
from shequn.members.models import Member
from shequn.organizations.models import Community
from shequn.points.ledger import Draft, NotEnoughPointsError, lock_points, write_entry
from shequn.points.models import EntryReason
from shequn.rewards import selectors
from shequn.rewards.models import (
    CODE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_CODES_PER_UPLOAD,
    MAX_COST,
    MAX_STOCK,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    CouponCode,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardKind,
)

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

FIELDS = (
    "name",
    "description",
    "community_id",
    "cost",
    "stock",
    "per_member_limit",
    "min_level",
    "available_from",
    "available_until",
    "is_active",
)


def _check_reward_data(actor: OperatorScope, data: Mapping[str, Any], kind: str) -> None:
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [_("A name has at most %(n)s characters.") % {"n": NAME_MAX_LENGTH}]
    if len(str(data.get("description") or "")) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = [
            _("A description has at most %(n)s characters.") % {"n": DESCRIPTION_MAX_LENGTH}
        ]
    cost = data.get("cost")
    if not isinstance(cost, int) or cost < 1 or cost > MAX_COST:
        errors["cost"] = [_("Enter a cost from 1 to %(max)s points.") % {"max": MAX_COST}]
    stock = data.get("stock")
    if kind != RewardKind.COUPON and stock is not None and (stock < 0 or stock > MAX_STOCK):
        errors["stock"] = [
            _("Enter a stock from 0 to %(max)s, or leave it empty.") % {"max": MAX_STOCK}
        ]
    for key in ("per_member_limit", "min_level"):
        value = data.get(key)
        if value is not None and (value < 1 or value > MAX_STOCK):
            errors[key] = [
                _("Enter a number from 1 to %(max)s, or leave it empty.") % {"max": MAX_STOCK}
            ]
    start, end = data.get("available_from"), data.get("available_until")
    if start and end and end <= start:
        errors["available_until"] = [_("The end of the availability must be after its start.")]
    community_id = data.get("community_id")
    if (
        community_id is not None
        and not Community.objects.filter(
            pk=community_id, organization_id=actor.organization.pk
        ).exists()
    ):
        errors["community_id"] = [_("Choose a community of this organisation.")]
    if kind not in RewardKind.values:
        errors["kind"] = [_("Choose a kind of reward.")]
    if errors:
        raise ValidationError(errors)


def create_reward(*, actor: OperatorScope, kind: str, data: Mapping[str, Any]) -> Reward:
    actor.require(selectors.can_manage_rewards(actor))
    _check_reward_data(actor, data, kind)
    values = {key: data.get(key) for key in FIELDS if key in data}
    values["name"] = str(values["name"]).strip()
    values["description"] = values.get("description") or ""
    if kind == RewardKind.COUPON:
        values["stock"] = 0  # the free codes, added by add_codes
    values.setdefault("is_active", True)
    with transaction.atomic():
        reward = Reward.objects.create(organization_id=actor.organization.pk, kind=kind, **values)
        record_audit(
            actor=actor,
            action="reward.create",
            target=reward,
            changes={"name": reward.name, "kind": kind, "cost": reward.cost},
        )
    return reward


def update_reward(*, actor: OperatorScope, reward: Reward, data: Mapping[str, Any]) -> Reward:
    """Change the fields in `data` (a coupon reward's stock is its free codes: not set here)."""
    actor.require(selectors.can_manage_rewards(actor))
    data = {key: value for key, value in data.items() if key in FIELDS}
    if reward.is_coupon:
        data.pop("stock", None)
    merged = {key: getattr(reward, key) for key in FIELDS} | data
    _check_reward_data(actor, merged, reward.kind)
    if "name" in data:
        data["name"] = str(data["name"]).strip()
    with transaction.atomic():
        locked = Reward.objects.select_for_update().get(pk=reward.pk)
        changes = {key: value for key, value in data.items() if getattr(locked, key) != value}
        for key, value in changes.items():
            setattr(locked, key, value)
        if changes:
            locked.save()
            record_audit(
                actor=actor,
                action="reward.update",
                target=locked,
                changes={k: str(v) if v is not None else None for k, v in changes.items()},
            )
    return locked


def set_active(*, actor: OperatorScope, reward: Reward, active: bool) -> Reward:
    return update_reward(actor=actor, reward=reward, data={"is_active": active})


def parse_codes(text: str) -> list[str]:
    """The codes of an upload (one per line), or a ValidationError naming each bad line."""
    codes: list[str] = []
    seen: dict[str, int] = {}
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.strip()
        if not code:
            continue
        if len(code) > CODE_MAX_LENGTH:
            errors.append(
                _("Line %(line)s: a code has at most %(n)s characters.")
                % {"line": number, "n": CODE_MAX_LENGTH}
            )
        elif any(ch.isspace() for ch in code):
            errors.append(_("Line %(line)s: a code has no spaces.") % {"line": number})
        elif code in seen:
            errors.append(
                _("Line %(line)s: %(code)s is already on line %(first)s.")
                % {"line": number, "code": code, "first": seen[code]}
            )
        else:
            seen[code] = number
            codes.append(code)
    if errors:
        raise ValidationError(errors[:20], code="bad_codes")
    if not codes:
        raise ValidationError(_("Enter at least one code, one per line."), code="no_codes")
    if len(codes) > MAX_CODES_PER_UPLOAD:
        raise ValidationError(
            _("Upload at most %(n)s codes at a time.") % {"n": MAX_CODES_PER_UPLOAD},
            code="too_many_codes",
        )
    return codes


def add_codes(*, actor: OperatorScope, reward: Reward, text: str) -> int:
    """Add the codes of `text` to a coupon reward (all or none); how many were added."""
    actor.require(selectors.can_manage_rewards(actor))
    if not reward.is_coupon:
        raise ValidationError(_("Codes are for coupon rewards only."), code="not_coupon")
    codes = parse_codes(text)
    with transaction.atomic():
        locked = Reward.objects.select_for_update().get(pk=reward.pk)
        existing = set(
            CouponCode.objects.filter(reward=locked, code__in=codes).values_list("code", flat=True)
        )
        if existing:
            raise ValidationError(
                [
                    _("The code %(code)s is already in this reward.") % {"code": code}
                    for code in sorted(existing)[:20]
                ],
                code="duplicate_codes",
            )
        CouponCode.objects.bulk_create([CouponCode(reward=locked, code=code) for code in codes])
        Reward.objects.filter(pk=locked.pk).update(stock=F("stock") + len(codes))
        record_audit(
            actor=actor, action="reward.codes_add", target=locked, changes={"added": len(codes)}
        )
    return len(codes)


# --- redeeming ----------------------------------------------------------------------------------


def _refuse(check: selectors.Check) -> ValidationError:
    return ValidationError(check.reason, code=check.code)


def redeem(
    *,
    member: Member,
    reward: Reward,
    request_key: str = "",
    now: datetime.datetime | None = None,
) -> Redemption:
    """The member spends the reward's cost on it, in one transaction: never oversold, never
    double-spent; a refusal (ValidationError with a code) changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Reward.objects.select_for_update().get(pk=reward.pk)
        if locked.organization_id != member.organization_id:
            raise ValidationError(_("This reward is not available at this time."))
        if request_key:
            same = Redemption.objects.filter(member=member, request_key=request_key).first()
            if same is not None:
                return same  # the same form posted twice
        points = lock_points(member)
        level = points.level.number if points.level else 0
        taken = (
            Redemption.objects.filter(member=member, reward=locked)
            .exclude(status=RedemptionStatus.CANCELLED)
            .count()
        )
        check = selectors.check_redeem(
            locked, balance=points.balance, level=level, taken=taken, now=now
        )
        if not check.ok and check.code != "not_enough_points":
            raise _refuse(check)
        serial = Redemption.objects.filter(member=member, reward=locked).count() + 1
        debit = write_entry(
            member,
            Draft(
                delta=-locked.cost,
                reason=EntryReason.REDEMPTION,
                community_id=locked.community_id,
                note=locked.name[:200],
                source_key=f"redeem:{locked.pk}:{member.pk}:{serial}",
            ),
        )  # NotEnoughPointsError by the zero rule
        if locked.stock is not None:
            taken_one = Reward.objects.filter(pk=locked.pk, stock__gt=0).update(
                stock=F("stock") - 1
            )
            if not taken_one:
                raise ValidationError(_("This reward is out of stock."), code="out_of_stock")
        code = None
        if locked.is_coupon:
            free = CouponCode.objects.filter(reward=locked, spent=False).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                free = free.select_for_update(skip_locked=True)
            else:
                free = free.select_for_update()
            code = free.first()
            if code is None:
                raise ValidationError(_("This reward is out of stock."), code="out_of_stock")
        redemption = Redemption.objects.create(
            organization_id=member.organization_id,
            reward=locked,
            member=member,
            cost=locked.cost,
            debit=debit,
            request_key=request_key[:40],
            status=RedemptionStatus.FULFILLED if code else RedemptionStatus.REQUESTED,
            fulfilled_at=now if code else None,
        )
        if code is not None:
            taken_code = CouponCode.objects.filter(pk=code.pk, spent=False).update(
                spent=True, redemption=redemption
            )
            if not taken_code:
                raise ValidationError(_("This reward is out of stock."), code="out_of_stock")
    return redemption


def mark_shown(redemption: Redemption) -> None:
    """The member saw their coupon code: from now on it is never given again."""
    CouponCode.objects.filter(redemption=redemption, shown_at__isnull=True).update(
        shown_at=timezone.now()
    )


# --- fulfilment ---------------------------------------------------------------------------------


def _check_note(note: str, *, required: bool) -> str:
    note = note.strip()
    if required and not note:
        raise ValidationError({"note": [_("Enter a note or a tracking number.")]})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"note": [_("A note has at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}]}
        )
    return note


def fulfil(*, actor: OperatorScope, redemption: Redemption, note: str) -> Redemption:
    """Requested → fulfilled, with a note or a tracking number."""
    actor.require(selectors.can_fulfil(actor))
    note = _check_note(note, required=True)
    with transaction.atomic():
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if locked.status != RedemptionStatus.REQUESTED:
            raise ValidationError(
                _("Only a requested redemption can be fulfilled."), code="not_requested"
            )
        locked.status = RedemptionStatus.FULFILLED
        locked.note = note
        locked.fulfilled_at = timezone.now()
        locked.handled_by_id = actor.operator.user_id
        locked.save(update_fields=["status", "note", "fulfilled_at", "handled_by"])
        record_audit(
            actor=actor,
            action="redemption.fulfil",
            target=locked,
            changes={"status": locked.status, "note": note},
        )
    return locked


def cancel(*, actor: OperatorScope, redemption: Redemption, note: str) -> Redemption:
    """Requested (or a coupon's fulfilled) → cancelled: the points come back (a refund entry),
    the stock too; a coupon code already shown to the member is not given again."""
    actor.require(selectors.can_fulfil(actor))
    note = _check_note(note, required=False)
    with transaction.atomic():
        reward = Reward.objects.select_for_update().get(pk=redemption.reward_id)
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if locked.status == RedemptionStatus.CANCELLED or (
            locked.status == RedemptionStatus.FULFILLED and not reward.is_coupon
        ):
            raise ValidationError(
                _("Only a requested redemption can be cancelled."), code="not_requested"
            )
        member = Member.objects.get(pk=locked.member_id)
        refund = write_entry(
            member,
            Draft(
                delta=locked.cost,
                reason=EntryReason.REFUND,
                community_id=reward.community_id,
                note=(note or reward.name)[:200],
                actor_id=actor.operator.user_id,
                source_key=f"refund:{locked.pk}",
            ),
        )
        code_back = False
        if reward.is_coupon:
            code_back = bool(
                CouponCode.objects.filter(redemption=locked, shown_at__isnull=True).update(
                    spent=False, redemption=None
                )
            )
        if reward.stock is not None and (code_back or not reward.is_coupon):
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + 1)
        locked.status = RedemptionStatus.CANCELLED
        locked.note = note
        locked.refund = refund
        locked.cancelled_at = timezone.now()
        locked.handled_by_id = actor.operator.user_id
        locked.save(update_fields=["status", "note", "refund", "cancelled_at", "handled_by"])
        record_audit(
            actor=actor,
            action="redemption.cancel",
            target=locked,
            changes={"status": locked.status, "note": note, "refund": locked.cost},
        )
    return locked


__all__ = ["NotEnoughPointsError", "add_codes", "cancel", "create_reward", "fulfil", "redeem"]
