"""What a visitor may do next on a community's join page (docs/member-pages.md).

`get_entry` composes the other streams' read-only rules (blacklist, rejoin rule, capacity and
waitlist, applications, prices and orders) into one answer: a state, the call to action and the
facts the page shows. Nothing here writes; `shequn.joining.admission.admit_member` decides again
when the visitor acts, so a stale page can never let anybody in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequn.members.models import Member, Membership, MembershipStatus
from shequn.members.selectors import get_member_for_account, get_visitor_membership
from shequn.organizations.models import Community, CommunityAccess, CommunityStatus

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.utils.functional import _StrPromise

    from shequn.applications.models import Application
    from shequn.invitations.models import InviteLink
    from shequn.joining.models import JoinPolicy, WaitlistEntry
    from shequn.payments.models import Order
    from shequn.payments.selectors import PriceQuote


class EntryState(StrEnum):
    """What the join page offers the visitor."""

    CLOSED = "closed"  # archived, dissolved or past its end
    MEMBER = "member"  # already in: invite friends, leave
    SIGN_UP = "sign_up"  # anonymous, open community: sign up (or sign in)
    SIGN_IN = "sign_in"  # anonymous, private or paid: sign in first
    NO_MEMBER = "no_member"  # signed in without a member profile (an operator, an outsider)
    OTHER_ORG = "other_org"  # a member of another organisation
    BLACKLISTED = "blacklisted"  # the organisation does not admit them
    REJOIN_BLOCKED = "rejoin_blocked"  # left without a request or removed
    JOIN = "join"  # open, a seat is free: one tap
    FULL = "full"  # no seat and no waitlist
    WAITLIST_JOIN = "waitlist_join"  # full, keeps a waitlist: one tap to wait
    WAITLISTED = "waitlisted"  # waiting for a seat
    SEAT_OFFERED = "seat_offered"  # a seat is held for them: take it
    APPLY = "apply"  # an application is needed (none yet, or withdrawn)
    APPLICATION_PENDING = "application_pending"  # waiting for review
    INTERVIEW = "interview"  # the reviewer asked for an interview
    REJECTED = "rejected"  # rejected: may apply again
    APPROVED = "approved"  # approved, not in yet (a seat or the next step is ahead)
    PAY = "pay"  # paid: the price, then the checkout
    PAYMENT_PENDING = "payment_pending"  # an order waits for payment: continue paying
    NOT_FOR_SALE = "not_for_sale"  # paid, but no price is set yet


# How a state's call to action is sent: a link (GET) or a one-tap form (POST, the join URL).
GET = "get"
POST = "post"


@dataclass(frozen=True)
class Entry:
    """The answer of `get_entry`: the state, its call to action and what the page shows."""

    state: EntryState
    cta_url: str = ""
    cta_label: str = ""
    cta_method: str = GET
    member: Member | None = None
    membership: Membership | None = None
    policy: JoinPolicy | None = None
    seats_left: int = 0  # capacity − members − seats held for waitlist offers
    quote: PriceQuote | None = None  # paid communities: the price now
    application: Application | None = None  # the member's latest application
    order: Order | None = None  # the member's pending joining order
    waitlist_entry: WaitlistEntry | None = None
    invite_link: InviteLink | None = None  # the link of this session (attribution)
    invite_problem: str = ""  # why that link no longer works
    invite_url: str = ""  # a member's own invite link page
    leave_url: str = ""  # leave the community (asks first)
    sign_in_url: str = ""

    @property
    def is_post(self) -> bool:
        return self.cta_method == POST


def reverse_or(name: str, fallback: str, **kwargs: Any) -> str:
    """The URL of `name`, or `fallback` while that page does not exist (yet)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback


def _price_quote(community: Community, now: datetime) -> PriceQuote | None:
    from shequn.payments.selectors import get_price_quote

    return get_price_quote(community, now=now)


def _open_order(member: Member, community: Community) -> Order | None:
    from shequn.payments.selectors import get_open_order

    return get_open_order(member=member, community=community)


def _open_waitlist_entry(member: Member, community: Community) -> WaitlistEntry | None:
    from shequn.joining.models import OPEN_WAITLIST_STATUSES, WaitlistEntry

    return WaitlistEntry.objects.filter(
        community_id=community.pk, member_id=member.pk, status__in=OPEN_WAITLIST_STATUSES
    ).first()


