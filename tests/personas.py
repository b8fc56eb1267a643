"""The personas' world, built by plain functions: conftest.py's fixtures call them per test,
and the permission matrix builds the same world once per module (tests/test_permission_matrix.py).

The world: organisation `org` with chapters `chapter` (上海) and `other_chapter` (北京); the
open regional community `community` in `chapter` and `other_community` in `other_chapter`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.tests.factories import OperatorFactory, UserFactory
from shequn.members.models import Channel, Member
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.models import Chapter, Community, Organization
from shequn.organizations.tests.factories import (
    ChapterFactory,
    CommunityFactory,
    OrganizationFactory,
)


def make_org() -> Organization:
    return OrganizationFactory(name="培训经理人俱乐部", slug="pj")


def make_chapter(org: Organization) -> Chapter:
    return ChapterFactory(organization=org, name="上海分会", slug="shanghai", city="上海")


def make_other_chapter(org: Organization) -> Chapter:
    return ChapterFactory(organization=org, name="北京分会", slug="beijing", city="北京")


def make_community(chapter: Chapter) -> Community:
    return CommunityFactory(
        chapter=chapter, organization=chapter.organization, name="上海沙龙群", slug="sh-salon"
    )


def make_other_community(other_chapter: Chapter) -> Community:
    return CommunityFactory(
        chapter=other_chapter,
        organization=other_chapter.organization,
        name="北京沙龙群",
        slug="bj-salon",
    )


def make_org_admin(org: Organization) -> Operator:
    return OperatorFactory(
        user=UserFactory(username="admin"), organization=org, role=OperatorRole.ORG_ADMIN
    )


def make_chapter_head(org: Organization, chapter: Chapter) -> Operator:
    return OperatorFactory(
        user=UserFactory(username="head"),
        organization=org,
        role=OperatorRole.CHAPTER_HEAD,
        chapters=[chapter],
    )


def make_assistant(org: Organization, community: Community) -> Operator:
    return OperatorFactory(
        user=UserFactory(username="assistant"),
        organization=org,
        role=OperatorRole.ASSISTANT,
        communities=[community],
    )


def make_member(org: Organization, community: Community) -> Member:
    person = MemberFactory(
        organization=org,
        chapter=community.chapter,
        display_name="张三",
        user=UserFactory(username="zhangsan@example.com"),
    )
    IdentityFactory(
        member=person, organization=org, channel=Channel.WEB, external_id=str(person.user_id)
    )
    MembershipFactory(member=person, community=community)
    return person


def make_other_member(org: Organization, other_community: Community) -> Member:
    person = MemberFactory(organization=org, chapter=other_community.chapter, display_name="李四")
    IdentityFactory(member=person, organization=org, channel=Channel.WECOM, external_id="lisi")
    MembershipFactory(member=person, community=other_community)
    return person


def make_outsider() -> AbstractBaseUser:
    return UserFactory(username="outsider")


@dataclass
class People:
    org: Organization
    chapter: Chapter
    other_chapter: Chapter
    community: Community
    other_community: Community
    org_admin: Operator
    chapter_head: Operator
    assistant: Operator
    member: Member
    other_member: Member
    outsider: AbstractBaseUser


def make_people() -> People:
    """Every persona, in the order the fixtures would make them."""
    org = make_org()
    chapter = make_chapter(org)
    other_chapter = make_other_chapter(org)
    community = make_community(chapter)
    other_community = make_other_community(other_chapter)
    return People(
        org=org,
        chapter=chapter,
        other_chapter=other_chapter,
        community=community,
        other_community=other_community,
        org_admin=make_org_admin(org),
        chapter_head=make_chapter_head(org, chapter),
        assistant=make_assistant(org, community),
        member=make_member(org, community),
        other_member=make_other_member(org, other_community),
        outsider=make_outsider(),
    )
