"""Writes of payments: prices, orders, paying (every provider ends in `mark_order_paid`),
refunds, notifications, renewal reminders and term expiry (docs/payments.md)."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.activity.services import record_app_activity
from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.joining.admission import admit_member, check_can_enter
from shequn.joining.rules import get_join_policy
from shequn.members.models import Member, Membership, MembershipSource, MembershipStatus
from shequn.members.services import end_membership
from shequn.organizations.models import Community, CommunityAccess
from shequn.payments.models import (
    MAX_PRICE_FEN,
    CommunityPrice,
    MembershipTerm,
    NotificationStatus,
    Order,
    OrderKind,
    OrderStatus,
    PaymentNotification,
    PaymentProvider,
)
from shequn.payments.selectors import quote_price, quote_renewal

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.invitations.models import InviteLink

PRICE_FIELDS = (
    "price_fen",
    "early_bird_price_fen",
    "early_bird_days",
    "early_bird_seats",
    "launched_at",
    "term_days",
    "renewal_price_fen",
    "reminder_days",
)
MAX_DAYS = 3650
MAX_SEATS = 1_000_000
TERM_ENDED_REASON = "term ended"


def pay_minutes() -> int:
    return int(getattr(settings, "SHEQUN_ORDER_PAY_MINUTES", 30))


def _check_price_data(data: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    price = data.get("price_fen")
    if not isinstance(price, int) or not 1 <= price <= MAX_PRICE_FEN:
        errors["price_fen"] = _("Enter a price between ¥0.01 and ¥1,000,000.")
    early = data.get("early_bird_price_fen")
    if early is not None:
        if not isinstance(early, int) or early < 1 or (isinstance(price, int) and early >= price):
            errors["early_bird_price_fen"] = _("The early-bird price must be below the price.")
        if data.get("early_bird_days") is None and data.get("early_bird_seats") is None:
            errors["early_bird_days"] = _(
                "Say how long the early-bird price lasts: days, seats or both."
            )
    renewal = data.get("renewal_price_fen")
    if renewal is not None and not 0 < renewal <= MAX_PRICE_FEN:
        errors["renewal_price_fen"] = _("Enter a price between ¥0.01 and ¥1,000,000.")
    for name, top in (
        ("early_bird_days", MAX_DAYS),
        ("term_days", MAX_DAYS),
        ("reminder_days", 365),
        ("early_bird_seats", MAX_SEATS),
    ):
        value = data.get(name)
        low = 0 if name == "reminder_days" else 1
        if value is not None and not low <= value <= top:
            errors[name] = _("Enter a number between %(low)d and %(top)d.") % {
                "low": low,
                "top": top,
            }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_community_price(
    *, actor: OperatorScope, community: Community, data: Mapping[str, Any]
) -> CommunityPrice:
    """Set a paid community's price (fen) and its early-bird, term and renewal rules.

    Existing orders keep the amount they were made with.
    """
    actor.require(actor.can_manage_chapter(community.chapter_id))
    if community.access != CommunityAccess.PAID:
        raise ValidationError(_("Only a paid community has a price."), code="not_paid")
    values = {name: data.get(name) for name in PRICE_FIELDS}
    if values["reminder_days"] is None:
        values["reminder_days"] = 14
    _check_price_data(values)
    price = CommunityPrice.objects.select_for_update().filter(community_id=community.pk).first()
    before: dict[str, Any] = {}
    if price is None:
        price = CommunityPrice(community=community, **values)
        price.save()
        action = AuditAction.CREATE
    else:
        before = {name: getattr(price, name) for name in PRICE_FIELDS}
        for name, value in values.items():
            setattr(price, name, value)
        price.save(update_fields=[*PRICE_FIELDS, "updated_at"])
        action = AuditAction.UPDATE
    changes = {
        name: [before.get(name), value]
        for name, value in values.items()
        if before.get(name) != value
    }
    record_audit(
        actor=actor,
        action=action,
        target=price,
        changes=changes,
        chapter_id=community.chapter_id,
        community_id=community.pk,
        organization_id=community.organization_id,
    )
    return price


def new_order_number(now: datetime.datetime) -> str:
    """A merchant order number: SQ, the time, 8 random hex digits (24 characters)."""
    return f"SQ{now:%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def _check_application(member: Member, community: Community) -> None:
    if not get_join_policy(community).paid_requires_application:
        return
    from shequn.applications.selectors import has_approved_application

    if not has_approved_application(member=member, community=community):
        raise ValidationError(
            _("This community asks for an approved application before you pay."),
            code="application_required",
        )


def _check_renewal(member: Member, community: Community) -> None:
    active = Membership.objects.filter(
        member_id=member.pk, community_id=community.pk, status=MembershipStatus.ACTIVE
    ).exists()
    if not active:
        raise ValidationError(_("Only a member of this community can renew."), code="not_member")


def _existing_order(*, member: Member, community: Community, kind: str, key: str) -> Order | None:
    if key:
        by_key = Order.objects.filter(member_id=member.pk, idempotency_key=key).first()
        if by_key is not None:
            return by_key
    return Order.objects.filter(
        member_id=member.pk, community_id=community.pk, kind=kind, status=OrderStatus.PENDING
    ).first()


def create_order(
    *,
    member: Member,
    community: Community,
    kind: str,
    provider: str,
    idempotency_key: str = "",
    invite_link: InviteLink | None = None,
    now: datetime.datetime | None = None,
) -> Order:
    """An order to join or renew at today's price, or the member's pending one (a second tap,
    a retried request with the same Idempotency-Key). The amount is fixed now."""
    return open_order(
        member=member,
        community=community,
        kind=kind,
        provider=provider,
        idempotency_key=idempotency_key,
        invite_link=invite_link,
        now=now,
    ).order


@dataclass(frozen=True)
class OpenedOrder:
    order: Order
    created: bool


def open_order(
    *,
    member: Member,
    community: Community,
    kind: str,
    provider: str,
    idempotency_key: str = "",
    invite_link: InviteLink | None = None,
    now: datetime.datetime | None = None,
) -> OpenedOrder:
    """`create_order`, saying whether the order is new."""
    if kind not in OrderKind.values:
        raise ValidationError({"kind": _("Unknown order kind.")})
    if provider not in enabled_providers():
        raise ValidationError({"provider": _("This payment method is not available.")})
    if len(idempotency_key) > 64:
        raise ValidationError({"idempotency_key": _("The idempotency key is too long.")})
    existing = _existing_order(member=member, community=community, kind=kind, key=idempotency_key)
    if existing is not None:
        return OpenedOrder(existing, created=False)
    if community.access != CommunityAccess.PAID:
        raise ValidationError(_("This community is not a paid community."), code="not_paid")
    if kind == OrderKind.JOIN:
        check_can_enter(member, community)
        _check_application(member, community)
    else:
        _check_renewal(member, community)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            price = (
                CommunityPrice.objects.select_for_update().filter(community_id=community.pk).first()
            )
            if price is None:
                raise ValidationError(
                    _("This community has no price yet; try again later."), code="no_price"
                )
            if kind == OrderKind.RENEWAL and price.term_days is None:
                raise ValidationError(
                    _("A membership of this community does not end: there is nothing to renew."),
                    code="no_term",
                )
            quote = (
                quote_price(price, community=community, now=now)
                if kind == OrderKind.JOIN
                else quote_renewal(price)
            )
            order = Order.objects.create(
                organization_id=community.organization_id,
                community=community,
                member=member,
                number=new_order_number(now),
                kind=kind,
                amount_fen=quote.amount_fen,
                price_label=quote.label,
                term_days=quote.term_days,
                provider=provider,
                invite_link=invite_link if kind == OrderKind.JOIN else None,
                idempotency_key=idempotency_key,
                expires_at=now + datetime.timedelta(minutes=pay_minutes()),
            )
            return OpenedOrder(order, created=True)
    except IntegrityError:  # a concurrent tap made it
        existing = _existing_order(
            member=member, community=community, kind=kind, key=idempotency_key
        )
        if existing is None:
            raise
        return OpenedOrder(existing, created=False)


def enabled_providers() -> list[str]:
    names = getattr(settings, "SHEQUN_PAYMENT_PROVIDERS", [PaymentProvider.MANUAL])
    return [name for name in names if name in PaymentProvider.values]


class OrderNotPayableError(Exception):
    """The order is cancelled, expired or refunded: a payment for it needs an operator."""

    def __init__(self, order: Order) -> None:
        super().__init__(order.number)
        self.order = order


@dataclass(frozen=True)
class Payment:
    """What `mark_order_paid` did: `newly_paid` False when the order was already paid."""

    order: Order
    newly_paid: bool


def _term_start(order: Order, now: datetime.datetime) -> datetime.datetime:
    if order.kind != OrderKind.RENEWAL:
        return now
    last = (
        MembershipTerm.objects.filter(member_id=order.member_id, community_id=order.community_id)
        .exclude(order_id=order.pk)
        .order_by(F("ends_at").desc(nulls_first=True))
        .first()
    )
    if last is None or last.ends_at is None or last.ends_at < now:
        return now
    return last.ends_at


def _admit(order: Order) -> str:
    """Admit the payer of a JOIN order; the refusal's message when that is impossible."""
    try:
        with transaction.atomic():
            admission = admit_member(
                member=order.member,
                community=order.community,
                source=MembershipSource.PAYMENT,
                invite_link=order.invite_link,
                via_order=True,
                via_application=True,
                properties={"order": order.pk},
            )
    except ValidationError as exc:
        return "; ".join(str(m) for m in exc.messages)
    if not admission.joined:
        return _("Paid, but the community is full: the member is on its waitlist.")
    return ""


