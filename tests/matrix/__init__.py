"""Rows of the permission matrix, one module per area (tests/matrix/common.py)."""

from __future__ import annotations

from tests.matrix import (
    activity,
    applications,
    imports,
    invitations,
    joining,
    ladder,
    member_imports,
    merges,
    payments,
    profiles,
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
)
