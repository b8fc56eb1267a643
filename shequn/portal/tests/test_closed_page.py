"""A closed community's member pages: a styled 410 page, and joining refused even before the
end-of-life job has run (docs/member-pages.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shequn.accounts.selectors import build_scope
from shequn.members.models import MembershipStatus
from shequn.members.services import add_membership, join_open_community
from shequn.members.tests.factories import MemberFactory
from shequn.organizations.models import Community, CommunityKind, CommunityStatus
from shequn.portal.tests.conftest import page_url
from shequn.portal.tests.test_signup import GOOD


def _past_its_end(community: Community, kind: str = CommunityKind.LEAD_GEN) -> Community:
    """Still active in the table, but its end has passed (the job has not run yet)."""
    now = timezone.now()
    Community.objects.filter(pk=community.pk).update(
        kind=kind, starts_at=now - timedelta(days=3), ends_at=now - timedelta(minutes=1)
    )
    community.refresh_from_db()
    return community


@pytest.mark.parametrize("persona", ["anonymous", "member", "outsider"])
def test_archived_community_page_is_a_styled_410(client_as, archived_community, persona):
    response = client_as(persona).get(page_url(archived_community))
    assert response.status_code == 410
    assert [t.name for t in response.templates][:2] == ["portal/closed.html", "member/base.html"]
    html = response.content.decode()
    assert '<h1 class="m-title">旧群</h1>' in html
    assert "This community has closed" in html
    assert "It has been archived and takes no new members." in html
    assert 'href="/c/me/"' in html
    assert "/join/" not in html
    assert "/signup/" not in html


def test_dissolved_and_past_end_pages_say_why(client_as, archived_community, community):
    Community.objects.filter(pk=archived_community.pk).update(status=CommunityStatus.DISSOLVED)
    page = client_as("anonymous").get(page_url(archived_community))
    assert page.status_code == 410
    assert "It has been dissolved" in page.content.decode()
    ended = _past_its_end(community)
    page = client_as("anonymous").get(page_url(ended))
    assert page.status_code == 410
    end = timezone.localtime(ended.ends_at).strftime("%Y-%m-%d %H:%M")
    assert f"It closed at its end on {end}" in page.content.decode()


def test_closed_page_in_chinese(client_as, settings, archived_community):
    settings.LANGUAGE_CODE = "zh-hans"
    archived_at = timezone.now() - timedelta(days=2)
    Community.objects.filter(pk=archived_community.pk).update(archived_at=archived_at)
    page = client_as("anonymous").get(page_url(archived_community)).content.decode()
    assert "该社群已关闭" in page
    when = timezone.localtime(archived_at).strftime("%Y-%m-%d %H:%M")
    assert f"该社群已于 {when} 归档，不再接收新成员。" in page


def test_a_former_member_is_told_their_record_stays(client_as, member, community):
    ended = _past_its_end(community)
    page = client_as("member").get(page_url(ended)).content.decode()
    assert "You were a member: your membership stays on record." in page


def test_join_after_the_end_is_refused_without_the_job(client_as, member, other_community, counts):
    ended = _past_its_end(other_community)
    before = counts()
    response = client_as("member").post(page_url(ended, "join"))
    assert response.status_code == 410
    assert "You can no longer join: this community has closed." in response.content.decode()
    assert counts() == before
    ended.refresh_from_db()
    assert ended.status == CommunityStatus.ACTIVE  # the job has not run: only the page refused


@pytest.mark.parametrize("method", ["get", "post"])
def test_signup_after_the_end_is_refused(client_as, community, counts, method):
    ended = _past_its_end(community, CommunityKind.TRAINING_CAMP)
    before = counts()
    response = getattr(client_as("anonymous"), method)(page_url(ended, "signup"), GOOD)
    assert response.status_code == 410
    assert "You can no longer join: this community has closed." in response.content.decode()
    assert counts() == before


def test_join_services_refuse_a_community_past_its_end(org, other_community, org_admin, counts):
    ended = _past_its_end(other_community)
    person = MemberFactory(organization=org)
    before = counts()
    with pytest.raises(ValidationError) as joined:
        join_open_community(member=person, community=ended)
    assert joined.value.error_list[0].code == "community_ended"
    with pytest.raises(ValidationError) as added:
        add_membership(actor=build_scope(org_admin), member=person, community=ended)
    assert added.value.messages == ["This community closed at its end; it no longer takes members."]
    assert counts() == before


@pytest.mark.parametrize("kind", [CommunityKind.CORE_FANS, CommunityKind.REGIONAL])
def test_open_ended_kinds_stay_joinable_after_a_planned_end(org, other_community, kind):
    ended = _past_its_end(other_community, kind)
    person = MemberFactory(organization=org)
    membership = join_open_community(member=person, community=ended)
    assert membership.status == MembershipStatus.ACTIVE


def test_unknown_community_is_still_a_404(db, client_as):
    assert client_as("anonymous").get("/c/pj/no-such-group/").status_code == 404