@transaction.atomic
def mark_order_paid(
    *,
    order: Order,
    provider: str,
    reference: str,
    amount_fen: int,
    actor: OperatorScope | None = None,
    now: datetime.datetime | None = None,
) -> Payment:
    """Record that an order was paid: the one service every provider ends in.

    Idempotent (a second notification pays once). Raises ValidationError on a wrong amount,
    OrderNotPayableError for a cancelled, expired or refunded order. A JOIN admits the member;
    if that fails the payment still stands and the order is flagged for an operator.
    """
    if actor is not None:
        actor.require(actor.can_manage_chapter(order.community.chapter_id))
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("community__organization", "member", "invite_link")
        .get(pk=order.pk)
    )
    if order.status == OrderStatus.PAID:
        return Payment(order=order, newly_paid=False)
    if order.status != OrderStatus.PENDING:
        raise OrderNotPayableError(order)
    if amount_fen != order.amount_fen:
        raise ValidationError(
            {"amount_fen": _("The amount paid does not match the order.")}, code="amount_mismatch"
        )
    reference = reference.strip()
    if not reference or len(reference) > 64:
        raise ValidationError({"reference": _("Enter the payment's reference (≤ 64 characters).")})
    now = now or timezone.now()
    order.status, order.paid_at, order.provider = OrderStatus.PAID, now, provider
    order.provider_reference = reference
    order.marked_by_id = actor.user.pk if actor else None
    fields = ["status", "paid_at", "provider", "provider_reference", "marked_by", "updated_at"]
    joined = int(order.kind == OrderKind.JOIN)
    CommunityPrice.objects.filter(community_id=order.community_id).update(
        paid_join_count=F("paid_join_count") + joined,
        paid_total_fen=F("paid_total_fen") + order.amount_fen,
    )
    if order.kind == OrderKind.JOIN:
        problem = _admit(order)
        if problem:
            order.needs_operator = True
            order.note = (order.note + "\n" + problem).strip()
            fields += ["needs_operator", "note"]
    order.save(update_fields=fields)
    starts = _term_start(order, now)
    MembershipTerm.objects.create(
        organization_id=order.organization_id,
        community_id=order.community_id,
        member_id=order.member_id,
        order=order,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(days=order.term_days) if order.term_days else None,
    )
    record_app_activity(
        organization=order.community.organization,
        member=order.member,
        community=order.community,
        kind="purchase",
        event_id=f"order:{order.pk}:paid",
        at=now,
        properties={"order": order.pk, "amount_fen": order.amount_fen, "kind": order.kind},
    )
    _audit(
        actor, order, {"status": [OrderStatus.PENDING, OrderStatus.PAID], "reference": reference}
    )
    return Payment(order=order, newly_paid=True)


