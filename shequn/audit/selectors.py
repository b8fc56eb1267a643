"""Reading the audit log, scoped like everything else."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from shequn.audit.models import AuditEntry

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope


def list_audit_entries(
    *,
    actor: OperatorScope,
    action: str = "",
    object_type: str = "",
    actor_user_id: int | None = None,
    by_system: bool = False,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries the actor may read, newest first: all of the organisation for an admin; entries
    placed in their chapters (or communities, for an assistant), and their own actions, for
    others. Filters: action, object type, who (an operator's user id, or `by_system`: no
    operator) and when (`since` ≤ created_at < `until`)."""
    qs = AuditEntry.objects.filter(organization=actor.organization)
    if actor.is_chapter_head:
        qs = qs.filter(
            Q(chapter_id__in=actor.chapter_ids)
            | Q(community__chapter_id__in=actor.chapter_ids)
            | Q(actor_id=actor.user.pk)
        )
    elif actor.is_assistant:
        qs = qs.filter(Q(community_id__in=actor.community_ids) | Q(actor_id=actor.user.pk))
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if by_system:
        qs = qs.filter(actor__isnull=True, actor_name="")
    elif actor_user_id is not None:
        qs = qs.filter(actor_id=actor_user_id)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("-created_at", "-id")
