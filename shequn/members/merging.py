"""Merging two members into one, and unmerging them exactly (docs/merges.md).

`merge_members` moves everything of the source member to the target and keeps the source as a
record (`Member.merged_into`). What moves is found generically: every relation to Member in
`Member._meta` (so a table a later feature adds with a foreign key to Member moves without a
change here), except the few that need their own rule:

- Membership (one per member and community): a community both were in keeps ONE membership,
  the target's, with the earliest join, the highest role (ROLE_ORDER) and active when either
  was; the source's row is removed and kept, whole, in `Merge.memberships` to be recreated.
- MemberNameGram (the name search index) and the merge tables themselves stay.
- Member.user (a web account, one-to-one): moves when the target has none, else stays with
  the source, and signing in follows `merged_into` (selectors.get_member_for_account).
- Any other table whose unique constraint includes the member field: a source row that would
  collide with one of the target's stays with the source.
- Tables derived from the others (a model with `merge_derived = True`: stages, layers, marks
  for the recompute) stay as they are; the merge's `memberships_changed` signal has both
  members computed again (docs/recompute.md).

Every moved row is listed in MergeMove; the target's fields the merge changed keep their old
values in `Merge.target_before`. `unmerge` gives everything back: also after a chain of merges
(A→B, then B→C), in any order, by undoing the later merges of the same chain, undoing this one
and redoing the later ones, so the result is what it would be had this merge never happened.
Rows that arrived after the merge through an identity that was the source's (an activity of
its WeChat account) follow their identity back to the source.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import record_audit
from shequn.members.models import (
    Identity,
    Member,
    MemberNameGram,
    Membership,
    MembershipRole,
    MembershipStatus,
    Merge,
    MergeMove,
    MergeSuggestion,
    MergeSuggestionStatus,
)
from shequn.members.selectors import resolve_merged_member_id
from shequn.members.signals import send_memberships_changed
from shequn.organizations.models import Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

# Highest first: a community both were in keeps the higher of the two roles.
ROLE_ORDER = (
    MembershipRole.OWNER,
    MembershipRole.ADMIN,
    MembershipRole.ASSISTANT,
    MembershipRole.STUDY_COMMITTEE,
    MembershipRole.KOL,
    MembershipRole.MEMBER,
    MembershipRole.GUEST,
)
ROLE_RANK = {role.value: rank for rank, role in enumerate(ROLE_ORDER)}
# Relations to Member that have their own rule (above) or are the merge's own records.
SPECIAL_MODELS: tuple[type[models.Model], ...] = (
    Member,
    Membership,
    MemberNameGram,
    Merge,
    MergeMove,
    MergeSuggestion,
)
# Fields of the target a merge may fill or extend (restored by unmerge when still so).
FILLED_FIELDS = ("phone", "email", "chapter_id")
MEMBERSHIP_VALUES = ("role", "status", "source", "joined_at", "left_at")
BATCH = 2000


def merge_relations() -> Iterator[models.ForeignKey[Any, Any]]:
    """Every foreign key (or one-to-one) to Member that a merge moves generically.

    Includes hidden relations (`related_name="+"`) and the rows of many-to-many tables.
    """
    for rel in Member._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        model = rel.related_model
        if not isinstance(model, type) or issubclass(model, SPECIAL_MODELS):
            continue
        if getattr(model, "merge_derived", False):
            continue
        yield rel.field  # type: ignore[union-attr,misc]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _in_scope(actor: OperatorScope, member_ids: Iterable[int]) -> bool:
    ids = set(member_ids)
    visible = Member.objects.filter(actor.member_filter(), pk__in=ids).count()
    return visible == len(ids)


def can_merge(actor: OperatorScope | None, source: Member, target: Member) -> bool:
    """Organisation admins; chapter heads when both members are in their scope; nobody else.

    Assistants supervise learners one to one and do not decide who is the same person.
    `None` is the system (auto-merge of exact matches).
    """
    if actor is None:
        return True
    if source.organization_id != actor.organization.pk:
        return False
    if target.organization_id != actor.organization.pk:
        return False
    if actor.is_org_admin:
        return True
    return actor.is_chapter_head and _in_scope(actor, [source.pk, target.pk])


def can_unmerge(actor: OperatorScope | None, merge: Merge) -> bool:
    """As `can_merge`, for the surviving member and the merged one as it was before."""
    if actor is None:
        return True
    if merge.organization_id != actor.organization.pk or actor.is_assistant:
        return False
    if actor.is_org_admin:
        return True
    if not actor.is_chapter_head or not _in_scope(
        actor, [resolve_merged_member_id(merge.target_id)]
    ):
        return False
    before = merge.source_before
    if before.get("chapter_id") in actor.chapter_ids:
        return True
    communities = before.get("community_ids") or []
    return Community.objects.filter(actor.community_filter(), pk__in=communities).exists()


def _fail(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value


def _when(value: Any) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def _membership_row(m: Membership) -> dict[str, Any]:
    return {
        f.attname: _plain(getattr(m, f.attname))
        for f in Membership._meta.concrete_fields  # every column, to recreate it as it was
    }


def _count_active(member_id: int) -> int:
    return Membership.objects.filter(member_id=member_id, status=MembershipStatus.ACTIVE).count()


def _set_community_counts(deltas: dict[int, int]) -> None:
    for community_id, delta in deltas.items():
        if delta:
            Community.objects.filter(pk=community_id).update(member_count=F("member_count") + delta)


def _record_moves(merge: Merge, label: str, field: str, ids: list[Any]) -> None:
    MergeMove.objects.bulk_create(
        [MergeMove(merge=merge, model=label, field=field, object_id=str(pk)) for pk in ids],
        batch_size=5000,
    )


def _movable(
    fk: models.ForeignKey[Any, Any], source_id: int, target_id: int
) -> models.QuerySet[Any]:
    """The source's rows of one relation that can move without breaking a unique constraint."""
    model = fk.model
    name = fk.name
    rows = model._base_manager.filter(**{name: source_id})
    unique_sets: list[tuple[str, ...]] = [tuple(u) for u in model._meta.unique_together]
    unique_sets += [
        tuple(c.fields)
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and c.fields
    ]
    if fk.unique:
        unique_sets.append((name,))
    for fields in unique_sets:
        if name not in fields:
            continue
        others = {f: OuterRef(f) for f in fields if f != name}
        clash = model._base_manager.filter(**{name: target_id}, **others)
        rows = rows.exclude(Exists(clash))
    return rows