def _audit(actor: OperatorScope | None, order: Order, changes: dict[str, Any]) -> None:
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=order,
        changes=changes,
        chapter_id=order.community.chapter_id,
        community_id=order.community_id,
        organization_id=order.organization_id,
    )


@transaction.atomic
def cancel_order(
    *, order: Order, actor: OperatorScope | None = None, member: Member | None = None
) -> Order:
    """Cancel a pending order (its member, or an operator)."""
    if actor is not None:
        actor.require(actor.can_manage_chapter(order.community.chapter_id))
    elif member is None or member.pk != order.member_id:
        raise ValidationError(_("Only the order's member or an operator can cancel it."))
    order = (
        Order.objects.select_for_update(of=("self",)).select_related("community").get(pk=order.pk)
    )
    if order.status != OrderStatus.PENDING:
        raise ValidationError(_("Only an order waiting for payment can be cancelled."))
    order.status, order.cancelled_at = OrderStatus.CANCELLED, timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    _audit(actor, order, {"status": [OrderStatus.PENDING, OrderStatus.CANCELLED]})
    return order


@transaction.atomic
def resolve_order(*, actor: OperatorScope, order: Order, resolution: str) -> Order:
    """An operator dealt with a paid order that needs one (the payer could not be admitted):
    the flag goes, the note says what was done; audit-logged."""
    actor.require(actor.can_manage_chapter(order.community.chapter_id))
    resolution = resolution.strip()
    if not resolution or len(resolution) > 2000:
        raise ValidationError({"resolution": _("Say what was done (≤ 2000 characters).")})
    order = (
        Order.objects.select_for_update(of=("self",)).select_related("community").get(pk=order.pk)
    )
    if not order.needs_operator:
        raise ValidationError(_("This order does not need an operator."), code="not_flagged")
    order.needs_operator = False
    order.note = (order.note + "\n" + _("Resolved: %(text)s") % {"text": resolution}).strip()
    order.save(update_fields=["needs_operator", "note", "updated_at"])
    _audit(actor, order, {"needs_operator": [True, False], "resolution": resolution})
    return order


