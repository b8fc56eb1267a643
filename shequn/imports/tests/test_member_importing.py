"""The member import service (shequn.members.importing): matching, creating, joining, rejects."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone, translation

from shequn.activity.models import Activity, ActivityKind
from shequn.audit.models import AuditAction, AuditEntry
from shequn.core.collation import sort_key_for
from shequn.members.importing import BatchResult, ImportRow, MemberImport, parse_joined_at, role_for
from shequn.members.models import (
    Channel,
    Identity,
    Member,
    MemberNameGram,
    Membership,
    MembershipRole,
    MembershipStatus,
)
from shequn.members.tests.factories import IdentityFactory, MemberFactory, MembershipFactory
from shequn.organizations.models import Community
from shequn.organizations.tests.factories import CommunityFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def rows(*values: dict[str, str]) -> list[ImportRow]:
    return [ImportRow(line=i + 2, values=v) for i, v in enumerate(values)]


def run(
    actor: Any, *values: dict[str, str], default_community: Community | None = None
) -> BatchResult:
    importer = MemberImport(
        organization=actor.organization, actor=actor, default_community=default_community
    )
    with translation.override("en"):
        return importer.import_rows(rows(*values))


def state() -> tuple[int, int, int, int, int]:
    return (
        Member.objects.count(),
        Identity.objects.count(),
        Membership.objects.count(),
        Activity.objects.count(),
        AuditEntry.objects.count(),
    )


WANG = {
    "name": "王伟",
    "phone": "138 1234 5678",
    "email": "Wang.Wei@Example.COM",
    "wechat": "wx-wangwei",
    "community": "sh-salon",
    "role": "助教",
    "joined_at": "2023/5/1",
}
LI = {"name": "李娜", "phone": "+86 139-0000-1111", "community": "上海沙龙群"}


@pytest.fixture
def admin(org_admin, scope_of):
    return scope_of(org_admin)


def test_new_members_get_identities_and_memberships_at_their_joined_dates(admin, community):
    result = run(admin, WANG, LI)
    assert (result.new, result.duplicate, result.rejected) == (2, 0, [])
    wang = Member.objects.get(display_name="王伟")
    assert (wang.phone, wang.email, wang.chapter_id) == (
        "+8613812345678",
        "wang.wei@example.com",
        community.chapter_id,
    )
    assert wang.sort_key == sort_key_for("王伟")
    assert set(MemberNameGram.objects.filter(member=wang).values_list("gram", flat=True)) == {
        "王",
        "伟",
        "王伟",
    }
    assert set(wang.identities.values_list("channel", "external_id", "phone", "email")) == {
        (Channel.WECHAT, "wx-wangwei", "", ""),
        (Channel.PHONE, "+8613812345678", "+8613812345678", ""),
        (Channel.EMAIL, "wang.wei@example.com", "", "wang.wei@example.com"),
    }
    membership = Membership.objects.get(member=wang, community=community)
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.role == MembershipRole.ASSISTANT
    assert membership.joined_at == datetime.datetime(2023, 5, 1, tzinfo=SHANGHAI)
    assert membership.member_sort_key == wang.sort_key
    join = Activity.objects.get(member=wang)
    assert (join.kind, join.community_id, join.occurred_at, join.source) == (
        ActivityKind.JOIN,
        community.pk,
        datetime.datetime(2023, 5, 1, tzinfo=SHANGHAI),
        "import",
    )
    li = Member.objects.get(display_name="李娜")
    li_membership = Membership.objects.get(member=li, community=community)
    assert li_membership.role == MembershipRole.MEMBER
    # Without a joined date: the import's start.
    assert abs((timezone.now() - li_membership.joined_at).total_seconds()) < 60
    community.refresh_from_db()
    assert community.member_count == 2
    assert [m.community_count for m in Member.objects.order_by("pk")] == [1, 1]
    created = AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="member")
    assert sorted(created.values_list("object_id", flat=True)) == sorted([str(wang.pk), str(li.pk)])
    assert set(created.values_list("actor_name", "chapter_id")) == {("admin", community.chapter_id)}


def test_importing_the_same_rows_again_adds_nothing(admin, community):
    run(admin, WANG, LI)
    before = state()
    counts = community.__class__.objects.get(pk=community.pk).member_count
    again = run(admin, WANG, LI)
    assert (again.new, again.duplicate, again.rejected) == (0, 2, [])
    assert state() == before
    assert Community.objects.get(pk=community.pk).member_count == counts == 2
    assert [m.community_count for m in Member.objects.order_by("pk")] == [1, 1]


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+8613812345678",
        "86 13812345678",
        "8613812345678",
        "008613812345678",
    ],
)
def test_mainland_phones_are_stored_in_e164(admin, phone):
    result = run(admin, {"name": "王伟", "phone": phone})
    assert (result.new, result.rejected) == (1, [])
    assert Member.objects.get().phone == "+8613812345678"


def test_phones_of_other_regions_need_their_code(admin):
    result = run(
        admin, {"name": "陈港", "phone": "+852 5123 4567"}, {"name": "X", "phone": "5123 4567"}
    )
    assert result.new == 1
    assert Member.objects.get().phone == "+85251234567"
    assert [(r.line, r.reason) for r in result.rejected] == [(3, "Invalid phone number: 5123 4567")]


def test_emails_are_lower_cased_and_validated(admin):
    result = run(
        admin,
        {"name": "A", "email": "  Alice@Example.COM "},
        {"name": "B", "email": "not-an-email"},
        {"name": "C", "email": "c@" + "x" * 250 + ".com"},
    )
    assert result.new == 1
    assert Member.objects.get().email == "alice@example.com"
    assert [r.line for r in result.rejected] == [3, 4]
    assert result.rejected[0].reason == "Invalid email address: not-an-email"


def test_matches_an_existing_member_by_identity_then_phone_then_email(admin, org, community):
    by_identity = MemberFactory(organization=org, display_name="旧王伟", phone="+8613900000000")
    IdentityFactory(
        member=by_identity, organization=org, channel=Channel.WECHAT, external_id="wx-1"
    )
    by_phone = MemberFactory(organization=org, display_name="旧李娜", phone="+8613812345678")
    by_email = MemberFactory(organization=org, display_name="旧张三", email="Zhang@Example.com")
    before = Member.objects.count()
    result = run(
        admin,
        # wechat of one member, phone of another: the channel account wins
        {"name": "王伟", "wechat": "wx-1", "phone": "13812345678", "community": "sh-salon"},
        {"name": "李娜", "phone": "138 1234 5678", "email": "li@example.com"},
        {"name": "张三", "email": "ZHANG@example.com", "qq": "10001"},
    )
    assert (result.new, result.duplicate, result.rejected) == (0, 3, [])
    assert Member.objects.count() == before
    # Matched members keep their names and profiles; new accounts are linked to them.
    by_identity.refresh_from_db()
    assert by_identity.display_name == "旧王伟"
    assert Membership.objects.get(community=community).member_id == by_identity.pk
    assert set(Identity.objects.filter(member=by_email).values_list("channel", "external_id")) == {
        (Channel.EMAIL, "zhang@example.com"),
        (Channel.QQ, "10001"),
    }
    # An account already linked to another member stays with them.
    assert Identity.objects.get(channel=Channel.PHONE, external_id="+8613812345678").member_id == (
        by_phone.pk
    )


def test_merged_members_are_not_matched(admin, org):
    survivor = MemberFactory(organization=org, display_name="合并后")
    MemberFactory(
        organization=org, display_name="已合并", phone="+8613812345678", merged_into=survivor
    )
    result = run(admin, {"name": "王伟", "phone": "13812345678"})
    assert result.new == 1
    assert Member.objects.filter(merged_into=None, phone="+8613812345678").count() == 1


def test_a_person_listed_twice_is_one_member_in_a_batch_and_across_batches(admin, community):
    result = run(
        admin,
        {"name": "王伟", "phone": "13812345678", "community": "sh-salon"},
        {"name": "王伟", "phone": "13812345678", "wechat": "wx-ww", "community": "sh-salon"},
        {"name": "Wang Wei", "wechat": "wx-ww"},
    )
    assert (result.new, result.duplicate, result.rejected) == (1, 2, [])
    member = Member.objects.get()
    assert set(member.identities.values_list("channel", flat=True)) == {
        Channel.PHONE,
        Channel.WECHAT,
    }
    assert Membership.objects.get().member_id == member.pk
    assert Activity.objects.count() == 1
    assert Community.objects.get(pk=community.pk).member_count == 1
    later = run(admin, {"name": "王伟", "wechat": "wx-ww", "email": "ww@example.com"})
    assert (later.new, later.duplicate) == (0, 1)
    assert Member.objects.count() == 1
    assert member.identities.count() == 3


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"phone": "13812345678"}, "No name."),
        ({"name": " \u200b ", "phone": "13812345678"}, "No name."),
        ({"name": "王" * 65, "phone": "13812345678"}, "The name is longer than 64 characters."),
        ({"name": "王伟", "phone": "12345"}, "Invalid phone number: 12345"),
        ({"name": "王伟", "email": "wang@"}, "Invalid email address: wang@"),
        (
            {"name": "王伟"},
            "No phone, email or channel account: a name alone cannot tell two people apart.",
        ),
        (
            {"name": "王伟", "wechat": "w" * 129},
            "The WeChat account is longer than 128 characters.",
        ),
        ({"name": "王伟", "qq": "1", "community": "nowhere"}, "Unknown community: nowhere"),
        (
            {"name": "王伟", "qq": "1", "community": "sh-salon", "role": "校长"},
            "Unknown role: 校长",
        ),
        ({"name": "王伟", "qq": "1", "role": "助教"}, "A role needs a community."),
        (
            {"name": "王伟", "qq": "1", "community": "sh-salon", "joined_at": "去年"},
            "Invalid joined date: 去年",
        ),
        (
            {"name": "王伟", "qq": "1", "community": "sh-salon", "joined_at": "2024-02-30"},
            "Invalid joined date: 2024-02-30",
        ),
        (
            {"name": "王伟", "qq": "1", "community": "sh-salon", "joined_at": "2999-01-01"},
            "The joined date is in the future: 2999-01-01",
        ),
        (
            {"name": "王伟", "qq": "1", "joined_at": "2024-01-01"},
            "A joined date needs a community.",
        ),
        (
            {"name": "王伟", "qq": "1", "notes": "x" * 501},
            "The notes are longer than 500 characters.",
        ),
    ],
)
def test_bad_rows_are_rejected_with_their_line_and_reason_and_good_rows_kept(
    admin, community, values, reason
):
    good = {"name": "好人", "phone": "13900001111", "community": "sh-salon"}
    result = run(admin, good, values, good | {"name": "好人二", "phone": "13900002222"})
    assert [(r.line, r.reason) for r in result.rejected] == [(3, reason)]
    assert (result.new, result.duplicate) == (2, 0)
    assert sorted(Member.objects.values_list("display_name", flat=True)) == ["好人", "好人二"]
    assert Community.objects.get(pk=community.pk).member_count == 2


def test_scoped_operators_reject_communities_and_roles_outside_their_scope(
    chapter_head, assistant, scope_of, community, other_community
):
    head = scope_of(chapter_head)
    result = run(
        head,
        {"name": "甲", "qq": "1", "community": "bj-salon"},
        {"name": "乙", "qq": "2", "community": "sh-salon", "role": "管理员"},
    )
    assert [(r.line, r.reason) for r in result.rejected] == [
        (2, "The community bj-salon is outside your scope.")
    ]
    assert Membership.objects.get(member__display_name="乙").role == MembershipRole.ADMIN
    helper = scope_of(assistant)
    result = run(
        helper,
        {"name": "丙", "qq": "3", "community": "北京沙龙群"},
        {"name": "丁", "qq": "4", "community": "sh-salon", "role": "群主"},
        {"name": "戊", "qq": "5", "role": "学委"},
        default_community=community,
    )
    assert [(r.line, r.reason) for r in result.rejected] == [
        (2, "The community 北京沙龙群 is outside your scope."),
        (3, "Your account may not give the role Owner."),
    ]
    assert Membership.objects.get(member__display_name="戊").role == MembershipRole.STUDY_COMMITTEE
    assert not Member.objects.filter(display_name__in=["甲", "丙", "丁"]).exists()
    assert Membership.objects.filter(community=other_community).count() == 0


def test_a_default_community_out_of_scope_is_refused(assistant, scope_of, other_community):
    from django.core.exceptions import PermissionDenied

    helper = scope_of(assistant)
    with pytest.raises(PermissionDenied):
        MemberImport(
            organization=helper.organization, actor=helper, default_community=other_community
        )


def test_communities_by_slug_any_case_or_by_name_and_ambiguous_names(admin, chapter, community):
    CommunityFactory(
        chapter=chapter, organization=chapter.organization, name="读书会", slug="book-a"
    )
    CommunityFactory(
        chapter=chapter, organization=chapter.organization, name="读书会", slug="book-b"
    )
    result = run(
        admin,
        {"name": "甲", "qq": "1", "community": "SH-Salon"},
        {"name": "乙", "qq": "2", "community": " 上海沙龙群 "},
        {"name": "丙", "qq": "3", "community": "读书会"},
        {"name": "丁", "qq": "4", "community": "book-b"},
    )
    assert [(r.line, r.reason) for r in result.rejected] == [
        (4, "Several communities are called 读书会; write the slug instead.")
    ]
    assert sorted(
        Membership.objects.values_list("member__display_name", "community__slug")
    ) == sorted([("甲", "sh-salon"), ("乙", "sh-salon"), ("丁", "book-b")])


def test_rows_without_a_community_join_the_default_one(admin, community, other_community):
    result = run(
        admin,
        {"name": "甲", "qq": "1"},
        {"name": "乙", "qq": "2", "community": "bj-salon"},
        default_community=community,
    )
    assert result.new == 2
    assert set(Membership.objects.values_list("member__display_name", "community_id")) == {
        ("甲", community.pk),
        ("乙", other_community.pk),
    }
    assert Member.objects.get(display_name="乙").chapter_id == other_community.chapter_id


def test_an_active_member_gets_no_second_join_and_keeps_a_role_given_in_the_console(
    admin, org, community
):
    member = MemberFactory(organization=org, display_name="老成员", phone="+8613812345678")
    MembershipFactory(member=member, community=community, role=MembershipRole.KOL)
    plain = MemberFactory(organization=org, display_name="普通", phone="+8613900001111")
    MembershipFactory(member=plain, community=community)
    result = run(
        admin,
        {"name": "老成员", "phone": "13812345678", "community": "sh-salon", "role": "嘉宾"},
        {"name": "普通", "phone": "13900001111", "community": "sh-salon", "role": "Guest"},
    )
    assert (result.new, result.duplicate) == (0, 2)
    assert Activity.objects.count() == 0
    assert Membership.objects.get(member=member).role == MembershipRole.KOL
    assert Membership.objects.get(member=plain).role == MembershipRole.GUEST
    assert Community.objects.get(pk=community.pk).member_count == 2


def test_a_member_who_left_rejoins_at_the_joined_date(admin, org, community):
    member = MemberFactory(organization=org, display_name="回来了", phone="+8613812345678")
    MembershipFactory(
        member=member,
        community=community,
        status=MembershipStatus.LEFT,
        joined_at=datetime.datetime(2023, 1, 1, tzinfo=SHANGHAI),
        left_at=datetime.datetime(2023, 2, 1, tzinfo=SHANGHAI),
    )
    result = run(
        admin,
        {
            "name": "回来了",
            "phone": "13812345678",
            "community": "sh-salon",
            "joined_at": "2024-06-01 20:00",
        },
    )
    assert (result.new, result.duplicate, result.rejected) == (0, 1, [])
    membership = Membership.objects.get(member=member)
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.joined_at == datetime.datetime(2024, 6, 1, 20, 0, tzinfo=SHANGHAI)
    assert Community.objects.get(pk=community.pk).member_count == 1
    assert Member.objects.get(pk=member.pk).community_count == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", datetime.datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("2024/3/1", datetime.datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("2024.03.01", datetime.datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("2024年3月1日", datetime.datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("2024-03-01 14:30", datetime.datetime(2024, 3, 1, 14, 30, tzinfo=SHANGHAI)),
        ("2024/3/1 14:30:15", datetime.datetime(2024, 3, 1, 14, 30, 15, tzinfo=SHANGHAI)),
        ("2024-03-01 00:00:00", datetime.datetime(2024, 3, 1, tzinfo=SHANGHAI)),
        ("2024-03-01T14:30:00+00:00", datetime.datetime(2024, 3, 1, 14, 30, tzinfo=datetime.UTC)),
        ("2024-03-01T06:30:00Z", datetime.datetime(2024, 3, 1, 6, 30, tzinfo=datetime.UTC)),
        ("3/1/2024", None),
        ("2024-13-01", None),
        ("yesterday", None),
    ],
)
def test_joined_dates_as_operators_write_them(text, expected):
    assert parse_joined_at(text, SHANGHAI) == expected


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("群主", "owner"),
        ("管理员", "admin"),
        ("Admin", "admin"),
        ("助教", "assistant"),
        ("学委", "study_committee"),
        ("学习委员", "study_committee"),
        ("Study committee", "study_committee"),
        ("study_committee", "study_committee"),
        ("KOL", "kol"),
        ("嘉宾", "guest"),
        ("成员", "member"),
        ("Member", "member"),
        ("校长", None),
    ],
)
def test_role_names_in_chinese_and_english(text, role):
    assert role_for(text) == role


def test_the_organisation_time_zone_reads_dates_without_offset(admin, org, community):
    org.time_zone = "Europe/Berlin"
    org.save(update_fields=["time_zone"])
    admin.organization.time_zone = "Europe/Berlin"
    run(admin, {"name": "甲", "qq": "1", "community": "sh-salon", "joined_at": "2024-01-15 10:00"})
    assert Membership.objects.get().joined_at == datetime.datetime(
        2024, 1, 15, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin")
    )
