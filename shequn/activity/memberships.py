"""What new join and leave activities do to memberships (called by the ingestion service).

A membership follows the history of its (member, community) pair: every join and leave
activity of the pair, plus the membership's own recorded state (a join at `joined_at`, and a
leave at `left_at` when it ended), walked in time order:

- a join while out (or never in) starts a stint at the join's time;
- a join while in changes nothing (the stint started at the earlier join);
- a leave while in ends the stint at its time — "removed" when its `properties.removed` is
  true, else "left";
- a leave while out changes nothing, and a leave with nothing before it records no
  membership (there is no stint it could end; shequn.activity.history counts such a member
  as in before the leave).

So an older event never overrides a newer state: a leave imported from last year does not end
a membership that a join of last month started. Shequn's own joins and leaves (the console,
the member pages) have already written the membership they record: for them this is a no-op.
History may be older than the community's record in shequn; capacity and closing rules are
for people joining now and do not apply to it.

Counters (Community.member_count, Member.community_count) move by the changes, in a few
UPDATE … SET count = count + delta statements; every change is audit-logged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import F

from shequn.activity.models import Activity, ActivityKind, ActivitySource
from shequn.audit.models import AuditAction, AuditEntry
from shequn.members.models import (
    Member,
    Membership,
    MembershipRole,
    MembershipSource,
    MembershipStatus,
)
from shequn.members.signals import send_memberships_changed
from shequn.organizations.models import Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

CHUNK = 2000
_SOURCES: dict[str, str] = {
    ActivitySource.IMPORT: MembershipSource.IMPORT,
    ActivitySource.API: MembershipSource.API,
    ActivitySource.CHANNEL: MembershipSource.CHANNEL_SYNC,
    ActivitySource.APP: MembershipSource.CONSOLE,
}


@dataclass(frozen=True)
class MembershipEvent:
    member_id: int
    community_id: int
    kind: str  # ActivityKind.JOIN or LEAVE
    occurred_at: datetime
    removed: bool = False


@dataclass(frozen=True)
class Stint:
    """The state the history leads to: in since `joined_at`, or out since `left_at`."""

    joined_at: datetime
    left_at: datetime | None = None
    status: str = MembershipStatus.ACTIVE


# (time, order, kind, removed); order -1 for the membership's own state, else the activity id
_Step = tuple[datetime, int, str, bool]


def walk(steps: Iterable[_Step]) -> Stint | None:
    """The membership a pair's history leads to (None: never in)."""
    state: Stint | None = None
    for at, _order, kind, removed in sorted(steps, key=lambda s: (s[0], s[1])):
        if kind == ActivityKind.JOIN:
            if state is None or state.status != MembershipStatus.ACTIVE:
                state = Stint(joined_at=at)
        elif state is not None and state.status == MembershipStatus.ACTIVE:
            status = MembershipStatus.REMOVED if removed else MembershipStatus.LEFT
            state = Stint(joined_at=state.joined_at, left_at=at, status=status)
    return state


