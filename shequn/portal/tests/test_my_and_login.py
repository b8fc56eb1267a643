import pytest
from django.utils import timezone

from shequn.accounts.tests.factories import PASSWORD
from shequn.members.models import MembershipStatus
from shequn.members.tests.factories import MembershipFactory
from shequn.organizations.tests.factories import CommunityFactory
from shequn.portal.tests.conftest import page_url

# --- my communities -----------------------------------------------------


def test_member_sees_own_communities_with_leave_buttons(
    client_as, member, community, other_community, archived_community
):
    MembershipFactory(member=member, community=other_community, status=MembershipStatus.LEFT)
    MembershipFactory(member=member, community=archived_community)
    response = client_as("member").get("/c/me/")
    assert response.status_code == 200
    assert [m.community for m in response.context["current"]] == [community]
    assert [m.community for m in response.context["past"]] == [other_community]
    html = response.content.decode()
    assert page_url(community, "leave") in html
    assert page_url(other_community, "leave") not in html
    assert archived_community.name not in html


@pytest.mark.parametrize("persona", ["outsider", "org_admin", "chapter_head", "assistant"])
def test_accounts_without_member_profile(client_as, persona):
    response = client_as(persona).get("/c/me/")
    assert response.status_code == 200
    assert response.context["member"] is None
    assert "This account has no member profile" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client_as):
    response = client_as("anonymous").get("/c/me/")
    assert response.status_code == 302
    assert response["Location"] == "/c/login/?next=/c/me/"


@pytest.mark.parametrize("rows", [3, 10])
def test_query_count_is_constant(client_as, member, chapter, rows, django_assert_num_queries):
    for _ in range(rows):
        other = CommunityFactory(chapter=chapter, organization=chapter.organization)
        MembershipFactory(member=member, community=other, joined_at=timezone.now())
    client = client_as("member")
    # session, user, member, pending email verification?, memberships, and the console
    # context processor (operator?), and what is under way: applications, orders, waitlist
    with django_assert_num_queries(9):
        response = client.get("/c/me/")
    assert len(response.context["current"]) == rows + 1


# --- sign in and out ----------------------------------------------------


def test_sign_in_page(client_as):
    response = client_as("anonymous").get("/c/login/?next=/c/pj/sh-salon/")
    assert response.status_code == 200
    assert 'name="next" value="/c/pj/sh-salon/"' in response.content.decode()


def test_member_signs_in_with_email_in_any_case(client_as, member):
    client = client_as("anonymous")
    response = client.post(
        "/c/login/", {"username": " ZhangSan@Example.com ", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/c/me/"
    assert client.session["_auth_user_id"] == str(member.user_id)


def test_sign_in_follows_local_next_only(client_as, member, community):
    client = client_as("anonymous")
    data = {"username": "zhangsan@example.com", "password": PASSWORD}
    response = client.post("/c/login/", {**data, "next": page_url(community)})
    assert response["Location"] == page_url(community)
    response = client.post("/c/login/", {**data, "next": "https://evil.example/"})
    assert response["Location"] == "/c/me/"


def test_wrong_password(client_as, member):
    client = client_as("anonymous")
    response = client.post("/c/login/", {"username": "zhangsan@example.com", "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_operator_may_sign_in_here_too(client_as, org_admin):
    client = client_as("anonymous")
    response = client.post("/c/login/", {"username": "admin", "password": PASSWORD})
    assert response["Location"] == "/c/me/"
    assert client.session["_auth_user_id"] == str(org_admin.user_id)


@pytest.mark.parametrize("persona", ["member", "outsider", "org_admin"])
def test_sign_out(client_as, persona):
    client = client_as(persona)
    assert client.get("/c/logout/").status_code == 405
    response = client.post("/c/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/c/login/"
    assert "_auth_user_id" not in client.session
