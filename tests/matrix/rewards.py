"""Permission-matrix rows of rewards (see tests/matrix/common.py)."""

from __future__ import annotations

from tests.matrix.common import Fixtures, Row

CONSOLE: list[Row] = []
PORTAL: list[Row] = []
API: list[Row] = []


def objects(fixtures: Fixtures) -> dict[str, int]:
    return {}
