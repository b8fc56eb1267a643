"""Reads of organisations, chapters and communities, always through the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from shequn.organizations.models import (
    Chapter,
    Community,
    CommunityAccess,
    CommunityKind,
    CommunityStatus,
)

if TYPE_CHECKING:
    from shequn.accounts.models import Operator
    from shequn.accounts.selectors import OperatorScope

COMMUNITY_ORDERINGS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "members": ("member_count", "id"),
    "-members": ("-member_count", "-id"),
    "starts": ("starts_at", "id"),
    "-starts": ("-starts_at", "-id"),
}


def _active_member_count() -> Count:
    return Count("memberships", filter=Q(memberships__status="active"), distinct=True)


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
    """Communities in the actor's scope, with `member_count` (active memberships)."""
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
    qs = qs.annotate(member_count=_active_member_count())
    return qs.order_by(*COMMUNITY_ORDERINGS.get(order, COMMUNITY_ORDERINGS["name"]))


def get_community_for_user(*, actor: OperatorScope, community_id: int) -> Community:
    """A community in the actor's scope; Http404 otherwise, so others' ids reveal nothing."""
    try:
        return (
            Community.objects.filter(actor.community_filter())
            .select_related("chapter", "organization")
            .annotate(member_count=_active_member_count())
            .get(pk=community_id)
        )
    except (Community.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such community.")) from exc


def list_chapters(*, actor: OperatorScope, q: str = "") -> QuerySet[Chapter]:
    """Chapters the actor works in, with `community_count` of their active communities."""
    qs = Chapter.objects.filter(organization=actor.organization)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(slug__icontains=q) | Q(city__icontains=q))
    if actor.is_chapter_head:
        qs = qs.filter(id__in=actor.chapter_ids)
    elif actor.is_assistant:
        qs = qs.filter(communities__id__in=actor.community_ids).distinct()
    return qs.annotate(
        community_count=Count(
            "communities", filter=Q(communities__status=CommunityStatus.ACTIVE), distinct=True
        )
    ).order_by("name", "id")


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
                member_total=sum(getattr(c, "member_count", 0) for c in items),
            )
        )
    return groups


def get_public_community(*, org_slug: str, slug: str) -> Community:
    """A community as shown to visitors: any active one, by organisation and slug."""
    try:
        return (
            Community.objects.select_related("organization", "chapter")
            .annotate(member_count=_active_member_count())
            .get(organization__slug=org_slug, slug=slug, status=CommunityStatus.ACTIVE)
        )
    except Community.DoesNotExist as exc:
        raise Http404(_("No such community.")) from exc


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
    "CommunityAccess",
    "CommunityKind",
    "CommunityStatus",
    "DashboardGroup",
    "get_chapter_for_user",
    "get_community_for_user",
    "get_dashboard",
    "get_public_community",
    "list_chapter_heads",
    "list_chapters",
    "list_chapters_with_heads",
    "list_communities",
]
