"""Permission-matrix rows of the ladder, layers and the recompute (see tests/matrix/common.py).

The funnel and who-moved pages show each operator their own scope (an admin the organisation,
the chapter head their chapter, the assistant their community); the rules pages and the
recompute are for organisation admins. Pinning a stage: admins and the chapter head for members
they see; assistants may not (403). `member` is in `community` (the chapter head's chapter),
`other_member` in `other_community`. A pin with an empty form goes back to the member page
(302) with a message.
"""

from __future__ import annotations

from typing import Any

from tests.matrix.common import (
    ADMIN_PAGE,
    API_OTHER,
    API_READ,
    OTHER,
    PAGE,
    Fixtures,
    Row,
)

M, OM = {"member_id": "member"}, {"member_id": "other_member"}
C, OC = {"community_id": "community"}, {"community_id": "other_community"}
K = {"kind": "kind_regional"}
PIN = (302, 302, 403, 403, 403, 302)
PIN_OTHER = (302, 404, 404, 403, 403, 302)
ADMIN_ACT = (302, 403, 403, 403, 403, 302)
API_ADMIN = (200, 403, 403, 401, 401, 401)
API_PIN = (200, 200, 403, 401, 401, 401)
API_PIN_OTHER = (200, 404, 404, 401, 401, 401)
# Unpinning a member that is not pinned: 422 for those allowed.
API_UNPIN = (422, 422, 403, 401, 401, 401)
API_UNPIN_OTHER = (422, 404, 404, 401, 401, 401)

CONSOLE: list[Row] = [
    Row("ladder:funnel", {}, "get", PAGE),
    Row("ladder:movers", {}, "get", PAGE),
    Row("ladder:rules", {}, "get", ADMIN_PAGE),
    Row("ladder:rules", {}, "post", (422, 403, 403, 403, 403, 302)),
    Row("ladder:pin", M, "post", PIN),
    Row("ladder:pin", OM, "post", PIN_OTHER),
    Row("ladder:unpin", M, "post", PIN),
    Row("ladder:unpin", OM, "post", PIN_OTHER),
    Row("layers:community", C, "get", PAGE),
    Row("layers:community", OC, "get", OTHER),
    Row("layers:rules", {}, "get", ADMIN_PAGE),
    Row("layers:rules_kind", K, "get", ADMIN_PAGE),
    Row("layers:rules_kind", K, "post", (422, 403, 403, 403, 403, 302)),
    Row("recompute:runs", {}, "get", ADMIN_PAGE),
    Row("recompute:now", {}, "post", ADMIN_ACT),
]
PORTAL: list[Row] = []
API: list[Row] = [
    Row("/ladder/funnel", {}, "get", API_READ),
    Row("/ladder/movement", {}, "get", API_READ),
    Row("/ladder/transitions", {}, "get", API_READ),
    Row("/ladder/rules", {}, "get", API_ADMIN),
    Row(
        "/ladder/rules",
        {},
        "put",
        API_ADMIN,
        {
            "understands_min_activities": 5,
            "understands_window_days": 30,
            "familiar_min_member_days": 90,
            "familiar_min_activities": 20,
            "familiar_window_days": 90,
            "bought_min_purchases": 1,
            "bought_again_min_purchases": 2,
        },
    ),
    Row("/members/{member_id}/stage", M, "get", API_READ),
    Row("/members/{member_id}/stage", OM, "get", API_OTHER),
    Row("/members/{member_id}/stage/history", M, "get", API_READ),
    Row("/members/{member_id}/stage/history", OM, "get", API_OTHER),
    Row("/members/{member_id}/stage/pin", M, "put", API_PIN, {"stage": 4, "reason": "核心讲师"}),
    Row(
        "/members/{member_id}/stage/pin",
        OM,
        "put",
        API_PIN_OTHER,
        {"stage": 4, "reason": "核心讲师"},
    ),
    Row("/members/{member_id}/stage/pin", M, "delete", API_UNPIN),
    Row("/members/{member_id}/stage/pin", OM, "delete", API_UNPIN_OTHER),
    Row("/communities/{community_id}/layers", C, "get", API_READ),
    Row("/communities/{community_id}/layers", OC, "get", API_OTHER),
    Row("/communities/{community_id}/layer-members", C, "get", API_READ),
    Row("/communities/{community_id}/layer-members", OC, "get", API_OTHER),
    Row("/members/{member_id}/layers", M, "get", API_READ),
    Row("/members/{member_id}/layers", OM, "get", API_OTHER),
    Row("/layer-rules/{kind}", K, "get", API_ADMIN),
    Row("/layer-rules/{kind}", K, "put", API_ADMIN, {"mode": "percentiles"}),
    Row("/recompute/runs", {}, "get", API_ADMIN),
    Row("/recompute", {}, "post", (202, 403, 403, 401, 401, 401)),
]


def objects(fixtures: Fixtures) -> dict[str, Any]:
    return {"kind_regional": "regional"}
