"""In Chromium: a refused inline action shows its error and puts the control back; an expired
session during an htmx action lands on the sign-in page (and back afterwards); the scope
picker's filter narrows the list."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session

from shequn.accounts.tests.factories import PASSWORD
from shequn.members.models import MembershipRole
from shequn.organizations.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(console_page) -> object:
    return console_page


def _sign_in(page, live_server, username: str, next_path: str) -> None:
    page.goto(f"{live_server.url}{next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")


def test_refused_role_change_restores_the_select_and_says_why(
    transactional_db, live_server, page, chapter_head, community, member
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    membership = member.memberships.get()
    detail = f"/communities/{community.pk}/"
    _sign_in(page, live_server, "head", detail)
    select = page.locator(f"#role-{membership.pk}")
    expect(select).to_have_value("member")

    # The chapter head loses the chapter while the page is open: the server refuses (404).
    chapter_head.chapters.clear()
    select.select_option("kol")
    alert = page.locator("#console-alerts .message.error")
    expect(alert).to_contain_text(
        "This item no longer exists or is out of your reach. Reload the page."
    )
    expect(select).to_have_value("member")
    membership.refresh_from_db()
    assert membership.role == MembershipRole.MEMBER

    # Given the chapter back, a network failure: the same select comes back again.
    chapter_head.chapters.add(community.chapter)
    page.route(re.compile(r".*/role/$"), lambda route: route.abort())
    select.select_option("guest")
    expect(alert).to_contain_text(
        "The server could not be reached. Check your connection and try again."
    )
    expect(select).to_have_value("member")
    page.unroute(re.compile(r".*/role/$"))

    # A server error (500) says so too; the dismiss button clears the message.
    page.route(
        re.compile(r".*/role/$"),
        lambda route: route.fulfill(status=500, body="<h1>Server error</h1>"),
    )
    select.select_option("admin")
    expect(alert).to_contain_text("Something went wrong on the server.")
    expect(select).to_have_value("member")
    page.locator("#console-alerts button.dismiss").click()
    expect(alert).to_have_count(0)
    page.unroute(re.compile(r".*/role/$"))

    # And when the server accepts, the row is swapped and the new value stays.
    select.select_option("kol")
    expect(page.locator(f"#membership-{membership.pk} p.notice")).to_have_text(
        "The role of 张三 was changed."
    )
    expect(page.locator(f"#role-{membership.pk}")).to_have_value("kol")
    expect(alert).to_have_count(0)
    membership.refresh_from_db()
    assert membership.role == MembershipRole.KOL
    assert errors == []


def test_expired_session_during_an_htmx_action_lands_on_sign_in(
    transactional_db, live_server, page, chapter_head, community, member
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    membership = member.memberships.get()
    detail = f"/communities/{community.pk}/"
    _sign_in(page, live_server, "head", detail)

    Session.objects.all().delete()  # the session expires while the page is open
    page.locator(f"#role-{membership.pk}").select_option("kol")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/communities/{community.pk}/")
    expect(page.locator("h1")).to_have_text("Sign in to the operator console")
    assert page.locator("table").count() == 0  # a whole page, not a row
    membership.refresh_from_db()
    assert membership.role == MembershipRole.MEMBER

    # Signing in again goes back to the page the operator was on.
    page.fill("input[name=username]", "head")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}{detail}")
    expect(page.locator(f"#role-{membership.pk}")).to_have_value("member")


def test_scope_picker_filter(
    transactional_db, live_server, page, org_admin, community, other_community
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    _sign_in(page, live_server, "admin", "/accounts/operators/new/")
    expect(page.locator("select[name=role]")).to_have_value("assistant")
    communities = page.locator("#id_communities label")
    expect(communities).to_have_count(2)
    search = page.locator("#id_communities-filter")
    expect(search).to_be_visible()
    search.fill("北京")
    expect(page.locator("#id_communities label:visible")).to_have_text(["北京沙龙群 · 北京分会"])
    search.fill("nothing like this")
    expect(page.locator("#id_communities label:visible")).to_have_count(0)
    expect(page.locator("#id_communities-none")).to_be_visible()
    search.press("Enter")  # filtering, not submitting
    expect(page).to_have_url(f"{live_server.url}/accounts/operators/new/")
    search.fill("")
    expect(page.locator("#id_communities label:visible")).to_have_count(2)
