"""Chapters and communities over the API. Communities are archived, never deleted."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from shequn.accounts.api import actor_of
from shequn.accounts.selectors import OperatorScope
from shequn.core.problems import problem_responses
from shequn.core.schemas import PageParams, PathId, paginate
from shequn.organizations import selectors, services
from shequn.organizations.models import Chapter, Community
from shequn.organizations.schemas import (
    ChapterFilters,
    ChapterIn,
    ChapterOut,
    ChapterPage,
    ChapterPatch,
    CommunityFilters,
    CommunityIn,
    CommunityOut,
    CommunityPage,
    CommunityPatch,
)

router = Router()


def _chapter_or_none(actor: OperatorScope, chapter_id: int | None) -> Chapter | None:
    if chapter_id is None:
        return None
    return selectors.get_chapter_for_user(actor=actor, chapter_id=chapter_id)


# Chapters


@router.get(
    "/chapters", response=ChapterPage, tags=["chapters"], openapi_extra=problem_responses(422)
)
def list_chapters(
    request: HttpRequest, filters: Query[ChapterFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Chapters in the token's scope, by name."""
    return paginate(selectors.list_chapters(actor=actor_of(request), q=filters.q), page)


@router.post(
    "/chapters",
    response={201: ChapterOut},
    tags=["chapters"],
    openapi_extra=problem_responses(403, 413, 422),
)
def create_chapter(request: HttpRequest, payload: ChapterIn) -> Status[Chapter]:
    """A new chapter (organisation admins only)."""
    actor = actor_of(request)
    chapter = services.create_chapter(actor=actor, **payload.model_dump())
    return Status(201, selectors.get_chapter_for_user(actor=actor, chapter_id=chapter.pk))


@router.get(
    "/chapters/{chapter_id}",
    response=ChapterOut,
    tags=["chapters"],
    openapi_extra=problem_responses(404, 422),
)
def get_chapter(request: HttpRequest, chapter_id: PathId) -> Chapter:
    return selectors.get_chapter_for_user(actor=actor_of(request), chapter_id=chapter_id)


@router.patch(
    "/chapters/{chapter_id}",
    response=ChapterOut,
    tags=["chapters"],
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def update_chapter(request: HttpRequest, chapter_id: PathId, payload: ChapterPatch) -> Chapter:
    """Change the fields sent (organisation admins only)."""
    actor = actor_of(request)
    chapter = selectors.get_chapter_for_user(actor=actor, chapter_id=chapter_id)
    services.update_chapter(actor=actor, chapter=chapter, data=payload.changes())
    return selectors.get_chapter_for_user(actor=actor, chapter_id=chapter_id)


@router.delete(
    "/chapters/{chapter_id}",
    response={204: None},
    tags=["chapters"],
    openapi_extra=problem_responses(403, 404, 422),
)
def delete_chapter(request: HttpRequest, chapter_id: PathId) -> Status[None]:
    """Delete a chapter without communities (organisation admins only)."""
    actor = actor_of(request)
    chapter = selectors.get_chapter_for_user(actor=actor, chapter_id=chapter_id)
    services.delete_chapter(actor=actor, chapter=chapter)
    return Status(204, None)


# Communities


@router.get(
    "/communities",
    response=CommunityPage,
    tags=["communities"],
    openapi_extra=problem_responses(404, 422),
)
def list_communities(
    request: HttpRequest, filters: Query[CommunityFilters], page: Query[PageParams]
) -> dict[str, Any]:
    """Communities in the token's scope, with their active member count."""
    actor = actor_of(request)
    _chapter_or_none(actor, filters.chapter_id)
    communities = selectors.list_communities(
        actor=actor,
        q=filters.q,
        kind=filters.kind or "",
        access=filters.access or "",
        status=filters.status or "",
        chapter_id=filters.chapter_id,
        order=filters.order,
    )
    return paginate(communities, page)


@router.post(
    "/communities",
    response={201: CommunityOut},
    tags=["communities"],
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def create_community(request: HttpRequest, payload: CommunityIn) -> Status[Community]:
    """A new community; without `ends_at`, its kind proposes a lifespan."""
    actor = actor_of(request)
    data = payload.model_dump(exclude={"chapter_id"})
    chapter = _chapter_or_none(actor, payload.chapter_id)
    community = services.create_community(actor=actor, chapter=chapter, **data)
    return Status(201, selectors.get_community_for_user(actor=actor, community_id=community.pk))


@router.get(
    "/communities/{community_id}",
    response=CommunityOut,
    tags=["communities"],
    openapi_extra=problem_responses(404, 422),
)
def get_community(request: HttpRequest, community_id: PathId) -> Community:
    return selectors.get_community_for_user(actor=actor_of(request), community_id=community_id)


@router.patch(
    "/communities/{community_id}",
    response=CommunityOut,
    tags=["communities"],
    openapi_extra=problem_responses(403, 404, 413, 422),
)
def update_community(
    request: HttpRequest, community_id: PathId, payload: CommunityPatch
) -> Community:
    """Change the fields sent; `chapter_id` null makes it organisation-wide."""
    actor = actor_of(request)
    community = selectors.get_community_for_user(actor=actor, community_id=community_id)
    data = payload.changes()
    if "chapter_id" in data:
        data["chapter"] = _chapter_or_none(actor, data.pop("chapter_id"))
    services.update_community(actor=actor, community=community, data=data)
    return selectors.get_community_for_user(actor=actor, community_id=community_id)


@router.post(
    "/communities/{community_id}/archive",
    response=CommunityOut,
    tags=["communities"],
    openapi_extra=problem_responses(403, 404, 422),
)
def archive_community(request: HttpRequest, community_id: PathId) -> Community:
    """Archive an active community (the API's way to retire one; there is no delete)."""
    actor = actor_of(request)
    community = selectors.get_community_for_user(actor=actor, community_id=community_id)
    services.archive_community(actor=actor, community=community)
    return selectors.get_community_for_user(actor=actor, community_id=community_id)


@router.post(
    "/communities/{community_id}/dissolve",
    response=CommunityOut,
    tags=["communities"],
    openapi_extra=problem_responses(403, 404, 422),
)
def dissolve_community(request: HttpRequest, community_id: PathId) -> Community:
    """Dissolve an active or archived community. Final: it cannot be restored."""
    actor = actor_of(request)
    community = selectors.get_community_for_user(actor=actor, community_id=community_id)
    services.dissolve_community(actor=actor, community=community)
    return selectors.get_community_for_user(actor=actor, community_id=community_id)


@router.post(
    "/communities/{community_id}/restore",
    response=CommunityOut,
    tags=["communities"],
    openapi_extra=problem_responses(403, 404, 422),
)
def restore_community(request: HttpRequest, community_id: PathId) -> Community:
    """Bring an archived community back to active."""
    actor = actor_of(request)
    community = selectors.get_community_for_user(actor=actor, community_id=community_id)
    services.restore_community(actor=actor, community=community)
    return selectors.get_community_for_user(actor=actor, community_id=community_id)