def membership_relations() -> Iterator[models.ForeignKey[Any, Any]]:
    """Every foreign key to Membership (invite joins, leave requests, …): when a merge folds the
    source's membership of a shared community into the target's, these rows follow it."""
    for rel in Membership._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            if getattr(rel.related_model, "merge_derived", False):
                continue
            yield rel.field  # type: ignore[union-attr,misc]


def _repoint_membership_rows(old_id: int, new_id: int) -> dict[str, dict[str, list[Any]]]:
    """Point the rows referring to membership `old_id` at `new_id`; what moved, by model."""
    moved: dict[str, dict[str, list[Any]]] = {}
    for fk in membership_relations():
        rows = fk.model._base_manager.filter(**{fk.name: old_id})
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            moved.setdefault(_label(fk.model), {})[fk.name] = [_plain(pk) for pk in ids]
            fk.model._base_manager.filter(pk__in=ids).update(**{fk.name: new_id})
    return moved


def _move_memberships(merge: Merge, source: Member, target: Member) -> None:
    theirs = list(Membership.objects.select_for_update().filter(member_id=source.pk))
    ours = {
        m.community_id: m
        for m in Membership.objects.select_for_update().filter(
            member_id=target.pk, community_id__in=[m.community_id for m in theirs]
        )
    }
    moved = [m.pk for m in theirs if m.community_id not in ours]
    _record_moves(merge, _label(Membership), "member", moved)
    for start in range(0, len(moved), BATCH):
        Membership.objects.filter(pk__in=moved[start : start + BATCH]).update(
            member_id=target.pk, member_sort_key=target.sort_key
        )
    kept: dict[str, dict[str, Any]] = {}
    removed: list[dict[str, Any]] = []
    # {removed membership id: {model label: {field: [row ids]}}}: rows that referred to it.
    followers: dict[str, dict[str, dict[str, list[Any]]]] = {}
    deltas: dict[int, int] = defaultdict(int)
    for theirs_row in (m for m in theirs if m.community_id in ours):
        ours_row = ours[theirs_row.community_id]
        kept[str(ours_row.pk)] = {f: _plain(getattr(ours_row, f)) for f in MEMBERSHIP_VALUES}
        removed.append(_membership_row(theirs_row))
        moved_rows = _repoint_membership_rows(theirs_row.pk, ours_row.pk)
        if moved_rows:
            followers[str(theirs_row.pk)] = moved_rows
        values = _combined(ours_row, theirs_row)
        active = [r.status == MembershipStatus.ACTIVE for r in (ours_row, theirs_row)]
        now_active = values["status"] == MembershipStatus.ACTIVE
        deltas[ours_row.community_id] += int(now_active) - sum(active)
        Membership.objects.filter(pk=theirs_row.pk).delete()
        Membership.objects.filter(pk=ours_row.pk).update(**values)
    _set_community_counts(deltas)
    merge.memberships = {"kept": kept, "removed": removed, "followers": followers}


