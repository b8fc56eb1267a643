"""Rows of the permission matrix, one module per area (tests/matrix/common.py)."""

from __future__ import annotations

from tests.matrix import (
    activity,
    applications,
    exit_reviews,
    imports,
    invitations,
    joining,
    ladder,
    leaderboards,
    member_imports,
    merges,
    payments,
    points,
    profiles,
    rewards,
    segments,
    tags,
)

MODULES = (
    activity,
    imports,
    member_imports,
    merges,
    invitations,
    applications,
    payments,
    joining,
    ladder,
    tags,
    segments,
    profiles,
    points,
    leaderboards,
    rewards,
    exit_reviews,
)