def _invite_problem(link: InviteLink | None) -> str:
    if link is None:
        return ""
    from shequn.invitations.services import check_invite_link_usable

    try:
        check_invite_link_usable(link)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def _is_closed(community: Community, now: datetime) -> bool:
    return community.status != CommunityStatus.ACTIVE or community.is_past_closing_end(now)


def get_entry(*, request: HttpRequest, community: Community, now: datetime | None = None) -> Entry:
    """What the visitor of `community`'s join page may do next (see EntryState)."""
    from shequn.invitations.selectors import get_session_invite_link
    from shequn.joining.rules import count_free_seats, get_join_policy

    now = now or timezone.now()
    member = get_member_for_account(request.user)
    policy = get_join_policy(community)
    link = get_session_invite_link(request, community)
    facts: dict[str, Any] = {
        "member": member,
        "policy": policy,
        "invite_link": link,
        "invite_problem": _invite_problem(link),
        "seats_left": count_free_seats(community=community, now=now),
        "sign_in_url": _sign_in_url(community),
    }
    if community.access == CommunityAccess.PAID:
        facts["quote"] = _price_quote(community, now)
    if _is_closed(community, now):
        return Entry(state=EntryState.CLOSED, **facts)
    if not request.user.is_authenticated:
        return _anonymous_entry(community, policy, facts)
    if member is None:
        return Entry(state=EntryState.NO_MEMBER, **facts)
    if member.organization_id != community.organization_id:
        return Entry(state=EntryState.OTHER_ORG, **facts)
    membership = get_visitor_membership(member=member, community=community)
    facts["membership"] = membership
    if membership is not None and membership.status == MembershipStatus.ACTIVE:
        return _member_entry(community, facts)
    blocked = _blocked_entry(member, community, policy, membership, facts)
    if blocked is not None:
        return blocked
    facts["seats_left"] = count_free_seats(community=community, now=now, for_member=member)
    entry = _waitlist_state(member, community, facts)
    if entry is not None:
        return entry
    if community.access == CommunityAccess.PRIVATE or (
        community.access == CommunityAccess.PAID and policy.paid_requires_application
    ):
        entry = _application_state(member, community, facts)
        if entry is not None:
            return entry
    if community.access == CommunityAccess.PAID:
        return _paid_state(member, community, facts)
    return _open_state(community, policy, facts)


def _sign_in_url(community: Community) -> str:
    page = _page(community)
    return f"{reverse('portal:login')}?next={page}"


def _page(community: Community) -> str:
    return reverse("portal:community", args=[community.organization.slug, community.slug])


def _kwargs(community: Community) -> dict[str, str]:
    return {"org_slug": community.organization.slug, "slug": community.slug}


def _anonymous_entry(community: Community, policy: JoinPolicy, facts: dict[str, Any]) -> Entry:
    if community.access != CommunityAccess.OPEN:
        return Entry(
            state=EntryState.SIGN_IN,
            cta_url=reverse("portal:signup", kwargs=_kwargs(community)),
            cta_label=str(_("Create an account to continue")),
            **facts,
        )
    if facts["seats_left"] <= 0 and not policy.waitlist_enabled:
        return Entry(state=EntryState.FULL, **facts)
    signup = reverse("portal:signup", kwargs=_kwargs(community))
    return Entry(
        state=EntryState.SIGN_UP,
        cta_url=signup,
        cta_label=str(_("Join this community")),
        **facts,
    )


def _member_entry(community: Community, facts: dict[str, Any]) -> Entry:
    page = _page(community)
    leave = reverse("joining_portal:leave", kwargs=_kwargs(community))
    return Entry(
        state=EntryState.MEMBER,
        cta_url=reverse_or("invitations_portal:my_link", "", **_kwargs(community)),
        cta_label=str(_("Invite friends")),
        invite_url=reverse_or("invitations_portal:my_link", "", **_kwargs(community)),
        leave_url=f"{leave}?next={page}",
        **facts,
    )


