"""Console pages of the exit rule (docs/points.md, "Exit rule"): the review queue and its
two actions. Organisation admins see every review, chapter heads those of their members;
assistants are refused."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequn.accounts.decorators import OperatorRequest, operator_required
from shequn.core.pagination import get_window
from shequn.points.exits import confirm_exit, dismiss_exit
from shequn.points.models import ExitReviewStatus
from shequn.points.selectors import get_exit_review, list_exit_reviews

PER_PAGE = 25


@require_GET
@operator_required
def queue(request: OperatorRequest) -> HttpResponse:
    status = request.GET.get("status") or ExitReviewStatus.OPEN
    if status not in ExitReviewStatus.values:
        status = ExitReviewStatus.OPEN
    reviews = list_exit_reviews(actor=request.operator_scope, status=status)
    page = get_window(reviews, page=request.GET.get("page"), per_page=PER_PAGE)
    return render(
        request,
        "points/exit_reviews.html",
        {"page": page, "status": status, "statuses": ExitReviewStatus.choices},
    )


def _decide(request: OperatorRequest, review_id: int, confirm: bool) -> HttpResponse:
    actor = request.operator_scope
    review = get_exit_review(actor=actor, review_id=review_id)
    note = request.POST.get("note", "")
    try:
        if confirm:
            confirm_exit(actor=actor, review=review, note=note)
            messages.success(request, _("Removed %(name)s.") % {"name": review.member})
        else:
            dismiss_exit(actor=actor, review=review, note=note)
            messages.success(request, _("Kept %(name)s.") % {"name": review.member})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("exit_reviews:queue")


@require_POST
@operator_required
def confirm(request: OperatorRequest, review_id: int) -> HttpResponse:
    return _decide(request, review_id, confirm=True)


@require_POST
@operator_required
def dismiss(request: OperatorRequest, review_id: int) -> HttpResponse:
    return _decide(request, review_id, confirm=False)
