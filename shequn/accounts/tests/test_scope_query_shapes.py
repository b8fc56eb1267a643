"""`member_list_filter` selects exactly the members `member_filter` does, in either shape."""

from __future__ import annotations

import pytest

from shequn.members.models import Member
from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.organizations.tests.factories import CommunityFactory


@pytest.fixture
def spread(org, chapter, other_chapter, community, other_community):
    """Members at home in a chapter, in a community only, in both, and outside every scope."""
    MemberFactory(organization=org, chapter=chapter, display_name="家在本分会")
    MembershipFactory(
        member=MemberFactory(organization=org, chapter=None, display_name="只在本社群"),
        community=community,
    )
    both = MemberFactory(organization=org, chapter=chapter, display_name="两者都是")
    MembershipFactory(member=both, community=community)
    MembershipFactory(member=both, community=CommunityFactory(chapter=chapter, organization=org))
    MembershipFactory(
        member=MemberFactory(organization=org, chapter=other_chapter, display_name="别的分会"),
        community=other_community,
    )
    MemberFactory(display_name="别的组织")


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant"])
@pytest.mark.parametrize("limit", [1, 2000])  # 1: too many for a list, the EXISTS shape
def test_same_members_either_shape(request, scope_of, spread, persona, limit):
    actor = scope_of(request.getfixturevalue(persona))
    expected = set(Member.objects.filter(actor.member_filter()).values_list("pk", flat=True))
    shape = actor.member_list_filter(limit=limit)
    assert shape.listed is (persona != "org_admin" and limit == 2000)
    listed = Member.objects.filter(shape.q)
    assert set(listed.values_list("pk", flat=True)) == expected
    assert listed.count() == len(expected)  # no duplicates
    names = set(Member.objects.filter(pk__in=expected).values_list("display_name", flat=True))
    if persona == "chapter_head":
        assert names == {"家在本分会", "只在本社群", "两者都是"}
    elif persona == "assistant":
        assert names == {"只在本社群", "两者都是"}
    else:
        assert names == {"家在本分会", "只在本社群", "两者都是", "别的分会"}
