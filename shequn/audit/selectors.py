"""Reading the audit log, scoped like everything else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from shequn.audit.models import AuditEntry

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope


def list_audit_entries(
    *, actor: OperatorScope, action: str = "", object_type: str = ""
) -> QuerySet[AuditEntry]:
    """Entries the actor may read: all of the organisation for an admin; entries placed in
    their chapters (or communities, for an assistant), and their own actions, for others."""
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
    return qs.order_by("-created_at", "-id")


def list_audit_object_types(*, actor: OperatorScope) -> list[str]:
    """The object types that occur in the entries the actor may read, for a filter."""
    entries = list_audit_entries(actor=actor).order_by()
    return sorted(set(entries.values_list("object_type", flat=True).distinct()))
