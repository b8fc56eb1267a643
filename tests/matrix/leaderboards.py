"""Permission-matrix rows of leaderboards (see tests/matrix/common.py).

The console board opens on the first board the operator may see (the organisation's for
admins, their chapter's or community's for the others; the scope checks of other boards are
in shequn/points/tests/test_leaderboards.py). The API's default board is the organisation's:
404 for scoped operators. The member page: members of the organisation.
"""

from __future__ import annotations

from tests.matrix.common import API_OTHER, API_READ, OM, PAGE, Fixtures, M, Row

PC = {"community": "community"}

CONSOLE: list[Row] = [
    Row("leaderboards:board", {}, "get", PAGE),
]
PORTAL: list[Row] = [
    Row("leaderboards_portal:board", PC, "get", (302, 302, 302, 200, 302, 302)),
]
API: list[Row] = [
    Row("/leaderboards", {}, "get", API_OTHER),
    Row("/leaderboards/members/{member_id}", M, "get", API_READ),
    Row("/leaderboards/members/{member_id}", OM, "get", API_OTHER),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    return {}
