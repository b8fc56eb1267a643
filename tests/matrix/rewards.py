"""Permission-matrix rows of rewards (see tests/matrix/common.py).

`rw_reward` is a gift of the organisation, `rw_coupon` a coupon reward; `rw_redemption` is the
persona member's requested redemption of the gift (in the chapter head's chapter),
`rw_far_redemption` the other member's (the other chapter: 404 for the chapter head). The
catalogue is for organisation admins; the queue, a reward's redemptions, fulfil and cancel for
admins and chapter heads; assistants get 403 everywhere here. Member pages name the
organisation by its slug (`rw_org`): only a member account gets them (others a 403 page).
"""

from __future__ import annotations

from typing import Any

from tests.matrix.common import ADMIN_PAGE, HEAD_PAGE, Fixtures, Row

R, CR = {"reward_id": "rw_reward"}, {"reward_id": "rw_coupon"}
RD, FRD = {"redemption_id": "rw_redemption"}, {"redemption_id": "rw_far_redemption"}
ORG = {"org_slug": "rw_org"}
ADMIN_FORM = (422, 403, 403, 403, 403, 302)  # an empty post: the form again, with its errors
ADMIN_ACT = (302, 403, 403, 403, 403, 302)
HEAD_FORM = (422, 422, 403, 403, 403, 302)
HEAD_FORM_FAR = (422, 404, 403, 403, 403, 302)
HEAD_ACT = (302, 302, 403, 403, 403, 302)
HEAD_ACT_FAR = (302, 404, 403, 403, 403, 302)
MEMBER_ONLY = (403, 403, 403, 200, 403, 302)
API_HEAD = (200, 200, 403, 401, 401, 401)
API_HEAD_FAR = (200, 404, 403, 401, 401, 401)
API_ADMIN = (200, 403, 403, 401, 401, 401)
API_ADMIN_NEW = (201, 403, 403, 401, 401, 401)
NEW_REWARD = {"kind": "gift", "name": "社群定制帆布袋", "cost": 300, "stock": 20}

CONSOLE: list[Row] = [
    Row("rewards:list", {}, "get", HEAD_PAGE),
    Row("rewards:create", {}, "get", ADMIN_PAGE),
    Row("rewards:create", {}, "post", ADMIN_FORM),
    Row("rewards:queue", {}, "get", HEAD_PAGE),
    Row("rewards:edit", R, "get", ADMIN_PAGE),
    Row("rewards:edit", R, "post", ADMIN_FORM),
    Row("rewards:switch", R, "post", ADMIN_ACT),
    Row("rewards:codes", CR, "post", ADMIN_FORM),
    Row("rewards:redemptions", R, "get", HEAD_PAGE),
    Row("rewards:fulfil", RD, "post", HEAD_FORM),
    Row("rewards:fulfil", FRD, "post", HEAD_FORM_FAR),
    Row("rewards:cancel", RD, "post", HEAD_ACT),
    Row("rewards:cancel", FRD, "post", HEAD_ACT_FAR),
]
PORTAL: list[Row] = [
    Row("rewards_portal:shop", ORG, "get", MEMBER_ONLY),
    Row("rewards_portal:mine", ORG, "get", MEMBER_ONLY),
    Row("rewards_portal:item", {**ORG, **R}, "get", MEMBER_ONLY),
    # An empty POST: the confirmation page.
    Row("rewards_portal:redeem", {**ORG, **R}, "post", MEMBER_ONLY),
]
API: list[Row] = [
    Row("/rewards", {}, "get", API_HEAD),
    Row("/rewards", {}, "post", API_ADMIN_NEW, NEW_REWARD),
    Row("/rewards/{reward_id}", R, "get", API_HEAD),
    Row("/rewards/{reward_id}", R, "patch", API_ADMIN, {"name": "改个名字"}),
    Row("/rewards/{reward_id}/codes", CR, "post", API_ADMIN_NEW, {"codes": ["NEW-001"]}),
    Row("/redemptions", {}, "get", API_HEAD),
    Row("/redemptions/{redemption_id}", RD, "get", API_HEAD),
    Row("/redemptions/{redemption_id}", FRD, "get", API_HEAD_FAR),
    Row("/redemptions/{redemption_id}/fulfil", RD, "post", API_HEAD, {"note": "顺丰 SF1234"}),
    Row("/redemptions/{redemption_id}/fulfil", FRD, "post", API_HEAD_FAR, {"note": "已送达"}),
    Row("/redemptions/{redemption_id}/cancel", RD, "post", API_HEAD, {}),
    Row("/redemptions/{redemption_id}/cancel", FRD, "post", API_HEAD_FAR, {}),
]


def objects(fixtures: Fixtures) -> dict[str, Any]:
    """A gift and a coupon reward (two codes), and a requested redemption of the gift by
    `member` and by `other_member`. `rw_org` is the organisation's slug (member pages)."""
    from shequn.points.ledger import Draft, write_entry
    from shequn.points.models import EntryReason
    from shequn.rewards.models import CouponCode, Reward, RewardKind
    from shequn.rewards.services import redeem

    gift = Reward.objects.create(
        organization=fixtures.org, kind=RewardKind.GIFT, name="定制笔记本", cost=50, stock=10
    )
    coupon = Reward.objects.create(
        organization=fixtures.org, kind=RewardKind.COUPON, name="课程九折券", cost=30, stock=2
    )
    CouponCode.objects.bulk_create(
        [CouponCode(reward=coupon, code="MX-1"), CouponCode(reward=coupon, code="MX-2")]
    )
    made: dict[str, Any] = {"rw_reward": gift.pk, "rw_coupon": coupon.pk}
    for name, member in (
        ("rw_redemption", fixtures.member),
        ("rw_far_redemption", fixtures.other_member),
    ):
        write_entry(member, Draft(delta=200, reason=EntryReason.ADJUSTMENT, note="matrix"))
        made[name] = redeem(member=member, reward=gift).pk
    made["rw_org"] = fixtures.org.slug
    return made