@transaction.atomic
def refund_order(*, actor: OperatorScope, order: Order, reason: str) -> Order:
    """Record a refund (paid outside: the bank or the gateway's merchant console).

    The order's term ends now and, for a joining order, the member is removed with the reason.
    """
    actor.require(actor.can_manage_chapter(order.community.chapter_id))
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise ValidationError({"reason": _("Give a reason (≤ 200 characters).")})
    order = (
        Order.objects.select_for_update(of=("self",)).select_related("community").get(pk=order.pk)
    )
    if order.status != OrderStatus.PAID:
        raise ValidationError(_("Only a paid order can be refunded."))
    now = timezone.now()
    order.status, order.refunded_at = OrderStatus.REFUNDED, now
    order.note = (order.note + "\n" + _("Refunded: %(reason)s") % {"reason": reason}).strip()
    order.save(update_fields=["status", "refunded_at", "note", "updated_at"])
    CommunityPrice.objects.filter(community_id=order.community_id).update(
        paid_total_fen=Greatest(F("paid_total_fen") - order.amount_fen, 0)
    )
    MembershipTerm.objects.filter(order_id=order.pk).update(ends_at=now, expired_at=now)
    if order.kind == OrderKind.JOIN:
        membership = Membership.objects.filter(
            member_id=order.member_id,
            community_id=order.community_id,
            status=MembershipStatus.ACTIVE,
        ).first()
        if membership is not None:
            end_membership(
                actor=actor, membership=membership, status=MembershipStatus.REMOVED, reason=reason
            )
    _audit(actor, order, {"status": [OrderStatus.PAID, OrderStatus.REFUNDED], "reason": reason})
    return order


