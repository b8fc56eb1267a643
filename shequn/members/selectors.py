"""Reads of members, identities and memberships, always through the actor's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from shequn.members.models import Identity, Member, Membership, MembershipStatus
from shequn.members.search import member_match, short_name_query, unindexed_ordering

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


def _members_in_scope(actor: OperatorScope) -> QuerySet[Member]:
    return Member.objects.filter(actor.member_filter())


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
    qs = Member.objects.filter(scope.q).select_related("chapter")
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
    """A member in the actor's scope; Http404 otherwise."""
    try:
        return _members_in_scope(actor).select_related("chapter", "organization").get(pk=member_id)
    except (Member.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such member.")) from exc


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
    """The member behind a signed-in web account (member pages), or None."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("organization").filter(user_id=user.pk).first()


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
