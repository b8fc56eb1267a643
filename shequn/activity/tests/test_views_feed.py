"""Console: a community's activity feed, a member's timeline and the two detail-page panels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shequn.activity import views
from shequn.activity.models import ActivityKind
from shequn.activity.tests.test_api_list import T0, add_activity
from shequn.members.models import Channel, Identity
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory


def _feed(community: Any) -> str:
    return reverse("activity:community_feed", args=[community.pk])


def _timeline(member: Any) -> str:
    return reverse("activity:member_timeline", args=[member.pk])


def _listed(response: Any) -> list[int]:
    assert response.status_code == 200
    return [a.pk for a in response.context["page"].items]


@pytest.fixture
def feed(org, community, other_community, member, other_member):
    identity = Identity.objects.get(member=member)
    identity.username = "zhangsan"
    identity.save(update_fields=["username"])
    return {
        "hello": add_activity(member, community, T0, text="<b>早安</b>", identity=identity),
        "reply": add_activity(
            member,
            community,
            T0 + timedelta(hours=1),
            kind=ActivityKind.COMMENT,
            reply_to="tg-1",
            text="收到" * 100,
            channel=Channel.WECOM,
        ),
        "other": add_activity(other_member, other_community, T0 + timedelta(hours=2)),
        "org_wide": add_activity(member, None, T0 + timedelta(hours=3), kind="purchase"),
    }


def test_community_feed_lists_the_communitys_activities(client_as, feed, community):
    response = client_as("chapter_head").get(_feed(community), HTTP_ACCEPT_LANGUAGE="en")
    assert _listed(response) == [feed["reply"].pk, feed["hello"].pk]
    body = response.content.decode()
    assert "&lt;b&gt;早安&lt;/b&gt;" in body  # escaped
    assert "<b>早安" not in body
    assert "收到" * 59 + "收…" in body  # truncated in the list
    assert body.count("↩ Reply") == 1  # a comment that replies (a reply needs no marker)
    assert "@zhangsan" in body
    assert "2026-05-01 16:00" in body  # 08:00 UTC in the organisation's zone (Asia/Shanghai)
    assert 'datetime="2026-05-01T16:00:00+08:00"' in body


def test_times_are_shown_in_the_organisations_time_zone(client_as, feed, org, community):
    org.time_zone = "Europe/London"
    org.save(update_fields=["time_zone"])
    body = client_as("org_admin").get(_feed(community)).content.decode()
    assert "2026-05-01 09:00" in body  # BST
    assert "2026-05-01 16:00" not in body


def test_community_feed_filters(client_as, feed, community, member, org):
    person = MemberFactory(organization=org, chapter=community.chapter, display_name="王伟")
    MembershipFactory(member=person, community=community)
    wang = add_activity(person, community, T0 + timedelta(minutes=5), channel=Channel.WECOM)
    client = client_as("org_admin")
    assert _listed(client.get(_feed(community), {"kind": "comment"})) == [feed["reply"].pk]
    assert _listed(client.get(_feed(community), {"channel": "wecom"})) == [
        feed["reply"].pk,
        wang.pk,
    ]
    assert _listed(client.get(_feed(community), {"member": "王伟"})) == [wang.pk]
    assert _listed(client.get(_feed(community), {"member": "张三", "kind": "message"})) == [
        feed["hello"].pk
    ]
    nobody = client.get(_feed(community), {"member": "赵六"}, HTTP_ACCEPT_LANGUAGE="en")
    assert _listed(nobody) == []
    assert "No activities match these filters." in nobody.content.decode()


def test_an_invalid_filter_value_is_ignored(client_as, feed, community):
    response = client_as("org_admin").get(_feed(community), {"kind": "shout"})
    assert _listed(response) == [feed["reply"].pk, feed["hello"].pk]


def test_empty_feed(client_as, community, member):
    response = client_as("assistant").get(_feed(community), HTTP_ACCEPT_LANGUAGE="en")
    assert _listed(response) == []
    body = response.content.decode()
    assert "No activities yet." in body
    assert 'rel="next"' not in body


def test_older_pages_follow_the_cursor_without_duplicates(
    client_as, community, member, monkeypatch
):
    monkeypatch.setattr(views, "FEED_PAGE_SIZE", 2)
    rows = [add_activity(member, community, T0 + timedelta(minutes=i // 2)) for i in range(5)]
    expected = [a.pk for a in sorted(rows, key=lambda a: (a.occurred_at, a.pk), reverse=True)]
    client = client_as("org_admin")
    seen: list[int] = []
    params: dict[str, Any] = {"kind": "message"}
    while True:
        response = client.get(_feed(community), params)
        seen += _listed(response)
        cursor = response.context["page"].next_cursor
        if cursor is None:
            break
        assert urlencode({"cursor": cursor}) in response.content.decode()
        params = {"kind": "message", "cursor": cursor}
    assert seen == expected
    assert (
        "Newest" in client.get(_feed(community), params, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_a_bad_cursor_shows_an_error_and_the_newest_page(client_as, feed, community):
    response = client_as("org_admin").get(
        _feed(community), {"cursor": "forged:cursor"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert _listed(response) == [feed["reply"].pk, feed["hello"].pk]
    assert "This cursor is not valid. Start again from the first page." in response.content.decode()


def test_htmx_gets_the_partial(client_as, feed, community):
    response = client_as("org_admin").get(
        _feed(community), {"kind": "comment"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.startswith('<div id="activity-feed">')
    assert "<html" not in body
    assert _listed(response) == [feed["reply"].pk]


def test_other_chapters_feed_is_404_for_scoped_operators(client_as, feed, other_community):
    assert client_as("chapter_head").get(_feed(other_community)).status_code == 404
    assert client_as("assistant").get(_feed(other_community)).status_code == 404
    assert _listed(client_as("org_admin").get(_feed(other_community))) == [feed["other"].pk]


def test_member_timeline(client_as, feed, member, other_community):
    elsewhere = add_activity(member, other_community, T0 + timedelta(hours=5))
    admin = client_as("org_admin").get(_timeline(member), HTTP_ACCEPT_LANGUAGE="en")
    assert _listed(admin) == [
        elsewhere.pk,
        feed["org_wide"].pk,
        feed["reply"].pk,
        feed["hello"].pk,
    ]
    assert "Organisation-wide" in admin.content.decode()
    head = client_as("chapter_head").get(_timeline(member), {"kind": "comment"})
    assert _listed(head) == [feed["reply"].pk]
    assert "member" not in head.context["form"].fields


def test_member_timeline_of_another_chapters_member_is_404(client_as, feed, other_member):
    assert client_as("assistant").get(_timeline(other_member)).status_code == 404


def _crowd(org, community, rows: int) -> None:
    for i in range(rows):
        person = MemberFactory(organization=org, chapter=community.chapter)
        MembershipFactory(member=person, community=community)
        identity = IdentityFactory(member=person, organization=org, channel=Channel.TELEGRAM)
        add_activity(person, community, T0 + timedelta(seconds=i), identity=identity)


# session, user, operator, (scope), community, page
@pytest.mark.parametrize(("persona", "queries"), [("org_admin", 5), ("chapter_head", 6)])
@pytest.mark.parametrize("rows", [3, 40])
def test_feed_query_count_is_constant(
    client_as, django_assert_num_queries, org, community, member, persona, queries, rows
):
    _crowd(org, community, rows)
    client = client_as(persona)
    with django_assert_num_queries(queries):
        response = client.get(_feed(community))
    assert len(response.context["page"].items) == min(rows, views.FEED_PAGE_SIZE)


# as above, plus the members matching the name (and, for a scoped operator, its member ids)
@pytest.mark.parametrize(("persona", "queries"), [("org_admin", 6), ("chapter_head", 8)])
@pytest.mark.parametrize("rows", [3, 40])
def test_feed_name_search_query_count_is_constant(
    client_as, django_assert_num_queries, org, community, member, persona, queries, rows
):
    _crowd(org, community, rows)
    client = client_as(persona)
    with django_assert_num_queries(queries):
        client.get(_feed(community), {"member": "张三"})


# session, user, operator, (scope), member, page
@pytest.mark.parametrize(("persona", "queries"), [("org_admin", 5), ("chapter_head", 6)])
@pytest.mark.parametrize("rows", [3, 40])
def test_timeline_query_count_is_constant(
    client_as, django_assert_num_queries, org, community, member, persona, queries, rows
):
    identity = Identity.objects.get(member=member)
    for i in range(rows):
        add_activity(member, community, T0 + timedelta(seconds=i), identity=identity)
    client = client_as(persona)
    with django_assert_num_queries(queries):
        response = client.get(_timeline(member))
    assert len(response.context["page"].items) == min(rows, views.FEED_PAGE_SIZE)


def test_community_detail_shows_the_panel(client_as, feed, community):
    response = client_as("chapter_head").get(
        reverse("organizations:community_detail", args=[community.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.content.decode()
    assert "Recent activity" in body
    assert f'href="{_feed(community)}"' in body
    assert "&lt;b&gt;早安&lt;/b&gt;" in body


def test_member_detail_shows_the_panel_in_scope(client_as, feed, member, other_community):
    add_activity(member, other_community, T0 + timedelta(hours=6), text="北京的话")
    url = reverse("members:detail", args=[member.pk])
    head = client_as("chapter_head").get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{_timeline(member)}"' in head
    assert "收到" in head
    assert "北京的话" not in head  # the other chapter's community
    admin = client_as("org_admin").get(url).content.decode()
    assert "北京的话" in admin


def test_panels_without_activity_show_an_empty_state(client_as, community, member):
    client = client_as("org_admin")
    detail = client.get(
        reverse("organizations:community_detail", args=[community.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No activity in this community yet." in detail
    assert f'href="{_feed(community)}"' not in detail
    profile = client.get(
        reverse("members:detail", args=[member.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No activity of this member yet." in profile


@pytest.mark.parametrize("rows", [3, 12])
def test_panels_cost_one_query(client_as, django_assert_num_queries, org, community, rows):
    """The community page's own queries (session, user, operator, community, memberships),
    the panel's one, and the merge panel's (not this stream's)."""
    _crowd(org, community, rows)
    client = client_as("org_admin")
    url = reverse("organizations:community_detail", args=[community.pk])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    activity_queries = [q for q in captured.captured_queries if "activity_activity" in q["sql"]]
    assert len(activity_queries) == 1
    assert response.content.decode().count('class="activity-time"') == min(rows, 5)
