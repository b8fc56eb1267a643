"""Console page of the recompute (docs/recompute.md): the latest runs with what they changed,
how many members wait for the incremental job, and "recompute now" for organisation admins."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.profiles.models import PendingRecompute, RecomputeRun

RUNS_SHOWN = 20
PENDING_CAP = 10_000


@operator_required
@require_GET
def runs(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(actor.is_org_admin)
    org = actor.organization
    pending = PendingRecompute.objects.filter(organization=org).values("pk")[: PENDING_CAP + 1]
    waiting = len(pending)
    context = {
        "runs": [
            (run, (run.finished_at - run.started_at).total_seconds() if run.finished_at else None)
            for run in RecomputeRun.objects.filter(organization=org).order_by("-started_at", "-id")[
                :RUNS_SHOWN
            ]
        ],
        "waiting": min(waiting, PENDING_CAP),
        "waiting_more": waiting > PENDING_CAP,
    }
    return render(request, "profiles/recompute.html", context)


@operator_required
@require_POST
def recompute_now(request: OperatorRequest) -> HttpResponse:
    actor = request.operator_scope
    actor.require(actor.is_org_admin)
    from shequn.profiles.tasks import recompute_organization

    org_id = actor.organization.pk
    transaction.on_commit(lambda: recompute_organization(org_id))
    messages.success(
        request, _("A full recompute was started; its figures appear here when it ends.")
    )
    return redirect("recompute:runs")
