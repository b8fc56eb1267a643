"""API v1 of payments: prices, orders, payment notifications, and the two notify endpoints.

Operators' tokens: reads in scope (assistants read the orders of their communities); writes
need an organisation admin or the chapter head of the community (403 otherwise). The notify
endpoints take no token: the provider's signature is the authentication (docs/payments.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.core.idempotency import idempotency_key, idempotency_openapi
from shequn.core.problems import problem_responses
from shequn.core.schemas import (
    ApiDatetime,
    InputSchema,
    ObjectId,
    PageMeta,
    PageParams,
    PathId,
    paginate,
)
from shequn.members.models import Member
from shequn.organizations.selectors import get_community_for_user
from shequn.payments import selectors, services
from shequn.payments.models import (
    MAX_PRICE_FEN,
    NotificationStatus,
    OrderKind,
    OrderStatus,
    PaymentProvider,
    PriceLabel,
)
from shequn.payments.notify import receive_notification

router = Router(tags=["payments"])


class PriceIn(InputSchema):
    price_fen: int = Field(ge=1, le=MAX_PRICE_FEN)
    early_bird_price_fen: int | None = Field(None, ge=1, le=MAX_PRICE_FEN)
    early_bird_days: int | None = Field(None, ge=1, le=services.MAX_DAYS)
    early_bird_seats: int | None = Field(None, ge=1, le=services.MAX_SEATS)
    launched_at: ApiDatetime | None = None
    term_days: int | None = Field(None, ge=1, le=services.MAX_DAYS)
    renewal_price_fen: int | None = Field(None, ge=1, le=MAX_PRICE_FEN)
    reminder_days: int = Field(14, ge=0, le=365)


class QuoteOut(Schema):
    amount_fen: int
    regular_fen: int
    label: PriceLabel
    early_bird_ends_at: datetime | None
    early_bird_seats_left: int | None
    term_days: int | None


class PriceOut(Schema):
    community_id: int
    price_fen: int
    early_bird_price_fen: int | None
    early_bird_days: int | None
    early_bird_seats: int | None
    launched_at: datetime | None
    term_days: int | None
    renewal_price_fen: int | None
    reminder_days: int
    paid_join_count: int
    quote: QuoteOut | None = Field(description="What joining costs now.")


class OrderOut(Schema):
    id: int
    number: str
    community_id: int
    member_id: int
    kind: OrderKind
    status: OrderStatus
    amount_fen: int
    price_label: PriceLabel
    term_days: int | None
    provider: str
    provider_reference: str
    expires_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    refunded_at: datetime | None
    needs_operator: bool
    note: str
    created_at: datetime


class OrderPage(PageMeta):
    items: list[OrderOut]


class OrderFilters(Schema):
    community_id: ObjectId | None = None
    member_id: ObjectId | None = None
    status: OrderStatus | None = None
    provider: PaymentProvider | None = None


class OrderIn(InputSchema):
    member_id: ObjectId
    community_id: ObjectId
    kind: OrderKind = OrderKind.JOIN
    provider: PaymentProvider = PaymentProvider.MANUAL


class MarkPaidIn(InputSchema):
    reference: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(ge=0, le=MAX_PRICE_FEN)


class RefundIn(InputSchema):
    reason: str = Field(min_length=1, max_length=200)


class NotificationOut(Schema):
    id: int
    provider: str
    received_at: datetime
    remote_addr: str
    event_id: str
    transaction_id: str
    order_id: int | None
    amount_fen: int | None
    status: NotificationStatus
    reason: str
    resolved_at: datetime | None
    resolution: str


class NotificationDetailOut(NotificationOut):
    headers: dict[str, Any]
    body: str


class NotificationPage(PageMeta):
    items: list[NotificationOut]


class NotificationFilters(Schema):
    status: NotificationStatus | None = None


class ResolveIn(InputSchema):
    resolution: str = Field(min_length=1, max_length=2000)


def _price_out(community: Any) -> dict[str, Any]:
    price = selectors.get_community_price(community)
    if price is None:
        raise Http404(_("This community has no price."))
    quote = selectors.get_price_quote(community)
    data = {name: getattr(price, name) for name in services.PRICE_FIELDS}
    return data | {
        "community_id": community.pk,
        "paid_join_count": price.paid_join_count,
        "quote": quote.__dict__ if quote else None,
    }


@router.get(
    "/communities/{community_id}/price",
    response=PriceOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def get_price(request: HttpRequest, community_id: PathId) -> dict[str, Any]:
    """A paid community's price, its rules and today's quote."""
    community = get_community_for_user(actor=actor_of(request), community_id=community_id)
    return _price_out(community)


@router.put(
    "/communities/{community_id}/price",
    response=PriceOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def put_price(request: HttpRequest, community_id: PathId, payload: PriceIn) -> dict[str, Any]:
    """Set the price (fen). Orders already made keep their amount."""
    actor = actor_of(request)
    community = get_community_for_user(actor=actor, community_id=community_id)
    services.save_community_price(actor=actor, community=community, data=payload.dict())
    return _price_out(community)


@router.get("/orders", response=OrderPage, openapi_extra=problem_responses(403, 422))
def list_orders(
    request: HttpRequest, filters: Query[OrderFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Orders of the token's communities, newest first."""
    orders = selectors.list_orders(
        actor=actor_of(request),
        community_id=filters.community_id,
        member_id=filters.member_id,
        status=filters.status or "",
        provider=filters.provider or "",
    )
    return paginate(orders, page)


