"""Reads of imports, permission-checked: who sees which import jobs.

Visibility (docs/imports.md): an organisation admin sees every job of the organisation; a
chapter head the jobs into a community of their chapters, and the jobs they created; an
assistant the jobs into their communities, and the jobs they created. A job with no community
(rows naming their own communities, or a member import without one) is seen by admins and its
creator only. The rejects file of a job is downloadable by whoever sees the job.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.imports.limits import stall_seconds
from shequn.imports.models import ImportJob, ImportStatus

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope


def _visible(actor: OperatorScope) -> Q:
    org = Q(organization_id=actor.organization.pk)
    if actor.is_org_admin:
        return org
    own = Q(created_by_id=actor.user.pk)
    return org & (own | Q(community__isnull=False, **_community_scope(actor)))


def _community_scope(actor: OperatorScope) -> dict[str, object]:
    if actor.is_chapter_head:
        return {"community__chapter_id__in": actor.chapter_ids}
    return {"community_id__in": actor.community_ids}


def list_import_jobs(*, actor: OperatorScope, kind: str = "") -> QuerySet[ImportJob]:
    """The jobs the actor sees, newest first (index `import_org_created`)."""
    qs = ImportJob.objects.filter(_visible(actor))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("community", "created_by").order_by("-created_at", "-id")


def get_import_job_for_user(*, actor: OperatorScope, job_id: int) -> ImportJob:
    """One job the actor sees; Http404 otherwise (a job out of scope is not told apart)."""
    try:
        return list_import_jobs(actor=actor).get(pk=job_id)
    except ImportJob.DoesNotExist as exc:
        raise Http404(_("No such import.")) from exc


def get_import_kind(job_id: int) -> str | None:
    """The kind of a job by id (for the task's dispatch), None when it is gone."""
    return ImportJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()


def stalled_before() -> datetime.datetime:
    """A queued or running job whose heartbeat is older than this is stalled."""
    return timezone.now() - datetime.timedelta(seconds=stall_seconds())


def list_stalled_import_jobs(*, before: datetime.datetime) -> list[int]:
    """Ids of jobs queued or running without progress since `before` (index `import_status`)."""
    return list(
        ImportJob.objects.filter(
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], updated_at__lt=before
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:1000]
    )


def get_uploader_scope(job: ImportJob) -> OperatorScope | None:
    """The scope of whoever uploaded the job's file, as it is now (None: a job of the system);
    PermissionDenied when they are no longer an active operator of the organisation."""
    from django.core.exceptions import PermissionDenied

    from shequn.accounts.models import Operator
    from shequn.accounts.selectors import build_scope

    if job.created_by_id is None:
        return None
    operator = (
        Operator.objects.select_related("organization", "user")
        .filter(user_id=job.created_by_id, organization_id=job.organization_id)
        .first()
    )
    if operator is None or not operator.user.is_active:
        raise PermissionDenied(_("The operator who uploaded this file can no longer import."))
    return build_scope(operator)
