import pytest
from django.contrib.auth import get_user_model
from django.utils.html import escape

from shequn.accounts.tests.factories import UserFactory
from shequn.audit.models import AuditEntry
from shequn.members.models import Channel, Member, Membership, MembershipSource, MembershipStatus
from shequn.portal.entry import EntryState
from shequn.portal.tests.conftest import page_url

GOOD = {
    "display_name": " 赵六 ",
    "email": "ZhaoLiu@Example.com",
    "phone": "13812345678",
    "password": "paper-lantern-42",
}


def test_form_is_shown_to_anonymous(client_as, community):
    response = client_as("anonymous").get(page_url(community, "signup"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("display_name", "email", "phone", "password"):
        assert f'name="{name}"' in html
    assert "<script" not in html.split("</head>")[1]  # the form needs no JavaScript


def test_signup_creates_account_member_identities_membership_and_signs_in(client_as, community):
    client = client_as("anonymous")
    response = client.post(page_url(community, "signup"), GOOD)
    assert response.status_code == 302
    assert response["Location"] == page_url(community, "welcome")
    user = get_user_model().objects.get()
    assert user.get_username() == "zhaoliu@example.com"
    assert user.check_password("paper-lantern-42")
    member = Member.objects.get()
    assert (member.display_name, member.email, member.phone, member.user_id) == (
        "赵六",
        "zhaoliu@example.com",
        "+8613812345678",
        user.pk,
    )
    assert member.organization_id == community.organization_id
    assert sorted(member.identities.values_list("channel", "external_id")) == [
        (Channel.EMAIL, "zhaoliu@example.com"),
        (Channel.WEB, str(user.pk)),
    ]
    membership = member.memberships.get()
    assert (membership.community_id, membership.status, membership.source) == (
        community.pk,
        MembershipStatus.ACTIVE,
        MembershipSource.SELF_SIGNUP,
    )
    assert client.session["_auth_user_id"] == str(user.pk)
    assert sorted(AuditEntry.objects.values_list("action", "object_type")) == [
        ("create", "member"),
        ("join", "membership"),
    ]
    welcome = client.get(response["Location"])
    assert welcome.status_code == 200
    assert "赵六" in welcome.content.decode()


# Sign-up with the email of a member an operator recorded: test_signup_verification.py.


BAD_INPUT = [
    ("display_name", "", "This field is required."),
    ("display_name", "   ", "This field is required."),
    ("display_name", "名" * 65, "Ensure this value has at most 64 characters (it has 65)."),
    ("email", "not-an-email", "Enter a valid email address."),
    ("email", "", "This field is required."),
    ("email", "a@" + "b" * 250 + ".com", "Ensure this value has at most 254 characters"),
    ("phone", "call me", "Enter a valid phone number, for example 13812345678"),
    ("phone", "1" * 21, "Enter a valid phone number, for example 13812345678"),
    ("phone", "1" * 33, "Ensure this value has at most 32 characters (it has 33)."),
    ("password", "", "This field is required."),
    ("password", "12345678", "This password is entirely numeric."),
    ("password", "password", "This password is too common."),
    ("password", "a1b2", "This password is too short."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_bad_input_saves_nothing(client_as, community, counts, field, value, message):
    before = counts()
    client = client_as("anonymous")
    response = client.post(page_url(community, "signup"), {**GOOD, field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert any(message in error for error in errors[field])
    assert escape(errors[field][0]) in response.content.decode()
    assert counts() == before
    assert "_auth_user_id" not in client.session


def test_duplicate_email_saves_nothing(client_as, community, member, counts):
    before = counts()
    data = {**GOOD, "email": "ZhangSan@example.com"}
    response = client_as("anonymous").post(page_url(community, "signup"), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["An account with this email already exists. Sign in instead."]
    }
    assert counts() == before


def test_full_community_saves_nothing(client_as, full_community, counts):
    before = counts()
    response = client_as("anonymous").post(page_url(full_community, "signup"), GOOD)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["This community is full (1 members)."]
    assert counts() == before


@pytest.mark.parametrize("fixture", ["private_community", "paid_community"])
def test_private_or_paid_signup_makes_the_account_and_joins_nothing(
    client_as, request, counts, fixture
):
    """A newcomer to a private or paid community needs an account to apply or to pay: the
    sign-up makes it (and the member), joins nothing, and leads back to the page's next step."""
    community = request.getfixturevalue(fixture)
    before = counts()
    client = client_as("anonymous")
    assert client.get(page_url(community, "signup")).status_code == 200
    response = client.post(page_url(community, "signup"), GOOD)
    assert response.status_code == 302
    assert response["Location"] == page_url(community)
    after = counts()
    assert after["users"] == before["users"] + 1
    assert after["members"] == before["members"] + 1
    assert after["memberships"] == before["memberships"]
    member = Member.objects.get(email="zhaoliu@example.com")
    assert not Membership.objects.filter(member=member).exists()
    page = client.get(response["Location"])
    assert "Your account is ready: continue from this page." in page.content.decode()
    assert page.context["state"] != EntryState.SIGN_IN


def test_archived_community_refuses_signup(client_as, archived_community, counts):
    before = counts()
    client = client_as("anonymous")
    assert client.get(page_url(archived_community, "signup")).status_code == 410
    assert client.post(page_url(archived_community, "signup"), GOOD).status_code == 410
    assert counts() == before


def test_signed_in_member_is_sent_back_to_join(client_as, member, other_community, counts):
    before = counts()
    response = client_as("member").post(page_url(other_community, "signup"), GOOD)
    assert response.status_code == 302
    assert response["Location"] == page_url(other_community)
    assert counts() == before


@pytest.mark.parametrize("persona", ["outsider", "org_admin"])
def test_signed_in_non_member_may_sign_up_as_member(client_as, community, persona):
    client = client_as(persona)
    page = client.get(page_url(community, "signup"))
    assert "which has no member profile" in page.content.decode()
    response = client.post(page_url(community, "signup"), GOOD)
    assert response.status_code == 302
    new_user = get_user_model().objects.get(username="zhaoliu@example.com")
    assert client.session["_auth_user_id"] == str(new_user.pk)


def test_welcome_redirects_non_members(client_as, community, member):
    assert client_as("anonymous").get(page_url(community, "welcome"))["Location"] == page_url(
        community
    )
    assert client_as("outsider").get(page_url(community, "welcome"))["Location"] == page_url(
        community
    )
    assert client_as("member").get(page_url(community, "welcome")).status_code == 200


def test_username_taken_case_insensitively(client_as, community, counts):
    UserFactory(username="zhaoliu@example.com")
    before = counts()
    response = client_as("anonymous").post(page_url(community, "signup"), GOOD)
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert counts() == before


def test_empty_post_shows_every_required_field(client_as, community, counts):
    before = counts()
    response = client_as("anonymous").post(page_url(community, "signup"))
    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == ["display_name", "email", "password"]
    assert counts() == before


def test_all_mistakes_show_at_once(client_as, community, counts):
    before = counts()
    data = {**GOOD, "email": "bad", "password": "123"}
    response = client_as("anonymous").post(page_url(community, "signup"), data)
    assert sorted(response.context["form"].errors) == ["email", "password"]
    assert counts() == before


def test_password_like_the_email_is_refused_by_the_service(client_as, community, counts):
    before = counts()
    data = {**GOOD, "email": "lanternpaper@example.com", "password": "lanternpaper"}
    response = client_as("anonymous").post(page_url(community, "signup"), data)
    assert response.context["form"].errors == {
        "password": ["The password is too similar to the username."]
    }
    assert counts() == before
