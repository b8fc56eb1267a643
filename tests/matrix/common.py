"""What the rows of the permission matrix are made of (tests/test_permission_matrix.py).

Each app's rows beyond the foundation live in a module of this package: it defines `CONSOLE`,
`PORTAL` and `API` (lists of Row) and `objects(world)`, which creates the objects its rows name
and returns their ids by name (merged into `World.ids`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PERSONAS = ("org_admin", "chapter_head", "assistant", "member", "outsider", "anonymous")


@dataclass(frozen=True)
class Row:
    """A route (URL name, or API path), the world objects of its URL, the method, the status
    each persona gets (in PERSONAS order) and, for API writes, a body ("@name" → world id)."""

    route: str
    kwargs: dict[str, str]
    method: str
    expected: tuple[int, ...]
    body: dict[str, Any] | None = None


PAGE = (200, 200, 200, 403, 403, 302)
ADMIN_PAGE = (200, 403, 403, 403, 403, 302)
HEAD_PAGE = (200, 200, 403, 403, 403, 302)
OTHER = (200, 404, 404, 403, 403, 302)
C, OC = {"community_id": "community"}, {"community_id": "other_community"}
RESET_LINK = {"uidb64": "member", "token": "member"}

M, OM = {"member_id": "member"}, {"member_id": "other_member"}
API_READ = (200, 200, 200, 401, 401, 401)
API_OTHER = (200, 404, 404, 401, 401, 401)


@dataclass
class Fixtures:
    """The persona objects a module's `objects()` may build on."""

    org: Any
    community: Any
    other_community: Any
    member: Any
    other_member: Any
    org_admin: Any
    chapter_head: Any
    assistant: Any
