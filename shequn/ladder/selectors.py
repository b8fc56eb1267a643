"""Reads of the ladder: the funnel of a scope, movement between stages in a period, who moved,
a member's stage and its history (docs/ladder.md). Every read is limited to the actor's scope.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from shequn.ladder.models import MemberStage, Stage, StageCount, StageTransition
from shequn.members.models import Member, Membership, MembershipStatus
from shequn.organizations.models import Chapter, Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class LadderScope:
    """The part of the organisation a funnel is of: all of it, a chapter or a community."""

    kind: str  # StageCount.Scope
    id: int = 0
    chapter: Chapter | None = None
    community: Community | None = None

    @property
    def label(self) -> str:
        if self.community is not None:
            return self.community.name
        if self.chapter is not None:
            return self.chapter.name
        return ""


def get_ladder_scope(
    *, actor: OperatorScope, chapter_id: int | None = None, community_id: int | None = None
) -> LadderScope:
    """The scope asked for, checked: the organisation for its admins; a chapter for its head
    (or an admin); a community for whoever sees it. Without ids: the actor's widest scope that
    is a single funnel (chapter heads of one chapter get it; assistants their first community).
    """
    from shequn.organizations.selectors import get_chapter_for_user, get_community_for_user

    if community_id is not None:
        community = get_community_for_user(actor=actor, community_id=community_id)
        return LadderScope(StageCount.Scope.COMMUNITY, community.pk, community=community)
    if chapter_id is not None:
        chapter = get_chapter_for_user(actor=actor, chapter_id=chapter_id)
        if not (actor.is_org_admin or chapter.pk in actor.chapter_ids):
            raise PermissionDenied(_("Your account is not allowed to do this."))
        return LadderScope(StageCount.Scope.CHAPTER, chapter.pk, chapter=chapter)
    if actor.is_org_admin:
        return LadderScope(StageCount.Scope.ORGANIZATION)
    if actor.is_chapter_head and actor.chapter_ids:
        chapter = Chapter.objects.get(pk=min(actor.chapter_ids))
        return LadderScope(StageCount.Scope.CHAPTER, chapter.pk, chapter=chapter)
    if actor.community_ids:
        community = Community.objects.get(pk=min(actor.community_ids))
        return LadderScope(StageCount.Scope.COMMUNITY, community.pk, community=community)
    raise PermissionDenied(_("Your account is not allowed to do this."))


@dataclass(frozen=True)
class FunnelStep:
    stage: int
    label: str
    members: int
    share: float  # of all members of the scope
    reached: int  # on this stage or higher


def stage_funnel(*, actor: OperatorScope, scope: LadderScope) -> list[FunnelStep]:
    """Members per stage in the scope, lowest stage first (from the counts, at any size)."""
    counts = dict(
        StageCount.objects.filter(
            organization_id=actor.organization.pk, scope=scope.kind, scope_id=scope.id
        ).values_list("stage", "members")
    )
    total = sum(counts.values())
    steps = []
    reached = total
    for stage in Stage:
        n = counts.get(stage.value, 0)
        steps.append(
            FunnelStep(
                stage=stage.value,
                label=str(stage.label),
                members=n,
                share=(n / total) if total else 0.0,
                reached=reached,
            )
        )
        reached -= n
    return steps


def period_bounds(
    start: datetime.date, end: datetime.date, time_zone: str
) -> tuple[datetime.datetime, datetime.datetime]:
    """The moments from the start of `start` to the end of `end` (calendar days in the zone);
    ValidationError for an impossible or too long period."""
    if end < start:
        raise ValidationError({"end": _("The end date is before the start date.")})
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationError(
            {"end": _("Choose a period of at most %(n)d days.") % {"n": MAX_PERIOD_DAYS}}
        )
    zone = ZoneInfo(time_zone)
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone),
    )


def _transitions(
    actor: OperatorScope,
    scope: LadderScope,
    start: datetime.datetime,
    end: datetime.datetime,
) -> QuerySet[StageTransition]:
    qs = StageTransition.objects.filter(
        organization_id=actor.organization.pk, occurred_at__gte=start, occurred_at__lt=end
    )
    if scope.kind == StageCount.Scope.COMMUNITY:
        qs = qs.filter(
            Exists(
                Membership.objects.filter(
                    member_id=OuterRef("member_id"),
                    community_id=scope.id,
                    status=MembershipStatus.ACTIVE,
                )
            )
        )
    elif scope.kind == StageCount.Scope.CHAPTER:
        in_chapter = Membership.objects.filter(
            member_id=OuterRef("member_id"),
            community__chapter_id=scope.id,
            status=MembershipStatus.ACTIVE,
        )
        home = Member.objects.filter(pk=OuterRef("member_id"), chapter_id=scope.id)
        qs = qs.filter(Q(Exists(in_chapter)) | Q(Exists(home)))
    return qs


@dataclass(frozen=True)
class Movement:
    from_stage: int | None
    to_stage: int
    members: int


def stage_movement(
    *,
    actor: OperatorScope,
    scope: LadderScope,
    start: datetime.date,
    end: datetime.date,
) -> list[Movement]:
    """How many members moved from each stage to each other in the period (first placements
    have no `from_stage`); a member who moved twice counts in both moves."""
    since, until = period_bounds(start, end, actor.organization.time_zone)
    rows = (
        _transitions(actor, scope, since, until)
        .order_by()
        .values("from_stage", "to_stage")
        .annotate(n=Count("member_id", distinct=True))
    )
    found = [Movement(r["from_stage"], r["to_stage"], r["n"]) for r in rows]
    return sorted(
        found, key=lambda m: (m.from_stage if m.from_stage is not None else -1, m.to_stage)
    )


def list_movers(
    *,
    actor: OperatorScope,
    scope: LadderScope,
    start: datetime.date,
    end: datetime.date,
    from_stage: int | None,
    to_stage: int | None,
    first_placement: bool = False,
) -> QuerySet[StageTransition]:
    """The transitions behind one cell of the movement (newest first), with their members."""
    since, until = period_bounds(start, end, actor.organization.time_zone)
    qs = _transitions(actor, scope, since, until)
    if first_placement:
        qs = qs.filter(from_stage__isnull=True)
    elif from_stage is not None:
        qs = qs.filter(from_stage=from_stage)
    if to_stage is not None:
        qs = qs.filter(to_stage=to_stage)
    return qs.select_related("member", "actor__user").order_by("-occurred_at", "-id")


def get_member_stage(*, member: Member) -> MemberStage | None:
    """The stage row of a member the caller fetched through its scope selector."""
    return MemberStage.objects.filter(member=member).select_related("pinned_by__user").first()


def list_member_transitions(*, member: Member) -> QuerySet[StageTransition]:
    return (
        StageTransition.objects.filter(member=member)
        .select_related("actor__user")
        .order_by("-occurred_at", "-id")
    )


def stage_choices() -> list[tuple[int, Any]]:
    return list(Stage.choices)
