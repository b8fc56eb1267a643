import hashlib
import io
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Max, Min
from django.utils import timezone, translation

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.selectors import build_scope
from shequn.activity.history import count_members_on
from shequn.activity.models import Activity
from shequn.audit.models import AuditEntry
from shequn.members.models import Identity, Member, Membership, MembershipRole
from shequn.members.selectors import list_members
from shequn.organizations.demo import build_demo
from shequn.organizations.models import Chapter, Community, CommunityKind, Organization
from shequn.organizations.selectors import list_communities

NOW = timezone.make_aware(datetime(2026, 3, 2))
# 300 people, and 5 second accounts of some of them (shequn.members.merge_demo) as members of
# their own, waiting in the merge queue
MEMBERS = 305
IDENTITIES = 580
# + 4 approved applications (shequn.applications.demo) + the paid orders' joins
MEMBERSHIPS = 567
# one per write: 3 chapters, 9 communities, 4 operators (the first has no actor), 300 members,
# the identities, the joins, role changes and leaves, the archive, the member's sign-up
# + joining and leaving (issue 7): decisions, joins, orders, links
# + knowing members (issue 8): 2 tag groups, 8 tags and their 64 taggings, 4 rule tags,
#   2 segments, 3 talk notes
# + points (issue 9): 4 adjustments, 1 penalty, 1 reversal
AUDIT_ENTRIES = 1611
# the history (shequn.organizations.demo._History), the joins/leaves, and issue 7's application
# decisions and payments, and issue 8's three looks at a join page and two renewals,
# and issue 9's level_up activities (one per member who moved up a level)
ACTIVITIES = 23_648


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", "--now", "2026-03-02", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "chapters": Chapter.objects.count(),
        "communities": Community.objects.count(),
        "members": Member.objects.count(),
        "identities": Identity.objects.count(),
        "memberships": Membership.objects.count(),
        "operators": Operator.objects.count(),
        "users": get_user_model().objects.count(),
        "audit": AuditEntry.objects.count(),
        "activities": Activity.objects.count(),
    }


