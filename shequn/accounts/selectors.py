"""Reads about operators: who may see what (their scope), accounts and API tokens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from shequn.accounts.models import ApiToken, Operator, OperatorRole
from shequn.organizations.models import Organization

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from shequn.members.search import IdFilter


@dataclass(frozen=True)
class OperatorScope:
    """What one operator may see and change; passed as `actor` to selectors and services.

    - organisation admin: everything in the organisation;
    - chapter head: the communities of their chapters and the members in them;
    - assistant: their communities and the members in them.
    """

    operator: Operator
    organization: Organization
    role: str
    chapter_ids: frozenset[int] = field(default_factory=frozenset)
    community_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def user(self) -> AbstractBaseUser:
        return self.operator.user

    @property
    def is_org_admin(self) -> bool:
        return self.role == OperatorRole.ORG_ADMIN

    @property
    def is_chapter_head(self) -> bool:
        return self.role == OperatorRole.CHAPTER_HEAD

    @property
    def is_assistant(self) -> bool:
        return self.role == OperatorRole.ASSISTANT

    def community_filter(self, prefix: str = "") -> Q:
        """A filter on Community (or on a relation to it, through `prefix`) for this scope."""
        org = Q(**{f"{prefix}organization_id": self.organization.pk})
        if self.is_org_admin:
            return org
        if self.is_chapter_head:
            return org & Q(**{f"{prefix}chapter_id__in": self.chapter_ids})
        return org & Q(**{f"{prefix}id__in": self.community_ids})

    def row_filter(self) -> Q:
        """A filter on a row that carries its own `organization_id` and `community_id` (invite
        links and joins, orders, leave requests): the organisation on the row's own column, so
        an index that starts with it gives a list's order without a join; scoped roles add
        their communities."""
        org = Q(organization_id=self.organization.pk)
        if self.is_org_admin:
            return org
        return org & Q(community_id__in=self._scope_community_ids())

    def member_filter(self) -> Q:
        """A filter on Member: in the organisation and, for scoped roles, linked to the scope."""
        from shequn.members.models import Membership

        org = Q(organization_id=self.organization.pk)
        if self.is_org_admin:
            return org
        # An index probe per member: (member_id, community_id) is the memberships' unique key.
        in_scope = Membership.objects.filter(
            member_id=OuterRef("pk"), community_id__in=self._scope_community_ids()
        )
        if self.is_chapter_head:
            return org & (Q(chapter_id__in=self.chapter_ids) | Q(Exists(in_scope)))
        return org & Q(Exists(in_scope))

    def member_list_filter(self, limit: int = 2000) -> IdFilter:
        """`member_filter` for a sorted list: the same members, in the cheaper query shape.

        A scope of at most `limit` members (read by one bounded query) filters by their ids, so
        a small chapter in a large organisation reads its own members and not the whole
        organisation's sort order; a larger scope keeps the EXISTS probes, which meet in-scope
        members at once while walking the sort order.
        """
        from shequn.members.models import Member, Membership
        from shequn.members.search import IdFilter

        if self.is_org_admin:
            return IdFilter(self.member_filter(), listed=False)

        members: QuerySet[Any, int] = (
            Membership.objects.filter(community_id__in=self._scope_community_ids())
            .order_by()
            .values_list("member_id", flat=True)
        )
        if self.is_chapter_head:
            home = (
                Member.objects.filter(
                    organization_id=self.organization.pk, chapter_id__in=self.chapter_ids
                )
                .order_by()
                .values_list("pk", flat=True)
            )
            members = home.union(members, all=True)  # streams; duplicates are harmless
        ids = list(members[: limit + 1])
        if len(ids) > limit:
            return IdFilter(self.member_filter(), listed=False)
        return IdFilter(Q(organization_id=self.organization.pk, pk__in=ids), listed=True)

    def _scope_community_ids(self) -> QuerySet[Any] | frozenset[int]:
        """The ids of the scope's communities (a subquery for chapter heads)."""
        from shequn.organizations.models import Community

        if self.is_assistant:
            return self.community_ids
        return Community.objects.filter(self.community_filter()).values("pk")

    def can_manage_organization(self) -> bool:
        """Chapters, operator accounts and organisation-wide communities."""
        return self.is_org_admin

    def can_manage_chapter(self, chapter_id: int | None) -> bool:
        """Create, edit and archive communities in a chapter (None: organisation-wide)."""
        if self.is_org_admin:
            return True
        return self.is_chapter_head and chapter_id is not None and chapter_id in self.chapter_ids

    def can_manage_members_of(self, community_id: int, chapter_id: int | None) -> bool:
        """Add members to a community."""
        return self.can_manage_chapter(chapter_id) or (
            self.is_assistant and community_id in self.community_ids
        )

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied(_("Your account is not allowed to do this."))


def get_operator_scope(user: AbstractBaseUser | AnonymousUser) -> OperatorScope:
    """The scope of a signed-in operator; PermissionDenied for anybody else."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in as an operator first."))
    try:
        operator = Operator.objects.select_related("organization", "user").get(user_id=user.pk)
    except Operator.DoesNotExist as exc:
        raise PermissionDenied(_("This account is not an operator account.")) from exc
    return build_scope(operator)


def is_operator_account(user: AbstractBaseUser) -> bool:
    """Whether a web account is an operator's (signs in on the console, not the member pages)."""
    return Operator.objects.filter(user_id=user.pk).exists()


def build_scope(operator: Operator) -> OperatorScope:
    chapter_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()
    if operator.role == OperatorRole.CHAPTER_HEAD:
        chapter_ids = frozenset(operator.chapters.values_list("id", flat=True))
    elif operator.role == OperatorRole.ASSISTANT:
        community_ids = frozenset(operator.communities.values_list("id", flat=True))
    return OperatorScope(
        operator=operator,
        organization=operator.organization,
        role=operator.role,
        chapter_ids=chapter_ids,
        community_ids=community_ids,
    )


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def get_scope_for_token(raw: str) -> tuple[OperatorScope, ApiToken] | None:
    """The scope an API token acts with, or None when the token is unknown or revoked."""
    token = (
        ApiToken.objects.select_related("operator__organization", "operator__user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.operator.user.is_active:
        return None
    return build_scope(token.operator), token


def list_operators(*, actor: OperatorScope) -> QuerySet[Operator]:
    """Operator accounts of the organisation: all for an admin, oneself for others."""
    qs = Operator.objects.filter(organization=actor.organization).select_related("user")
    if not actor.is_org_admin:
        qs = qs.filter(pk=actor.operator.pk)
    return qs.prefetch_related("chapters", "communities").order_by("user__username")


def get_operator_for_user(*, actor: OperatorScope, operator_id: int) -> Operator:
    try:
        return list_operators(actor=actor).get(pk=operator_id)
    except Operator.DoesNotExist as exc:
        raise Http404(_("No such operator account.")) from exc


def list_api_tokens(*, actor: OperatorScope) -> QuerySet[ApiToken]:
    """The actor's own tokens (an operator only ever sees their own)."""
    return ApiToken.objects.filter(operator=actor.operator).order_by("-created_at")


def get_api_token_for_user(*, actor: OperatorScope, token_id: int) -> ApiToken:
    try:
        return list_api_tokens(actor=actor).get(pk=token_id)
    except ApiToken.DoesNotExist as exc:
        raise Http404(_("No such API token.")) from exc
