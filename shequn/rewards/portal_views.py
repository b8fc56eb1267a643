"""Member pages of rewards (/c/me/<org_slug>/rewards/…): the shop, an item with the redeem
button (a POST, confirmed), my redemptions with their coupon codes and tracking numbers.

Plain forms and redirects (WeChat's browser). Anonymous visitors are sent to sign in; accounts
that are not a member of the organisation get a 403 page.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequn.members.models import Member
from shequn.members.selectors import get_member_for_account
from shequn.points.selectors import points_of
from shequn.rewards import selectors, services
from shequn.rewards.models import Reward


def _member_for(request: HttpRequest, org_slug: str) -> Member | HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=reverse("portal:login"))
    member = get_member_for_account(request.user)
    if member is None:
        return render(
            request,
            "rewards/portal/unavailable.html",
            {"reason": _("This account is not a member of this organisation.")},
            status=403,
        )
    if member.organization.slug != org_slug:
        raise Http404
    return member


def _item(member: Member, reward: Reward) -> dict[str, object]:
    points = points_of(member)
    taken = selectors.taken_by(member, [reward.pk]).get(reward.pk, 0)
    level = points.level.number if points.level else 0
    check = selectors.check_redeem(reward, balance=points.balance, level=level, taken=taken)
    return {"reward": reward, "check": check, "taken": taken}


@require_GET
def shop(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = _member_for(request, org_slug)
    if isinstance(member, HttpResponse):
        return member
    points = points_of(member)
    level = points.level.number if points.level else 0
    rewards = list(selectors.shop_rewards(member.organization))
    taken = selectors.taken_by(member, [r.pk for r in rewards])
    items = [
        {
            "reward": r,
            "check": selectors.check_redeem(
                r, balance=points.balance, level=level, taken=taken.get(r.pk, 0)
            ),
        }
        for r in rewards
    ]
    context = {"member": member, "points": points, "items": items, "org_slug": org_slug}
    return render(request, "rewards/portal/shop.html", context)


@require_GET
def item(request: HttpRequest, org_slug: str, reward_id: int) -> HttpResponse:
    member = _member_for(request, org_slug)
    if isinstance(member, HttpResponse):
        return member
    reward = selectors.get_shop_reward(organization=member.organization, reward_id=reward_id)
    context = _item(member, reward) | {
        "member": member,
        "points": points_of(member),
        "org_slug": org_slug,
        "key": secrets.token_urlsafe(16),
    }
    return render(request, "rewards/portal/item.html", context)


@require_POST
def redeem(request: HttpRequest, org_slug: str, reward_id: int) -> HttpResponse:
    """Without `confirm=yes`: the confirmation page. With it: redeem, then my redemptions."""
    member = _member_for(request, org_slug)
    if isinstance(member, HttpResponse):
        return member
    reward = selectors.get_shop_reward(organization=member.organization, reward_id=reward_id)
    key = request.POST.get("key", "")[:40] or secrets.token_urlsafe(16)
    context = _item(member, reward) | {
        "member": member,
        "points": points_of(member),
        "org_slug": org_slug,
        "key": key,
    }
    if request.POST.get("confirm") != "yes":
        return render(request, "rewards/portal/confirm.html", context)
    try:
        redemption = services.redeem(member=member, reward=reward, request_key=key)
    except ValidationError as exc:
        context["errors"] = exc.messages
        return render(request, "rewards/portal/item.html", context, status=422)
    if redemption.status == "fulfilled":
        messages.success(request, _("Redeemed: your coupon code is below."))
    else:
        messages.success(request, _("Redeemed: we will get in touch to deliver it."))
    return redirect("rewards_portal:mine", org_slug=org_slug)


@require_GET
def mine(request: HttpRequest, org_slug: str) -> HttpResponse:
    member = _member_for(request, org_slug)
    if isinstance(member, HttpResponse):
        return member
    redemptions = list(selectors.own_redemptions(member)[:100])
    for redemption in redemptions:
        if hasattr(redemption, "coupon") and redemption.status != "cancelled":
            services.mark_shown(redemption)
    context = {"member": member, "redemptions": redemptions, "org_slug": org_slug}
    return render(request, "rewards/portal/mine.html", context)
