"""Permission-matrix rows of payments (see tests/matrix/common.py).

`pay_vip` is a paid community in the chapter head's chapter (not the assistant's), with a
price, a pending order of a buyer (`pay_order`), a paid one (`pay_paid_order`), the persona
member's own pending order (`pay_member_order`, its number all digits so the matrix can name it)
and a flagged notification; `pay_far_*` are the same in the other chapter. Writes need an
organisation admin or the chapter head; assistants read orders of their own communities only
(404 here). Member pages: only a member's own orders; accounts without a member profile get a
styled 403 page, anonymous visitors are sent to sign in. The notify endpoints need no token
and answer 404 while their provider is not configured.
"""

from __future__ import annotations

from tests.matrix.common import Fixtures, Row

OR, FO = {"order_id": "pay_order"}, {"order_id": "pay_far_order"}
PO, FPO = {"order_id": "pay_paid_order"}, {"order_id": "pay_far_paid_order"}
N, FN = {"notification_id": "pay_notification"}, {"notification_id": "pay_far_notification"}
V, FV = {"community_id": "pay_vip"}, {"community_id": "pay_far_vip"}
LIST = (200, 200, 200, 403, 403, 302)
READ = (200, 200, 404, 403, 403, 302)
READ_FAR = (200, 404, 404, 403, 403, 302)
BAD_FORM = (422, 422, 404, 403, 403, 302)  # an empty form: the page again
BAD_FORM_FAR = (422, 404, 404, 403, 403, 302)
ACT = (302, 302, 404, 403, 403, 302)
ACT_FAR = (302, 404, 404, 403, 403, 302)
MEMBER_ONLY = (403, 403, 403, 200, 403, 302)
MEMBER_ACT = (403, 403, 403, 302, 403, 302)
API_LIST = (200, 200, 200, 401, 401, 401)
API_READ = (200, 200, 404, 401, 401, 401)
API_FAR = (200, 404, 404, 401, 401, 401)
UNCONFIGURED = (404,) * 6

CONSOLE: list[Row] = [
    Row("payments:order_list", {}, "get", LIST),
    Row("payments:order_detail", OR, "get", READ),
    Row("payments:order_detail", FO, "get", READ_FAR),
    Row("payments:order_mark_paid", OR, "post", BAD_FORM),
    Row("payments:order_mark_paid", FO, "post", BAD_FORM_FAR),
    Row("payments:order_cancel", OR, "post", ACT),
    Row("payments:order_cancel", FO, "post", ACT_FAR),
    Row("payments:order_refund", PO, "post", BAD_FORM),
    Row("payments:order_refund", FPO, "post", BAD_FORM_FAR),
    Row("payments:order_resolve", PO, "post", BAD_FORM),
    Row("payments:order_resolve", FPO, "post", BAD_FORM_FAR),
    Row("payments:notification_list", {}, "get", LIST),
    Row("payments:notification_detail", N, "get", READ),
    Row("payments:notification_detail", FN, "get", READ_FAR),
    Row("payments:notification_detail", N, "post", BAD_FORM),
    Row("payments:notification_detail", FN, "post", BAD_FORM_FAR),
    Row("payments:price", V, "get", READ),
    Row("payments:price", FV, "get", READ_FAR),
    Row("payments:price", V, "post", BAD_FORM),
    Row("payments:price", FV, "post", BAD_FORM_FAR),
]
PORTAL: list[Row] = [
    Row("payments_portal:checkout", {"community": "pay_vip"}, "get", MEMBER_ONLY),
    Row("payments_portal:checkout", {"community": "pay_vip"}, "post", MEMBER_ACT),
    Row("payments_portal:order", {"number": "pay_member_order"}, "get", MEMBER_ONLY),
    # Somebody else's order: 404 for the member too.
    Row(
        "payments_portal:order",
        {"number": "pay_order_number"},
        "get",
        (403, 403, 403, 404, 403, 302),
    ),
    Row("payments_portal:cancel", {"number": "pay_member_order"}, "post", MEMBER_ACT),
    Row("payments_portal:my_orders", {}, "get", MEMBER_ONLY),
]
API: list[Row] = [
    Row("/communities/{community_id}/price", V, "get", API_READ),
    Row("/communities/{community_id}/price", FV, "get", API_FAR),
    Row("/communities/{community_id}/price", V, "put", API_READ, {"price_fen": 29900}),
    Row("/communities/{community_id}/price", FV, "put", API_FAR, {"price_fen": 29900}),
    Row("/orders", {}, "get", API_LIST),
    Row(
        "/orders",
        {},
        "post",
        (201, 201, 404, 401, 401, 401),
        {"member_id": "@pay_newcomer", "community_id": "@pay_vip", "kind": "join"},
    ),
    Row("/orders/{order_id}", OR, "get", API_READ),
    Row("/orders/{order_id}", FO, "get", API_FAR),
    Row(
        "/orders/{order_id}/mark-paid",
        OR,
        "post",
        API_READ,
        {"reference": "BANK-1", "amount_fen": 9900},
    ),
    Row(
        "/orders/{order_id}/mark-paid",
        FO,
        "post",
        API_FAR,
        {"reference": "BANK-1", "amount_fen": 9900},
    ),
    Row("/orders/{order_id}/cancel", OR, "post", API_READ),
    Row("/orders/{order_id}/cancel", FO, "post", API_FAR),
    Row("/orders/{order_id}/refund", PO, "post", API_READ, {"reason": "退款"}),
    Row("/orders/{order_id}/refund", FPO, "post", API_FAR, {"reason": "退款"}),
    Row("/payment-notifications", {}, "get", API_LIST),
    Row("/payment-notifications/{notification_id}", N, "get", API_READ),
    Row("/payment-notifications/{notification_id}", FN, "get", API_FAR),
    Row(
        "/payment-notifications/{notification_id}/resolve",
        N,
        "post",
        API_READ,
        {"resolution": "已线下退款"},
    ),
    Row(
        "/payment-notifications/{notification_id}/resolve",
        FN,
        "post",
        API_FAR,
        {"resolution": "已线下退款"},
    ),
    Row("/payments/wechatpay/notify", {}, "post", UNCONFIGURED),
    Row("/payments/webhook/notify", {}, "post", UNCONFIGURED),
]