def _combined(ours: Membership, theirs: Membership) -> dict[str, Any]:
    """One membership of two: earliest join (and its source), highest role, active if either."""
    first = min((ours, theirs), key=lambda m: (m.joined_at, m.pk))
    role = min(ours.role, theirs.role, key=lambda r: ROLE_RANK.get(r, len(ROLE_ORDER)))
    values: dict[str, Any] = {"joined_at": first.joined_at, "source": first.source, "role": role}
    actives = [m for m in (ours, theirs) if m.status == MembershipStatus.ACTIVE]
    if actives:
        values.update(status=MembershipStatus.ACTIVE, left_at=None)
    else:  # both ended: as the one that ended last
        last = max((ours, theirs), key=lambda m: (m.left_at or m.joined_at, m.pk))
        values.update(status=last.status, left_at=last.left_at)
    return values


def _apply(merge: Merge) -> None:
    """Move the source's rows to the target and record it all in `merge` (and MergeMove)."""
    source = Member.objects.select_for_update().get(pk=merge.source_id)
    target = Member.objects.select_for_update().get(pk=merge.target_id)
    merge.source_before = {
        "user_id": source.user_id,
        "chapter_id": source.chapter_id,
        "community_ids": list(
            Membership.objects.filter(member_id=source.pk).values_list("community_id", flat=True)
        ),
    }
    counts: dict[str, int] = {}
    for fk in merge_relations():
        ids = list(_movable(fk, source.pk, target.pk).values_list("pk", flat=True))
        if not ids:
            continue
        label = _label(fk.model)
        _record_moves(merge, label, fk.name, ids)
        for start in range(0, len(ids), BATCH):
            fk.model._base_manager.filter(pk__in=ids[start : start + BATCH]).update(
                **{fk.name: target.pk}
            )
        counts[label] = counts.get(label, 0) + len(ids)
    _move_memberships(merge, source, target)

    changes: dict[str, Any] = {}
    before: dict[str, list[Any]] = {}
    for name in FILLED_FIELDS:
        if not getattr(target, name) and getattr(source, name):
            changes[name] = getattr(source, name)
    if source.notes:
        changes["notes"] = f"{target.notes}\n\n{source.notes}" if target.notes else source.notes
    user_moves = source.user_id is not None and target.user_id is None
    for name, value in changes.items():
        before[name] = [getattr(target, name), value]
    if user_moves:
        before["user_id"] = [None, source.user_id]
        Member.objects.filter(pk=source.pk).update(user=None)
        changes["user_id"] = source.user_id
    merge.target_before = before
    Member.objects.filter(pk=source.pk).update(merged_into_id=target.pk, community_count=0)
    Member.objects.filter(pk=target.pk).update(**changes, community_count=_count_active(target.pk))
    _memberships_changed(source, target)
    merge.save(update_fields=["source_before", "target_before", "memberships"])
    # Suggestions of the merged member are stale: finding again proposes the survivor's.
    stale = MergeSuggestion.objects.filter(
        Q(member_a_id=source.pk) | Q(member_b_id=source.pk), status=MergeSuggestionStatus.OPEN
    )
    if merge.suggestion_id is not None:
        stale = stale.exclude(pk=merge.suggestion_id)
    stale.delete()


def _identity_fields(model: type[models.Model]) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is Identity
    ]


