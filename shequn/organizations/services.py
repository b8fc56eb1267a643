"""Writes to organisations, chapters and communities. Each checks the actor and audits."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import diff, record_audit, snapshot
from shequn.core.images import validate_image_upload
from shequn.organizations.models import (
    KIND_LIFESPANS,
    Chapter,
    Community,
    CommunityStatus,
    Organization,
)

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

CHAPTER_FIELDS = ("name", "slug", "city", "intro")
COMMUNITY_FIELDS = (
    "chapter",
    "kind",
    "access",
    "name",
    "slug",
    "intro",
    "avatar",
    "cover",
    "rules",
    "capacity",
    "starts_at",
    "ends_at",
)
IMAGE_FIELDS = ("avatar", "cover")


def propose_ends_at(*, kind: str, starts_at: datetime.datetime) -> datetime.datetime | None:
    """The end a kind proposes from its start (e.g. lead-gen: 48 hours); None for open-ended."""
    lifespan = KIND_LIFESPANS.get(kind)
    return starts_at + lifespan if lifespan is not None else None


def _validate_images(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[ValidationError]] = {}
    for name in IMAGE_FIELDS:
        upload = values.get(name)
        if isinstance(upload, UploadedFile):
            try:
                validate_image_upload(upload)
            except ValidationError as exc:
                errors[name] = [exc]
    if errors:
        raise ValidationError(errors)


def _check_slug(
    model: type[Community] | type[Chapter], *, org_id: int, slug: str, exclude_pk: int | None
) -> None:
    qs = model.objects.filter(organization_id=org_id, slug=slug)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if slug and qs.exists():
        message = (
            _("Another community of this organisation has this slug.")
            if model is Community
            else _("Another chapter of this organisation has this slug.")
        )
        raise ValidationError({"slug": message}, code="duplicate_slug")


@transaction.atomic
def create_organization(*, name: str, slug: str, intro: str = "") -> Organization:
    """A new organisation (from set-up or the demo; not an operator action)."""
    organization = Organization(name=name.strip(), slug=slug, intro=intro)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def create_chapter(
    *, actor: OperatorScope, name: str, slug: str, city: str = "", intro: str = ""
) -> Chapter:
    actor.require(actor.can_manage_organization())
    chapter = Chapter(
        organization=actor.organization,
        name=name.strip(),
        slug=slug,
        city=city.strip(),
        intro=intro,
    )
    _check_slug(Chapter, org_id=actor.organization.pk, slug=slug, exclude_pk=None)
    chapter.full_clean()
    chapter.save()
    record_audit(
        actor=actor,
        action=AuditAction.CREATE,
        target=chapter,
        changes=snapshot(chapter, CHAPTER_FIELDS),
        chapter_id=chapter.pk,
    )
    return chapter


@transaction.atomic
def update_chapter(*, actor: OperatorScope, chapter: Chapter, data: Mapping[str, Any]) -> Chapter:
    actor.require(actor.can_manage_organization())
    chapter = Chapter.objects.select_for_update().get(pk=chapter.pk)
    before = snapshot(chapter, CHAPTER_FIELDS)
    for name in CHAPTER_FIELDS:
        if name in data:
            value = data[name]
            setattr(chapter, name, value.strip() if isinstance(value, str) else value)
    _check_slug(Chapter, org_id=chapter.organization_id, slug=chapter.slug, exclude_pk=chapter.pk)
    chapter.full_clean()
    changes = diff(before, snapshot(chapter, CHAPTER_FIELDS))
    if changes:
        chapter.save(update_fields=[*changes, "updated_at"])
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=chapter,
            changes=changes,
            chapter_id=chapter.pk,
        )
    return chapter


@transaction.atomic
def delete_chapter(*, actor: OperatorScope, chapter: Chapter) -> None:
    """Delete a chapter that has no communities (archived ones count: archive is not delete).

    Its members keep their record without a home chapter.
    """
    actor.require(actor.can_manage_organization())
    chapter = Chapter.objects.select_for_update().get(pk=chapter.pk)
    if chapter.organization_id != actor.organization.pk:
        actor.require(False)
    if Community.objects.filter(chapter=chapter).exists():
        raise ValidationError(
            _(
                "This chapter still has communities (archived ones too). "
                "Move them to another chapter first."
            ),
            code="chapter_has_communities",
        )
    record_audit(
        actor=actor,
        action=AuditAction.DELETE,
        target=chapter,
        changes=snapshot(chapter, CHAPTER_FIELDS),
    )
    chapter.delete()


@transaction.atomic
def create_community(
    *,
    actor: OperatorScope,
    chapter: Chapter | None,
    kind: str,
    name: str,
    slug: str,
    access: str = "private",
    intro: str = "",
    rules: str = "",
    capacity: int | None = None,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    avatar: UploadedFile[bytes] | None = None,
    cover: UploadedFile[bytes] | None = None,
) -> Community:
    """A new community. Without `ends_at`, the kind's lifespan proposes one."""
    actor.require(actor.can_manage_chapter(chapter.pk if chapter else None))
    if chapter is not None and chapter.organization_id != actor.organization.pk:
        actor.require(False)
    starts_at = starts_at or timezone.now()
    if ends_at is None:
        ends_at = propose_ends_at(kind=kind, starts_at=starts_at)
    community = Community(
        organization=actor.organization,
        chapter=chapter,
        kind=kind,
        access=access,
        name=name.strip(),
        slug=slug,
        intro=intro,
        rules=rules,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if capacity is not None:
        community.capacity = capacity
    _validate_images({"avatar": avatar, "cover": cover})
    _check_slug(Community, org_id=actor.organization.pk, slug=slug, exclude_pk=None)
    community.full_clean(exclude=["avatar", "cover"])
    if avatar:
        community.avatar = avatar
    if cover:
        community.cover = cover
    community.save()
    record_audit(
        actor=actor,
        action=AuditAction.CREATE,
        target=community,
        changes=snapshot(community, COMMUNITY_FIELDS),
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    return community


@transaction.atomic
def update_community(
    *, actor: OperatorScope, community: Community, data: Mapping[str, Any]
) -> Community:
    """Change the given fields of a community. Moving it needs rights on both chapters."""
    actor.require(actor.can_manage_chapter(community.chapter_id))
    community = Community.objects.select_for_update().get(pk=community.pk)
    if "chapter" in data:
        new_chapter = data["chapter"]
        actor.require(actor.can_manage_chapter(new_chapter.pk if new_chapter else None))
        if new_chapter is not None and new_chapter.organization_id != community.organization_id:
            actor.require(False)
    _validate_images(data)
    before = snapshot(community, COMMUNITY_FIELDS)
    for name in COMMUNITY_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in IMAGE_FIELDS and not value and value is not False:
            continue  # no new upload: keep the current image
        if name in IMAGE_FIELDS and value is False:
            value = ""  # explicitly cleared
        setattr(community, name, value.strip() if name == "name" else value)
    _check_slug(
        Community, org_id=community.organization_id, slug=community.slug, exclude_pk=community.pk
    )
    community.full_clean(exclude=list(IMAGE_FIELDS))
    changes = diff(before, snapshot(community, COMMUNITY_FIELDS))
    if changes:
        community.save(update_fields=[*changes, "updated_at"])
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=community,
            changes=changes,
            chapter_id=community.chapter_id,
            community_id=community.pk,
        )
    return community


@transaction.atomic
def archive_community(*, actor: OperatorScope, community: Community) -> Community:
    """Archive an active community: it leaves the dashboard and its public page closes."""
    actor.require(actor.can_manage_chapter(community.chapter_id))
    community = Community.objects.select_for_update().get(pk=community.pk)
    if community.status != CommunityStatus.ACTIVE:
        raise ValidationError(_("Only an active community can be archived."), code="not_active")
    community.status = CommunityStatus.ARCHIVED
    community.archived_at = timezone.now()
    community.save(update_fields=["status", "archived_at", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.ARCHIVE,
        target=community,
        changes={"status": [CommunityStatus.ACTIVE, CommunityStatus.ARCHIVED]},
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    return community


@transaction.atomic
def restore_community(*, actor: OperatorScope, community: Community) -> Community:
    """Bring an archived community back to active."""
    actor.require(actor.can_manage_chapter(community.chapter_id))
    community = Community.objects.select_for_update().get(pk=community.pk)
    if community.status != CommunityStatus.ARCHIVED:
        raise ValidationError(_("Only an archived community can be restored."), code="not_archived")
    community.status = CommunityStatus.ACTIVE
    community.archived_at = None
    community.save(update_fields=["status", "archived_at", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=community,
        changes={"status": [CommunityStatus.ARCHIVED, CommunityStatus.ACTIVE]},
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    return community


@transaction.atomic
def dissolve_community(*, actor: OperatorScope, community: Community) -> Community:
    """Dissolve (解散) an active or archived community: final, as when a lead-gen group has
    served its 48 hours. Its memberships stay on record; nobody can join it any more."""
    actor.require(actor.can_manage_chapter(community.chapter_id))
    community = Community.objects.select_for_update().get(pk=community.pk)
    if community.status == CommunityStatus.DISSOLVED:
        raise ValidationError(
            _("This community has already been dissolved."), code="already_dissolved"
        )
    old = community.status
    community.status = CommunityStatus.DISSOLVED
    community.save(update_fields=["status", "updated_at"])
    record_audit(
        actor=actor,
        action=AuditAction.DISSOLVE,
        target=community,
        changes={"status": [old, CommunityStatus.DISSOLVED]},
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    return community