def objects(fixtures: Fixtures) -> dict[str, int]:
    """Two paid communities (own chapter, other chapter) with orders and a notification each."""
    import datetime

    from django.utils import timezone

    from shequn.members.tests.factories import MemberFactory
    from shequn.organizations.models import CommunityAccess
    from shequn.organizations.tests.factories import CommunityFactory
    from shequn.payments.models import CommunityPrice, Order, PaymentNotification
    from shequn.payments.services import mark_order_paid

    org = fixtures.org
    now = timezone.now()
    made: dict[str, int] = {}
    made["pay_newcomer"] = MemberFactory(organization=org, display_name="付费新人").pk
    places = (
        ("pay", fixtures.community.chapter, 1),
        ("pay_far", fixtures.other_community.chapter, 2),
    )
    for prefix, chapter, n in places:
        vip = CommunityFactory(
            organization=org,
            chapter=chapter,
            access=CommunityAccess.PAID,
            name=f"{prefix}VIP",
            slug=f"{prefix.replace('_', '-')}-vip",
        )
        CommunityPrice.objects.create(
            community=vip,
            price_fen=19900,
            early_bird_price_fen=9900,
            early_bird_seats=50,
            term_days=365,
        )
        made[f"{prefix}_vip"] = vip.pk

        def order(member_id: int, number: str, *, community=vip) -> Order:
            return Order.objects.create(
                organization=org,
                community=community,
                member_id=member_id,
                number=number,
                amount_fen=9900,
                price_label="early_bird",
                term_days=365,
                provider="manual",
                expires_at=now + datetime.timedelta(minutes=30),
            )

        buyer = MemberFactory(organization=org, display_name=f"{prefix}买家")
        pending = order(buyer.pk, f"{n}00000001")
        made[f"{prefix}_order"] = pending.pk
        if prefix == "pay":
            made["pay_order_number"] = int(pending.number)
        payer = MemberFactory(organization=org, display_name=f"{prefix}会员")
        paid = order(payer.pk, f"{n}00000002")
        mark_order_paid(order=paid, provider="manual", reference="BANK", amount_fen=9900)
        made[f"{prefix}_paid_order"] = paid.pk
        cancelled = order(payer.pk, f"{n}00000003")
        Order.objects.filter(pk=cancelled.pk).update(status="cancelled")
        made[f"{prefix}_notification"] = PaymentNotification.objects.create(
            organization=org,
            provider="webhook",
            body="{}",
            event_id=f"{prefix}-evt",
            order=cancelled,
            amount_fen=9900,
            status="flagged",
            reason="order is cancelled",
        ).pk
    mine = order(
        fixtures.member.pk, "300000001", community=Order.objects.get(pk=made["pay_order"]).community
    )
    made["pay_member_order"] = int(mine.number)
    return made
