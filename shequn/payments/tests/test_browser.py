"""The checkout and order pages in Chromium at 390 px with WeChat's user agent, in zh-hans."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from shequn.organizations.tests.browser import CHROMIUM, CHROMIUM_ARGS
from shequn.payments.models import Order

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI "
    "Language/zh_CN"
)


@pytest.mark.django_db(transaction=True)
def test_pay_by_transfer_on_a_phone(live_server, buyer, paid_community, price, settings):
    from playwright.sync_api import expect, sync_playwright

    settings.LANGUAGE_CODE = "zh-hans"
    client = Client()
    client.force_login(buyer.user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", user_agent=WECHAT_UA, viewport={"width": 390, "height": 844}
        )
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": session,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        try:
            page.goto(f"{live_server.url}/c/pj/vip/pay/")
            expect(page.locator(".m-pay-amount")).to_contain_text("¥99")
            expect(page.locator("body")).to_contain_text("早鸟名额剩余 50 个")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.get_by_role("button", name="支付 · 银行转账（由运营人员确认）").click()
            order = Order.objects.get()
            expect(page.locator("body")).to_contain_text(f"转账时请备注订单号 {order.number}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            context.close()
            browser.close()
