"""Name pieces carry their member's organisation and sort key, so short searches read in order."""

from __future__ import annotations

import pytest
from django.db.models import F

from shequn.core.collation import sort_key_for
from shequn.members.counters import recount_members
from shequn.members.models import Member, MemberNameGram
from shequn.members.selectors import list_members
from shequn.members.services import update_member
from shequn.members.tests.factories import MemberFactory, MembershipFactory


def _grams_of(member: Member) -> set[tuple[str, int, str]]:
    return set(member.name_grams.values_list("gram", "organization_id", "sort_key"))


@pytest.fixture
def yu_members(org, chapter, other_chapter, community, other_community):
    """Members whose names hold 余, in and out of each scope, and some that do not."""
    made = {
        "home": MemberFactory(organization=org, chapter=chapter, display_name="余秋雨"),
        "home2": MemberFactory(organization=org, chapter=chapter, display_name="张余"),
        "twin": MemberFactory(organization=org, chapter=chapter, display_name="余秋雨"),
        "in_community": MemberFactory(organization=org, chapter=None, display_name="余华"),
        "elsewhere": MemberFactory(organization=org, chapter=other_chapter, display_name="阿余"),
        "no_match": MemberFactory(organization=org, chapter=chapter, display_name="王五"),
        "other_org": MemberFactory(display_name="余则成"),
    }
    MembershipFactory(member=made["in_community"], community=community)
    MembershipFactory(member=made["home"], community=community)
    MembershipFactory(member=made["elsewhere"], community=other_community)
    return made


def test_pieces_carry_organisation_and_sort_key(org, yu_members):
    member = yu_members["home2"]
    assert _grams_of(member) == {
        (gram, org.pk, sort_key_for("张余")) for gram in ("张", "余", "张余")
    }


def test_stored_sort_key_follows_a_rename(org, org_admin, scope_of, yu_members):
    actor = scope_of(org_admin)
    member = yu_members["home"]
    update_member(actor=actor, member=member, data={"display_name": "阿余生"})
    member.refresh_from_db()
    assert member.sort_key == sort_key_for("阿余生")
    assert _grams_of(member) == {
        (gram, org.pk, sort_key_for("阿余生")) for gram in ("阿", "余", "生", "阿余", "余生")
    }
    assert not MemberNameGram.objects.filter(member=member, gram="秋").exists()
    assert [m.display_name for m in list_members(actor=actor, q="余")] == [
        "阿余",
        "阿余生",
        "余华",
        "余秋雨",
        "张余",
    ]


def test_recount_repairs_stale_piece_sort_keys(org, yu_members):
    MemberNameGram.objects.update(sort_key="zzz")
    recount_members(organization_id=org.pk)
    stale = MemberNameGram.objects.filter(member__organization=org).exclude(
        sort_key=F("member__sort_key")
    )
    assert stale.count() == 0
    assert (
        MemberNameGram.objects.filter(member=yu_members["other_org"], sort_key="zzz").count() == 5
    )


@pytest.mark.parametrize("persona", ["org_admin", "chapter_head", "assistant"])
@pytest.mark.parametrize("order", ["name", "-name"])
@pytest.mark.parametrize("q", ["余", "余秋", " 余", "秋"])
def test_short_search_same_members_and_order(request, scope_of, yu_members, persona, order, q):
    actor = scope_of(request.getfixturevalue(persona))
    fields = ("sort_key", "id") if order == "name" else ("-sort_key", "-id")
    expected = list(
        Member.objects.filter(actor.member_filter(), display_name__contains=q.strip())
        .order_by(*fields)
        .values_list("pk", flat=True)
    )
    assert expected  # every scope sees at least one match
    found = list_members(actor=actor, q=q, order=order)
    assert [m.pk for m in found] == expected
    assert found.count() == len(expected)  # no duplicates from the join
    assert yu_members["other_org"].pk not in expected


def test_short_search_newest_first_keeps_its_order(org_admin, scope_of, yu_members):
    actor = scope_of(org_admin)
    expected = list(
        Member.objects.filter(actor.member_filter(), display_name__contains="余")
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert [m.pk for m in list_members(actor=actor, q="余", order="-created")] == expected
