"""The world of the member pages on top of the root personas."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model

from shequn.accounts.tests.factories import UserFactory
from shequn.audit.models import AuditEntry
from shequn.members.models import Channel, Identity, Member, Membership
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.models import Community, CommunityAccess, CommunityStatus
from shequn.organizations.tests.factories import (
    ChapterFactory,
    CommunityFactory,
    OrganizationFactory,
)


def page_url(community: Community, action: str = "") -> str:
    base = f"/c/{community.organization.slug}/{community.slug}/"
    return f"{base}{action}/" if action else base


@pytest.fixture
def private_community(chapter) -> Community:
    return CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        name="上海铁粉群",
        slug="sh-fans",
        access=CommunityAccess.PRIVATE,
    )


@pytest.fixture
def paid_community(chapter) -> Community:
    return CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        name="7天训练营",
        slug="camp",
        access=CommunityAccess.PAID,
    )


@pytest.fixture
def full_community(chapter) -> Community:
    """Open, with room for one member, who is already in."""
    community = CommunityFactory(
        chapter=chapter, organization=chapter.organization, name="满员群", slug="full", capacity=1
    )
    MembershipFactory(community=community)
    return community


@pytest.fixture
def archived_community(chapter) -> Community:
    return CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        name="旧群",
        slug="old",
        status=CommunityStatus.ARCHIVED,
    )


@pytest.fixture
def foreign_community(db) -> Community:
    """An open community of another organisation."""
    other_org = OrganizationFactory(name="别的组织", slug="other")
    return CommunityFactory(
        chapter=ChapterFactory(organization=other_org), organization=other_org, slug="open"
    )


@pytest.fixture
def foreign_member(foreign_community) -> Member:
    """A member with a web account in another organisation."""
    person = MemberFactory(
        organization=foreign_community.organization,
        display_name="王五",
        user=UserFactory(username="wangwu@example.com"),
    )
    IdentityFactory(
        member=person,
        organization=person.organization,
        channel=Channel.WEB,
        external_id=str(person.user_id),
    )
    return person


@pytest.fixture
def counts() -> Callable[[], dict[str, int]]:
    """counts() → how many rows each table touched by the member pages has."""

    def take() -> dict[str, int]:
        return {
            "users": get_user_model().objects.count(),
            "members": Member.objects.count(),
            "identities": Identity.objects.count(),
            "memberships": Membership.objects.count(),
            "active": Membership.objects.filter(status="active").count(),
            "audit": AuditEntry.objects.count(),
        }

    return take


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Assertions read the English messages; the zh-hans catalogue is checked elsewhere."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def recorded(org, chapter, private_community) -> Member:
    """A member an operator recorded (email, phone), in a private community, no web account."""
    person = MemberFactory(
        organization=org,
        chapter=chapter,
        display_name="老钱",
        phone="13900000000",
        email="qian@example.com",
    )
    IdentityFactory(
        member=person, organization=org, channel=Channel.EMAIL, external_id="qian@example.com"
    )
    MembershipFactory(member=person, community=private_community)
    return person


@pytest.fixture
def member_with_email(member):
    """`member` whose web account has their email (for password-reset mails)."""
    member.user.email = "zhangsan@example.com"
    member.user.save(update_fields=["email"])
    return member
