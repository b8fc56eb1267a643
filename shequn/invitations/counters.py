"""The counters a link keeps of its joins: `still_in_count` and `last_joined_at`.

"Who brought whom" and every page of a link read them instead of counting the link's joins
(the busiest link of a large community has thousands). `record_invite_join` adds a join
(`add_join`); a membership that ends or is rewritten (the members app's `memberships_changed`
signal) recounts the links its joins came through (`recount_links`), under the links' row
locks, so concurrent leaves through one link cannot lose a decrement. `recount_members` (the
management command) recounts every link, for rows loaded in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Greatest

from shequn.invitations.models import InviteJoin, InviteLink
from shequn.members.models import MembershipStatus

# The "still in" rule (docs/invitations.md): the membership a join began is active and is
# still the stint that join started (a person who left and came back started a new one).
STILL_IN = Q(membership__status=MembershipStatus.ACTIVE, membership__joined_at=F("joined_at"))
CHUNK = 500


def add_join(link: InviteLink, join: InviteJoin) -> None:
    """One more use and one more person still in (the caller holds the link's row lock)."""
    InviteLink.objects.filter(pk=link.pk).update(
        use_count=F("use_count") + 1,
        still_in_count=F("still_in_count") + 1,
        last_joined_at=Greatest(F("last_joined_at"), join.joined_at)
        if link.last_joined_at is not None
        else join.joined_at,
    )


def recount_links(link_ids: Iterable[int]) -> int:
    """Recount `still_in_count`, `use_count` and `last_joined_at` of these links from their
    joins, under their row locks (taken in id order); returns how many links were wrong."""
    ids = sorted(set(link_ids))
    wrong = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            links = list(
                InviteLink.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .only("pk", "use_count", "still_in_count", "last_joined_at")
            )
            wrong += _recount(links)
    return wrong


def recount_organization_links(organization_id: int | None = None) -> int:
    """Recount every link (of one organisation); returns how many were wrong."""
    links = InviteLink.objects.all()
    if organization_id is not None:
        links = links.filter(organization_id=organization_id)
    return recount_links(links.values_list("pk", flat=True))


def _recount(links: Sequence[InviteLink]) -> int:
    counts: dict[int, tuple[int, int, Any]] = {
        row["link_id"]: (row["n"], row["still"], row["last"])
        for row in InviteJoin.objects.filter(link_id__in=[link.pk for link in links])
        .order_by()
        .values("link_id")
        .annotate(n=Count("pk"), still=Count("pk", filter=STILL_IN), last=Max("joined_at"))
    }
    wrong: list[InviteLink] = []
    for link in links:
        values = counts.get(link.pk, (0, 0, None))
        if values != (link.use_count, link.still_in_count, link.last_joined_at):
            link.use_count, link.still_in_count, link.last_joined_at = values
            wrong.append(link)
    if wrong:
        InviteLink.objects.bulk_update(wrong, ["use_count", "still_in_count", "last_joined_at"])
    return len(wrong)


def links_of_memberships(membership_ids: Sequence[int]) -> list[int]:
    """The links the joins of these memberships came through."""
    found: set[int] = set()
    for start in range(0, len(membership_ids), CHUNK):
        found.update(
            InviteJoin.objects.filter(membership_id__in=membership_ids[start : start + CHUNK])
            .order_by()
            .values_list("link_id", flat=True)
            .distinct()
        )
    return sorted(found)


def on_memberships_changed(sender: Any, membership_ids: Sequence[int], **kwargs: Any) -> None:
    """The members app's `memberships_changed`: recount the links these memberships came by."""
    link_ids = links_of_memberships(membership_ids) if membership_ids else []
    if link_ids:
        recount_links(link_ids)