def _own_steps(membership: Membership) -> list[_Step]:
    steps: list[_Step] = [(membership.joined_at, -1, ActivityKind.JOIN, False)]
    if membership.status != MembershipStatus.ACTIVE:
        removed = membership.status == MembershipStatus.REMOVED
        steps.append((membership.left_at or membership.joined_at, -1, ActivityKind.LEAVE, removed))
    return steps


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def apply_membership_events(
    events: Sequence[MembershipEvent], *, source: str, actor: OperatorScope | None = None
) -> int:
    """Bring the memberships of the events' pairs in line with their history; returns how
    many memberships were created or changed. Runs in the caller's transaction."""
    pairs = {(e.member_id, e.community_id) for e in events}
    if not pairs:
        return 0
    community_ids = sorted({c for _m, c in pairs})
    member_ids = sorted({m for m, _c in pairs})
    # The lock add_membership takes, in the same order (organisation, then communities).
    communities = {
        c.pk: c
        for c in Community.objects.select_for_update()
        .filter(pk__in=community_ids)
        .order_by("pk")
        .only("pk", "name", "chapter_id", "organization_id")
    }
    steps: dict[tuple[int, int], list[_Step]] = defaultdict(list)
    memberships: dict[tuple[int, int], Membership] = {}
    members: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(member_ids):
        history = (
            Activity.objects.filter(
                community_id__in=community_ids,
                member_id__in=chunk,
                kind__in=(ActivityKind.JOIN, ActivityKind.LEAVE),
            )
            .order_by()
            .values_list("member_id", "community_id", "occurred_at", "pk", "kind", "properties")
        )
        for member_id, community_id, at, pk, kind, properties in history:
            if (member_id, community_id) in pairs:
                removed = isinstance(properties, dict) and properties.get("removed") is True
                steps[member_id, community_id].append((at, pk, kind, removed))
        for membership in Membership.objects.select_for_update().filter(
            community_id__in=community_ids, member_id__in=chunk
        ):
            key = (membership.member_id, membership.community_id)
            if key in pairs:
                memberships[key] = membership
        for pk, name, sort_key in Member.objects.filter(pk__in=chunk).values_list(
            "pk", "display_name", "sort_key"
        ):
            members[pk] = (name, sort_key)

    created: list[Membership] = []
    changed: list[tuple[Membership, dict[str, list[object]]]] = []
    community_delta: dict[int, int] = defaultdict(int)
    member_delta: dict[int, int] = defaultdict(int)
    for key in sorted(pairs):
        current = memberships.get(key)
        own = _own_steps(current) if current is not None else []
        stint = walk([*steps.get(key, []), *own])
        if stint is None:
            continue
        member_id, community_id = key
        now_active = stint.status == MembershipStatus.ACTIVE
        if current is None:
            created.append(
                Membership(
                    member_id=member_id,
                    community_id=community_id,
                    role=MembershipRole.MEMBER,
                    status=stint.status,
                    source=_SOURCES.get(source, MembershipSource.IMPORT),
                    joined_at=stint.joined_at,
                    left_at=stint.left_at,
                    member_sort_key=members[member_id][1],
                )
            )
            was_active = False
        else:
            membership = current
            before = (membership.status, membership.joined_at, membership.left_at)
            after = (stint.status, stint.joined_at, stint.left_at)
            if before == after:
                continue
            was_active = membership.status == MembershipStatus.ACTIVE
            names = ("status", "joined_at", "left_at")
            diff: dict[str, list[object]] = {
                n: [b, a] for n, b, a in zip(names, before, after, strict=True) if b != a
            }
            membership.status, membership.joined_at, membership.left_at = after
            changed.append((membership, diff))
        if now_active != was_active:
            delta = 1 if now_active else -1
            community_delta[community_id] += delta
            member_delta[member_id] += delta

    Membership.objects.bulk_create(created, batch_size=CHUNK)
    if changed:
        Membership.objects.bulk_update(
            [m for m, _d in changed], ["status", "joined_at", "left_at", "updated_at"], CHUNK
        )
    for community_id, delta in community_delta.items():
        if delta:
            Community.objects.filter(pk=community_id).update(member_count=F("member_count") + delta)
    by_delta: dict[int, list[int]] = defaultdict(list)
    for member_id, delta in member_delta.items():
        if delta:
            by_delta[delta].append(member_id)
    for delta, ids in by_delta.items():
        for chunk in _chunks(ids):
            Member.objects.filter(pk__in=chunk).update(community_count=F("community_count") + delta)
    send_memberships_changed([m.pk for m, _d in changed])
    _audit(created, changed, communities, members, actor)
    return len(created) + len(changed)


def _audit(
    created: list[Membership],
    changed: list[tuple[Membership, dict[str, list[object]]]],
    communities: dict[int, Community],
    members: dict[int, tuple[str, str]],
    actor: OperatorScope | None,
) -> None:
    user = actor.user if actor is not None else None
    entries = []
    items: list[tuple[Membership, str, dict[str, object]]] = [
        (
            m,
            AuditAction.JOIN if m.status == MembershipStatus.ACTIVE else AuditAction.CREATE,
            {
                "status": m.status,
                "source": m.source,
                "joined_at": m.joined_at.isoformat(),
                "left_at": m.left_at.isoformat() if m.left_at else None,
            },
        )
        for m in created
    ]
    for m, diff in changed:
        action: str = (
            AuditAction.JOIN
            if m.status == MembershipStatus.ACTIVE and "status" in diff
            else AuditAction.LEAVE
            if "status" in diff
            else AuditAction.UPDATE
        )
        plain = {
            k: [v.isoformat() if isinstance(v, datetime) else v for v in pair]
            for k, pair in diff.items()
        }
        items.append((m, action, dict(plain)))
    for membership, action, changes in items:
        community = communities[membership.community_id]
        entries.append(
            AuditEntry(
                organization_id=community.organization_id,
                chapter_id=community.chapter_id,
                community_id=community.pk,
                actor_id=user.pk if user else None,
                actor_name=user.get_username() if user else "",
                action=action,
                object_type="membership",
                object_id=str(membership.pk),
                object_repr=f"{members[membership.member_id][0]} @ {community.name}"[:200],
                changes={**changes, "via": "activity"},
            )
        )
    AuditEntry.objects.bulk_create(entries, batch_size=CHUNK)
