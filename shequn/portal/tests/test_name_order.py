"""Names sort by pinyin on SQLite and PostgreSQL alike: the member list and the community list."""

from __future__ import annotations

import pytest

from shequn.members.tests.factories import MemberFactory
from shequn.organizations.tests.factories import CommunityFactory

NAMES = ["张三", "李四", "王五", "阿明", "Zoe"]
PINYIN_ORDER = ["阿明", "李四", "王五", "张三", "Zoe"]  # a ming, li si, wang wu, zhang san, zoe


@pytest.fixture
def named_members(org, chapter):
    for name in NAMES:
        MemberFactory(organization=org, chapter=chapter, display_name=name)


def test_member_list_sorts_by_pinyin(client_as, org_admin, named_members):
    response = client_as("org_admin").get("/members/", {"order": "name"})
    assert response.status_code == 200
    names = [m.display_name for m in response.context["page"].object_list]
    assert names == PINYIN_ORDER
    response = client_as("org_admin").get("/members/", {"order": "-name"})
    assert [m.display_name for m in response.context["page"].object_list] == PINYIN_ORDER[::-1]


def test_community_list_sorts_by_pinyin(client_as, org_admin, chapter):
    for index, name in enumerate(NAMES):
        CommunityFactory(
            chapter=chapter, organization=chapter.organization, name=name, slug=f"c{index}"
        )
    response = client_as("org_admin").get("/communities/", {"order": "name"})
    assert response.status_code == 200
    names = [c.name for c in response.context["page"].object_list]
    assert names == PINYIN_ORDER
