"""Reads of members, identities and memberships, always through the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from shequn.members.models import (
    Identity,
    Member,
    Membership,
    MembershipStatus,
    Merge,
    MergeSuggestion,
)
from shequn.members.search import member_match, short_name_query, unindexed_ordering
from shequn.organizations.models import Community

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from shequn.accounts.selectors import OperatorScope
    from shequn.organizations.models import Community

# Every ordering reads an index: names by their pinyin `sort_key` (shequn.core.collation).
MEMBER_ORDERINGS = {
    "name": ("sort_key", "id"),
    "-name": ("-sort_key", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
# The same orders as MEMBER_ORDERINGS "name"/"-name", from a member's name pieces (equal values).
NAME_GRAM_ORDERINGS = {
    "name": ("name_grams__sort_key", "name_grams__member_id"),
    "-name": ("-name_grams__sort_key", "-name_grams__member_id"),
}
MEMBERSHIP_ORDERINGS = {
    "name": ("member_sort_key", "id"),
    "-name": ("-member_sort_key", "-id"),
    "joined": ("joined_at", "id"),
    "-joined": ("-joined_at", "-id"),
    "role": ("role", "member_sort_key", "id"),
}


class MemberMerged(Http404):
    """The member asked for was merged into another (`survivor_id`, in the actor's scope)."""

    def __init__(self, survivor_id: int) -> None:
        super().__init__(_("This member was merged into member %(id)s.") % {"id": survivor_id})
        self.survivor_id = survivor_id


def _members_in_scope(actor: OperatorScope) -> QuerySet[Member]:
    """Members the actor may see; merged members (kept only for unmerge) are left out."""
    return Member.objects.filter(actor.member_filter(), merged_into__isnull=True)


def list_members(
    *,
    actor: OperatorScope,
    q: str = "",
    chapter_id: int | None = None,
    community_id: int | None = None,
    channel: str = "",
    order: str = "name",
) -> QuerySet[Member]:
    """Members the actor may see; `community_count` is their maintained active count.

    Search goes through the member search index (shequn.members.search); the filters are
    EXISTS probes of indexed columns, so no join multiplies rows and no DISTINCT sorts them.
    """
    scope = actor.member_list_filter()
    qs = Member.objects.filter(scope.q, merged_into__isnull=True).select_related("chapter")
    listed = scope.listed
    ordering = MEMBER_ORDERINGS.get(order, MEMBER_ORDERINGS["name"])
    gram = short_name_query(q) if q else None
    if gram is not None and order in NAME_GRAM_ORDERINGS:
        # One or two characters, by name: the name pieces carry the sort key, so the page is
        # read in order from their (organization, gram, sort_key, member) index.
        qs = qs.filter(name_grams__organization_id=actor.organization.pk, name_grams__gram=gram)
        ordering, listed, q = NAME_GRAM_ORDERINGS[order], False, ""
    if q:
        match = member_match(q)
        qs, listed = qs.filter(match.q), listed or match.listed
    if chapter_id is not None:
        qs = qs.filter(chapter_id=chapter_id)
    if community_id is not None:
        qs = qs.filter(
            Exists(Membership.objects.filter(member_id=OuterRef("pk"), community_id=community_id))
        )
    if channel:
        qs = qs.filter(Exists(Identity.objects.filter(member_id=OuterRef("pk"), channel=channel)))
    return qs.order_by(*(unindexed_ordering(ordering) if listed else ordering))


def get_member_for_user(*, actor: OperatorScope, member_id: int) -> Member:
    """A member in the actor's scope; Http404 otherwise.

    A merged member raises MemberMerged (an Http404) naming the surviving member when the
    actor may see that one: the console redirects there, the API answers 404 saying so.
    """
    try:
        return _members_in_scope(actor).select_related("chapter", "organization").get(pk=member_id)
    except (Member.DoesNotExist, ValueError, TypeError) as exc:
        survivor = _survivor_in_scope(actor, member_id)
        if survivor is not None:
            raise MemberMerged(survivor) from exc
        raise Http404(_("No such member.")) from exc


def _survivor_in_scope(actor: OperatorScope, member_id: object) -> int | None:
    """The member a merged member of the actor's organisation ends at, if the actor sees it."""
    if not isinstance(member_id, int):
        return None
    merged = Member.objects.filter(
        pk=member_id, organization_id=actor.organization.pk, merged_into__isnull=False
    ).exists()
    if not merged:
        return None
    survivor = resolve_merged_member_id(member_id)
    return survivor if _members_in_scope(actor).filter(pk=survivor).exists() else None


def resolve_merged_member_id(member_id: int) -> int:
    """The member a chain of merges ends at (`member_id` itself when it was not merged)."""
    current, seen = member_id, set()
    while current not in seen:
        seen.add(current)
        nxt = Member.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
        if nxt is None:
            return current
        current = nxt
    return current


def get_member_profile(*, actor: OperatorScope, member_id: int) -> Member:
    """A member with identities and the memberships the actor may see, prefetched."""
    member = get_member_for_user(actor=actor, member_id=member_id)
    memberships = (
        Membership.objects.filter(member=member)
        .filter(actor.community_filter("community__"))
        .select_related("community", "community__chapter")
        .order_by("-joined_at", "id")
    )
    return (
        Member.objects.select_related("chapter", "organization")
        .prefetch_related(
            Prefetch("identities", queryset=Identity.objects.order_by("channel", "external_id")),
            Prefetch("memberships", queryset=memberships, to_attr="visible_memberships"),
        )
        .get(pk=member.pk)
    )


def list_identities(
    *, actor: OperatorScope, member_id: int | None = None, channel: str = "", q: str = ""
) -> QuerySet[Identity]:
    if actor.is_org_admin:  # the organisation column, not a subquery over every member
        qs = Identity.objects.filter(organization_id=actor.organization.pk)
    else:
        qs = Identity.objects.filter(member__in=_members_in_scope(actor))
    qs = qs.select_related("member")
    if member_id is not None:
        qs = qs.filter(member_id=member_id)
    if channel:
        qs = qs.filter(channel=channel)
    if q:
        qs = qs.filter(Q(external_id__icontains=q) | Q(display_name__icontains=q))
    return qs.order_by("channel", "external_id", "id")


def get_identity_for_user(*, actor: OperatorScope, identity_id: int) -> Identity:
    try:
        return list_identities(actor=actor).get(pk=identity_id)
    except (Identity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such identity.")) from exc


def list_memberships(
    *,
    actor: OperatorScope,
    community_id: int | None = None,
    member_id: int | None = None,
    role: str = "",
    status: str = "",
    q: str = "",
    order: str = "-joined",
) -> QuerySet[Membership]:
    """Memberships in the actor's communities, with member and community joined in."""
    ordering = MEMBERSHIP_ORDERINGS.get(order, MEMBERSHIP_ORDERINGS["-joined"])
    qs = Membership.objects.filter(actor.community_filter("community__")).select_related(
        "member", "community"
    )
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if member_id is not None:
        qs = qs.filter(member_id=member_id)
    if role:
        qs = qs.filter(role=role)
    if status:
        qs = qs.filter(status=status)
    if q:
        match = member_match(q, field="member_id")
        qs = qs.filter(match.q)
        if match.listed:
            return qs.order_by(*unindexed_ordering(ordering))
    return qs.order_by(*ordering)


def get_membership_for_user(*, actor: OperatorScope, membership_id: int) -> Membership:
    try:
        return list_memberships(actor=actor).get(pk=membership_id)
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such membership.")) from exc


def get_member_for_account(user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The member behind a signed-in web account (member pages), or None.

    When that member was merged into another (and kept its account because the survivor had
    one), the surviving member at the end of the chain of merges.
    """
    if not user.is_authenticated:
        return None
    member = Member.objects.select_related("organization").filter(user_id=user.pk).first()
    if member is None or member.merged_into_id is None:
        return member
    survivor_id = resolve_merged_member_id(member.pk)
    return Member.objects.select_related("organization").get(pk=survivor_id)


def get_visitor_membership(*, member: Member | None, community: Community) -> Membership | None:
    """The visiting member's membership in a community, if any."""
    if member is None:
        return None
    return Membership.objects.filter(member=member, community=community).first()


def get_community_membership_for_user(
    *, actor: OperatorScope, community_id: int, membership_id: int
) -> Membership:
    """A membership of one community in the actor's scope; Http404 for any other id."""
    try:
        return list_memberships(actor=actor, community_id=community_id).get(pk=membership_id)
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such membership.")) from exc


def list_member_candidates(
    *, actor: OperatorScope, community: Community, q: str, limit: int = 10
) -> list[Member]:
    """Members the actor may see who match `q`, to add to `community`.

    Each has `in_community`: True when they are already an active member of it.
    """
    if not q.strip():
        return []
    active = Membership.objects.filter(
        member_id=OuterRef("pk"), community_id=community.pk, status=MembershipStatus.ACTIVE
    )
    qs = list_members(actor=actor, q=q.strip()).annotate(in_community=Exists(active))
    return list(qs[:limit])


# Identity merge (shequn.members.merging, shequn.members.merge_suggestions)


def can_review_merges(actor: OperatorScope) -> bool:
    """Organisation admins and chapter heads review and merge; assistants do not."""
    return actor.is_org_admin or actor.is_chapter_head


def _scoped_to_members(actor: OperatorScope, *fields: str) -> Q:
    """Rows whose member `fields` are all in the actor's scope (their organisation for admins)."""
    q = Q(organization_id=actor.organization.pk)
    if actor.is_org_admin:
        return q
    # A small scope: its members' ids (one bounded query). A large one: a test on each row
    # (home chapter, or a membership probe by the unique key), so the list walks its own
    # index and stops after a page instead of first listing every member of the organisation.
    scope = actor.member_list_filter()
    if scope.listed:
        ids = Member.objects.filter(scope.q).values("pk")  # a literal list inside
        for name in fields:
            q &= Q(**{f"{name}_id__in": ids})
        return q
    communities = Community.objects.filter(actor.community_filter()).values("pk")
    for name in fields:
        in_scope = Membership.objects.filter(
            member_id=OuterRef(f"{name}_id"), community_id__in=communities
        )
        row = Q(Exists(in_scope))
        if actor.is_chapter_head:
            # A probe by primary key, not a join: a join on the member's chapter lets the
            # planner start from the chapter's members (all 100,000 of them) and sort.
            at_home = Member.objects.filter(
                pk=OuterRef(f"{name}_id"), chapter_id__in=actor.chapter_ids
            )
            row |= Q(Exists(at_home))
        q &= row
    return q


def list_merge_suggestions(
    *,
    actor: OperatorScope,
    status: str = "open",
    min_confidence: float | None = None,
    reason: str = "",
) -> QuerySet[MergeSuggestion]:
    """Suggestions whose two members the actor may see, most confident first (an index walk)."""
    actor.require(can_review_merges(actor))
    qs = MergeSuggestion.objects.filter(_scoped_to_members(actor, "member_a", "member_b"))
    if status:
        qs = qs.filter(status=status)
    if min_confidence is not None:
        qs = qs.filter(confidence__gte=min_confidence)
    if reason:
        qs = qs.filter(reason_codes__contains=f",{reason},")
    return qs.select_related("member_a", "member_b").order_by("-confidence", "id")


def get_merge_suggestion_for_user(*, actor: OperatorScope, suggestion_id: int) -> MergeSuggestion:
    try:
        return list_merge_suggestions(actor=actor, status="").get(pk=suggestion_id)
    except (MergeSuggestion.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such merge suggestion.")) from exc


def list_merges(
    *, actor: OperatorScope, member_id: int | None = None, active: bool | None = None
) -> QuerySet[Merge]:
    """Merges into members the actor may see, newest first; `member_id`: as source or target."""
    actor.require(can_review_merges(actor))
    qs = Merge.objects.filter(_scoped_to_members(actor, "target"))
    if member_id is not None:
        qs = qs.filter(Q(source_id=member_id) | Q(target_id=member_id))
    if active is not None:
        qs = qs.filter(unmerged_at__isnull=active)
    return qs.select_related("source", "target", "merged_by", "unmerged_by").order_by(
        "-merged_at", "-id"
    )


def get_merge_for_user(*, actor: OperatorScope, merge_id: int) -> Merge:
    try:
        return list_merges(actor=actor).get(pk=merge_id)
    except (Merge.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such merge.")) from exc


MAX_COMPARED_COMMUNITIES = 20
MAX_COUNTED_ACTIVITIES = 10_000


@dataclass
class MemberSide:
    """One member of a comparison, read with a fixed number of bounded queries."""

    member: Member
    identities: list[Identity]
    memberships: list[Membership]
    more_memberships: bool
    activity_count: int  # at most MAX_COUNTED_ACTIVITIES (shown as "10000+")
    activity_capped: bool
    last_activity_at: Any


def compare_members(*, actor: OperatorScope, members: list[Member]) -> list[MemberSide]:
    """Side-by-side profiles: identities, communities (the first 20) and activity."""
    from shequn.activity.models import Activity

    sides = []
    for m in members:
        memberships = list(
            Membership.objects.filter(member=m)
            .filter(actor.community_filter("community__"))
            .select_related("community")
            .order_by("-joined_at", "id")[: MAX_COMPARED_COMMUNITIES + 1]
        )
        activities = Activity.objects.filter(member=m)
        counted = activities.order_by()[: MAX_COUNTED_ACTIVITIES + 1].count()
        last = (
            activities.order_by("-occurred_at", "-id").values_list("occurred_at", flat=True).first()
        )
        sides.append(
            MemberSide(
                member=m,
                identities=list(m.identities.order_by("channel", "external_id")),
                memberships=memberships[:MAX_COMPARED_COMMUNITIES],
                more_memberships=len(memberships) > MAX_COMPARED_COMMUNITIES,
                activity_count=min(counted, MAX_COUNTED_ACTIVITIES),
                activity_capped=counted > MAX_COUNTED_ACTIVITIES,
                last_activity_at=last,
            )
        )
    return sides
