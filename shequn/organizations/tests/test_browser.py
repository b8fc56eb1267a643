"""In Chromium: an operator signs in, opens the dashboard, creates a community and finds it."""

from __future__ import annotations

import re

from shequn.accounts.tests.factories import PASSWORD
from shequn.organizations.models import Community
from shequn.organizations.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def test_operator_creates_a_community(
    transactional_db, live_server, console_page, chapter_head, chapter, community
):
    from playwright.sync_api import Page, expect

    page = console_page
    assert isinstance(page, Page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Anonymous: the console sends us to the real sign-in page.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.fill("input[name=username]", "head")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")

    # The dashboard, styled by the console stylesheet.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("Dashboard")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    page.click("a.button.primary[href='/communities/new/']")

    # The create form: htmx refreshes the proposed end when the kind changes.
    expect(page).to_have_url(f"{live_server.url}/communities/new/")
    expect(page.locator("#lifespan-proposal")).to_contain_text("Left blank, it ends on")
    page.select_option("select[name=chapter]", str(chapter.pk))
    page.fill("input[name=starts_at]", "2026-05-01T20:00")
    page.select_option("select[name=kind]", "lead_gen")
    expect(page.locator("#lifespan-proposal")).to_have_text(
        "Left blank, it ends on 2026-05-03 20:00 (2 days after the start)."
    )
    page.select_option("select[name=access]", "open")
    page.fill("input[name=name]", "五一裂变群")
    page.fill("input[name=slug]", "may-lead")
    page.fill("textarea[name=rules]", "不发广告")
    page.click("form.form button[type=submit].primary")

    # Its page, with the success message.
    community = Community.objects.get(slug="may-lead")
    expect(page).to_have_url(f"{live_server.url}/communities/{community.pk}/")
    expect(page.locator(".message.success")).to_have_text("Community “五一裂变群” created.")
    expect(page.locator("h1")).to_have_text("五一裂变群")

    # Listed among the communities, and found by the htmx search.
    page.click("nav.mainnav a[href='/communities/']")
    expect(page.locator("#results table")).to_contain_text("五一裂变群")
    expect(page.locator("#results table")).to_contain_text("上海沙龙群")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.fill("input[name=q]", "五一")
    expect(page).to_have_url(re.compile(r"/communities/\?.*q=%E4%BA%94%E4%B8%80"))
    expect(page.locator("#results .result-count")).to_have_text("1 community")
    expect(page.locator("#results tbody tr")).to_have_count(1)

    assert community.ends_at is not None
    assert (community.ends_at - community.starts_at).total_seconds() == 48 * 3600
    assert errors == []