def expire_pending_orders(*, now: datetime.datetime | None = None) -> int:
    """Expire every pending order past its pay-by time (one conditional UPDATE: safe twice)."""
    now = now or timezone.now()
    return Order.objects.filter(status=OrderStatus.PENDING, expires_at__lte=now).update(
        status=OrderStatus.EXPIRED, updated_at=now
    )


# Notifications --------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationOutcome:
    notification: PaymentNotification
    http_status: int


def store_notification(**fields: Any) -> PaymentNotification:
    """Keep a notification row in its own transaction (a refusal is kept too)."""
    with transaction.atomic():
        return PaymentNotification.objects.create(**fields)


def _refuse(raw: dict[str, Any], status: int, reason: str, **extra: Any) -> NotificationOutcome:
    row = store_notification(**raw, **extra, status=NotificationStatus.REJECTED, reason=reason)
    return NotificationOutcome(row, status)


def handle_paid_notification(
    *,
    raw: dict[str, Any],
    event_id: str,
    order_number: str,
    amount_fen: int,
    reference: str,
) -> NotificationOutcome:
    """Apply a verified "paid" notification: pay the order once, flag one that can't be paid.

    `raw`: provider, remote_addr, headers, body. A replayed id (409), an unknown order or a
    wrong amount (422) is refused and changes nothing but its kept row.
    """
    base = {"event_id": event_id[:128], "transaction_id": reference[:64], "amount_fen": amount_fen}
    order = Order.objects.select_related("community").filter(number=order_number[:32]).first()
    if order is None:
        return _refuse(raw, 422, "unknown order", **base)
    base["organization_id"] = order.organization_id
    if order.amount_fen != amount_fen:
        return _refuse(raw, 422, "amount mismatch", **base, order=order)
    if (
        event_id
        and PaymentNotification.objects.filter(provider=raw["provider"], event_id=event_id[:128])
        .exclude(status=NotificationStatus.REJECTED)
        .exists()
    ):
        return _refuse(raw, 409, "replayed notification id", **base, order=order)
    try:
        with transaction.atomic():
            row = PaymentNotification.objects.create(
                **raw, **base, order=order, status=NotificationStatus.ACCEPTED
            )
            try:
                payment = mark_order_paid(
                    order=order,
                    provider=raw["provider"],
                    reference=reference,
                    amount_fen=amount_fen,
                )
            except OrderNotPayableError as exc:
                row.status = NotificationStatus.FLAGGED
                row.reason = f"order is {exc.order.status}"
                row.save(update_fields=["status", "reason"])
                return NotificationOutcome(row, 200)
            if not payment.newly_paid:
                row.status, row.reason = NotificationStatus.DUPLICATE, "already paid"
                row.save(update_fields=["status", "reason"])
            return NotificationOutcome(row, 200)
    except IntegrityError:  # the same id, concurrently
        return _refuse(raw, 409, "replayed notification id", **base, order=order)
    except ValidationError as exc:
        return _refuse(raw, 422, "; ".join(exc.messages)[:200], **base, order=order)


@transaction.atomic
def resolve_notification(
    *, actor: OperatorScope, notification: PaymentNotification, resolution: str
) -> PaymentNotification:
    """An operator's note on a flagged notification (admitted by hand, refunded outside…)."""
    if not actor.is_org_admin and not actor.is_chapter_head:
        actor.require(False)
    resolution = resolution.strip()
    if not resolution or len(resolution) > 2000:
        raise ValidationError({"resolution": _("Say what was done (≤ 2000 characters).")})
    row = PaymentNotification.objects.select_for_update().get(pk=notification.pk)
    if row.status != NotificationStatus.FLAGGED:
        raise ValidationError(_("Only a flagged notification can be resolved."))
    row.status, row.resolution = NotificationStatus.RESOLVED, resolution
    row.resolved_at, row.resolved_by_id = timezone.now(), actor.user.pk
    row.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=row,
        changes={"status": [NotificationStatus.FLAGGED, NotificationStatus.RESOLVED]},
        organization_id=row.organization_id or actor.organization.pk,
    )
    return row


