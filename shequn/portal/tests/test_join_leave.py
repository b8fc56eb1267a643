import pytest
from django.contrib.messages import get_messages

from shequn.audit.models import AuditEntry
from shequn.members.counters import recount_members
from shequn.members.models import Membership, MembershipSource, MembershipStatus
from shequn.members.tests.factories import MembershipFactory
from shequn.portal.tests.conftest import page_url


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- join ---------------------------------------------------------------


def test_member_joins_open_community(client_as, member, other_community):
    response = client_as("member").post(page_url(other_community, "join"))
    assert response.status_code == 302
    assert response["Location"] == page_url(other_community)
    membership = Membership.objects.get(member=member, community=other_community)
    assert (membership.status, membership.source) == (
        MembershipStatus.ACTIVE,
        MembershipSource.SELF_SIGNUP,
    )
    assert _messages(response) == ["Welcome to 北京沙龙群!"]
    entry = AuditEntry.objects.get(action="join")
    assert (entry.actor_id, entry.community_id) == (None, other_community.pk)


def test_member_rejoins_after_leaving(client_as, member, community):
    member.memberships.update(status=MembershipStatus.LEFT, left_by_request=True)
    recount_members()  # a raw update bypasses the services' counters
    response = client_as("member").post(page_url(community, "join"))
    assert response.status_code == 302
    assert member.memberships.get().status == MembershipStatus.ACTIVE


def test_already_a_member(client_as, member, community, counts):
    before = counts()
    response = client_as("member").post(page_url(community, "join"))
    assert response["Location"] == page_url(community)
    assert _messages(response) == ["You are already a member of this community."]
    assert counts() == before


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("private_community", "This community admits members after an approved application."),
        ("paid_community", "This community admits members after payment."),
        ("full_community", "This community is full (1 members)."),
    ],
)
def test_cannot_join_closed_or_full(client_as, request, member, counts, fixture, message):
    community = request.getfixturevalue(fixture)
    before = counts()
    response = client_as("member").post(page_url(community, "join"))
    assert response.status_code == 302
    assert response["Location"] == page_url(community)
    assert _messages(response) == [message]
    assert counts() == before


def test_anonymous_is_sent_to_sign_in(client_as, other_community, counts):
    before = counts()
    response = client_as("anonymous").post(page_url(other_community, "join"))
    assert response.status_code == 302
    assert response["Location"] == "/c/login/?next=" + page_url(other_community)
    assert counts() == before


@pytest.mark.parametrize("persona", ["outsider", "org_admin", "chapter_head", "assistant"])
def test_account_without_member_profile_cannot_join(client_as, other_community, counts, persona):
    client = client_as(persona)
    before = counts()
    response = client.post(page_url(other_community, "join"))
    assert response["Location"] == page_url(other_community)
    assert _messages(response) == ["This account has no member profile. Sign up to join."]
    assert counts() == before


def test_member_of_other_organisation_cannot_join(client_as, foreign_member, community, counts):
    before = counts()
    client = client_as("anonymous")
    client.force_login(foreign_member.user)
    response = client.post(page_url(community, "join"))
    assert response["Location"] == page_url(community)
    assert _messages(response) == ["Your account is a member of 别的组织, not of 培训经理人俱乐部."]
    assert counts() == before


def test_archived_community_refuses_join(client_as, member, archived_community, counts):
    before = counts()
    assert client_as("member").post(page_url(archived_community, "join")).status_code == 410
    assert counts() == before


def test_join_needs_post(client_as, member, other_community, counts):
    before = counts()
    assert client_as("member").get(page_url(other_community, "join")).status_code == 405
    assert counts() == before


# --- leave --------------------------------------------------------------


def test_member_leaves(client_as, member, community):
    response = client_as("member").post(page_url(community, "leave"))
    assert response.status_code == 302
    assert response["Location"] == "/c/me/"
    membership = member.memberships.get()
    assert membership.status == MembershipStatus.LEFT
    assert membership.left_at is not None
    entry = AuditEntry.objects.get(action="leave")
    assert entry.actor_id is None
    assert entry.changes == {"status": ["active", "left"]}
    assert _messages(response) == ["You have left 上海沙龙群."]


def test_leave_returns_to_a_local_next_only(client_as, member, community, other_community):
    client = client_as("member")
    response = client.post(page_url(community, "leave"), {"next": page_url(community)})
    assert response["Location"] == page_url(community)
    MembershipFactory(member=member, community=other_community, joined_at=member.created_at)
    response = client.post(page_url(other_community, "leave"), {"next": "https://evil.example/"})
    assert response["Location"] == "/c/me/"


def test_leave_when_not_a_member(client_as, member, other_community, counts):
    before = counts()
    response = client_as("member").post(page_url(other_community, "leave"))
    assert response["Location"] == "/c/me/"
    assert _messages(response) == ["You are not a member of this community."]
    assert counts() == before


def test_leave_twice_changes_nothing_the_second_time(client_as, member, community):
    client = client_as("member")
    client.post(page_url(community, "leave"), follow=True)  # shows (and uses up) the message
    left_at = member.memberships.get().left_at
    response = client.post(page_url(community, "leave"))
    assert _messages(response) == ["You are not a member of this community."]
    assert member.memberships.get().left_at == left_at
    assert AuditEntry.objects.filter(action="leave").count() == 1


@pytest.mark.parametrize("persona", ["outsider", "org_admin"])
def test_leave_without_member_profile(client_as, member, community, counts, persona):
    client = client_as(persona)
    before = counts()
    response = client.post(page_url(community, "leave"))
    assert response["Location"] == page_url(community)
    assert counts() == before
