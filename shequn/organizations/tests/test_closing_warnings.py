"""Operators are warned in the console a day before a community closes at its end."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shequn.organizations.models import Community, CommunityKind, CommunityStatus
from shequn.organizations.tests.factories import CommunityFactory


def _ends_in(community: Community, kind: str, hours: float) -> Community:
    ends = timezone.now() + timedelta(hours=hours)
    Community.objects.filter(pk=community.pk).update(
        kind=kind, starts_at=ends - timedelta(days=10), ends_at=ends
    )
    community.refresh_from_db()
    return community


def _at(community: Community) -> str:
    assert community.ends_at is not None
    return timezone.localtime(community.ends_at).strftime("%Y-%m-%d %H:%M")


def test_dashboard_lists_what_closes_within_a_day(client_as, chapter_head, community, chapter):
    lead = _ends_in(community, CommunityKind.LEAD_GEN, 5)
    camp = _ends_in(
        CommunityFactory(chapter=chapter, organization=chapter.organization, name="训练营"),
        CommunityKind.TRAINING_CAMP,
        0.5,
    )
    # Not warned: more than a day left, open-ended, already archived.
    _ends_in(CommunityFactory(chapter=chapter, organization=chapter.organization), "delivery", 30)
    _ends_in(CommunityFactory(chapter=chapter, organization=chapter.organization), "regional", 2)
    archived = CommunityFactory(chapter=chapter, organization=chapter.organization)
    _ends_in(archived, CommunityKind.LEAD_GEN, 2)
    Community.objects.filter(pk=archived.pk).update(status=CommunityStatus.ARCHIVED)

    response = client_as("chapter_head").get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    warnings = [w for w, _can_extend in response.context["closing_soon"]]
    assert [(w.community.pk, w.hours, w.policy) for w in warnings] == [
        (camp.pk, 1, "archive"),
        (lead.pk, 5, "dissolve"),
    ]
    page = response.content.decode()
    assert "Closing within a day" in page
    assert f"Closes in 5 hours (at {_at(lead)}): it will be dissolved." in page
    assert f"Closes in 1 hour (at {_at(camp)}): it will be archived." in page
    assert f'href="/communities/{lead.pk}/edit/#field-ends_at">Extend the end date</a>' in page


def test_warning_in_chinese_and_on_the_community_page(client_as, chapter_head, community):
    lead = _ends_in(community, CommunityKind.LEAD_GEN, 20)
    page = client_as("chapter_head").get("/").content.decode()
    assert "一天内关闭" in page
    assert f"将在 20 小时后（{_at(lead)}）关闭：届时将被解散。" in page
    detail = client_as("chapter_head").get(f"/communities/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = detail.content.decode()
    assert f"Closes in 20 hours (at {_at(lead)}): it will be dissolved." in text
    assert f'href="/communities/{lead.pk}/edit/#field-ends_at"' in text


def test_overdue_but_not_yet_closed_says_it_is_closing_now(client_as, chapter_head, community):
    lead = _ends_in(community, CommunityKind.NEW_MEMBER, -0.1)
    page = client_as("chapter_head").get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Its end ({_at(lead)}) has passed: it is being archived now." in page


def test_assistant_is_warned_without_a_link_they_could_not_use(client_as, assistant, community):
    lead = _ends_in(community, CommunityKind.LEAD_GEN, 3)
    for url in ("/", f"/communities/{lead.pk}/"):
        page = client_as("assistant").get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Closes in 3 hours" in page
        assert "Extend the end date" not in page


def test_nothing_to_warn_about_shows_no_banner(client_as, chapter_head, community):
    page = client_as("chapter_head").get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Closing within a day" not in page
    detail = client_as("chapter_head").get(f"/communities/{community.pk}/")
    assert detail.context["closing_soon"] is None


def test_others_communities_are_not_shown(client_as, chapter_head, other_community):
    _ends_in(other_community, CommunityKind.LEAD_GEN, 3)
    response = client_as("chapter_head").get("/")
    assert response.context["closing_soon"] == []


def test_dashboard_queries_do_not_grow_with_warnings(client_as, chapter_head, chapter):
    client = client_as("chapter_head")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx)

    client.get("/")
    one = CommunityFactory(chapter=chapter, organization=chapter.organization)
    _ends_in(one, CommunityKind.LEAD_GEN, 2)
    with_one = queries()
    for _ in range(4):
        c = CommunityFactory(chapter=chapter, organization=chapter.organization)
        _ends_in(c, CommunityKind.TRAINING_CAMP, 2)
    assert queries() == with_one
