"""What the audit log page shows: entries in the reader's language and the organisation's zone.

An entry stores raw values (`{"chapter": [None, 6]}`, choice values, UTC ISO times). Here a
page of entries becomes rows a person can read: field labels (the model field's verbose
name), choices by their label, related objects by their current name with a link to their
console page when there is one and the reader may open it, booleans as yes/no, times in the
organisation's zone, empty values as "—".

Names are resolved for a whole page at once: one query per kind of object that occurs on
the page (at most one per audited model), whatever the number of rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shequn.accounts.models import ApiToken, Operator
from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.models import Identity, Member, Membership
from shequn.organizations.models import Chapter, Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

EMPTY = "—"
DATETIME_FORMAT = "Y-m-d H:i"
ENTRY_TIME_FORMAT = "Y-m-d H:i:s"
# Actions whose `changes` hold a snapshot of the values, not [old, new] pairs.
SNAPSHOT_ACTIONS = {AuditAction.CREATE, AuditAction.DELETE, AuditAction.ISSUE_TOKEN}
# The models whose changes the services record, by `AuditEntry.object_type`.
AUDITED_MODELS: dict[str, type[models.Model]] = {
    model._meta.model_name or "": model
    for model in (Chapter, Community, Member, Identity, Membership, Operator, ApiToken)
}


@dataclass(frozen=True)
class ObjectRef:
    """Something shown by name, with the URL of its console page ("" when none or not allowed)."""

    name: str
    url: str = ""


@dataclass(frozen=True)
class ChangeRow:
    field: str  # the key recorded (a model field's name)
    label: str  # that field's label in the reader's language
    old: tuple[ObjectRef, ...]  # empty when `is_change` is False
    new: tuple[ObjectRef, ...]
    is_change: bool  # False: `new` is the value recorded (on create, delete, …)


@dataclass(frozen=True)
class EntryRow:
    entry: AuditEntry
    when: str  # in the organisation's zone
    actor: str
    action: str
    object_type: str
    object: ObjectRef
    changes: list[ChangeRow]


def organization_zone() -> ZoneInfo:
    """The zone the organisation's operators read times in (settings.TIME_ZONE, Asia/Shanghai)."""
    zone = timezone.get_default_timezone()
    assert isinstance(zone, ZoneInfo)
    return zone


def object_type_label(object_type: str) -> str:
    model = AUDITED_MODELS.get(object_type)
    return str(capfirst(model._meta.verbose_name)) if model is not None else object_type


def object_type_choices() -> list[tuple[str, str]]:
    """(object type, its label) for every audited model, in the domain's order."""
    return [(key, object_type_label(key)) for key in AUDITED_MODELS]


# --- resolving names and links, one query per model --------------------------------------


def _visible(condition: Q) -> ExpressionWrapper[Q]:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _chapter_scope(actor: OperatorScope) -> Q:
    """The chapters the actor may open (as `list_chapters` shows them)."""
    if actor.is_org_admin:
        return Q(pk__isnull=False)
    if actor.is_chapter_head:
        return Q(pk__in=actor.chapter_ids)
    in_scope = Community.objects.filter(chapter_id=OuterRef("pk"), pk__in=actor.community_ids)
    return Q(Exists(in_scope))


def _member_scope(actor: OperatorScope, prefix: str = "") -> Q:
    """Members the actor may open, for Member (or a relation to it, through `prefix`)."""
    if not prefix:
        return actor.member_filter()
    return Q(**{f"{prefix}in": Member.objects.filter(actor.member_filter())})