def _blocked_entry(
    member: Member,
    community: Community,
    policy: JoinPolicy,
    membership: Membership | None,
    facts: dict[str, Any],
) -> Entry | None:
    from shequn.joining.rules import find_blacklist_entry, may_rejoin

    if find_blacklist_entry(organization_id=community.organization_id, member=member):
        return Entry(state=EntryState.BLACKLISTED, **facts)
    if not may_rejoin(policy=policy, membership=membership):
        return Entry(state=EntryState.REJOIN_BLOCKED, **facts)
    return None


def _waitlist_state(member: Member, community: Community, facts: dict[str, Any]) -> Entry | None:
    from shequn.joining.models import WaitlistStatus

    entry = _open_waitlist_entry(member, community)
    if entry is None:
        return None
    url = reverse_or("joining_portal:waitlist", _page(community), **_kwargs(community))
    if entry.status == WaitlistStatus.OFFERED and (
        entry.offer_expires_at is None or entry.offer_expires_at > timezone.now()
    ):
        label: str | _StrPromise = _("Take your seat")
        state = EntryState.SEAT_OFFERED
    else:
        label, state = _("See your place on the waitlist"), EntryState.WAITLISTED
    return Entry(state=state, cta_url=url, cta_label=str(label), waitlist_entry=entry, **facts)


def _application_state(member: Member, community: Community, facts: dict[str, Any]) -> Entry | None:
    """The application step: None when it is behind the member (approved, paid community)."""
    from shequn.applications.models import ApplicationStatus
    from shequn.applications.selectors import get_latest_application

    application = get_latest_application(member=member, community=community)
    apply_url = reverse_or("applications_portal:apply", "", **_kwargs(community))
    status_url = reverse_or("applications_portal:status", apply_url, **_kwargs(community))
    status = application.status if application is not None else None
    if status is None or status == ApplicationStatus.WITHDRAWN:
        return Entry(
            state=EntryState.APPLY,
            cta_url=apply_url,
            cta_label=str(_("Apply to join")),
            application=application,
            **facts,
        )
    states: dict[str, tuple[EntryState, str, _StrPromise]] = {
        ApplicationStatus.PENDING: (
            EntryState.APPLICATION_PENDING,
            status_url,
            _("See your application"),
        ),
        ApplicationStatus.INTERVIEW: (EntryState.INTERVIEW, status_url, _("See the interview")),
        ApplicationStatus.REJECTED: (EntryState.REJECTED, apply_url, _("Apply again")),
    }
    if status in states:
        state, url, label = states[status]
        return Entry(
            state=state, cta_url=url, cta_label=str(label), application=application, **facts
        )
    facts["application"] = application
    if community.access == CommunityAccess.PAID:
        return None  # approved: on to paying
    return Entry(
        state=EntryState.APPROVED,
        cta_url=status_url,
        cta_label=str(_("See your application")),
        **facts,
    )


def _paid_state(member: Member, community: Community, facts: dict[str, Any]) -> Entry:
    order = _open_order(member, community)
    if order is not None:
        url = reverse_or("payments_portal:order", "", number=order.number)
        return Entry(
            state=EntryState.PAYMENT_PENDING,
            cta_url=url,
            cta_label=str(_("Continue paying")),
            order=order,
            **facts,
        )
    if facts.get("quote") is None:
        return Entry(state=EntryState.NOT_FOR_SALE, **facts)
    if facts["seats_left"] <= 0:
        return Entry(state=EntryState.FULL, **facts)
    return Entry(
        state=EntryState.PAY,
        cta_url=reverse_or("payments_portal:checkout", "", **_kwargs(community)),
        cta_label=str(_("Pay and join")),
        **facts,
    )


def _open_state(community: Community, policy: JoinPolicy, facts: dict[str, Any]) -> Entry:
    join_url = reverse("portal:join", kwargs=_kwargs(community))
    if facts["seats_left"] > 0:
        label: _StrPromise = _("Join this community")
        state = EntryState.JOIN
    elif policy.waitlist_enabled:
        label, state = _("Join the waitlist"), EntryState.WAITLIST_JOIN
    else:
        return Entry(state=EntryState.FULL, **facts)
    return Entry(state=state, cta_url=join_url, cta_label=str(label), cta_method=POST, **facts)
