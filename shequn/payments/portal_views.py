"""Member pages of payments (/c/…): checkout, an order and how to pay it, my orders, renew.

Plain forms and redirects (WeChat's browser, no JavaScript needed but for WeChat Pay's JSAPI
sheet). Only an order's member sees it: anybody else gets a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequn.core.ratelimit import RateLimitedError, rate_limit_post, rate_limited_page
from shequn.invitations.selectors import get_session_invite_link
from shequn.members.models import Member
from shequn.members.selectors import get_member_for_account, get_visitor_membership
from shequn.organizations.models import Community
from shequn.organizations.selectors import get_public_community
from shequn.payments import selectors, services
from shequn.payments.models import OrderKind, OrderStatus, PaymentProvider
from shequn.payments.providers import get_provider
from shequn.portal.ratelimit import over_account_limit


def _member_for(request: HttpRequest, community: Community | None) -> Member | HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    if member is None or (community and member.organization_id != community.organization_id):
        return render(
            request,
            "payments/portal/unavailable.html",
            {
                "community": community,
                "reason": _("This account is not a member of this organisation."),
            },
            status=403,
        )
    return member


def _provider_choices() -> list[tuple[str, str]]:
    labels = dict(PaymentProvider.choices)
    return [(name, str(labels[name])) for name in services.enabled_providers()]


@require_http_methods(["GET", "POST"])
@rate_limit_post("pay")
def checkout(request: HttpRequest, org_slug: str, slug: str) -> HttpResponse:
    community = get_public_community(org_slug=org_slug, slug=slug)
    member = _member_for(request, community)
    if isinstance(member, HttpResponse):
        return member
    quote = selectors.get_price_quote(community)
    price = selectors.get_community_price(community)
    membership = get_visitor_membership(member=member, community=community)
    renewing = membership is not None and membership.status == "active"
    context: dict[str, Any] = {
        "community": community,
        "member": member,
        "quote": selectors.quote_renewal(price) if renewing and price else quote,
        "renewing": renewing,
        "term": selectors.get_current_term(member=member, community=community),
        "open_order": selectors.get_open_order(member=member, community=community),
        "providers": _provider_choices(),
    }
    if quote is None:
        context["reason"] = _("This community takes no payments now.")
        return render(request, "payments/portal/unavailable.html", context)
    if renewing and not quote.term_days:
        context["reason"] = _("You are already a member of this community.")
        return render(request, "payments/portal/unavailable.html", context)
    if request.method == "POST":
        wait = over_account_limit("pay", member)
        if wait is not None:
            return rate_limited_page(request, RateLimitedError(wait))
        enabled = services.enabled_providers()
        provider = request.POST.get("provider", "")[:20] or (enabled[0] if enabled else "")
        try:
            order = services.create_order(
                member=member,
                community=community,
                kind=OrderKind.RENEWAL if renewing else OrderKind.JOIN,
                provider=provider,
                invite_link=None if renewing else get_session_invite_link(request, community),
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
            return render(request, "payments/portal/checkout.html", context, status=422)
        return redirect("payments_portal:order", number=order.number)
    return render(request, "payments/portal/checkout.html", context)


@require_GET
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    member = _member_for(request, None)
    if isinstance(member, HttpResponse):
        return member
    order = selectors.get_own_order(member=member, number=number)
    pay = None
    if order.status == OrderStatus.PENDING and order.provider:
        pay = get_provider(order.provider).start(order, request)
    return render(
        request,
        "payments/portal/order.html",
        {"order": order, "community": order.community, "pay": pay, "member": member},
    )


@require_POST
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    member = _member_for(request, None)
    if isinstance(member, HttpResponse):
        return member
    order = selectors.get_own_order(member=member, number=number)
    try:
        services.cancel_order(order=order, member=member)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The order is cancelled."))
    return redirect("payments_portal:order", number=order.number)


@require_GET
def my_orders(request: HttpRequest) -> HttpResponse:
    member = _member_for(request, None)
    if isinstance(member, HttpResponse):
        return member
    orders = selectors.list_own_orders(member=member)
    return render(request, "payments/portal/my_orders.html", {"orders": orders, "member": member})
