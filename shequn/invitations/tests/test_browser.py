"""The member's invite page and a refused landing on a 390 px phone in WeChat's browser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.organizations.tests.browser import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS

pytestmark = BROWSER_MARKS

WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)


@pytest.fixture
def phone() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="zh-CN", user_agent=WECHAT_UA, viewport={"width": 390, "height": 844}
        )
        context.set_default_timeout(10_000)
        try:
            yield context
        finally:
            context.close()
            browser.close()


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_own_link_page_on_a_phone(transactional_db, live_server, phone, member, community) -> None:
    client = Client()
    client.force_login(member.user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    phone.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page = phone.new_page()
    url = reverse("invitations_portal:my_link", args=[community.organization.slug, community.slug])
    page.goto(live_server.url + url)
    qr = page.locator(".inv-qr svg").bounding_box()
    assert qr is not None
    assert 200 <= qr["width"] <= 390
    assert "/c/i/" in page.locator("#inv-url").input_value()
    assert "邀请好友加入" in page.title()
    _fits(page)


def test_expired_landing_on_a_phone(transactional_db, live_server, phone, community) -> None:
    link = InviteLinkFactory(community=community, expires_at=timezone.now() - timedelta(hours=1))
    page = phone.new_page()
    response = page.goto(f"{live_server.url}/c/i/{link.code}/")
    assert response.status == 410
    assert "这个邀请链接已过期。" in page.content()
    _fits(page)