# Terms: reminders and expiry ------------------------------------------------------------


def _later_term(term: MembershipTerm) -> Q:
    return Q(member_id=term.member_id, community_id=term.community_id) & (
        Q(ends_at__isnull=True) | Q(ends_at__gt=term.ends_at)
    )


def remind_term(*, term_id: int, now: datetime.datetime | None = None, site_url: str = "") -> bool:
    """Send the renewal reminder of one term, once (a conditional UPDATE claims it)."""
    now = now or timezone.now()
    claimed = MembershipTerm.objects.filter(pk=term_id, reminded_at__isnull=True).update(
        reminded_at=now
    )
    if not claimed:
        return False
    term = MembershipTerm.objects.select_related("member", "community__organization").get(
        pk=term_id
    )
    if term.member.email:
        from django.urls import reverse

        link = (site_url or getattr(settings, "SHEQUN_SITE_URL", "")).rstrip("/") + reverse(
            "payments_portal:checkout",
            kwargs={"org_slug": term.community.organization.slug, "slug": term.community.slug},
        )
        ends = timezone.localtime(term.ends_at).date() if term.ends_at else ""
        send_mail(
            _("Your membership of %(community)s ends on %(date)s")
            % {"community": term.community.name, "date": ends},
            _("Renew here: %(link)s") % {"link": link},
            None,
            [term.member.email],
        )
    return True


def list_terms_to_remind(*, now: datetime.datetime, limit: int = 500) -> list[int]:
    """Terms ending within their community's reminder days, not reminded, not renewed."""
    ids = []
    terms = (
        MembershipTerm.objects.filter(
            ends_at__isnull=False,
            ends_at__gt=now,
            reminded_at__isnull=True,
            expired_at__isnull=True,
        )
        .select_related("community__price")
        .order_by("ends_at")[:limit]
    )
    for term in terms:
        price = getattr(term.community, "price", None)
        days = price.reminder_days if price is not None else 14
        assert term.ends_at is not None
        if term.ends_at - datetime.timedelta(days=days) > now:
            continue
        if MembershipTerm.objects.filter(_later_term(term)).exclude(pk=term.pk).exists():
            continue
        ids.append(term.pk)
    return ids


def expire_term(*, term_id: int, now: datetime.datetime | None = None) -> bool:
    """End the membership whose last term ran out: LEFT, reason "term ended", may rejoin."""
    now = now or timezone.now()
    with transaction.atomic():
        term = MembershipTerm.objects.select_for_update().get(pk=term_id)
        if term.expired_at is not None or term.ends_at is None or term.ends_at > now:
            return False
        term.expired_at = now
        term.save(update_fields=["expired_at"])
        if MembershipTerm.objects.filter(_later_term(term)).exclude(pk=term.pk).exists():
            return False  # renewed: the next term goes on
        membership = Membership.objects.filter(
            member_id=term.member_id,
            community_id=term.community_id,
            status=MembershipStatus.ACTIVE,
        ).first()
        if membership is None:
            return False
        end_membership(
            actor=None,
            membership=membership,
            status=MembershipStatus.LEFT,
            reason=TERM_ENDED_REASON,
        )
        Membership.objects.filter(pk=membership.pk).update(rejoin_allowed=True)
    return True


def list_terms_to_expire(*, now: datetime.datetime, limit: int = 500) -> list[int]:
    return list(
        MembershipTerm.objects.filter(ends_at__lte=now, expired_at__isnull=True)
        .order_by("ends_at")
        .values_list("pk", flat=True)[:limit]
    )
