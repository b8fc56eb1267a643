"""Writing the audit log. Every operator-facing service calls `record_audit` in its transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from shequn.audit.models import AuditEntry

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a field value."""
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields` (FKs by id), to compare after a change."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = _plain(getattr(instance, attname))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def record_audit(
    *,
    actor: OperatorScope | None,
    action: str,
    target: models.Model,
    changes: Mapping[str, Any] | None = None,
    chapter_id: int | None = None,
    community_id: int | None = None,
    organization_id: int | None = None,
) -> AuditEntry:
    """Record who did `action` to `target`, with the changed fields, in the target's scope."""
    org_id = organization_id or (actor.organization.pk if actor else None)
    if org_id is None:
        org_id = target.organization_id  # type: ignore[attr-defined]
    user = actor.user if actor else None
    return AuditEntry.objects.create(
        organization_id=org_id,
        chapter_id=chapter_id,
        community_id=community_id,
        actor_id=user.pk if user else None,
        actor_name=user.get_username() if user else "",
        action=action,
        object_type=target._meta.model_name or "",
        object_id=str(target.pk),
        object_repr=str(target)[:200],
        changes={k: _plain(v) for k, v in (changes or {}).items()},
    )
