"""Reads of invite links (docs/invitations.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.db.models import ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequn.accounts.models import Operator
from shequn.accounts.selectors import OperatorScope
from shequn.invitations.counters import STILL_IN
from shequn.invitations.models import InviteJoin, InviteLink
from shequn.members.models import Member
from shequn.organizations.models import Community

INVITE_LINK_CODE_MAX = 32

# The session remembers the link a visitor came through, per community: {"<community id>": id}.
SESSION_KEY = "shequn_invites"


def remember_invite_link(request: HttpRequest, link: InviteLink) -> None:
    """Keep `link` in the visitor's session, so the join it leads to is attributed to it."""
    links = dict(request.session.get(SESSION_KEY, {}))
    links[str(link.community_id)] = link.pk
    request.session[SESSION_KEY] = links


def get_session_invite_link(request: HttpRequest, community: Community) -> InviteLink | None:
    """The invite link the visitor came to `community` through (this session), or None."""
    link_id = request.session.get(SESSION_KEY, {}).get(str(community.pk))
    if not isinstance(link_id, int):
        return None
    return InviteLink.objects.filter(pk=link_id, community_id=community.pk).first()


MAX_INVITERS = 200


class LinkStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("invite link status", "Active")
    EXPIRED = "expired", _("Expired")
    USED_UP = "used_up", _("Used up")
    OFF = "off", _("Switched off")


def get_link_status(link: InviteLink, *, now: datetime | None = None) -> LinkStatus:
    now = now or timezone.now()
    if link.disabled_at is not None:
        return LinkStatus.OFF
    if link.expires_at is not None and link.expires_at <= now:
        return LinkStatus.EXPIRED
    if link.max_uses is not None and link.use_count >= link.max_uses:
        return LinkStatus.USED_UP
    return LinkStatus.ACTIVE


def _status_filter(status: str, now: datetime) -> Q:
    not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    not_used_up = Q(max_uses__isnull=True) | Q(use_count__lt=F("max_uses"))
    if status == LinkStatus.ACTIVE:
        return Q(disabled_at__isnull=True) & not_expired & not_used_up
    if status == LinkStatus.EXPIRED:
        return Q(disabled_at__isnull=True, expires_at__lte=now)
    if status == LinkStatus.USED_UP:
        return Q(disabled_at__isnull=True) & not_expired & ~not_used_up
    if status == LinkStatus.OFF:
        return Q(disabled_at__isnull=False)
    return Q()


def list_invite_links(
    *,
    actor: OperatorScope,
    community_id: int | None = None,
    inviter_member_id: int | None = None,
    inviter_operator_id: int | None = None,
    status: str = "",
    now: datetime | None = None,
) -> QuerySet[InviteLink]:
    """Links into the actor's communities, newest first (with their kept counters:
    `use_count`, `still_in_count`, `last_joined_at`)."""
    qs = InviteLink.objects.filter(actor.row_filter()).select_related(
        "community__organization", "inviter_member", "inviter_operator__user"
    )
    if community_id is not None:
        qs = qs.filter(community_id=community_id)
    if inviter_member_id is not None:
        qs = qs.filter(inviter_member_id=inviter_member_id)
    if inviter_operator_id is not None:
        qs = qs.filter(inviter_operator_id=inviter_operator_id)
    if status:
        qs = qs.filter(_status_filter(status, now or timezone.now()))
    return qs.order_by("-created_at", "-id")