def digest() -> str:
    """Names, phones, channel accounts and memberships: everything that must not vary."""
    first = Member.objects.aggregate(first=Min("pk"))["first"] or 0
    rows: list[tuple[object, ...]] = [
        (pk - first, *rest)
        for pk, *rest in Member.objects.order_by("pk").values_list(
            "pk", "display_name", "phone", "email", "chapter__slug", "created_at"
        )
    ]
    # web identities hold a user id: relative to the first user, like member ids (PostgreSQL
    # sequences do not roll back, so absolute ids differ between loads in one database)
    first_user = get_user_model().objects.aggregate(first=Min("pk"))["first"] or 0
    rows += sorted(
        (channel, str(int(ext) - first_user) if channel == "web" else ext, name)
        for channel, ext, name in Identity.objects.values_list(
            "channel", "external_id", "member__display_name"
        )
    )
    rows += sorted(
        Membership.objects.values_list(
            "member__display_name", "community__slug", "role", "status", "joined_at", "left_at"
        )
    )
    # shequn's own join/leave ids hold a membership id: compared without them
    rows += sorted(
        (ext if source != "app" else "", *rest)
        for source, ext, *rest in Activity.objects.values_list(
            "source",
            "external_id",
            "kind",
            "channel",
            "occurred_at",
            "member__display_name",
            "community__slug",
            "text",
            "reply_to",
        )
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture
def demo(db) -> Organization:
    load()
    return Organization.objects.get(slug="pj")


def test_loads_the_club(demo):
    assert demo.name == "培训经理人俱乐部"
    assert table_counts() == {
        "organizations": 1,
        "chapters": 3,
        "communities": 9,
        "members": MEMBERS,
        "identities": IDENTITIES,
        "memberships": MEMBERSHIPS,
        "operators": 5,
        "users": 6,  # five operators and the demo member's web account
        "audit": AUDIT_ENTRIES,
        "activities": ACTIVITIES,
    }
    assert list(Chapter.objects.order_by("slug").values_list("slug", "name")) == [
        ("beijing", "北京分会"),
        ("shanghai", "上海分会"),
        ("shenzhen", "深圳分会"),
    ]
    kinds = set(Community.objects.values_list("kind", flat=True))
    assert kinds == set(CommunityKind.values)
    assert Community.objects.filter(kind=CommunityKind.REGIONAL, chapter__isnull=False).count() == 3
    assert set(Identity.objects.values_list("channel", flat=True)) == {
        "wecom",
        "wechat",
        "telegram",
        "email",
        "web",
        "qq",  # the second accounts of shequn.members.merge_demo
        "discord",
    }
    assert Membership.objects.filter(status="left").count() > 0
    assert Membership.objects.filter(status="removed").count() > 0


def test_activity_history(demo):
    # Level-ups (issue 9) belong to the organisation, not to a community.
    assert not Activity.objects.filter(community=None).exclude(properties__name="level_up").exists()
    per_community = dict(
        Activity.objects.exclude(community=None)
        .values("community__slug")
        .annotate(n=Count("pk"))
        .values_list("community__slug", "n")
    )
    assert len(per_community) == 9
    assert min(per_community.values()) >= 2000
    assert Activity.objects.filter(occurred_at__gt=NOW).count() == 0
    assert Activity.objects.filter(occurred_at__lt=NOW - timedelta(days=1200)).count() == 0
    # several months of history in the long-lived communities
    salon = Community.objects.get(slug="shanghai-club")
    talk = Activity.objects.filter(community=salon, source="channel")
    span = talk.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    assert span["last"] - span["first"] > timedelta(days=120)
    assert set(talk.values_list("kind", flat=True)) == {
        "message",
        "reply",
        "reaction",
        "post",
        "event_attendance",
    }
    camp = Community.objects.get(kind=CommunityKind.TRAINING_CAMP)
    assert Activity.objects.filter(community=camp, kind="check_in").count() > 50
    # activity layers: the busiest tenth of the members write over half of it
    counts = sorted(
        Activity.objects.filter(source="channel")
        .values("member")
        .annotate(n=Count("pk"))
        .values_list("n", flat=True),
        reverse=True,
    )
    assert sum(counts[:30]) > sum(counts) / 2
    assert len(counts) < 300  # and some members never say anything
    # every membership's join (and leave) is an activity at its time
    for membership in Membership.objects.all():
        joins = Activity.objects.filter(
            kind="join", member_id=membership.member_id, community_id=membership.community_id
        )
        assert list(joins.values_list("occurred_at", flat=True)) == [membership.joined_at]
        leaves = Activity.objects.filter(
            kind="leave", member_id=membership.member_id, community_id=membership.community_id
        )
        expected = [membership.left_at] if membership.left_at else []
        assert list(leaves.values_list("occurred_at", flat=True)) == expected
    # so the history gives today's members, and fewer a month ago
    today = timezone.localdate(NOW)
    assert count_members_on(salon, today) == salon.member_count
    assert count_members_on(salon, today - timedelta(days=1000)) < salon.member_count
    # no member was created by the history: every actor was a known account
    assert Member.objects.count() == MEMBERS


def test_the_merge_queue_has_the_second_accounts(demo):
    from shequn.members.models import MergeSuggestion

    open_ = MergeSuggestion.objects.filter(status="open")
    assert open_.count() == 5
    assert open_.filter(confidence__gte=0.8).count() == 4  # the namesake is a weak one


def test_lead_gen_lives_48_hours_and_camp_7_days(demo):
    lead = Community.objects.get(slug="growth-map-2")
    assert lead.ends_at is not None
    assert lead.ends_at - lead.starts_at == timedelta(hours=48)
    assert lead.status == "active"
    assert Community.objects.get(slug="growth-map-1").status == "archived"
    camp = Community.objects.get(kind=CommunityKind.TRAINING_CAMP)
    assert camp.ends_at is not None
    assert camp.ends_at - camp.starts_at == timedelta(days=7)
    assert "每周" in Community.objects.get(slug="shanghai-club").intro
    assert all(c.rules for c in Community.objects.all())


def test_roles(demo):
    for chapter in Chapter.objects.all():
        regional = Community.objects.get(chapter=chapter, kind=CommunityKind.REGIONAL)
        owner = Membership.objects.get(community=regional, role=MembershipRole.OWNER)
        head = Operator.objects.get(user__username=f"demo-head-{chapter.slug}")
        assert head.role == OperatorRole.CHAPTER_HEAD
        assert list(head.chapters.all()) == [chapter]
        assert owner.member.display_name == head.user.first_name
        assert owner.member.notes == f"{chapter.name}会长"
        roles = set(regional.memberships.values_list("role", flat=True))
        assert {"owner", "admin", "kol", "guest", "member"} <= roles
    camp = Community.objects.get(kind=CommunityKind.TRAINING_CAMP)
    camp_roles = {
        role: camp.memberships.filter(role=role, status="active").count()
        for role in ("assistant", "study_committee", "guest")
    }
    assert camp_roles == {"assistant": 3, "study_committee": 2, "guest": 1}
    assistant = Operator.objects.get(user__username="demo-assistant")
    assert list(assistant.communities.all()) == [camp]


def test_operator_accounts_and_passwords(demo, settings):
    users = get_user_model().objects
    admin = users.get(username="demo-admin")
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert admin.operator.role == OperatorRole.ORG_ADMIN
    for username in ("demo-admin", "demo-head-beijing", "demo-assistant"):
        assert users.get(username=username).check_password(settings.DEMO_PASSWORD)
    assert not users.filter(is_superuser=True).exclude(username="demo-admin").exists()
    member_user = users.get(username="demo-member@example.com")
    assert member_user.check_password(settings.DEMO_PASSWORD)
    assert member_user.member.memberships.filter(status="active").count() == 3


def test_each_chapter_head_sees_only_their_chapter(demo):
    for chapter in Chapter.objects.all():
        scope = build_scope(Operator.objects.get(user__username=f"demo-head-{chapter.slug}"))
        communities = list(list_communities(actor=scope))
        assert [c.chapter_id for c in communities] == [chapter.pk]
        members = list_members(actor=scope)
        assert members.count() > 0
        assert (
            not members.exclude(chapter=chapter)
            .exclude(memberships__community__chapter=chapter)
            .exists()
        )


def test_dates_hang_on_now(demo):
    assert Membership.objects.filter(joined_at__gt=NOW).count() == 0
    assert Membership.objects.filter(left_at__gt=NOW).count() == 0
    ended = Membership.objects.exclude(status="active")
    assert ended.count() == ended.filter(left_at__gt=F("joined_at")).count() > 0
    earliest = Membership.objects.order_by("joined_at").first()
    assert earliest is not None
    assert earliest.joined_at == NOW - timedelta(days=1200)


def test_if_empty_twice_changes_nothing(demo):
    before = table_counts()
    snapshot = digest()
    output = load("--if-empty")
    assert "nothing loaded" in output
    assert table_counts() == before
    assert digest() == snapshot


def test_without_if_empty_a_second_load_is_refused(demo):
    before = table_counts()
    with translation.override("en"), pytest.raises(CommandError, match="exists already"):
        load()
    assert table_counts() == before


def test_print_logins(demo, settings):
    output = load("--if-empty", "--print-logins", "--url", "http://demo.example:8000")
    assert "http://demo.example:8000/" in output
    assert "http://demo.example:8000/c/login/" in output
    assert "http://demo.example:8000/admin/" in output
    lines = [line.split() for line in output.splitlines() if line.strip().startswith("demo-")]
    assert [line[:2] for line in lines] == [
        ["demo-admin", settings.DEMO_PASSWORD],
        ["demo-head-beijing", settings.DEMO_PASSWORD],
        ["demo-head-shanghai", settings.DEMO_PASSWORD],
        ["demo-head-shenzhen", settings.DEMO_PASSWORD],
        ["demo-assistant", settings.DEMO_PASSWORD],
        ["demo-member@example.com", settings.DEMO_PASSWORD],
    ]
    assert "上海分会" in output


def test_two_loads_into_fresh_databases_are_identical(db):
    def load_then_roll_back():
        with transaction.atomic():
            build_demo(now=NOW, password="demo-password-1")
            result = (digest(), table_counts())
            transaction.set_rollback(True)
        assert Organization.objects.count() == 0
        return result

    first, second = load_then_roll_back(), load_then_roll_back()
    assert first == second
    assert first[1]["members"] == MEMBERS


def test_bad_now_is_refused(db):
    with pytest.raises(CommandError, match="2026-03-01"):
        call_command("load_demo", "--now", "yesterday", stdout=io.StringIO())
    assert Organization.objects.count() == 0