def _memberships_changed(source: Member, target: Member) -> None:
    """Tell other apps (invite link counters) that the two members' memberships changed."""
    send_memberships_changed(
        Membership.objects.filter(member_id__in=[source.pk, target.pk]).values_list(
            "pk", flat=True
        ),
        member_ids=[source.pk, target.pk],
    )


def _undo(merge: Merge) -> None:
    """Give the source back what `merge` moved (the target is not merged: see `unmerge`)."""
    source = Member.objects.select_for_update().get(pk=merge.source_id)
    target = Member.objects.select_for_update().get(pk=merge.target_id)
    moved: dict[tuple[str, str], list[str]] = defaultdict(list)
    for label, field, object_id in merge.moves.values_list("model", "field", "object_id"):
        moved[(label, field)].append(object_id)
    identity_ids = moved.get((_label(Identity), "member"), [])
    for fk in merge_relations():
        ids = moved.get((_label(fk.model), fk.name), [])
        for start in range(0, len(ids), BATCH):
            fk.model._base_manager.filter(
                pk__in=ids[start : start + BATCH], **{fk.name: target.pk}
            ).update(**{fk.name: source.pk})
        # What came later through one of the source's identities follows it back.
        for identity_field in _identity_fields(fk.model) if identity_ids else []:
            for start in range(0, len(identity_ids), BATCH):
                chunk = identity_ids[start : start + BATCH]
                fk.model._base_manager.filter(
                    **{fk.name: target.pk, f"{identity_field}__in": chunk}
                ).update(**{fk.name: source.pk})
    ids = moved.get((_label(Membership), "member"), [])
    for start in range(0, len(ids), BATCH):
        Membership.objects.filter(pk__in=ids[start : start + BATCH], member_id=target.pk).update(
            member_id=source.pk, member_sort_key=source.sort_key
        )
    _restore_shared_memberships(merge, source)

    restored: dict[str, Any] = {}
    for name, (old, new) in merge.target_before.items():
        if name == "user_id":
            continue
        if getattr(target, name) == new:  # unless changed since: then the change stays
            restored[name] = old
    user_id = merge.target_before.get("user_id", [None, None])[1]
    if user_id is not None and target.user_id == user_id:
        Member.objects.filter(pk=target.pk).update(user=None)
        Member.objects.filter(pk=source.pk).update(user_id=user_id)
    Member.objects.filter(pk=target.pk).update(**restored, community_count=_count_active(target.pk))
    Member.objects.filter(pk=source.pk).update(
        merged_into=None, community_count=_count_active(source.pk)
    )
    merge.moves.all().delete()
    _memberships_changed(source, target)


def _restore_shared_memberships(merge: Merge, source: Member) -> None:
    deltas: dict[int, int] = defaultdict(int)
    kept = merge.memberships.get("kept", {})
    rows = {m.pk: m for m in Membership.objects.select_for_update().filter(pk__in=kept)}
    for pk, old in kept.items():
        row = rows.get(int(pk))
        if row is None:  # removed since (e.g. its member was deleted)
            continue
        deltas[row.community_id] -= int(row.status == MembershipStatus.ACTIVE)
        deltas[row.community_id] += int(old["status"] == MembershipStatus.ACTIVE)
        old_values = {**old, "joined_at": _when(old["joined_at"]), "left_at": _when(old["left_at"])}
        Membership.objects.filter(pk=row.pk).update(**old_values)
    recreated = []
    stamps = []
    for values in merge.memberships.get("removed", []):
        columns: dict[str, Any] = dict(values)
        for name in ("joined_at", "left_at", "created_at", "updated_at"):
            columns[name] = _when(columns[name])
        columns["member_id"] = source.pk
        columns["member_sort_key"] = source.sort_key
        recreated.append(Membership(**columns))
        stamps.append((columns["id"], columns["created_at"], columns["updated_at"]))
        deltas[columns["community_id"]] += int(columns["status"] == MembershipStatus.ACTIVE)
    Membership.objects.bulk_create(recreated)
    for pk, created_at, updated_at in stamps:  # auto_now(_add) set them on insert
        Membership.objects.filter(pk=pk).update(created_at=created_at, updated_at=updated_at)
    relations = {(_label(fk.model), fk.name): fk for fk in membership_relations()}
    for membership_id, by_model in merge.memberships.get("followers", {}).items():
        for label, fields in by_model.items():
            for name, ids in fields.items():
                fk = relations.get((label, name))
                if fk is not None:
                    fk.model._base_manager.filter(pk__in=ids).update(**{name: int(membership_id)})
    _set_community_counts(deltas)


