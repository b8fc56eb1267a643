"""Console pages of payments: orders (filters, paid total), an order's actions, notifications
(those flagged for an operator in a block above) and their resolution, and a paid community's
price (docs/payments.md)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.forms import add_service_errors
from shequn.core.pagination import get_window
from shequn.organizations.selectors import get_community_for_user
from shequn.payments import selectors, services
from shequn.payments.forms import MarkPaidForm, OrderFilterForm, PriceForm, RefundForm, ResolveForm
from shequn.payments.models import NotificationStatus, PaymentProvider
from shequn.payments.services import PRICE_FIELDS

PER_PAGE = 25
FLAGGED_SHOWN = 20


@operator_required
@require_GET
def order_list(request: OperatorRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    orders = selectors.list_orders(actor=request.operator_scope, **form.filters())
    page = get_window(orders, page=request.GET.get("page"), per_page=PER_PAGE)
    paid_total = selectors.sum_paid(actor=request.operator_scope, **form.filters())
    context = {"form": form, "page": page, "paid_total": paid_total}
    return render(request, "payments/order_list.html", context)


def _order_context(request: OperatorRequest, order_id: int) -> dict[str, object]:
    actor = request.operator_scope
    order = selectors.get_order_for_user(actor=actor, order_id=order_id)
    return {
        "order": order,
        "can_manage": selectors.can_manage_payments(actor, order.community),
        "paid_form": MarkPaidForm(initial={"amount_fen": order.amount_fen}),
        "refund_form": RefundForm(),
        "resolve_form": ResolveForm(),
        "notifications": list(order.notifications.order_by("-received_at")[:20]),
    }


@operator_required
@require_GET
def order_detail(request: OperatorRequest, order_id: int) -> HttpResponse:
    return render(request, "payments/order_detail.html", _order_context(request, order_id))


@operator_required
@require_POST
def order_mark_paid(request: OperatorRequest, order_id: int) -> HttpResponse:
    context = _order_context(request, order_id)
    form = MarkPaidForm(request.POST)
    context["paid_form"] = form
    if form.is_valid():
        order = context["order"]
        try:
            services.mark_order_paid(
                order=order,  # type: ignore[arg-type]
                provider=PaymentProvider.MANUAL,
                reference=form.cleaned_data["reference"],
                amount_fen=form.cleaned_data["amount_fen"],
                actor=request.operator_scope,
            )
        except services.OrderNotPayableError:
            form.add_error(None, _("This order can no longer be paid."))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The order is marked as paid."))
            return redirect("payments:order_detail", order_id=order_id)
    return render(request, "payments/order_detail.html", context, status=422)


@operator_required
@require_POST
def order_cancel(request: OperatorRequest, order_id: int) -> HttpResponse:
    order = selectors.get_order_for_user(actor=request.operator_scope, order_id=order_id)
    try:
        services.cancel_order(order=order, actor=request.operator_scope)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The order is cancelled."))
    return redirect("payments:order_detail", order_id=order_id)


@operator_required
@require_POST
def order_resolve(request: OperatorRequest, order_id: int) -> HttpResponse:
    context = _order_context(request, order_id)
    form = ResolveForm(request.POST)
    context["resolve_form"] = form
    if form.is_valid():
        try:
            services.resolve_order(
                actor=request.operator_scope,
                order=context["order"],  # type: ignore[arg-type]
                resolution=form.cleaned_data["resolution"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The order no longer needs an operator."))
            return redirect("payments:order_detail", order_id=order_id)
    return render(request, "payments/order_detail.html", context, status=422)


@operator_required
@require_POST
def order_refund(request: OperatorRequest, order_id: int) -> HttpResponse:
    context = _order_context(request, order_id)
    form = RefundForm(request.POST)
    context["refund_form"] = form
    if form.is_valid():
        try:
            services.refund_order(
                actor=request.operator_scope,
                order=context["order"],  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The refund is recorded."))
            return redirect("payments:order_detail", order_id=order_id)
    return render(request, "payments/order_detail.html", context, status=422)


@operator_required
@require_GET
def notification_list(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    rows = selectors.list_notifications(actor=actor)
    page = get_window(rows, page=request.GET.get("page"), per_page=PER_PAGE)
    # Those waiting for an operator, above the list (on its index: status, newest first).
    flagged = list(
        selectors.list_notifications(actor=actor, status=NotificationStatus.FLAGGED)[
            : FLAGGED_SHOWN + 1
        ]
    )
    context = {
        "page": page,
        "flagged": flagged[:FLAGGED_SHOWN],
        "more_flagged": len(flagged) > FLAGGED_SHOWN,
    }
    return render(request, "payments/notification_list.html", context)


@operator_required
@require_http_methods(["GET", "POST"])
def notification_detail(request: OperatorRequest, notification_id: int) -> HttpResponse:
    actor = request.operator_scope
    row = selectors.get_notification_for_user(actor=actor, notification_id=notification_id)
    form = ResolveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resolve_notification(
                actor=actor, notification=row, resolution=form.cleaned_data["resolution"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The notification is resolved."))
            return redirect("payments:notification_detail", notification_id=row.pk)
    status = 422 if form.is_bound else 200
    return render(
        request, "payments/notification_detail.html", {"n": row, "form": form}, status=status
    )


@operator_required
@require_http_methods(["GET", "POST"])
def price_settings(request: OperatorRequest, community_id: int) -> HttpResponse:
    actor = request.operator_scope
    community = get_community_for_user(actor=actor, community_id=community_id)
    actor.require(selectors.can_manage_payments(actor, community))
    price = selectors.get_community_price(community)
    initial = {name: getattr(price, name) for name in PRICE_FIELDS} if price else None
    form = PriceForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_community_price(actor=actor, community=community, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The price is saved. Existing orders keep their amount."))
            return redirect("payments:price", community_id=community.pk)
    context = {
        "community": community,
        "form": form,
        "quote": selectors.get_price_quote(community),
        "price": price,
    }
    return render(request, "payments/price.html", context, status=422 if form.errors else 200)
