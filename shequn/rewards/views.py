"""Console pages of rewards (docs/rewards.md): the catalogue (organisation admins), coupon
codes, the fulfilment queue and a reward's redemptions (admins and chapter heads, for the
members of their chapter). Assistants get a 403 here."""

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
from shequn.rewards import selectors, services
from shequn.rewards.forms import CancelForm, CodesForm, FulfilForm, RewardForm
from shequn.rewards.models import Redemption, Reward

PER_PAGE = 25


def _admin(request: OperatorRequest) -> None:
    request.operator_scope.require(selectors.can_manage_rewards(request.operator_scope))


def _fulfiller(request: OperatorRequest) -> None:
    request.operator_scope.require(selectors.can_fulfil(request.operator_scope))


@operator_required
@require_GET
def reward_list(request: OperatorRequest) -> HttpResponse:
    _fulfiller(request)
    actor = request.operator_scope
    context = {
        "rewards": list(selectors.list_rewards(actor=actor)),
        "can_manage": selectors.can_manage_rewards(actor),
        "waiting": selectors.queue(actor=actor).count(),
    }
    return render(request, "rewards/list.html", context)


def _initial(reward: Reward) -> dict[str, object]:
    return {
        "name": reward.name,
        "description": reward.description,
        "community": reward.community_id,
        "cost": reward.cost,
        "stock": reward.stock,
        "per_member_limit": reward.per_member_limit,
        "min_level": reward.min_level,
        "available_from": reward.available_from,
        "available_until": reward.available_until,
        "is_active": reward.is_active,
    }


@operator_required
@require_http_methods(["GET", "POST"])
def reward_create(request: OperatorRequest) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    form = RewardForm(request.POST if request.method == "POST" else None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            reward = services.create_reward(
                actor=actor, kind=form.cleaned_data["kind"], data=form.data_for_service()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The reward %(name)s was created.") % {"name": reward})
            return redirect("rewards:edit", reward_id=reward.pk)
    status = 422 if form.errors else 200
    return render(request, "rewards/form.html", {"form": form, "reward": None}, status=status)


@operator_required
@require_http_methods(["GET", "POST"])
def reward_edit(request: OperatorRequest, reward_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    reward = selectors.get_reward(actor=actor, reward_id=reward_id)
    form = RewardForm(
        request.POST if request.method == "POST" else None,
        actor=actor,
        editing=True,
        initial=_initial(reward),
    )
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        try:
            services.update_reward(actor=actor, reward=reward, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The reward was saved."))
            return redirect("rewards:edit", reward_id=reward.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "reward": reward, "codes_form": CodesForm()}
    return render(request, "rewards/form.html", context, status=status)


@operator_required
@require_POST
def reward_switch(request: OperatorRequest, reward_id: int) -> HttpResponse:
    """Switch a reward off (or on again: `active=1`)."""
    _admin(request)
    actor = request.operator_scope
    reward = selectors.get_reward(actor=actor, reward_id=reward_id)
    active = request.POST.get("active") == "1"
    services.set_active(actor=actor, reward=reward, active=active)
    if active:
        messages.success(request, _("The reward is switched on."))
    else:
        messages.success(request, _("The reward is switched off."))
    return redirect("rewards:list")


@operator_required
@require_POST
def reward_codes(request: OperatorRequest, reward_id: int) -> HttpResponse:
    _admin(request)
    actor = request.operator_scope
    reward = selectors.get_reward(actor=actor, reward_id=reward_id)
    codes_form = CodesForm(request.POST)
    if codes_form.is_valid():
        try:
            added = services.add_codes(
                actor=actor, reward=reward, text=codes_form.cleaned_data["codes"]
            )
        except ValidationError as exc:
            add_service_errors(codes_form, exc)
        else:
            messages.success(request, _("%(n)s codes were added.") % {"n": added})
            return redirect("rewards:edit", reward_id=reward.pk)
    form = RewardForm(actor=actor, editing=True, initial=_initial(reward))
    context = {"form": form, "reward": reward, "codes_form": codes_form}
    return render(request, "rewards/form.html", context, status=422)


@operator_required
@require_GET
def fulfilment_queue(request: OperatorRequest) -> HttpResponse:
    _fulfiller(request)
    window = get_window(
        selectors.queue(actor=request.operator_scope),
        page=request.GET.get("page"),
        per_page=PER_PAGE,
    )
    return render(request, "rewards/queue.html", {"page": window})


@operator_required
@require_GET
def reward_redemptions(request: OperatorRequest, reward_id: int) -> HttpResponse:
    _fulfiller(request)
    actor = request.operator_scope
    reward = selectors.get_reward(actor=actor, reward_id=reward_id)
    rows = selectors.list_redemptions(actor=actor).filter(reward=reward)
    window = get_window(rows, page=request.GET.get("page"), per_page=PER_PAGE)
    return render(request, "rewards/redemptions.html", {"reward": reward, "page": window})


def _redemption_page(
    request: OperatorRequest,
    redemption: Redemption,
    fulfil_form: FulfilForm | None = None,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "redemption": redemption,
        "fulfil_form": fulfil_form or FulfilForm(),
        "cancel_form": cancel_form or CancelForm(),
    }
    return render(request, "rewards/redemption.html", context, status=status)


@operator_required
@require_POST
def redemption_fulfil(request: OperatorRequest, redemption_id: int) -> HttpResponse:
    _fulfiller(request)
    actor = request.operator_scope
    redemption = selectors.get_redemption(actor=actor, redemption_id=redemption_id)
    form = FulfilForm(request.POST)
    if form.is_valid():
        try:
            services.fulfil(actor=actor, redemption=redemption, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The redemption is fulfilled."))
            return redirect("rewards:queue")
    return _redemption_page(request, redemption, fulfil_form=form, status=422)


@operator_required
@require_POST
def redemption_cancel(request: OperatorRequest, redemption_id: int) -> HttpResponse:
    _fulfiller(request)
    actor = request.operator_scope
    redemption = selectors.get_redemption(actor=actor, redemption_id=redemption_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel(actor=actor, redemption=redemption, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The redemption is cancelled: %(points)s points went back to the member.")
                % {"points": redemption.cost},
            )
            return redirect("rewards:queue")
    return _redemption_page(request, redemption, cancel_form=form, status=422)
