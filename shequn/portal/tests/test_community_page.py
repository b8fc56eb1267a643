import pytest
from django.utils.html import escape

from shequn.members.counters import recount_members
from shequn.members.models import MembershipStatus
from shequn.members.tests.factories import MembershipFactory
from shequn.portal.selectors import JoinState
from shequn.portal.tests.conftest import page_url

PERSONA_STATES = {
    "member": JoinState.MEMBER,
    "anonymous": JoinState.SIGN_UP,
    "outsider": JoinState.NO_MEMBER,
    "org_admin": JoinState.NO_MEMBER,
    "chapter_head": JoinState.NO_MEMBER,
    "assistant": JoinState.NO_MEMBER,
}


@pytest.mark.parametrize(("persona", "state"), PERSONA_STATES.items())
def test_open_community_page_per_persona(client_as, community, member, persona, state):
    community.intro = "每周四晚线下沙龙"
    community.rules = "1. 禁止广告\n2. 实名入群"
    community.save()
    response = client_as(persona).get(page_url(community))
    assert response.status_code == 200
    assert response.context["state"] == state
    html = response.content.decode()
    assert community.name in html
    assert "每周四晚线下沙龙" in html
    assert "1. 禁止广告<br>2. 实名入群" in html
    assert response.context["community"].member_count == 1
    leave_url = page_url(community, "leave")
    assert (leave_url in html) is (state == JoinState.MEMBER)
    assert (page_url(community, "signup") in html) is (
        state in {JoinState.SIGN_UP, JoinState.NO_MEMBER}
    )


def test_member_sees_join_button_on_other_open_community(client_as, member, other_community):
    response = client_as("member").get(page_url(other_community))
    assert response.context["state"] == JoinState.JOIN
    assert f'action="{page_url(other_community, "join")}"' in response.content.decode()


@pytest.mark.parametrize(
    ("fixture", "state", "text"),
    [
        ("private_community", JoinState.PRIVATE, "Admission is by invitation or approval"),
        ("paid_community", JoinState.PAID, "This is a paid community"),
        ("full_community", JoinState.FULL, "This community is full"),
    ],
)
@pytest.mark.parametrize("persona", ["member", "anonymous", "outsider", "org_admin"])
def test_closed_communities_explain_how_to_get_in(
    client_as, request, member, fixture, state, text, persona
):
    community = request.getfixturevalue(fixture)
    response = client_as(persona).get(page_url(community))
    assert response.status_code == 200
    assert response.context["state"] == state
    html = response.content.decode()
    assert text in html
    assert "contact the operator" in html.lower()
    assert page_url(community, "join") not in html
    assert page_url(community, "signup") not in html


def test_member_of_another_organisation_is_told(client_as, foreign_member, community):
    client = client_as("outsider")
    client.force_login(foreign_member.user)
    response = client.get(page_url(community))
    assert response.status_code == 200
    assert response.context["state"] == JoinState.OTHER_ORG
    assert escape("Your account is a member of 别的组织") in response.content.decode()


def test_left_member_may_join_again(client_as, member, community):
    member.memberships.update(status=MembershipStatus.LEFT)
    recount_members()  # a raw update bypasses the services' counters
    response = client_as("member").get(page_url(community))
    assert response.context["state"] == JoinState.JOIN
    assert response.context["community"].member_count == 0


@pytest.mark.parametrize("persona", ["member", "anonymous", "org_admin"])
def test_unknown_is_404_archived_and_dissolved_say_closed(
    client_as, community, archived_community, persona
):
    client = client_as(persona)
    response = client.get(page_url(archived_community))
    assert response.status_code == 410  # shequn/portal/tests/test_closed_page.py
    assert response.templates[0].name == "portal/closed.html"
    assert client.get("/c/pj/no-such-group/").status_code == 404
    assert client.get(f"/c/nope/{community.slug}/").status_code == 404
    archived_community.status = "dissolved"
    archived_community.save()
    assert client.get(page_url(archived_community)).status_code == 410


def test_page_is_mobile_ready(client_as, community):
    html = client_as("anonymous").get(page_url(community)).content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "css/member.css" in html


def test_post_is_not_allowed(client_as, community):
    assert client_as("anonymous").post(page_url(community)).status_code == 405


@pytest.mark.parametrize("rows", [3, 10])
def test_query_count_is_constant_anonymous(client_as, community, rows, django_assert_num_queries):
    MembershipFactory.create_batch(rows, community=community)
    client = client_as("anonymous")
    with django_assert_num_queries(1):  # the community with its member count
        response = client.get(page_url(community))
    assert response.context["community"].member_count == rows


@pytest.mark.parametrize("rows", [3, 10])
def test_query_count_is_constant_for_member(
    client_as, community, member, rows, django_assert_num_queries
):
    MembershipFactory.create_batch(rows, community=community)
    client = client_as("member")
    # session, user, community, the visitor's member, their membership, and the console's
    # context processor asking whether the user is an operator
    with django_assert_num_queries(6):
        response = client.get(page_url(community))
    assert response.context["community"].member_count == rows + 1
