"""The checks every way into a community passes: blacklist, rejoin rule, capacity.

Read-only; `shequn.joining.services.admit_member` runs them inside its transaction, the join
page (`shequn.joining.selectors`) runs them to say in advance what will happen.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from shequn.joining.models import (
    BlacklistEntry,
    BlacklistKey,
    JoinPolicy,
    RejoinPolicy,
    WaitlistEntry,
    WaitlistStatus,
)
from shequn.members.models import Identity, Member, Membership, MembershipStatus
from shequn.members.phones import normalize_phone
from shequn.organizations.models import Community


def get_join_policy(community: Community) -> JoinPolicy:
    """The community's joining rules; the defaults (unsaved) when it has none."""
    try:
        return JoinPolicy.objects.get(community_id=community.pk)
    except JoinPolicy.DoesNotExist:
        return JoinPolicy(community=community)


def _normalized(phone: str) -> str:
    """E.164 of a typed phone ("" when it is not a number: nothing to match)."""
    try:
        return normalize_phone(phone)
    except ValidationError:
        return ""


def find_blacklist_entry(
    *,
    organization_id: int,
    member: Member | None = None,
    phone: str = "",
    email: str = "",
    accounts: list[tuple[str, str]] | None = None,
) -> BlacklistEntry | None:
    """The standing blacklist entry that matches a person, by member, phone, email or any
    channel account (theirs, when `member` is given, and `accounts`), or None."""
    phones = {_normalized(phone)} - {""} if phone else set()
    emails = {email.strip().lower()} if email else set()
    keys = set(accounts or [])
    member_id = None
    if member is not None:
        member_id = member.merged_into_id or member.pk
        if member.phone:
            phones.add(member.phone)
        if member.email:
            emails.add(member.email.lower())
        for channel, external_id, id_phone, id_email in Identity.objects.filter(
            member_id=member.pk
        ).values_list("channel", "external_id", "phone", "email"):
            keys.add((channel, external_id))
            if id_phone:
                phones.add(id_phone)
            if id_email:
                emails.add(id_email.lower())
    match = Q(pk__in=[])
    if member_id is not None:
        match |= Q(member_id=member_id)
    if phones:
        match |= Q(phone__in=sorted(phones))
    if emails:
        match |= Q(email__in=sorted(emails))
    if keys:
        by_key = Q()
        for channel, external_id in keys:
            by_key |= Q(channel=channel, external_id=external_id)
        key_entries = BlacklistKey.objects.filter(by_key, organization_id=organization_id)
        match |= Q(pk__in=key_entries.values("entry_id"))
    return (
        BlacklistEntry.objects.filter(match, organization_id=organization_id, lifted_at=None)
        .order_by("-created_at", "-id")
        .first()
    )


def may_rejoin(*, policy: JoinPolicy, membership: Membership | None) -> bool:
    """Whether a person whose last stint in the community was `membership` may join again.

    Default (seed 002): those who left by request may; those who left without asking or were
    removed may not, unless an operator allowed it (`Membership.rejoin_allowed`).
    """
    if membership is None or membership.status == MembershipStatus.ACTIVE:
        return True
    if membership.rejoin_allowed or policy.rejoin_policy == RejoinPolicy.ANYONE:
        return True
    if policy.rejoin_policy == RejoinPolicy.NOBODY:
        return False
    return membership.status == MembershipStatus.LEFT and membership.left_by_request


def count_held_offers(
    *, community: Community, now: datetime | None = None, exclude_member: Member | None = None
) -> int:
    """Seats held for people on the waitlist whose offer has not run out."""
    now = now or timezone.now()
    offers = WaitlistEntry.objects.filter(
        community_id=community.pk, status=WaitlistStatus.OFFERED, offer_expires_at__gt=now
    )
    if exclude_member is not None:
        offers = offers.exclude(member_id=exclude_member.pk)
    return offers.count()


def count_free_seats(
    *, community: Community, now: datetime | None = None, for_member: Member | None = None
) -> int:
    """Seats a person may take now: capacity − members − seats held for others' offers."""
    held = count_held_offers(community=community, now=now, exclude_member=for_member)
    return max(0, community.capacity - community.member_count - held)
