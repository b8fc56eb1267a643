"""Writes to organisations, chapters and communities. Each checks the actor and audits."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction
from shequn.audit.services import diff, record_audit, snapshot
from shequn.core.collation import sort_key_for
from shequn.core.images import prepare_image_upload
from shequn.core.text import clean_name
from shequn.organizations.counters import count_active_community
from shequn.organizations.models import (
    KIND_LIFESPANS,
    Chapter,
    ClosePolicy,
    Community,
    CommunityOldSlug,
    CommunityStatus,
    Organization,
)
from shequn.organizations.slugs import first_free_slug, slug_from_name

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


def _prepare_images(values: Mapping[str, Any]) -> dict[str, ContentFile[bytes]]:
    """The re-encoded new uploads among `values` by field (shequn.core.images), or errors."""
    prepared: dict[str, ContentFile[bytes]] = {}
    errors: dict[str, list[ValidationError]] = {}
    for name in IMAGE_FIELDS:
        upload = values.get(name)
        if isinstance(upload, UploadedFile):
            try:
                prepared[name] = prepare_image_upload(upload)
            except ValidationError as exc:
                errors[name] = [exc]
    if errors:
        raise ValidationError(errors)
    return prepared


def _slug_conflict(
    model: type[Community] | type[Chapter], *, org_id: int, slug: str, exclude_pk: int | None
) -> ValidationError | None:
    """Why `slug` cannot be used (compared regardless of case), or None when it is free.

    A community's old slug stays reserved for it while it redirects (docs/console.md).
    """
    qs = model.objects.alias(slug_lower=Lower("slug")).filter(
        organization_id=org_id, slug_lower=slug.lower()
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        message = (
            _("Another community of this organisation has this slug.")
            if model is Community
            else _("Another chapter of this organisation has this slug.")
        )
        return ValidationError({"slug": ValidationError(message, code="duplicate_slug")})
    if model is Community:
        old = CommunityOldSlug.objects.alias(slug_lower=Lower("slug")).filter(
            organization_id=org_id, slug_lower=slug.lower()
        )
        if exclude_pk is not None:
            old = old.exclude(community_id=exclude_pk)
        if old.exists():
            message = _(
                "Another community had this slug before and its old links still lead to it. "
                "Choose another slug."
            )
            return ValidationError({"slug": ValidationError(message, code="old_slug")})
    return None


def _check_slug(
    model: type[Community] | type[Chapter], *, org_id: int, slug: str, exclude_pk: int | None
) -> None:
    if slug:
        error = _slug_conflict(model, org_id=org_id, slug=slug, exclude_pk=exclude_pk)
        if error is not None:
            raise error


def propose_slug(
    model: type[Community] | type[Chapter],
    *,
    org_id: int,
    name: str,
    exclude_pk: int | None = None,
) -> str:
    """A free slug from `name` in pinyin ("上海沙龙群" → "shanghai-shalong-qun"), with a
    numeric suffix ("-2", "-3"…) when taken by another chapter/community or an old slug."""
    fallback = "community" if model is Community else "chapter"
    return first_free_slug(
        slug_from_name(name, fallback=fallback),
        is_taken=lambda slug: (
            _slug_conflict(model, org_id=org_id, slug=slug, exclude_pk=exclude_pk) is not None
        ),
    )


# Member pages live at /c/<organisation>/<community>/; these first parts of /c/ addresses are
# the member pages' own (/c/i/<code>/ is an invite link, /c/orders/<number>/ an order, …), so no
# organisation may take them (shequn/organizations/tests/test_reserved_slugs.py walks the URLs).
RESERVED_ORGANIZATION_SLUGS = frozenset(
    {"i", "me", "login", "logout", "verify", "orders", "password-reset"}
)


@transaction.atomic
def create_organization(*, name: str, slug: str, intro: str = "") -> Organization:
    """A new organisation (from set-up or the demo; not an operator action)."""
    if slug.lower() in RESERVED_ORGANIZATION_SLUGS:
        raise ValidationError(
            {"slug": _("This address is taken by the member pages; choose another slug.")},
            code="reserved_slug",
        )
    organization = Organization(name=name.strip(), slug=slug, intro=intro)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def create_chapter(
    *, actor: OperatorScope, name: str, slug: str, city: str = "", intro: str = ""
) -> Chapter:
    actor.require(actor.can_manage_organization())
    name = clean_name(name)
    slug = slug.strip() or propose_slug(Chapter, org_id=actor.organization.pk, name=name)
    chapter = Chapter(
        organization=actor.organization,
        name=name.strip(),
        slug=slug,
        city=city.strip(),
        intro=intro,
    )
    _check_slug(Chapter, org_id=actor.organization.pk, slug=slug, exclude_pk=None)
    chapter.full_clean()
    chapter.sort_key = sort_key_for(chapter.name)
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
            if name == "name":
                value = clean_name(value)
            setattr(chapter, name, value.strip() if isinstance(value, str) else value)
    if not chapter.slug:
        chapter.slug = propose_slug(
            Chapter, org_id=chapter.organization_id, name=chapter.name, exclude_pk=chapter.pk
        )
    _check_slug(Chapter, org_id=chapter.organization_id, slug=chapter.slug, exclude_pk=chapter.pk)
    chapter.full_clean()
    changes = diff(before, snapshot(chapter, CHAPTER_FIELDS))
    if changes:
        chapter.sort_key = sort_key_for(chapter.name)
        chapter.save(update_fields=[*changes, "sort_key", "updated_at"])
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
    """A new community. Without `ends_at`, the kind's lifespan proposes one; without `slug`,
    the name proposes one in pinyin. Its closure at the end is scheduled (docs/jobs.md)."""
    actor.require(actor.can_manage_chapter(chapter.pk if chapter else None))
    if chapter is not None and chapter.organization_id != actor.organization.pk:
        actor.require(False)
    starts_at = starts_at or timezone.now()
    if ends_at is None:
        ends_at = propose_ends_at(kind=kind, starts_at=starts_at)
    name = clean_name(name)
    slug = slug.strip() or propose_slug(Community, org_id=actor.organization.pk, name=name)
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
    images = _prepare_images({"avatar": avatar, "cover": cover})
    _check_slug(Community, org_id=actor.organization.pk, slug=slug, exclude_pk=None)
    community.full_clean(exclude=["avatar", "cover"])
    for name, image in images.items():
        setattr(community, name, image)
    community.sort_key = sort_key_for(community.name)
    community.save()
    count_active_community(chapter_id=community.chapter_id, delta=1)
    record_audit(
        actor=actor,
        action=AuditAction.CREATE,
        target=community,
        changes=snapshot(community, COMMUNITY_FIELDS),
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    _schedule_closure(community)
    return community


@transaction.atomic
def update_community(
    *, actor: OperatorScope, community: Community, data: Mapping[str, Any]
) -> Community:
    """Change the given fields of a community. Moving it needs rights on both chapters.

    A new slug keeps the old one as a redirect (CommunityOldSlug); a new end reschedules the
    closure at the end (docs/jobs.md).
    """
    actor.require(actor.can_manage_chapter(community.chapter_id))
    community = Community.objects.select_for_update().get(pk=community.pk)
    if "chapter" in data:
        new_chapter = data["chapter"]
        actor.require(actor.can_manage_chapter(new_chapter.pk if new_chapter else None))
        if new_chapter is not None and new_chapter.organization_id != community.organization_id:
            actor.require(False)
    images = _prepare_images(data)
    before = snapshot(community, COMMUNITY_FIELDS)
    old_chapter_id = community.chapter_id
    for name in COMMUNITY_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in IMAGE_FIELDS and not value and value is not False:
            continue  # no new upload: keep the current image
        if name in IMAGE_FIELDS and value is False:
            value = ""  # explicitly cleared
        value = images.get(name, value)
        setattr(community, name, clean_name(value) if name == "name" else value)
    if not community.slug:
        community.slug = propose_slug(
            Community,
            org_id=community.organization_id,
            name=community.name,
            exclude_pk=community.pk,
        )
    _check_slug(
        Community, org_id=community.organization_id, slug=community.slug, exclude_pk=community.pk
    )
    community.full_clean(exclude=list(IMAGE_FIELDS))
    changes = diff(before, snapshot(community, COMMUNITY_FIELDS))
    if changes:
        community.sort_key = sort_key_for(community.name)
        community.save(update_fields=[*changes, "sort_key", "updated_at"])
        if community.chapter_id != old_chapter_id and community.status == CommunityStatus.ACTIVE:
            count_active_community(chapter_id=old_chapter_id, delta=-1)
            count_active_community(chapter_id=community.chapter_id, delta=1)
        if "slug" in changes:
            _keep_old_slug(community, old_slug=before["slug"])
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=community,
            changes=changes,
            chapter_id=community.chapter_id,
            community_id=community.pk,
        )
        if "ends_at" in changes:
            _schedule_closure(community)
    return community


def _keep_old_slug(community: Community, *, old_slug: str) -> None:
    """After a slug change: the old slug redirects to the community (unless only its case
    changed: addresses match regardless of case), and taking an old slug back ends its
    redirect."""
    CommunityOldSlug.objects.alias(slug_lower=Lower("slug")).filter(
        community=community, slug_lower=community.slug.lower()
    ).delete()
    if old_slug.lower() != community.slug.lower():
        CommunityOldSlug.objects.create(
            organization_id=community.organization_id, community=community, slug=old_slug
        )


def _schedule_closure(community: Community) -> None:
    """After the commit, queue `close_community` for the community's end (when its kind closes
    at the end). The sweeper catches anything this misses; the task re-checks the row."""
    if community.close_policy is None or community.ends_at is None:
        return
    if community.status != CommunityStatus.ACTIVE:
        return
    from shequn.organizations.tasks import close_community  # tasks import services

    community_id, eta = community.pk, community.ends_at
    transaction.on_commit(lambda: close_community.schedule(args=(community_id,), eta=eta))


def _local(value: datetime.datetime) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i")


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
    count_active_community(chapter_id=community.chapter_id, delta=-1)
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
    """Bring an archived community back to active. One whose end has passed (and whose kind
    closes at the end) needs a later end first, or the end-of-life job would close it again."""
    actor.require(actor.can_manage_chapter(community.chapter_id))
    community = Community.objects.select_for_update().get(pk=community.pk)
    if community.status != CommunityStatus.ARCHIVED:
        raise ValidationError(_("Only an archived community can be restored."), code="not_archived")
    if community.is_past_closing_end(timezone.now()):
        assert community.ends_at is not None
        raise ValidationError(
            _(
                "Its end (%(end)s) has passed, so it would close again at once. "
                "Edit it and set a later end first, then restore it."
            ),
            code="past_end",
            params={"end": _local(community.ends_at)},
        )
    community.status = CommunityStatus.ACTIVE
    community.archived_at = None
    community.save(update_fields=["status", "archived_at", "updated_at"])
    count_active_community(chapter_id=community.chapter_id, delta=1)
    record_audit(
        actor=actor,
        action=AuditAction.UPDATE,
        target=community,
        changes={"status": [CommunityStatus.ARCHIVED, CommunityStatus.ACTIVE]},
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    _schedule_closure(community)
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
    if old == CommunityStatus.ACTIVE:
        count_active_community(chapter_id=community.chapter_id, delta=-1)
    record_audit(
        actor=actor,
        action=AuditAction.DISSOLVE,
        target=community,
        changes={"status": [old, CommunityStatus.DISSOLVED]},
        chapter_id=community.chapter_id,
        community_id=community.pk,
    )
    return community


@transaction.atomic
def close_expired_community(
    *, community_id: int, now: datetime.datetime | None = None
) -> Community | None:
    """Close a community whose end has passed, as its kind's policy says (the end-of-life job;
    actor None = the system): lead-gen groups are dissolved; new-member groups, training camps
    and delivery groups archived; open-ended kinds never close.

    Re-reads the row under a lock and does nothing (returns None) when the community is gone,
    no longer active, of an open-ended kind, or not yet at its end: running it twice closes it
    once, with one audit entry. Returns the community it closed.
    """
    now = now or timezone.now()
    community = Community.objects.select_for_update().filter(pk=community_id).first()
    if community is None or community.status != CommunityStatus.ACTIVE:
        return None
    if not community.is_past_closing_end(now):
        return None
    if community.close_policy == ClosePolicy.DISSOLVE:
        community.status, action = CommunityStatus.DISSOLVED, AuditAction.DISSOLVE
    else:
        community.status, action = CommunityStatus.ARCHIVED, AuditAction.ARCHIVE
        community.archived_at = now
    community.closed_by_policy_at = now
    community.save(update_fields=["status", "archived_at", "closed_by_policy_at", "updated_at"])
    count_active_community(chapter_id=community.chapter_id, delta=-1)
    record_audit(
        actor=None,
        action=action,
        target=community,
        changes={"status": [CommunityStatus.ACTIVE, community.status]},
        chapter_id=community.chapter_id,
        community_id=community.pk,
        organization_id=community.organization_id,
    )
    return community