def _check_mergeable(source: Member, target: Member) -> None:
    if source.pk == target.pk:
        raise _fail(_("A member cannot be merged into themselves."), "same_member")
    if source.organization_id != target.organization_id:
        raise _fail(_("These members belong to different organisations."), "other_organization")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise _fail(
            _("One of these members has already been merged into another."), "already_merged"
        )


@transaction.atomic
def merge_members(
    *,
    actor: OperatorScope | None,
    source: Member,
    target: Member,
    suggestion: MergeSuggestion | None = None,
) -> Merge:
    """Merge `source` into `target` (see the module's docstring); audit-logged.

    `actor` None is the system (auto-merge). ValidationError codes: same_member,
    other_organization, already_merged; PermissionDenied when the actor may not.
    """
    locked = {
        m.pk: m for m in Member.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked.get(source.pk, source), locked.get(target.pk, target)
    if actor is not None:
        actor.require(can_merge(actor, source, target))
    _check_mergeable(source, target)
    now = timezone.now()
    merge = Merge.objects.create(
        organization_id=source.organization_id,
        source=source,
        target=target,
        suggestion=suggestion,
        merged_by_id=actor.user.pk if actor else None,
        merged_at=now,
    )
    _apply(merge)
    if suggestion is not None:
        MergeSuggestion.objects.filter(pk=suggestion.pk).update(
            status=MergeSuggestionStatus.ACCEPTED,
            decided_by_id=actor.user.pk if actor else None,
            decided_at=now,
        )
    record_audit(
        actor=actor,
        action=AuditAction.MERGE,
        target=source,
        changes={"merged_into": [None, target.pk], "merge": merge.pk},
        chapter_id=target.chapter_id,
        organization_id=source.organization_id,
    )
    return merge


def _tree(root_id: int) -> set[int]:
    """The root and every member merged into it, directly or along a chain."""
    ids = {root_id}
    frontier = {root_id}
    while frontier:
        frontier = (
            set(Member.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
            - ids
        )
        ids |= frontier
    return ids


@transaction.atomic
def unmerge(*, actor: OperatorScope | None, merge: Merge) -> Merge:
    """Undo `merge`: the source gets back exactly what it had (see the module's docstring).

    Later merges of the same chain are undone first and redone after, so the order in which
    merges are undone does not matter. The suggestion it came from, if any, becomes rejected
    (the two are different people). ValidationError code `already_unmerged`.
    """
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if actor is not None:
        actor.require(can_unmerge(actor, merge))
    if merge.unmerged_at is not None:
        raise _fail(_("This merge has already been undone."), "already_unmerged")
    tree = _tree(resolve_merged_member_id(merge.target_id))
    later = list(
        Merge.objects.select_for_update()
        .filter(unmerged_at=None, pk__gt=merge.pk, target_id__in=tree)
        .order_by("-pk")
    )
    for other in later:
        _undo(other)
    _undo(merge)
    for other in reversed(later):
        _apply(other)
    now = timezone.now()
    merge.unmerged_at = now
    merge.unmerged_by_id = actor.user.pk if actor else None
    merge.memberships = {}
    merge.save(update_fields=["unmerged_at", "unmerged_by_id", "memberships"])
    if merge.suggestion_id is not None:
        MergeSuggestion.objects.filter(pk=merge.suggestion_id).update(
            status=MergeSuggestionStatus.REJECTED,
            decided_by_id=actor.user.pk if actor else None,
            decided_at=now,
        )
    source = Member.objects.get(pk=merge.source_id)
    record_audit(
        actor=actor,
        action=AuditAction.UNMERGE,
        target=source,
        changes={
            "merged_into": [merge.target_id, None],
            "merge": merge.pk,
            "redone": [m.pk for m in reversed(later)],
        },
        chapter_id=source.chapter_id,
        organization_id=merge.organization_id,
    )
    return merge
