"""Rows of the permission matrix, one module per area (tests/matrix/common.py)."""

from __future__ import annotations

from tests.matrix import activity, imports, member_imports, merges

MODULES = (activity, imports, member_imports, merges)
