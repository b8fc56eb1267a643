"""The member a "duplicate_member" ValidationError names, for the console to offer instead.

A merged member is never offered: the error names the member it was merged into instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.http import Http404

from shequn.members.models import Member
from shequn.members.selectors import get_member_for_user, resolve_merged_member_id

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

DUPLICATE_MEMBER = "duplicate_member"


def duplicate_member_id(error: ValidationError) -> int | None:
    """The `existing_id` of the first "duplicate_member" error in `error`, if any."""
    if hasattr(error, "error_dict"):
        leaves = [e for errors in error.error_dict.values() for e in errors]
    else:
        leaves = list(error.error_list)
    for leaf in leaves:
        if leaf.code == DUPLICATE_MEMBER and leaf.params and "existing_id" in leaf.params:
            return int(leaf.params["existing_id"])
    return None


def get_duplicate_member_for_user(*, actor: OperatorScope, error: ValidationError) -> Member | None:
    """The existing member `error` names, when the actor may see them (None otherwise)."""
    member_id = duplicate_member_id(error)
    if member_id is None:
        return None
    try:
        return get_member_for_user(actor=actor, member_id=resolve_merged_member_id(member_id))
    except Http404:
        return None
