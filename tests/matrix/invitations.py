"""Permission-matrix rows of invitations (see tests/matrix/common.py).

Every operator reads the links of their scope and, where they may manage the community's
members (an assistant in their community too), creates and changes them. `inv_link` is in
`community`, `inv_far_link` in `other_community`. The landing address is public; the member's
own-link page is for members of the community (everybody else is sent on: 302).
"""

from __future__ import annotations

from tests.matrix.common import API_OTHER, API_READ, OTHER, PAGE, Fixtures, Row

L, FL = {"link_id": "inv_link"}, {"link_id": "inv_far_link"}
ACT = (302, 302, 302, 403, 403, 302)
ACT_OTHER = (302, 404, 404, 403, 403, 302)
API_WRITE = (200, 200, 200, 401, 401, 401)
# The matrix link's code: digits only (the alphabet has them), so the world can name it by id.
MATRIX_CODE = 234567892345

CONSOLE: list[Row] = [
    Row("invitations:list", {}, "get", PAGE),
    Row("invitations:create", {}, "get", PAGE),
    Row("invitations:create", {}, "post", PAGE),  # nothing chosen: the form again
    Row("invitations:detail", L, "get", PAGE),
    Row("invitations:detail", FL, "get", OTHER),
    Row("invitations:edit", L, "get", PAGE),
    Row("invitations:edit", L, "post", PAGE),  # an empty purpose is refused: the form again
    Row("invitations:edit", FL, "get", OTHER),
    Row("invitations:disable", L, "post", ACT),
    Row("invitations:disable", FL, "post", ACT_OTHER),
    Row("invitations:enable", L, "post", ACT),
    Row("invitations:enable", FL, "post", ACT_OTHER),
    Row("invitations:qr_png", L, "get", PAGE),
    Row("invitations:qr_png", FL, "get", OTHER),
    Row("invitations:qr_svg", L, "get", PAGE),
    Row("invitations:qr_svg", FL, "get", OTHER),
    Row("invitations:show", L, "get", PAGE),
    Row("invitations:show", FL, "get", OTHER),
    Row("invitations:inviters", {}, "get", PAGE),
    Row("invitations:member_invitees", {"member_id": "member"}, "get", PAGE),
    Row("invitations:member_invitees", {"member_id": "other_member"}, "get", OTHER),
    Row("invitations:operator_invitees", {"operator_id": "head_operator"}, "get", PAGE),
]
PORTAL: list[Row] = [
    Row("invitations_portal:landing", {"code": "inv_code"}, "get", (302,) * 6),
    Row(
        "invitations_portal:my_link",
        {"community": "community"},
        "get",
        (302, 302, 302, 200, 302, 302),
    ),
]
API: list[Row] = [
    Row("/invite-links", {}, "get", API_READ),
    Row(
        "/invite-links",
        {},
        "post",
        (201, 201, 201, 401, 401, 401),
        {"community_id": "@community", "purpose": "matrix"},
    ),
    Row("/invite-links/{link_id}", L, "get", API_READ),
    Row("/invite-links/{link_id}", FL, "get", API_OTHER),
    Row("/invite-links/{link_id}", L, "patch", API_WRITE, {"purpose": "海报"}),
    Row("/invite-links/{link_id}", FL, "patch", (200, 404, 404, 401, 401, 401), {"purpose": "x"}),
    Row("/invite-links/{link_id}/disable", L, "post", API_WRITE),
    Row("/invite-links/{link_id}/disable", FL, "post", (200, 404, 404, 401, 401, 401)),
    Row("/invite-links/{link_id}/enable", L, "post", API_WRITE),
    Row("/invite-links/{link_id}/enable", FL, "post", (200, 404, 404, 401, 401, 401)),
    Row("/invite-links/{link_id}/qr.png", L, "get", API_READ),
    Row("/invite-links/{link_id}/qr.png", FL, "get", API_OTHER),
    Row("/invite-links/{link_id}/qr.svg", L, "get", API_READ),
    Row("/invite-links/{link_id}/qr.svg", FL, "get", API_OTHER),
    Row("/invite-links/{link_id}/joins", L, "get", API_READ),
    Row("/invite-links/{link_id}/joins", FL, "get", API_OTHER),
    Row("/inviters", {}, "get", API_READ),
    Row("/inviters/members/{member_id}/invitees", {"member_id": "member"}, "get", API_READ),
    Row("/inviters/members/{member_id}/invitees", {"member_id": "other_member"}, "get", API_OTHER),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """A purpose link in `community` (its code all digits) and one in `other_community`."""
    from shequn.invitations.models import InviteLink

    made: dict[str, int] = {"inv_code": MATRIX_CODE}
    for name, community, code in (
        ("inv_link", fixtures.community, str(MATRIX_CODE)),
        ("inv_far_link", fixtures.other_community, "far" + str(MATRIX_CODE)),
    ):
        link = InviteLink.objects.create(
            organization=fixtures.org, community=community, code=code, purpose="poster"
        )
        made[name] = link.pk
    return made