def _chapters(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    rows = (
        Chapter.objects.filter(organization=actor.organization, pk__in=ids)
        .annotate(visible=_visible(_chapter_scope(actor)))
        .values_list("pk", "name", "visible")
    )
    return {
        pk: ObjectRef(name, reverse("organizations:chapter_detail", args=[pk]) if seen else "")
        for pk, name, seen in rows
    }


def _communities(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    rows = (
        Community.objects.filter(organization=actor.organization, pk__in=ids)
        .annotate(visible=_visible(actor.community_filter()))
        .values_list("pk", "name", "visible")
    )
    return {
        pk: ObjectRef(name, reverse("organizations:community_detail", args=[pk]) if seen else "")
        for pk, name, seen in rows
    }


def _members(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    rows = (
        Member.objects.filter(organization=actor.organization, pk__in=ids)
        .annotate(visible=_visible(_member_scope(actor)))
        .values_list("pk", "display_name", "visible")
    )
    return {
        pk: ObjectRef(name, reverse("members:detail", args=[pk]) if seen else "")
        for pk, name, seen in rows
    }


def _memberships(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    rows = (
        Membership.objects.filter(community__organization=actor.organization, pk__in=ids)
        .annotate(visible=_visible(actor.community_filter("community__")))
        .values_list("pk", "member_id", "member__display_name", "community__name", "visible")
    )
    return {
        pk: ObjectRef(
            pgettext("a membership", "%(member)s in %(community)s")
            % {"member": member, "community": community},
            reverse("members:detail", args=[member_id]) if seen else "",
        )
        for pk, member_id, member, community, seen in rows
    }


def _identities(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    channels = dict(Identity._meta.get_field("channel").flatchoices)
    rows = (
        Identity.objects.filter(organization=actor.organization, pk__in=ids)
        .annotate(visible=_visible(_member_scope(actor, "member__")))
        .values_list("pk", "member_id", "channel", "external_id", "visible")
    )
    return {
        pk: ObjectRef(
            f"{channels.get(channel, channel)}: {external_id}",
            reverse("members:detail", args=[member_id]) if seen else "",
        )
        for pk, member_id, channel, external_id, seen in rows
    }


def _operators(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    rows = Operator.objects.filter(organization=actor.organization, pk__in=ids).values_list(
        "pk", "user__username"
    )
    return {
        pk: ObjectRef(
            username,
            reverse("accounts:operator_edit", args=[pk]) if actor.is_org_admin else "",
        )
        for pk, username in rows
    }


def _api_tokens(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    rows = ApiToken.objects.filter(
        operator__organization=actor.organization, pk__in=ids
    ).values_list("pk", "name", "prefix", "operator_id")
    return {
        pk: ObjectRef(
            name or f"{prefix}…",
            reverse("accounts:token_list") if operator_id == actor.operator.pk else "",
        )
        for pk, name, prefix, operator_id in rows
    }


def _users(actor: OperatorScope, ids: set[int]) -> dict[int, ObjectRef]:
    rows = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    return {pk: ObjectRef(username) for pk, username in rows}


Resolver = Callable[["OperatorScope", set[int]], dict[int, ObjectRef]]
RESOLVERS: dict[str, Resolver] = {
    "organizations.chapter": _chapters,
    "organizations.community": _communities,
    "members.member": _members,
    "members.membership": _memberships,
    "members.identity": _identities,
    "accounts.operator": _operators,
    "accounts.apitoken": _api_tokens,
}


def _resolver_for(model: type[models.Model]) -> Resolver | None:
    if model is get_user_model():
        return _users
    return RESOLVERS.get(model._meta.label_lower)


# --- values ---------------------------------------------------------------------------------


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _label(field: models.Field[Any, Any] | None, name: str) -> str:
    if field is not None:
        return str(capfirst(field.verbose_name))
    # Recorded keys that are not fields of the object itself.
    extra = {
        "password": _("Password"),
        "is_active": pgettext("operator account", "Active"),
    }
    return str(extra.get(name, name))


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _datetime(value: Any, zone: ZoneInfo) -> str:
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return dateformat.format(parsed.astimezone(zone), DATETIME_FORMAT)


def _text(field: models.Field[Any, Any] | None, name: str, value: Any, zone: ZoneInfo) -> str:
    """One plain (non-relation) value in the reader's language."""
    if name == "password" and field is None:
        return _("changed (not shown)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField):
        return _datetime(value, zone)
    if isinstance(field, models.DateField):
        try:
            return dateformat.format(datetime.date.fromisoformat(str(value)), "Y-m-d")
        except ValueError:
            return str(value)
    if isinstance(field, models.FileField):
        return str(value).rsplit("/", 1)[-1]
    return str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _shown(
    field: models.Field[Any, Any] | None,
    name: str,
    value: Any,
    refs: Mapping[type[models.Model], Mapping[int, ObjectRef]],
    zone: ZoneInfo,
) -> tuple[ObjectRef, ...]:
    if _is_empty(value):
        return (ObjectRef(EMPTY),)
    if field is not None and field.is_relation and field.related_model is not None:
        related = refs.get(field.related_model, {})
        gone = _("#%(id)s (no longer exists)")
        return tuple(related.get(pk) or ObjectRef(gone % {"id": pk}) for pk in _ids(value))
    if isinstance(value, list):
        return tuple(ObjectRef(_text(field, name, v, zone)) for v in value)
    return (ObjectRef(_text(field, name, value, zone)),)


def _is_pair(entry: AuditEntry, field: models.Field[Any, Any] | None, value: Any) -> bool:
    """Whether a recorded value is [old, new] (an update) rather than the value itself.

    Snapshots (create, delete, a new token) hold values; on other actions a two-item list is a
    pair, except the id list of a many-to-many field, whose pairs are two lists."""
    if entry.action in SNAPSHOT_ACTIONS or not isinstance(value, list) or len(value) != 2:
        return False
    if field is not None and field.many_to_many:
        return all(isinstance(v, list) for v in value)
    return True


def _changes(entry: AuditEntry) -> dict[str, Any]:
    """The recorded changes in the model's field order, then other keys by name (PostgreSQL's
    jsonb does not keep the order they were recorded in)."""
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    model = AUDITED_MODELS.get(entry.object_type)
    order = {f.name: i for i, f in enumerate(model._meta.get_fields())} if model else {}
    keys = sorted(changes, key=lambda name: (order.get(name, len(order)), name))
    return {name: changes[name] for name in keys}


# --- the page -------------------------------------------------------------------------------


def _object_id(entry: AuditEntry) -> int | None:
    return int(entry.object_id) if entry.object_id.isdigit() else None


def _collect_ids(entries: Sequence[AuditEntry]) -> dict[type[models.Model], set[int]]:
    """Ids of every object the page names: the entries' objects and related values."""
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
    for entry in entries:
        model = AUDITED_MODELS.get(entry.object_type)
        object_id = _object_id(entry)
        if model is not None and object_id is not None:
            wanted[model].add(object_id)
        for name, value in _changes(entry).items():
            field = _field(model, name)
            if field is None or not field.is_relation or field.related_model is None:
                continue
            related = field.related_model
            assert isinstance(related, type)
            for part in value if _is_pair(entry, field, value) else [value]:
                wanted[related].update(_ids(part))
    return wanted


def _resolve(
    actor: OperatorScope, wanted: Mapping[type[models.Model], set[int]]
) -> dict[type[models.Model], dict[int, ObjectRef]]:
    refs: dict[type[models.Model], dict[int, ObjectRef]] = {}
    for model, ids in wanted.items():
        resolver = _resolver_for(model)
        if resolver is not None and ids:
            refs[model] = resolver(actor, ids)
    return refs


def describe_changes(
    entry: AuditEntry,
    refs: Mapping[type[models.Model], Mapping[int, ObjectRef]],
    zone: ZoneInfo,
) -> list[ChangeRow]:
    """The entry's changed fields as rows: old → new, or the recorded value."""
    model = AUDITED_MODELS.get(entry.object_type)
    rows = []
    for name, value in _changes(entry).items():
        field = _field(model, name)
        label = _label(field, name)
        if _is_pair(entry, field, value):
            old = _shown(field, name, value[0], refs, zone)
            new = _shown(field, name, value[1], refs, zone)
            rows.append(ChangeRow(name, label, old, new, True))
        elif not _is_empty(value):  # a snapshot lists the values that were set
            rows.append(ChangeRow(name, label, (), _shown(field, name, value, refs, zone), False))
    return rows


def describe_entries(*, actor: OperatorScope, entries: Iterable[AuditEntry]) -> list[EntryRow]:
    """A page of entries as the reader sees them (a constant number of queries per page)."""
    page = list(entries)
    zone = organization_zone()
    refs = _resolve(actor, _collect_ids(page))
    actions = dict(AuditAction.choices)
    rows = []
    for entry in page:
        model = AUDITED_MODELS.get(entry.object_type)
        object_id = _object_id(entry)
        found = refs.get(model, {}).get(object_id) if model and object_id is not None else None
        rows.append(
            EntryRow(
                entry=entry,
                when=dateformat.format(entry.created_at.astimezone(zone), ENTRY_TIME_FORMAT),
                actor=entry.actor_name or _("System"),
                action=str(actions.get(entry.action, entry.action)),
                object_type=object_type_label(entry.object_type),
                object=found or ObjectRef(entry.object_repr),
                changes=describe_changes(entry, refs, zone),
            )
        )
    return rows
