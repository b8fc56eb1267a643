"""Reads of applications (入群申请): forms, an applicant's latest application, the review queue.

Who reviews (docs/applications.md): organisation admins every community; chapter heads the
communities of their chapters; assistants only the communities they are assigned to and whose
form allows assistants to review. Who edits a form: `actor.can_manage_chapter(chapter_id)`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.accounts.selectors import OperatorScope
from shequn.applications.models import (
    Application,
    ApplicationDecision,
    ApplicationForm,
    ApplicationStatus,
)
from shequn.members.models import Member, Membership
from shequn.members.search import member_match, unindexed_ordering
from shequn.organizations.models import Community, CommunityAccess

SEARCH_MAX_LENGTH = 100
MAX_WAITING_DAYS = 3650


# Entry points of other streams -------------------------------------------------------------


def get_application_form(community: Community) -> ApplicationForm | None:
    """The community's application form, or None when it has none yet."""
    return ApplicationForm.objects.filter(community_id=community.pk).first()


def get_latest_application(*, member: Member, community: Community) -> Application | None:
    """The member's most recent application to the community (any status), or None."""
    return (
        Application.objects.filter(member_id=member.pk, community_id=community.pk)
        .order_by("-submitted_at", "-id")
        .first()
    )


def has_approved_application(*, member: Member, community: Community) -> bool:
    """Whether the member's latest application to the community is approved (what a paid
    community that requires an application checks before it takes an order)."""
    latest = get_latest_application(member=member, community=community)
    return latest is not None and latest.status == ApplicationStatus.APPROVED


def get_approved_awaiting(*, member: Member, community: Community) -> Application | None:
    """The member's latest application when it is approved and its next step is still ahead:
    paying (a paid community) or a seat (they are on the waitlist). None otherwise."""
    latest = get_latest_application(member=member, community=community)
    if latest is None or latest.status != ApplicationStatus.APPROVED:
        return None
    if community.access == CommunityAccess.PAID:
        return latest
    from shequn.joining.models import OPEN_WAITLIST_STATUSES, WaitlistEntry

    waiting = WaitlistEntry.objects.filter(
        community_id=community.pk, member_id=member.pk, status__in=OPEN_WAITLIST_STATUSES
    ).exists()
    return latest if waiting else None


def application_required(community: Community) -> bool:
    """Whether the community admits through an application: every private community, and a
    paid one whose joining rules say "approve an application first"."""
    if community.access == CommunityAccess.PRIVATE:
        return True
    if community.access == CommunityAccess.PAID:
        from shequn.joining.rules import get_join_policy

        return get_join_policy(community).paid_requires_application
    return False


# Who may do what ---------------------------------------------------------------------------


def can_edit_form(actor: OperatorScope, community: Community) -> bool:
    return actor.organization.pk == community.organization_id and actor.can_manage_chapter(
        community.chapter_id
    )


def reviewable_communities(actor: OperatorScope, prefix: str = "") -> Q:
    """A filter on Community (or a relation to it through `prefix`) for the communities whose
    applications the actor reviews."""
    scope = actor.community_filter(prefix)
    if actor.is_assistant:
        return scope & Q(**{f"{prefix}application_form__assistants_may_review": True})
    return scope


def can_review(actor: OperatorScope, community: Community) -> bool:
    if actor.organization.pk != community.organization_id:
        return False
    if actor.is_org_admin:
        return True
    if actor.is_chapter_head:
        return community.chapter_id is not None and community.chapter_id in actor.chapter_ids
    if community.pk not in actor.community_ids:
        return False
    form = get_application_form(community)
    return form is not None and form.assistants_may_review


def may_review_any(actor: OperatorScope) -> bool:
    """Whether the review queue has anything for the actor (assistants: only where allowed)."""
    if not actor.is_assistant:
        return True
    return ApplicationForm.objects.filter(
        community_id__in=actor.community_ids, assistants_may_review=True
    ).exists()


PENDING_COUNT_CAP = 200
# A search matching more members than this walks the queue in its order with the match as a
# subquery (the applicants are a small part of the members: most listed ids would find nothing).
MAX_LISTED = 200

# The review queue ----------------------------------------------------------------------------


def list_applications(
    *,
    actor: OperatorScope,
    community_id: int | None = None,
    status: str = "",
    open_only: bool = True,
    waiting_days: int | None = None,
    q: str = "",
    member_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[Application]:
    """Applications the actor reviews, oldest first (the queue): open ones unless `status`
    names another, or `open_only` is False; `waiting_days`: submitted at least that long ago;
    `q`: the applicant's name, phone or email contains it (the members' search index)."""
    qs = Application.objects.filter(organization_id=actor.organization.pk)
    if not actor.is_org_admin:  # an admin reviews the whole organisation: no join needed
        # The scope's communities as a list (a chapter's few): the planner then reads each
        # community's open queue from its own index instead of walking the organisation's.
        reviewed = Community.objects.filter(reviewable_communities(actor)).values_list(
            "pk", flat=True
        )
        qs = qs.filter(community_id__in=list(reviewed))
    qs = qs.select_related("member", "community", "community__chapter", "decided_by")
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.filter(is_open=1)
    if waiting_days:
        cutoff = (now or timezone.now()) - timedelta(days=min(waiting_days, MAX_WAITING_DAYS))
        qs = qs.filter(submitted_at__lte=cutoff)
    if member_id is not None:
        qs = qs.filter(member_id=member_id)
    if q:
        # The members' search index (name, phone, email), as the member list searches.
        match = member_match(q[:SEARCH_MAX_LENGTH], field="member_id", max_listed=MAX_LISTED)
        qs = qs.filter(match.q)
        if match.listed:
            return qs.order_by(*unindexed_ordering(["submitted_at", "id"]))
    return qs.order_by("submitted_at", "id")


def get_application_for_user(*, actor: OperatorScope, application_id: int) -> Application:
    """An application the actor reviews; Http404 for any other id."""
    try:
        return list_applications(actor=actor, open_only=False).get(pk=application_id)
    except (Application.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such application.")) from exc


def list_decisions(application: Application) -> QuerySet[ApplicationDecision]:
    return application.decisions.select_related("decided_by").order_by("decided_at", "id")


def list_other_memberships(application: Application) -> QuerySet[Membership]:
    """The applicant's memberships in the organisation's communities (for the reviewer)."""
    return (
        Membership.objects.filter(member_id=application.member_id)
        .select_related("community")
        .order_by("-joined_at", "-id")[:20]
    )


def count_pending(community: Community) -> int:
    """Open applications of one community, counted up to PENDING_COUNT_CAP + 1 (a panel shows
    "more than 200"; the open-queue index gives them without reading the decided ones)."""
    return len(
        Application.objects.filter(community_id=community.pk, is_open=1)
        .order_by()
        .values_list("pk", flat=True)[: PENDING_COUNT_CAP + 1]
    )


def list_member_applications(*, actor: OperatorScope, member: Member) -> QuerySet[Application]:
    """The member's applications in communities the actor reviews (the member page's panel)."""
    return (
        Application.objects.filter(
            reviewable_communities(actor, "community__"), member_id=member.pk
        )
        .select_related("community")
        .order_by("-submitted_at", "-id")
    )


def list_own_applications(member: Member) -> QuerySet[Application]:
    """A member's own applications (member pages), newest first."""
    return (
        Application.objects.filter(member_id=member.pk)
        .select_related("community", "community__organization")
        .order_by("-submitted_at", "-id")
    )
