"""Inline (htmx) actions that cannot go through: an expired session leads to the sign-in page
(never into a table row); the page carries the translated texts console.js shows on refusals;
"create member and add" starts with the narrowest role."""

from __future__ import annotations

import re

import pytest

from shequn.audit.models import AuditEntry
from shequn.members.models import MembershipRole

HOST = "http://testserver"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def _role_url(community, membership) -> str:
    return f"/communities/{community.pk}/members/{membership.pk}/role/"


def test_expired_session_htmx_action_redirects_the_page_to_sign_in(
    client_as, community, member
) -> None:
    membership = member.memberships.get()
    page = f"/communities/{community.pk}/?q=%E5%BC%A0&page=2"
    response = client_as("anonymous").post(
        _role_url(community, membership),
        {"role": MembershipRole.ADMIN},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"{HOST}{page}",
    )
    assert response.status_code == 200
    assert response.content == b""  # nothing to swap into the row
    assert response["HX-Redirect"] == (
        f"/accounts/login/?next=/communities/{community.pk}/%3Fq%3D%25E5%25BC%25A0%26page%3D2"
    )
    assert "Location" not in response
    membership.refresh_from_db()
    assert membership.role == MembershipRole.MEMBER
    assert not AuditEntry.objects.exists()


def test_expired_session_htmx_filter_goes_back_to_the_list(client_as, db) -> None:
    response = client_as("anonymous").get(
        "/communities/?q=abc",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"{HOST}/communities/?q=ab",
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=/communities/%3Fq%3Dab"


@pytest.mark.parametrize(
    ("method", "current", "expected_next"),
    [
        ("post", None, "/"),  # no page known: the dashboard after signing in
        ("post", "https://evil.example/steal", "/"),  # another origin is never a `next`
        ("get", None, "/communities/%3Fq%3Dabc"),  # a GET is a page itself
    ],
)
def test_next_is_a_page_of_this_site(method, current, expected_next, client_as, db) -> None:
    headers = {"HTTP_HX_REQUEST": "true"}
    if current:
        headers["HTTP_HX_CURRENT_URL"] = current
    client = client_as("anonymous")
    path = "/communities/?q=abc" if method == "get" else "/accounts/tokens/new/"
    response = getattr(client, method)(path, **headers)
    assert response["HX-Redirect"] == f"/accounts/login/?next={expected_next}"


def test_plain_requests_still_get_a_redirect(client_as, community, member) -> None:
    membership = member.memberships.get()
    response = client_as("anonymous").post(
        _role_url(community, membership), {"role": MembershipRole.ADMIN}
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"/accounts/login/?next=/communities/{community.pk}/members/{membership.pk}/role/"
    )
    assert "HX-Redirect" not in response


def test_signed_in_non_operator_gets_403_not_a_redirect(client_as, community, member) -> None:
    membership = member.memberships.get()
    response = client_as("member").post(
        _role_url(community, membership),
        {"role": MembershipRole.ADMIN},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"{HOST}/communities/{community.pk}/",
    )
    assert response.status_code == 403
    assert "HX-Redirect" not in response
    membership.refresh_from_db()
    assert membership.role == MembershipRole.MEMBER


MESSAGES_EN = {
    "data-msg-forbidden": "You are not allowed to do this. Nothing was changed.",
    "data-msg-not-found": "This item no longer exists or is out of your reach. Reload the page.",
    "data-msg-conflict": "Someone changed this in the meantime. Reload the page and try again.",
    "data-msg-invalid": "The change was refused. Check your input and try again.",
    "data-msg-too-many": "Too many requests. Wait a moment and try again.",
    "data-msg-server": (
        "Something went wrong on the server. Nothing was changed; try again in a moment."
    ),
    "data-msg-network": "The server could not be reached. Check your connection and try again.",
    "data-msg-failed": "The action could not be completed. Reload the page and try again.",
    "data-msg-dismiss": "Dismiss",
}


def _alert_attributes(html: str) -> dict[str, str]:
    match = re.search(r'<div id="console-alerts"[^>]*>', html)
    assert match is not None
    return dict(re.findall(r'(data-msg-[a-z-]+)="([^"]*)"', match.group(0)))


def test_console_pages_carry_the_translated_refusal_messages(client_as, community) -> None:
    html = client_as("chapter_head").get(f"/communities/{community.pk}/").content.decode()
    assert _alert_attributes(html) == MESSAGES_EN
    assert '<script src="/static/js/console.js" defer></script>' in html


def test_refusal_messages_in_chinese(client_as, community, settings) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    html = client_as("chapter_head").get(f"/communities/{community.pk}/").content.decode()
    messages = _alert_attributes(html)
    assert messages["data-msg-forbidden"] == "你无权执行此操作，未做任何更改。"
    assert messages["data-msg-network"] == "无法连接服务器。请检查网络后重试。"
    assert messages["data-msg-conflict"] == "有人刚刚修改了这项内容。请刷新页面后重试。"
    assert set(messages) == set(MESSAGES_EN)
    assert all(value and value != MESSAGES_EN[key] for key, value in messages.items())


def test_create_and_add_defaults_to_the_member_role(client_as, chapter_head, community) -> None:
    response = client_as("chapter_head").get(f"/communities/{community.pk}/members/add/")
    assert response.context["new_form"]["role"].value() == MembershipRole.MEMBER
    html = response.content.decode()
    assert '<option value="member" selected>Member</option>' in html
    assert '<option value="owner">Owner</option>' in html
