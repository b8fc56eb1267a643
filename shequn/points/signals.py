"""Keeping points in step with other writes (docs/points.md).

New activities ask for the awards job; a merge or an unmerge (which moves ledger entries with
the member) has both members' balances counted again from their entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def on_activities_ingested(
    sender: Any, *, organization_id: int, member_ids: list[int], **kwargs: Any
) -> None:
    from shequn.points.tasks import request_awards

    request_awards(organization_id)


def on_memberships_changed(
    sender: Any, *, membership_ids: Sequence[int], member_ids: Sequence[int] = (), **kwargs: Any
) -> None:
    if member_ids:
        from shequn.points.ledger import recount_points

        recount_points(list(member_ids))
