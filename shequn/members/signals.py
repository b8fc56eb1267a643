"""Signals of the members app: other apps keep what they derive from memberships in step.

`memberships_changed` is sent, inside the writing transaction, after the status or the join
time of memberships changed other than by a plain new join: a membership ended
(`end_membership`), the activity stream rewrote memberships (`apply_membership_events`), a
merge or its undo folded memberships together or apart. `membership_ids` lists them, `member_ids`
members concerned that may hold none of them any more (the merged member of a merge). The
invitations app recounts the "still in" counters of the links those memberships joined by; the
profiles app marks the members for the recompute of stages and layers.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

memberships_changed = Signal()


def send_memberships_changed(membership_ids: Iterable[int], member_ids: Iterable[int] = ()) -> None:
    ids = sorted(set(membership_ids))
    members = sorted(set(member_ids))
    if ids or members:
        from shequn.members.models import Membership

        memberships_changed.send(sender=Membership, membership_ids=ids, member_ids=members)
