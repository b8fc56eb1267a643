from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shequn.invitations.models import InviteLink
from shequn.invitations.selectors import SESSION_KEY
from shequn.invitations.tests.factories import InviteLinkFactory
from shequn.members.models import Membership, MembershipStatus
from shequn.organizations.models import CommunityStatus

pytestmark = pytest.mark.django_db


def _landing(code: str) -> str:
    return reverse("invitations_portal:landing", kwargs={"code": code})


def test_unknown_code_is_a_styled_404(client) -> None:
    response = client.get(_landing("nosuchcode234"))
    assert response.status_code == 404
    assert "invitations/landing_refused.html" in [t.name for t in response.templates]
    assert "This invite link does not exist." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_overlong_code_is_a_404(client) -> None:
    assert client.get(_landing("a" * 500)).status_code == 404


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"disabled_at": "now"}, "This invite link has been switched off."),
        ({"expires_at": "past"}, "This invite link has expired."),
        ({"max_uses": 2, "use_count": 2}, "This invite link has been used as often as it may be."),
    ],
)
def test_unusable_link_is_a_410_page(client, community, fields, text) -> None:
    now = timezone.now()
    values = {
        k: now if v == "now" else now - timedelta(hours=1) if v == "past" else v
        for k, v in fields.items()
    }
    link = InviteLinkFactory(community=community, **values)
    response = client.get(_landing(link.code))
    assert response.status_code == 410
    body = response.content.decode()
    assert text in body
    assert community.name in body
    assert SESSION_KEY not in client.session


def test_refusal_in_chinese(client, community) -> None:
    link = InviteLinkFactory(community=community, expires_at=timezone.now() - timedelta(hours=1))
    response = client.get(_landing(link.code), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 410
    assert "邀请链接已过期" in response.content.decode()


@pytest.mark.parametrize("status", [CommunityStatus.ARCHIVED, CommunityStatus.DISSOLVED])
def test_closed_community_is_a_410_page(client, community, status) -> None:
    link = InviteLinkFactory(community=community)
    type(community).objects.filter(pk=community.pk).update(status=status)
    response = client.get(_landing(link.code))
    assert response.status_code == 410
    assert "This community has closed" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_landing_remembers_the_link(client, community) -> None:
    link = InviteLinkFactory(community=community)
    response = client.get(_landing(link.code.upper()))
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == {str(community.pk): link.pk}


def _my_link_url(community) -> str:
    return reverse("invitations_portal:my_link", args=[community.organization.slug, community.slug])


def test_member_sees_own_link(client_as, member, community) -> None:
    response = client_as("member").get(_my_link_url(community))
    assert response.status_code == 200
    link = InviteLink.objects.get(inviter_member=member, is_personal=True)
    body = response.content.decode()
    assert f"/c/i/{link.code}/" in body
    assert "<svg" in body
    # the same link on the next visit
    client_as("member").get(_my_link_url(community))
    assert InviteLink.objects.count() == 1


def test_counts_on_own_link_page(client_as, member, community) -> None:
    from shequn.invitations.services import get_or_create_member_link
    from shequn.joining.admission import admit_member
    from shequn.members.tests.factories import MemberFactory

    link = get_or_create_member_link(member, community)
    for _ in range(2):
        admit_member(
            member=MemberFactory(organization=community.organization),
            community=community,
            source="self_signup",
            invite_link=link,
        )
    gone = Membership.objects.filter(community=community).exclude(member=member).first()
    assert gone is not None
    from shequn.members.services import end_membership

    end_membership(actor=None, membership=gone, status=MembershipStatus.LEFT, by_request=True)
    response = client_as("member").get(_my_link_url(community))
    counts = response.context["counts"]
    assert (counts.invitees, counts.still_in) == (2, 1)


def test_not_a_member_is_sent_back(client_as, other_community) -> None:
    response = client_as("member").get(_my_link_url(other_community))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:community", args=[other_community.organization.slug, other_community.slug]
    )
    assert InviteLink.objects.count() == 0


def test_anonymous_is_sent_to_sign_in(community) -> None:
    response = Client().get(_my_link_url(community))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
