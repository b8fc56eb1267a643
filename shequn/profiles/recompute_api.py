"""API v1 of the recompute (docs/recompute.md): the latest runs and "recompute now"."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status

from shequn.accounts.api import actor_of
from shequn.core.problems import problem_responses
from shequn.profiles.models import RecomputeKind, RecomputeRun, RecomputeStatus

router = Router(tags=["recompute"])
RUNS_SHOWN = 20


class RecomputeRunOut(Schema):
    id: int
    kind: RecomputeKind
    status: RecomputeStatus
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    as_of: datetime.datetime
    members: int
    stage_changes: int
    layer_changes: int
    tags_added: int
    tags_removed: int


@router.get("/recompute/runs", response=list[RecomputeRunOut], openapi_extra=problem_responses(403))
def runs(request: HttpRequest) -> list[Any]:
    """The latest 20 recomputes of the organisation (organisation admins)."""
    actor = actor_of(request)
    actor.require(actor.is_org_admin)
    return list(
        RecomputeRun.objects.filter(organization=actor.organization).order_by("-started_at", "-id")[
            :RUNS_SHOWN
        ]
    )


@router.post("/recompute", response={202: None}, openapi_extra=problem_responses(403))
def start(request: HttpRequest) -> Any:
    """Start a full recompute in the background (organisation admins); see `/recompute/runs`."""
    actor = actor_of(request)
    actor.require(actor.is_org_admin)
    from shequn.profiles.tasks import recompute_organization

    org_id = actor.organization.pk
    transaction.on_commit(lambda: recompute_organization(org_id))
    return Status(202, None)
