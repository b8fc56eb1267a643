"""Maintained counters, sort keys and the search index of members: keeping and rebuilding them.

Lists read these instead of counting or sorting whole tables:
- `Community.member_count` and `Member.community_count`: active memberships;
- `Chapter.community_count`: active communities (shequn.organizations.counters);
- `sort_key` of chapters, communities and members, and `Membership.member_sort_key` (pinyin,
  shequn.core.collation);
- the member search index and the name pieces for short queries (shequn.members.search).

The services keep them inside the transaction that changes a row. `recount_members` recomputes
everything from the rows: after a bulk load (`bulk_create` bypasses the services) or to repair
drift. `manage.py recount_members` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from shequn.core.collation import sort_key_for
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.members.search import (
    index_member_names,
    rebuild_member_search_index,
    refresh_planner_statistics,
)
from shequn.organizations.models import Chapter, Community, CommunityStatus

BATCH_SIZE = 2000


def count_membership(*, community_id: int, member_id: int, delta: int) -> None:
    """A membership became active (+1) or ended (-1): both sides' counters, with F()."""
    Community.objects.filter(pk=community_id).update(member_count=F("member_count") + delta)
    Member.objects.filter(pk=member_id).update(community_count=F("community_count") + delta)


def set_member_sort_key(member: Member) -> None:
    """Copy the member's (already saved) sort key to their memberships."""
    Membership.objects.filter(member_id=member.pk).exclude(member_sort_key=member.sort_key).update(
        member_sort_key=member.sort_key
    )


@dataclass(frozen=True)
class RecountResult:
    """How many rows of each kind had a wrong value (0 everywhere: nothing had drifted)."""

    chapters: int
    communities: int
    members: int
    memberships: int

    @property
    def total(self) -> int:
        return self.chapters + self.communities + self.members + self.memberships


def _active_count(model: type[models.Model], fk: str, status: str) -> Coalesce:
    counted = (
        model._default_manager.filter(**{fk: OuterRef("pk"), "status": status})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _fix_sort_keys(queryset: models.QuerySet[Any], name_field: str) -> set[int]:
    """Recompute sort keys in Python (pypinyin); returns the ids that changed."""
    changed: list[Any] = []
    ids: set[int] = set()
    for row in queryset.only("pk", name_field, "sort_key").iterator(chunk_size=BATCH_SIZE):
        key = sort_key_for(getattr(row, name_field))
        if row.sort_key != key:
            row.sort_key = key
            changed.append(row)
            ids.add(row.pk)
    for start in range(0, len(changed), BATCH_SIZE):
        queryset.model._default_manager.bulk_update(
            changed[start : start + BATCH_SIZE], ["sort_key"]
        )
    return ids


def _fix_counter(queryset: models.QuerySet[Any], counter: str, actual: Coalesce) -> set[int]:
    wrong = set(
        queryset.annotate(actual=actual)
        .exclude(**{counter: F("actual")})
        .values_list("pk", flat=True)
    )
    if wrong:
        queryset.model._default_manager.filter(pk__in=wrong).update(**{counter: actual})
    return wrong


@transaction.atomic
def recount_members(*, organization_id: int | None = None) -> RecountResult:
    """Recompute counters, sort keys and the search index (of one organisation, or all)."""
    chapters = Chapter.objects.all()
    communities = Community.objects.all()
    members = Member.objects.all()
    memberships = Membership.objects.all()
    if organization_id is not None:
        chapters = chapters.filter(organization_id=organization_id)
        communities = communities.filter(organization_id=organization_id)
        members = members.filter(organization_id=organization_id)
        memberships = memberships.filter(member__organization_id=organization_id)
    chapter_ids = _fix_sort_keys(chapters, "name") | _fix_counter(
        chapters, "community_count", _active_count(Community, "chapter", CommunityStatus.ACTIVE)
    )
    community_ids = _fix_sort_keys(communities, "name") | _fix_counter(
        communities, "member_count", _active_count(Membership, "community", MembershipStatus.ACTIVE)
    )
    member_ids = _fix_sort_keys(members, "display_name") | _fix_counter(
        members, "community_count", _active_count(Membership, "member", MembershipStatus.ACTIVE)
    )
    member_key = Subquery(Member.objects.filter(pk=OuterRef("member_id")).values("sort_key")[:1])
    stale = memberships.exclude(member_sort_key=member_key)
    stale_count = stale.count()
    if stale_count:
        Membership.objects.filter(pk__in=stale.values("pk")).update(member_sort_key=member_key)
    index_member_names(members.values_list("pk", flat=True).iterator(chunk_size=BATCH_SIZE))
    rebuild_member_search_index()
    refresh_planner_statistics()
    return RecountResult(
        chapters=len(chapter_ids),
        communities=len(community_ids),
        members=len(member_ids),
        memberships=stale_count,
    )