@router.post(
    "/orders",
    response={200: OrderOut, 201: OrderOut},
    openapi_extra={**problem_responses(403, 404, 422), **idempotency_openapi("order")},
)
def create_order(request: HttpRequest, payload: OrderIn) -> Any:
    """An order for a member at today's price (a pending one of the same kind is returned)."""
    actor = actor_of(request)
    key = idempotency_key(request)
    community = get_community_for_user(actor=actor, community_id=payload.community_id)
    actor.require(selectors.can_manage_payments(actor, community))
    member = Member.objects.filter(
        organization_id=actor.organization.pk, pk=payload.member_id, merged_into=None
    ).first()
    if member is None:
        raise Http404(_("No such member."))
    opened = services.open_order(
        member=member,
        community=community,
        kind=payload.kind,
        provider=payload.provider,
        idempotency_key=key,
    )
    return Status(201 if opened.created else 200, opened.order)


@router.get("/orders/{order_id}", response=OrderOut, openapi_extra=problem_responses(403, 404, 422))
def get_order(request: HttpRequest, order_id: PathId) -> Any:
    return selectors.get_order_for_user(actor=actor_of(request), order_id=order_id)


@router.post(
    "/orders/{order_id}/mark-paid",
    response=OrderOut,
    openapi_extra=problem_responses(403, 404, 409, 422),
)
def mark_paid(request: HttpRequest, order_id: PathId, payload: MarkPaidIn) -> Any:
    """Record a bank transfer (or any payment outside shequn) with its reference."""
    actor = actor_of(request)
    order = selectors.get_order_for_user(actor=actor, order_id=order_id)
    try:
        payment = services.mark_order_paid(
            order=order,
            provider=order.provider or PaymentProvider.MANUAL,
            reference=payload.reference,
            amount_fen=payload.amount_fen,
            actor=actor,
        )
    except services.OrderNotPayableError as exc:
        raise ValidationError(
            _("This order is %(status)s: it cannot be paid.")
            % {"status": exc.order.get_status_display()}
        ) from exc
    return payment.order


@router.post(
    "/orders/{order_id}/cancel", response=OrderOut, openapi_extra=problem_responses(403, 404, 422)
)
def cancel_order(request: HttpRequest, order_id: PathId) -> Any:
    actor = actor_of(request)
    order = selectors.get_order_for_user(actor=actor, order_id=order_id)
    return services.cancel_order(order=order, actor=actor)


@router.post(
    "/orders/{order_id}/refund", response=OrderOut, openapi_extra=problem_responses(403, 404, 422)
)
def refund_order(request: HttpRequest, order_id: PathId, payload: RefundIn) -> Any:
    """Record a refund made outside shequn: the term ends and the member is removed."""
    actor = actor_of(request)
    order = selectors.get_order_for_user(actor=actor, order_id=order_id)
    return services.refund_order(actor=actor, order=order, reason=payload.reason)


@router.get(
    "/payment-notifications", response=NotificationPage, openapi_extra=problem_responses(403, 422)
)
def list_notifications(
    request: HttpRequest, filters: Query[NotificationFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Notifications received, newest first (`?status=flagged`: those waiting for an operator)."""
    rows = selectors.list_notifications(actor=actor_of(request), status=filters.status or "")
    return paginate(rows, page)


@router.get(
    "/payment-notifications/{notification_id}",
    response=NotificationDetailOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def get_notification(request: HttpRequest, notification_id: PathId) -> Any:
    return selectors.get_notification_for_user(
        actor=actor_of(request), notification_id=notification_id
    )


@router.post(
    "/payment-notifications/{notification_id}/resolve",
    response=NotificationDetailOut,
    openapi_extra=problem_responses(403, 404, 422),
)
def resolve_notification(request: HttpRequest, notification_id: PathId, payload: ResolveIn) -> Any:
    actor = actor_of(request)
    row = selectors.get_notification_for_user(actor=actor, notification_id=notification_id)
    return services.resolve_notification(
        actor=actor, notification=row, resolution=payload.resolution
    )


# What a notification may be answered (docs/payments.md, "Failure handling"): refused with 4xx.
# The provider's own answer format (WeChat Pay: {"code": "FAIL", "message": …}), not a Problem.
NOTIFY_ERRORS: dict[str, Any] = {
    "responses": {
        status: {
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
        for status, description in (
            (200, "Received (paid, already paid, or kept for an operator)."),
            (400, "Malformed notification."),
            (401, "Bad signature or stale timestamp."),
            (404, "Unknown order, or this provider is not configured."),
            (409, "Replayed notification id."),
            (413, "The request body is too large."),
            (422, "Wrong amount, merchant or state."),
        )
    }
}


@router.post("/payments/wechatpay/notify", auth=None, openapi_extra=NOTIFY_ERRORS)
def wechatpay_notify(request: HttpRequest) -> HttpResponse:
    """WeChat Pay's payment notification (signed by WeChat Pay; no token)."""
    return receive_notification(request, PaymentProvider.WECHAT_PAY)


@router.post("/payments/webhook/notify", auth=None, openapi_extra=NOTIFY_ERRORS)
def webhook_notify(request: HttpRequest) -> HttpResponse:
    """The generic signed webhook (docs/payments.md, "Webhook signing"; no token)."""
    return receive_notification(request, PaymentProvider.WEBHOOK)
