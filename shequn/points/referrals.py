"""The referral award (docs/points.md): the member who invited someone earns
`PointSettings.referral_points` once the invited member has stayed `referral_days` days.

Stayed means: the membership the invite link brought is still active and was not left and
joined again since (its `joined_at` is not after the invited join). One award per invited
join, ever (the ledger's unique `source_key` "referral:<join id>"); the daily job
`award_all_referrals` is safe to run twice. An inviter merged into another member is credited
on the surviving member.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.invitations.models import InviteJoin
from shequn.members.models import Member, MembershipStatus
from shequn.members.selectors import resolve_merged_member_id
from shequn.organizations.models import Organization
from shequn.points.ledger import Draft, write_entry
from shequn.points.models import EntryReason, LedgerEntry, PointSettings

LOOK_BACK = datetime.timedelta(days=60)  # joins older than the wait plus this were handled


def award_referrals(organization: Organization, *, now: datetime.datetime | None = None) -> int:
    """Credit the inviters whose invitees stayed long enough; how many awards."""
    row = PointSettings.objects.filter(organization=organization).first()
    points = 20 if row is None else row.referral_points
    days = 7 if row is None else row.referral_days
    if not points:
        return 0
    now = now or timezone.now()
    due_before = now - datetime.timedelta(days=days)
    joins = (
        InviteJoin.objects.filter(
            organization=organization,
            inviter_member__isnull=False,
            joined_at__lte=due_before,
            joined_at__gte=due_before - LOOK_BACK,
            membership__status=MembershipStatus.ACTIVE,
        )
        .select_related("membership", "community")
        .order_by("pk")
    )
    done = set(
        LedgerEntry.objects.filter(
            organization=organization, source_key__startswith="referral:"
        ).values_list("source_key", flat=True)
    )
    awarded = 0
    for join in joins.iterator(chunk_size=500):
        key = f"referral:{join.pk}"
        if key in done or join.membership.joined_at > join.joined_at:
            continue
        inviter_id = resolve_merged_member_id(int(join.inviter_member_id or 0))
        if inviter_id == join.member_id:
            continue
        inviter = Member.objects.get(pk=inviter_id)
        try:
            write_entry(
                inviter,
                Draft(
                    delta=points,
                    reason=EntryReason.REFERRAL,
                    community_id=join.community_id,
                    note=_("Invited a member who stayed %(days)s days") % {"days": days},
                    source_key=key,
                ),
            )
        except IntegrityError:  # a concurrent run wrote it
            continue
        awarded += 1
    return awarded
