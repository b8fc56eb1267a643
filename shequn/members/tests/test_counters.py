"""Maintained counters, pinyin sort keys and the search index equal what the rows say."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from shequn.accounts.selectors import OperatorScope
from shequn.core.collation import sort_key_for
from shequn.members.counters import RecountResult, recount_members
from shequn.members.models import Member, MemberNameGram, Membership, MembershipStatus
from shequn.members.search import ensure_member_search_index, name_grams
from shequn.members.selectors import list_members, list_memberships
from shequn.members.services import (
    add_membership,
    create_member,
    delete_member,
    end_membership,
    update_member,
)
from shequn.organizations.models import Chapter, Community, CommunityKind, CommunityStatus
from shequn.organizations.selectors import list_chapters, list_communities
from shequn.organizations.services import (
    archive_community,
    create_community,
    dissolve_community,
    restore_community,
    update_community,
)

NOTHING_DRIFTED = RecountResult(chapters=0, communities=0, members=0, memberships=0)


def _real_counts() -> dict[str, dict[int, int]]:
    active = Q(status=MembershipStatus.ACTIVE)
    return {
        "community": dict(
            Community.objects.annotate(
                n=Count("memberships", filter=Q(memberships__status=MembershipStatus.ACTIVE))
            ).values_list("pk", "n")
        ),
        "member": {m.pk: m.memberships.filter(active).count() for m in Member.objects.all()},
        "chapter": {
            c.pk: c.communities.filter(status=CommunityStatus.ACTIVE).count()
            for c in Chapter.objects.all()
        },
    }


def _stored_counts() -> dict[str, dict[int, int]]:
    return {
        "community": dict(Community.objects.values_list("pk", "member_count")),
        "member": dict(Member.objects.values_list("pk", "community_count")),
        "chapter": dict(Chapter.objects.values_list("pk", "community_count")),
    }


def _assert_exact() -> None:
    assert _stored_counts() == _real_counts()
    for member in Member.objects.all():
        assert member.sort_key == sort_key_for(member.display_name)
        assert set(member.memberships.values_list("member_sort_key", flat=True)) <= {
            member.sort_key
        }
        assert set(member.name_grams.values_list("gram", flat=True)) == name_grams(
            member.display_name
        )
    for community in Community.objects.all():
        assert community.sort_key == sort_key_for(community.name)
    assert recount_members() == NOTHING_DRIFTED


def _community(actor: OperatorScope, chapter: Chapter, name: str, slug: str) -> Community:
    return create_community(
        actor=actor, chapter=chapter, kind=CommunityKind.REGIONAL, name=name, slug=slug
    )


def test_counters_follow_every_kind_of_change(org_admin, chapter, other_chapter, scope_of):
    actor = scope_of(org_admin)
    salon = _community(actor, chapter, "上海沙龙", "salon")
    camp = _community(actor, chapter, "训练营", "camp")
    _assert_exact()
    zhang = create_member(actor=actor, display_name="张伟明", chapter=chapter, community=salon)
    li = create_member(actor=actor, display_name="李娜", chapter=chapter)
    _assert_exact()
    first = add_membership(actor=actor, member=li, community=salon)
    add_membership(actor=actor, member=li, community=camp)
    add_membership(actor=actor, member=zhang, community=camp)
    _assert_exact()
    assert Community.objects.get(pk=salon.pk).member_count == 2
    end_membership(actor=actor, membership=first, status=MembershipStatus.LEFT)
    _assert_exact()
    add_membership(actor=actor, member=li, community=salon)  # back after leaving
    end_membership(actor=actor, membership=Membership.objects.get(member=zhang, community=camp))
    _assert_exact()
    update_member(actor=actor, member=li, data={"display_name": "王芳"})
    _assert_exact()
    assert set(Membership.objects.filter(member=li).values_list("member_sort_key", flat=True)) == {
        sort_key_for("王芳")
    }
    update_community(actor=actor, community=camp, data={"chapter": other_chapter, "name": "阿营"})
    _assert_exact()
    archive_community(actor=actor, community=camp)
    _assert_exact()
    restore_community(actor=actor, community=camp)
    dissolve_community(actor=actor, community=salon)
    _assert_exact()
    assert Chapter.objects.get(pk=chapter.pk).community_count == 0
    assert Chapter.objects.get(pk=other_chapter.pk).community_count == 1
    delete_member(actor=actor, member=li)
    _assert_exact()
    assert Community.objects.get(pk=camp.pk).member_count == 0
    assert Member.objects.get(pk=zhang.pk).community_count == 1


def test_recount_makes_bulk_rows_what_the_services_make(org_admin, org, chapter, scope_of):
    actor = scope_of(org_admin)
    community = _community(actor, chapter, "上海沙龙", "salon")
    made = create_member(actor=actor, display_name="赵六", phone="13812345678", community=community)
    expected = Member.objects.values("sort_key", "community_count").get(pk=made.pk)
    bulk = Member.objects.bulk_create(
        [Member(organization=org, chapter=chapter, display_name=n) for n in ("钱七", "孙八")]
    )
    Membership.objects.bulk_create(
        [Membership(member=m, community=community, joined_at=timezone.now()) for m in bulk]
    )
    result = recount_members(organization_id=org.pk)
    # two members' sort keys and counters, the community's counter, two memberships' keys
    assert result == RecountResult(chapters=0, communities=1, members=2, memberships=2)
    _assert_exact()
    assert Member.objects.values("sort_key", "community_count").get(pk=made.pk) == expected
    assert Community.objects.get(pk=community.pk).member_count == 3
    assert [m.display_name for m in list_members(actor=actor, q="钱")] == ["钱七"]
    assert [m.display_name for m in list_members(actor=actor, q="孙八")] == ["孙八"]


def test_recount_command_reports_and_repairs(org_admin, org, community, member):
    Community.objects.filter(pk=community.pk).update(member_count=7)
    call_command("recount_members", "--organization", org.slug, stdout=(out := _Out()))
    assert out.text == (
        "Corrected 0 chapters, 1 communities, 0 members, 0 memberships, 0 invite links, "
        "0 community prices.\n"
    )
    assert Community.objects.get(pk=community.pk).member_count == 1


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_names_sort_by_pinyin(org_admin, org, chapter, scope_of):
    actor = scope_of(org_admin)
    for name in ("张伟", "Alice", "李娜", "阿强", "王芳", "bob"):
        create_member(actor=actor, display_name=name, chapter=chapter)
    assert [m.display_name for m in list_members(actor=actor)] == [
        "阿强",
        "Alice",
        "bob",
        "李娜",
        "王芳",
        "张伟",
    ]
    assert [m.display_name for m in list_members(actor=actor, order="-name")][:2] == [
        "张伟",
        "王芳",
    ]
    for slug, name in (("z", "中山群"), ("b", "北京群"), ("h", "杭州群")):
        _community(actor, chapter, name, slug)
    assert [c.name for c in list_communities(actor=actor)] == ["北京群", "杭州群", "中山群"]
    assert [c.name for c in list_chapters(actor=actor)] == ["上海分会"]


def test_community_members_sort_by_pinyin(org_admin, chapter, scope_of):
    actor = scope_of(org_admin)
    community = _community(actor, chapter, "上海沙龙", "salon")
    for name in ("周杰", "安然", "孟浩"):
        create_member(actor=actor, display_name=name, community=community)
    names = [
        m.member.display_name
        for m in list_memberships(actor=actor, community_id=community.pk, order="name")
    ]
    assert names == ["安然", "孟浩", "周杰"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("张伟明", ["张伟明"]),  # three characters and more: the trigram index
        ("伟明", ["张伟明"]),  # two: the name pieces
        ("张", ["张伟明", "张三"]),  # one
        ("5678", ["张伟明"]),  # a phone fragment
        ("ZHANG@EX", ["张三"]),  # email, any case
        ("nobody", []),
    ],
)
def test_search(org_admin, chapter, scope_of, query, found):
    actor = scope_of(org_admin)
    create_member(actor=actor, display_name="张伟明", chapter=chapter, phone="13812345678")
    create_member(actor=actor, display_name="张三", chapter=chapter, email="zhang@example.com")
    create_member(actor=actor, display_name="李四", chapter=chapter, phone="13900000000")
    assert sorted(m.display_name for m in list_members(actor=actor, q=query)) == sorted(found)


def test_search_follows_renames_and_deletes(org_admin, chapter, scope_of):
    actor = scope_of(org_admin)
    member = create_member(actor=actor, display_name="张伟明", chapter=chapter)
    update_member(actor=actor, member=member, data={"display_name": "刘德华"})
    assert list(list_members(actor=actor, q="张伟明")) == []
    assert list(list_members(actor=actor, q="伟")) == []
    assert [m.pk for m in list_members(actor=actor, q="刘德华")] == [member.pk]
    assert [m.pk for m in list_members(actor=actor, q="德")] == [member.pk]
    delete_member(actor=actor, member=member)
    assert list(list_members(actor=actor, q="刘德华")) == []
    assert MemberNameGram.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_missing_sqlite_triggers_are_recreated_and_the_index_rebuilt(org_admin, chapter, scope_of):
    actor = scope_of(org_admin)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER members_member_search_ai")  # as a table rebuild would
    member = create_member(actor=actor, display_name="欧阳修文", chapter=chapter)
    assert list(list_members(actor=actor, q="欧阳修")) == []  # not indexed without the trigger
    assert ensure_member_search_index() is True
    assert [m.pk for m in list_members(actor=actor, q="欧阳修")] == [member.pk]
    assert ensure_member_search_index() is False
