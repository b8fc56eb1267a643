"""Leaving asks first, on a page of its own; the leave button is apart from signing out."""

from __future__ import annotations

import re

from django.contrib.messages import get_messages

from shequn.members.models import Membership, MembershipStatus
from shequn.portal.tests.conftest import page_url


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _status(member, community) -> str:
    return Membership.objects.get(member=member, community=community).status


def test_confirm_page_defaults_back_to_the_community(client_as, member, community):
    response = client_as("member").get(page_url(community, "leave"))
    html = response.content.decode()
    assert f'<input type="hidden" name="next" value="{page_url(community)}">' in html


def test_foreign_next_is_not_offered(client_as, member, community):
    response = client_as("member").get(page_url(community, "leave") + "?next=https://evil.example/")
    html = response.content.decode()
    assert 'href="https://evil.example/"' not in html
    assert 'value="https://evil.example/"' not in html
    assert f'<input type="hidden" name="next" value="{page_url(community)}">' in html
    assert f'<a class="m-button m-button-quiet" href="{page_url(community)}">' in html


def test_post_leaves_after_the_confirmation(client_as, member, community):
    response = client_as("member").post(page_url(community, "leave"), {"next": "/c/me/"})
    assert response.status_code == 302
    assert response["Location"] == "/c/me/"
    assert _status(member, community) == MembershipStatus.LEFT
    assert _messages(response) == ["You have left 上海沙龙群."]


def test_not_a_member_is_sent_back_without_a_page(client_as, member, other_community, counts):
    before = counts()
    response = client_as("member").get(page_url(other_community, "leave"))
    assert response.status_code == 302
    assert response["Location"] == page_url(other_community)
    assert _messages(response) == ["You are not a member of this community."]
    assert counts() == before


def test_anonymous_is_asked_to_sign_in(client, community):
    response = client.get(page_url(community, "leave"))
    assert response.status_code == 302
    assert response["Location"].startswith("/c/login/?next=")


def test_leave_links_to_the_confirmation_and_sign_out_is_only_in_the_header(
    client_as, member, community
):
    for url in (page_url(community), "/c/me/"):
        html = client_as("member").get(url).content.decode()
        leave_links = re.findall(r'<a [^>]*href="([^"]*/leave/[^"]*)"[^>]*>([^<]*)</a>', html)
        assert [text for _, text in leave_links] == ["Leave community"]
        assert all("?next=" in href for href, _ in leave_links)
        # no form posts straight to leave: the only way is through the confirmation page
        assert 'action="/c/pj/sh-salon/leave/"' not in html
        header, _, rest = html.partition("</header>")
        assert header.count(">Sign out</button>") == 1
        assert "Sign out" not in rest


def test_zh_hans_words_are_distinct(client_as, member, community, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = client_as("member").get(page_url(community)).content.decode()
    assert ">退出社群</a>" in html
    assert ">退出登录</button>" in html
    assert ">退出</" not in html