def get_invite_link_for_user(*, actor: OperatorScope, link_id: int) -> InviteLink:
    """A link into a community of the actor's scope; Http404 otherwise."""
    try:
        return list_invite_links(actor=actor).get(pk=link_id)
    except (InviteLink.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such invite link.")) from exc


def find_invite_link(code: str) -> InviteLink | None:
    """The link an address /c/i/<code>/ names (any status), with its community; None if none."""
    if not code or len(code) > INVITE_LINK_CODE_MAX:
        return None
    # Codes are lower case: one typed off a poster in capitals still works.
    return (
        InviteLink.objects.select_related("community__organization", "community__chapter")
        .filter(code=code.lower())
        .first()
    )


def _joins_in_scope(actor: OperatorScope) -> QuerySet[InviteJoin]:
    return InviteJoin.objects.filter(actor.row_filter())


def list_link_joins(*, actor: OperatorScope, link: InviteLink) -> QuerySet[InviteJoin]:
    """The joins one link brought, newest first, each with `still_in`."""
    return (
        _joins_in_scope(actor)
        .filter(link_id=link.pk)
        .select_related("member", "community", "membership")
        .annotate(still_in=ExpressionWrapper(STILL_IN, output_field=models.BooleanField()))
        .order_by("-joined_at", "-id")
    )


@dataclass(frozen=True)
class InviterRow:
    """One inviter of "who brought whom": a member or an operator, with their counts."""

    kind: str  # "member" or "operator"
    id: int
    name: str
    invitees: int
    still_in: int
    last_joined_at: datetime | None


def list_inviters(
    *, actor: OperatorScope, community_id: int | None = None, limit: int = MAX_INVITERS
) -> list[InviterRow]:
    """Who brought whom: per inviter, how many joined through their links and how many are
    still in, most invitees first (at most `limit` inviters). It groups the inviters' links
    and their kept counters (hundreds of links, not their thousands of joins), then reads the
    names of each kind."""
    links = InviteLink.objects.filter(actor.row_filter(), use_count__gt=0)
    if community_id is not None:
        links = links.filter(community_id=community_id)
    rows: list[tuple[str, int, int, int, datetime | None]] = []
    for kind, field in (("member", "inviter_member_id"), ("operator", "inviter_operator_id")):
        grouped = (
            links.filter(**{f"{field}__isnull": False})
            .order_by()
            .values(field)
            .annotate(n=Sum("use_count"), still=Sum("still_in_count"), last=Max("last_joined_at"))
            .order_by("-n", field)[:limit]
        )
        rows += [(kind, g[field], g["n"], g["still"], g["last"]) for g in grouped]
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    rows = rows[:limit]
    member_ids = [r[1] for r in rows if r[0] == "member"]
    operator_ids = [r[1] for r in rows if r[0] == "operator"]
    names = {
        ("member", pk): name
        for pk, name in Member.objects.filter(pk__in=member_ids).values_list("pk", "display_name")
    } | {
        ("operator", pk): name
        for pk, name in Operator.objects.filter(pk__in=operator_ids).values_list(
            "pk", "user__username"
        )
    }
    return [
        InviterRow(kind, pk, names.get((kind, pk), "?"), n, still, last)
        for kind, pk, n, still, last in rows
    ]


def list_invitees(
    *,
    actor: OperatorScope,
    inviter_member_id: int | None = None,
    inviter_operator_id: int | None = None,
) -> QuerySet[InviteJoin]:
    """The people one inviter brought (in the actor's communities), newest first."""
    joins = _joins_in_scope(actor)
    if inviter_member_id is not None:
        joins = joins.filter(inviter_member_id=inviter_member_id)
    elif inviter_operator_id is not None:
        joins = joins.filter(inviter_operator_id=inviter_operator_id)
    else:
        return joins.none()
    return (
        joins.select_related("member", "community", "link")
        .annotate(still_in=ExpressionWrapper(STILL_IN, output_field=models.BooleanField()))
        .order_by("-joined_at", "-id")
    )


def get_invited_by(*, actor: OperatorScope, member: Member) -> list[InviteJoin]:
    """Who brought `member` into the actor's communities (at most 10 joins, newest first)."""
    return list(
        _joins_in_scope(actor)
        .filter(member_id=member.pk)
        .select_related("community", "inviter_member", "inviter_operator__user", "link")
        .order_by("-joined_at", "-id")[:10]
    )


@dataclass(frozen=True)
class InviteCounts:
    invitees: int
    still_in: int


def count_member_invitees(*, member: Member, community: Community) -> InviteCounts:
    """How many people `member` brought into `community`, and how many are still in (the
    counters of the member's links there: their own link, and any an operator made for them)."""
    counts = InviteLink.objects.filter(
        community_id=community.pk, inviter_member_id=member.pk
    ).aggregate(n=Sum("use_count"), still=Sum("still_in_count"))
    return InviteCounts(invitees=counts["n"] or 0, still_in=counts["still"] or 0)


def get_inviter_operator(*, actor: OperatorScope, operator_id: int) -> Operator:
    """An operator of the actor's organisation, as an inviter; Http404 otherwise."""
    try:
        return Operator.objects.select_related("user").get(
            pk=operator_id, organization_id=actor.organization.pk
        )
    except (Operator.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such operator account.")) from exc
