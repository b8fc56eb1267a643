"""Permission-matrix rows of points (see tests/matrix/common.py).

Rules, settings and levels: every operator reads them (the rules page, the API's GETs); only
the organisation admin changes them. A member's points: every operator who may see the member;
adjustments and reversals: the admin and the chapter head, not the assistant. `entry` is an
award on `member`, `far_entry` one on `other_member` (the other chapter: scoped operators get
404). My points (/c/me/<org>/points/): the member only; any other account gets the 404 page.
"""

from __future__ import annotations

from typing import Any, cast

from tests.matrix.common import (
    ADMIN_PAGE,
    API_OTHER,
    API_READ,
    OM,
    OTHER,
    PAGE,
    Fixtures,
    M,
    Row,
)

R = {"rule_id": "point_rule"}
E, FE = {"entry_id": "point_entry"}, {"entry_id": "far_point_entry"}
ADMIN_FORM = (422, 403, 403, 403, 403, 302)  # an empty post: the form again, with its errors
ADMIN_ACT = (302, 403, 403, 403, 403, 302)
ADJUST_FORM = (422, 422, 403, 403, 403, 302)
ADJUST_FORM_OTHER = (422, 404, 404, 403, 403, 302)
API_ADMIN_WRITE = (200, 403, 403, 401, 401, 401)
RULE_BODY = {"kind": "custom", "custom_name": "matrix_rule", "points": 5}
SETTINGS_BODY = {"expiry_months": 12, "referral_points": 30, "referral_days": 7}
LEVELS_BODY = {
    "levels": [{"name": "新人", "threshold": 0, "badge": "🌱"}, {"name": "骨干", "threshold": 100}]
}
ADJUST_BODY = {"points": 5, "note": "补发签到积分"}

CONSOLE: list[Row] = [
    Row("points:rules", {}, "get", PAGE),
    Row("points:rule_create", {}, "get", ADMIN_PAGE),
    Row("points:rule_create", {}, "post", ADMIN_FORM),
    Row("points:rule_edit", R, "get", ADMIN_PAGE),
    Row("points:rule_edit", R, "post", ADMIN_FORM),
    Row("points:rule_switch", R, "post", ADMIN_ACT),
    Row("points:rule_delete", R, "post", ADMIN_ACT),
    Row("points:install_defaults", {}, "post", ADMIN_ACT),
    Row("points:settings", {}, "get", ADMIN_PAGE),
    Row("points:settings", {}, "post", ADMIN_FORM),
    Row("points:levels", {}, "get", ADMIN_PAGE),
    Row("points:levels", {}, "post", ADMIN_FORM),
    Row("points:member", M, "get", PAGE),
    Row("points:member", OM, "get", OTHER),
    Row("points:adjust", M, "post", ADJUST_FORM),
    Row("points:adjust", OM, "post", ADJUST_FORM_OTHER),
    Row("points:reverse", E, "post", ADJUST_FORM),
    Row("points:reverse", FE, "post", ADJUST_FORM_OTHER),
]
PORTAL: list[Row] = [
    Row(
        "points_portal:mine", {"org_slug": "points_org_slug"}, "get", (404, 404, 404, 200, 404, 302)
    ),
]
API: list[Row] = [
    Row("/points/rules", {}, "get", API_READ),
    Row("/points/rules", {}, "post", (201, 403, 403, 401, 401, 401), RULE_BODY),
    Row("/points/rules/{rule_id}", R, "get", API_READ),
    Row("/points/rules/{rule_id}", R, "patch", API_ADMIN_WRITE, {"points": 4}),
    Row("/points/rules/{rule_id}", R, "delete", (204, 403, 403, 401, 401, 401)),
    Row("/points/settings", {}, "get", API_READ),
    Row("/points/settings", {}, "put", API_ADMIN_WRITE, SETTINGS_BODY),
    Row("/points/levels", {}, "get", API_READ),
    Row("/points/levels", {}, "put", API_ADMIN_WRITE, LEVELS_BODY),
    Row("/members/{member_id}/points", M, "get", API_READ),
    Row("/members/{member_id}/points", OM, "get", API_OTHER),
    Row("/members/{member_id}/points/entries", M, "get", API_READ),
    Row("/members/{member_id}/points/entries", OM, "get", API_OTHER),
    Row(
        "/members/{member_id}/points/adjustments",
        M,
        "post",
        (201, 201, 403, 401, 401, 401),
        ADJUST_BODY,
    ),
    Row(
        "/members/{member_id}/points/adjustments",
        OM,
        "post",
        (201, 404, 404, 401, 401, 401),
        ADJUST_BODY,
    ),
    Row(
        "/points/entries/{entry_id}/reversal",
        E,
        "post",
        (201, 201, 403, 401, 401, 401),
        {"note": "错发"},
    ),
    Row(
        "/points/entries/{entry_id}/reversal",
        FE,
        "post",
        (201, 404, 404, 401, 401, 401),
        {"note": "错发"},
    ),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """A rule of the organisation, an award of 10 points on `member` and one on
    `other_member`; and the organisation's slug for the member page (the matrix passes the
    values of `ids` to `reverse`, so a slug goes through as it is)."""
    from shequn.activity.models import ActivityKind
    from shequn.points.ledger import Draft, write_entry
    from shequn.points.models import EntryReason, PointRule

    rule = PointRule.objects.create(
        organization=fixtures.org, kind=ActivityKind.CHECK_IN, points=5, daily_cap=5
    )
    made: dict[str, Any] = {"point_rule": rule.pk, "points_org_slug": fixtures.org.slug}
    for name, member in (
        ("point_entry", fixtures.member),
        ("far_point_entry", fixtures.other_member),
    ):
        made[name] = write_entry(member, Draft(delta=10, reason=EntryReason.AWARD, rule=rule)).pk
    return cast(dict[str, int], made)
