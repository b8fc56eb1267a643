"""Reads of organisations, chapters and communities, always through the actor's scope."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.organizations.models import (
    CLOSING_KINDS,
    Chapter,
    ClosePolicy,
    Community,
    CommunityAccess,
    CommunityKind,
    CommunityOldSlug,
    CommunityStatus,
)

if TYPE_CHECKING:
    from shequn.accounts.models import Operator
    from shequn.accounts.selectors import OperatorScope

# Names sort by pinyin through the stored `sort_key`; `member_count` is the maintained counter.
COMMUNITY_ORDERINGS = {
    "name": ("sort_key", "id"),
    "-name": ("-sort_key", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "members": ("member_count", "id"),
    "-members": ("-member_count", "-id"),
    "starts": ("starts_at", "id"),
    "-starts": ("-starts_at", "-id"),
}


def list_communities(
    *,
    actor: OperatorScope,
    q: str = "",
    kind: str = "",
    access: str = "",
    status: str = "",
    chapter_id: int | None = None,
    order: str = "name",
) -> QuerySet[Community]:
    """Communities in the actor's scope; `member_count` is their maintained active count."""
    qs = Community.objects.filter(actor.community_filter()).select_related("chapter")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(slug__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if access:
        qs = qs.filter(access=access)
    if status:
        qs = qs.filter(status=status)
    if chapter_id is not None:
        qs = qs.filter(chapter_id=chapter_id)
    return qs.order_by(*COMMUNITY_ORDERINGS.get(order, COMMUNITY_ORDERINGS["name"]))


def get_community_for_user(*, actor: OperatorScope, community_id: int) -> Community:
    """A community in the actor's scope; Http404 otherwise, so others' ids reveal nothing."""
    try:
        return (
            Community.objects.filter(actor.community_filter())
            .select_related("chapter", "organization")
            .get(pk=community_id)
        )
    except (Community.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such community.")) from exc


def list_chapters(*, actor: OperatorScope, q: str = "") -> QuerySet[Chapter]:
    """Chapters the actor works in; `community_count` is their maintained active count."""
    qs = Chapter.objects.filter(organization=actor.organization)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(slug__icontains=q) | Q(city__icontains=q))
    if actor.is_chapter_head:
        qs = qs.filter(id__in=actor.chapter_ids)
    elif actor.is_assistant:
        qs = qs.filter(communities__id__in=actor.community_ids).distinct()
    return qs.order_by("sort_key", "id")


def get_chapter_for_user(*, actor: OperatorScope, chapter_id: int) -> Chapter:
    try:
        return list_chapters(actor=actor).get(pk=chapter_id)
    except (Chapter.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such chapter.")) from exc


@dataclass(frozen=True)
class DashboardGroup:
    """One chapter (None: organisation-wide) with its communities, grouped by kind."""

    chapter: Chapter | None
    kinds: list[tuple[str, str, list[Community]]]
    member_total: int


def get_dashboard(*, actor: OperatorScope, include_archived: bool = False) -> list[DashboardGroup]:
    """The actor's communities grouped by chapter and then by kind, in two queries."""
    communities = list_communities(
        actor=actor, status="" if include_archived else CommunityStatus.ACTIVE
    )
    chapters = {c.pk: c for c in list_chapters(actor=actor)}
    by_chapter: dict[int | None, list[Community]] = {}
    for community in communities:
        by_chapter.setdefault(community.chapter_id, []).append(community)
    groups: list[DashboardGroup] = []
    keys: list[int | None] = [None, *chapters.keys()]
    for key in keys:
        items = by_chapter.get(key, [])
        if key is None and not items:
            continue
        if key is not None and key not in chapters:
            continue
        kinds = [
            (value, str(label), [c for c in items if c.kind == value])
            for value, label in CommunityKind.choices
        ]
        groups.append(
            DashboardGroup(
                chapter=chapters.get(key) if key is not None else None,
                kinds=[k for k in kinds if k[2]],
                member_total=sum(c.member_count for c in items),
            )
        )
    return groups


class CommunityMoved(Http404):
    """The address names a community by an old slug (or in other letter case): redirect to
    `community`'s current address. A 404 wherever it is not handled."""

    def __init__(self, community: Community) -> None:
        super().__init__(_("No such community."))
        self.community = community


class CommunityClosed(Http404):
    """The community has closed (archived, dissolved, or past an end that closes it): show
    that it closed. A 404 wherever it is not handled."""

    def __init__(self, community: Community) -> None:
        super().__init__(_("No such community."))
        self.community = community


def find_public_community(*, org_slug: str, slug: str) -> Community:
    """The community an address names, whatever its status; slugs match regardless of case.

    Raises CommunityMoved for an old slug or another letter case, Http404 when none matches.
    """
    communities = Community.objects.select_related("organization", "chapter").alias(
        slug_lower=Lower("slug")
    )
    community = communities.filter(organization__slug=org_slug, slug_lower=slug.lower()).first()
    if community is not None:
        if community.slug != slug:
            raise CommunityMoved(community)
        return community
    old = (
        CommunityOldSlug.objects.select_related("community__organization")
        .alias(slug_lower=Lower("slug"))
        .filter(organization__slug=org_slug, slug_lower=slug.lower())
        .first()
    )
    if old is not None:
        raise CommunityMoved(old.community)
    raise Http404(_("No such community."))


def get_public_community(
    *, org_slug: str, slug: str, now: datetime.datetime | None = None
) -> Community:
    """A community open to visitors, by organisation and slug.

    Raises CommunityMoved (redirect), CommunityClosed (archived, dissolved or past its end:
    the closed page) or Http404.
    """
    community = find_public_community(org_slug=org_slug, slug=slug)
    if community.status != CommunityStatus.ACTIVE or community.is_past_closing_end(
        now or timezone.now()
    ):
        raise CommunityClosed(community)
    return community


def list_communities_due_to_close(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of active communities whose kind closes at the end and whose end has passed, in
    order of their end (what the end-of-life sweeper closes)."""
    return list(
        Community.objects.filter(
            status=CommunityStatus.ACTIVE,
            kind__in=CLOSING_KINDS,
            ends_at__lte=now or timezone.now(),
        )
        .order_by("ends_at", "id")
        .values_list("id", flat=True)
    )


CLOSING_SOON = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class ClosingSoon:
    """A community that closes within CLOSING_SOON: in how many hours, and how."""

    community: Community
    hours: int  # rounded up; 0 when the end has passed and the job has not run yet
    policy: ClosePolicy


def _closing_soon(community: Community, now: datetime.datetime) -> ClosingSoon | None:
    policy = community.close_policy
    if policy is None or community.ends_at is None or community.status != CommunityStatus.ACTIVE:
        return None
    left = (community.ends_at - now).total_seconds()
    if left > CLOSING_SOON.total_seconds():
        return None
    return ClosingSoon(community=community, hours=max(0, math.ceil(left / 3600)), policy=policy)


def get_closing_soon(
    *, community: Community, now: datetime.datetime | None = None
) -> ClosingSoon | None:
    """The warning for a community page (fetched through a selector) closing within a day."""
    return _closing_soon(community, now or timezone.now())


CLOSING_SOON_LIMIT = 20


def list_communities_closing_soon(
    *, actor: OperatorScope, now: datetime.datetime | None = None
) -> list[ClosingSoon]:
    """The actor's active communities that close within a day (or are overdue), soonest
    first, at most CLOSING_SOON_LIMIT: the dashboard's warning."""
    now = now or timezone.now()
    communities = (
        Community.objects.filter(actor.community_filter())
        .filter(
            status=CommunityStatus.ACTIVE,
            kind__in=CLOSING_KINDS,
            ends_at__lte=now + CLOSING_SOON,
        )
        .select_related("chapter")
        .order_by("ends_at", "id")[:CLOSING_SOON_LIMIT]
    )
    return [w for c in communities if (w := _closing_soon(c, now)) is not None]


def list_chapters_with_heads(*, actor: OperatorScope) -> QuerySet[Chapter]:
    """`list_chapters` with each chapter's heads (chapter-head operators) on `heads`."""
    return list_chapters(actor=actor).prefetch_related(
        Prefetch("operators", queryset=_chapter_heads(), to_attr="heads")
    )


def list_chapter_heads(*, chapter: Chapter) -> QuerySet[Operator]:
    """The chapter-head operators who run `chapter` (fetch the chapter through a selector)."""
    return _chapter_heads().filter(chapters=chapter)


def _chapter_heads() -> QuerySet[Operator]:
    from shequn.accounts.models import Operator, OperatorRole

    return (
        Operator.objects.filter(role=OperatorRole.CHAPTER_HEAD, user__is_active=True)
        .select_related("user")
        .order_by("user__username", "id")
    )


__all__ = [
    "COMMUNITY_ORDERINGS",
    "ClosingSoon",
    "CommunityAccess",
    "CommunityClosed",
    "CommunityKind",
    "CommunityMoved",
    "CommunityStatus",
    "DashboardGroup",
    "find_public_community",
    "get_chapter_for_user",
    "get_closing_soon",
    "get_community_for_user",
    "get_dashboard",
    "get_public_community",
    "list_chapter_heads",
    "list_chapters",
    "list_chapters_with_heads",
    "list_communities",
    "list_communities_closing_soon",
    "list_communities_due_to_close",
]
