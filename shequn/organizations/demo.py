"""The demo organisation: 培训经理人俱乐部 (培经), modelled on seed 002's regional club.

`build_demo()` loads it through the services, the same way an operator would build it:
`create_organization`, `create_operator`, `create_chapter`, `create_community`,
`create_member`, `add_identity`, `add_membership`, `change_membership_role`,
`end_membership`, `archive_community` and `sign_up_member`. Each call records its audit entry.

Deterministic: every name, phone number, channel account and membership comes from
`random.Random(SEED)`, and records are created in a fixed order, so two loads into empty
databases give the same rows with the same ids. Dates are relative to `now` (default: today
at 00:00 in the site's time zone). The services stamp joins and leaves with the real clock, so
afterwards the demo backdates the history it made (memberships' `joined_at`/`left_at`, members'
`created_at`) in two bulk updates, to give the charts months of history instead of one second.
The join and leave activities those services record move with them (same bulk update).

Then the activity history (`_record_history`): several months of what members did in each
community — messages, replies, reactions, posts and comments, daily check-ins in the camp,
weekly salon attendance in the chapters — a few thousand activities per community, through
`ingest_activities` (the channel connector's path: each member's own channel account), in
batches. Who speaks follows activity layers: a few activists write most, many lurk. It draws
from its own random stream (`SEED + 1`), so the rest of the demo is the same with or
without it.

The only other write outside a service: `demo-admin` is made staff and superuser, so it can
open the Django admin.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.selectors import OperatorScope, build_scope
from shequn.accounts.services import create_operator
from shequn.activity.models import Activity, ActivityKind, ActivitySource
from shequn.activity.services import (
    ingest_activities,
    membership_event_id,
    record_membership_activity,
)
from shequn.members.email_verification import confirm_email_verification
from shequn.members.merge_demo import PREFIX as DUPLICATE_PREFIX
from shequn.members.merge_demo import seed_demo_merge_candidates
from shequn.members.models import (
    Channel,
    Member,
    Membership,
    MembershipRole,
    MembershipSource,
    MembershipStatus,
)
from shequn.members.services import (
    add_identity,
    add_membership,
    change_membership_role,
    create_member,
    end_membership,
    sign_up_member,
)
from shequn.organizations.models import (
    KIND_LIFESPANS,
    Chapter,
    Community,
    CommunityAccess,
    CommunityKind,
    Organization,
)
from shequn.organizations.services import (
    archive_community,
    create_chapter,
    create_community,
    create_organization,
)

SEED = 2026
ORG_SLUG = "pj"
ORG_NAME = "培训经理人俱乐部"
ORG_INTRO = (
    "服务于纯甲方企业培训经理人的全国性、专业学习型公益社群。"
    "有价值、有温度、有欢乐:在学习的道路上携手同行,抱团成长。\n"
    "总理事会由总会会长、秘书长、职能部门负责人和各城市社群运营团队组成;"
    "常务理事会负责发展规划与重大事项决策。所有工作人员均为兼职志愿者,社群自运营。"
)
ADMIN_USERNAME = "demo-admin"
ASSISTANT_USERNAME = "demo-assistant"
HEAD_USERNAME_PREFIX = "demo-head-"
MEMBER_EMAIL = "demo-member@example.com"
MEMBER_COUNT = 300

# (slug, name, city, weekday of the weekly salon, members whose home chapter it is)
CHAPTERS: tuple[tuple[str, str, str, str, int], ...] = (
    ("shanghai", "上海分会", "上海", "周四晚 19:00—21:00", 100),
    ("beijing", "北京分会", "北京", "周三晚 19:00—21:00", 90),
    ("shenzhen", "深圳分会", "深圳", "周六下午 14:00—17:00", 80),
)
# Members without a home chapter: they came in through the referral campaign.
CHAPTERLESS = MEMBER_COUNT - sum(c[4] for c in CHAPTERS)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
COMPOUND_SURNAMES = ("欧阳", "上官", "司马", "诸葛")
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红鹏辉婷雪琳晨宇浩然思雨欣怡佳子涵梓"
    "轩嘉文博俊一诺若晓东海峰亮颖倩慧蕾薇璐琦瑶妍昊天泽阳凯帆宁睿哲航悦冰岚清彤露晶志建国立"
)
PHONE_PREFIXES = ("138", "139", "137", "136", "135", "150", "151", "158", "186", "189", "177")
ID_CHARS = string.ascii_letters + string.digits

BASE_RULES = (
    "1. 入群请将群昵称改为「城市-公司-姓名」,本群仅限甲方企业培训从业者。\n"
    "2. 禁止发布广告、拉票、砍价、微商链接及与培训无关的内容。\n"
    "3. 尊重每一位群友:不人身攻击,不传播未经证实的信息,不泄露他人隐私。\n"
    "4. 转发他人课件和资料请先征得作者同意。\n"
    "5. 违反群规:首次提醒,再次禁言 1 天、7 天、15 天,屡次违反移出本群并拉黑。\n"
    "6. 主动退群请先向群主申请;无故退群者不再接受入群申请。"
)


@dataclass(frozen=True)
class CommunitySpec:
    key: str
    slug: str
    name: str
    kind: str
    access: str
    chapter: str | None
    capacity: int
    starts_before: timedelta
    intro: str
    rules: str = BASE_RULES


def _regional_spec(slug: str, name: str, city: str, salon: str) -> CommunitySpec:
    return CommunitySpec(
        key=f"regional-{slug}",
        slug=f"{slug}-club",
        name=f"培经{name}群",
        kind=CommunityKind.REGIONAL,
        access=CommunityAccess.PRIVATE,
        chapter=slug,
        capacity=500,
        starts_before=timedelta(days=1200),
        intro=(
            f"培经{name}的会员群,属地化社群,由{city}会长担任群主。\n"
            f"每周沙龙:{salon},地点与主题每周在群公告发布,欢迎带着问题来。\n"
            "每季度一次标杆企业游学;一年一度的培经年会请关注总会通知。\n"
            "入会流程:填写申请 → 会长审核(必要时电话或面谈)→ 入群。"
        ),
    )


COMMUNITIES: tuple[CommunitySpec, ...] = (
    *(_regional_spec(slug, name, city, salon) for slug, name, city, salon, _n in CHAPTERS),
    CommunitySpec(
        key="lead",
        slug="growth-map-2",
        name="「培训经理成长地图」领取群(第2期)",
        kind=CommunityKind.LEAD_GEN,
        access=CommunityAccess.OPEN,
        chapter=None,
        capacity=200,
        starts_before=timedelta(hours=20),
        intro=(
            "转发海报并邀请 3 位好友扫码入群,即可领取《培训经理成长地图》电子版。\n"
            "本群为引流群,48 小时后解散,资料请及时保存;想继续交流请加入培经新人群。"
        ),
        rules="1. 本群 48 小时后解散。\n2. 禁止广告和拉人。\n3. 领取资料请私信助理。",
    ),
    CommunitySpec(
        key="lead-old",
        slug="growth-map-1",
        name="「培训经理成长地图」领取群(第1期)",
        kind=CommunityKind.LEAD_GEN,
        access=CommunityAccess.OPEN,
        chapter=None,
        capacity=200,
        starts_before=timedelta(days=30),
        intro="第 1 期裂变活动的引流群,活动已结束,本群已归档。",
        rules="1. 本群 48 小时后解散。\n2. 禁止广告和拉人。",
    ),
    CommunitySpec(
        key="newcomers",
        slug="newcomers",
        name="培经新人群",
        kind=CommunityKind.NEW_MEMBER,
        access=CommunityAccess.OPEN,
        chapter=None,
        capacity=500,
        starts_before=timedelta(days=3),
        intro=(
            "欢迎新朋友!接下来 7 天,每天一份培经入门资料,带你认识培经和各地分会。\n"
            "想加入所在城市的分会群,请在群内联系管理员提交入会申请。"
        ),
    ),
    CommunitySpec(
        key="camp",
        slug="tna-camp-5",
        name="7天培训需求分析训练营(第5期)",
        kind=CommunityKind.TRAINING_CAMP,
        access=CommunityAccess.PAID,
        chapter=None,
        capacity=100,
        starts_before=timedelta(days=2),
        intro=(
            "7 天学会培训需求分析:开营班会 → 每日打卡作业 → 助教点评与一对一督学 → "
            "结营展示与证书。学委负责每日提醒打卡、整理优秀作业。"
        ),
        rules=(
            "1. 每天 22:00 前提交打卡作业,连续 3 天未打卡将由助教一对一督学。\n"
            "2. 群内只讨论课程相关内容,闲聊请移步新人群。\n"
            "3. 结营时完成全部打卡可获结营证书,请在结营后填写学员反馈。"
        ),
    ),
    CommunitySpec(
        key="delivery",
        slug="annual-course-2026",
        name="年度会员课程交付群",
        kind=CommunityKind.DELIVERY,
        access=CommunityAccess.PAID,
        chapter=None,
        capacity=300,
        starts_before=timedelta(days=30),
        intro=(
            "年度会员课程的交付群:直播提醒、课件下载、作业答疑。\n"
            "课程交付结束后本群解散,请留意转群通知。"
        ),
    ),
    CommunitySpec(
        key="fans",
        slug="core-fans",
        name="培经铁粉群",
        kind=CommunityKind.CORE_FANS,
        access=CommunityAccess.PRIVATE,
        chapter=None,
        capacity=200,
        starts_before=timedelta(days=400),
        intro=(
            "培经最核心的家人们。每周一期群刊,整理群内精华讨论;"
            "年会、赛事和培经故事由铁粉群共同筹备。入群需两位会员推荐并经理事会审核。"
        ),
    ),
)


@dataclass
class _Person:
    index: int
    name: str
    phone: str
    chapter: str | None
    email: str
    channels: list[tuple[str, str]] = field(default_factory=list)
    notes: str = ""


@dataclass(frozen=True)
class DemoResult:
    organization: Organization
    member_count: int
    member_login: bool


def default_now() -> datetime:
    """Today at 00:00 in the site's time zone: the fixed point the demo's dates hang on."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def demo_exists() -> bool:
    return Organization.objects.filter(slug=ORG_SLUG).exists()


def _random_name(rng: random.Random, seen: set[str]) -> str:
    while True:
        compound = rng.random() < 0.03
        surname = rng.choice(COMPOUND_SURNAMES if compound else SURNAMES)
        given = "".join(rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.35 else 2))
        name = surname + given
        if name not in seen:
            seen.add(name)
            return name


def _random_phone(rng: random.Random, seen: set[str]) -> str:
    while True:
        phone = rng.choice(PHONE_PREFIXES) + "".join(rng.choice(string.digits) for _ in range(8))
        if phone not in seen:
            seen.add(phone)
            return phone


def _plan_people(rng: random.Random) -> list[_Person]:
    homes: list[str | None] = [slug for slug, *_x, n in CHAPTERS for _ in range(n)]
    homes += [None] * CHAPTERLESS
    rng.shuffle(homes)
    names: set[str] = set()
    phones: set[str] = set()
    people: list[_Person] = []
    for index, home in enumerate(homes):
        person = _Person(
            index=index,
            name=_random_name(rng, names),
            phone=_random_phone(rng, phones) if rng.random() < 0.9 else "",
            chapter=home,
            email="",
        )
        if rng.random() < 0.85:
            person.channels.append((Channel.WECOM, "wm" + _chars(rng, 22)))
        if rng.random() < 0.6:
            person.channels.append((Channel.WECHAT, "o" + _chars(rng, 27)))
        if rng.random() < 0.1:
            person.channels.append((Channel.TELEGRAM, str(rng.randint(100_000_000, 7_999_999_999))))
        if rng.random() < 0.35 or not person.channels:
            person.email = f"pj{index + 1:03d}@example.com"
            person.channels.append((Channel.EMAIL, person.email))
        people.append(person)
    return people


def _chars(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ID_CHARS) for _ in range(n))


class _Builder:
    """One demo load: keeps the created rows and the random stream in order."""

    def __init__(self, *, now: datetime, password: str) -> None:
        self.now = now
        self.password = password
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not secrets
        self.chapters: dict[str, Chapter] = {}
        self.communities: dict[str, Community] = {}
        self.heads: dict[str, OperatorScope] = {}
        self.members: list[Member] = []
        self.memberships: dict[tuple[int, str], Membership] = {}
        self.join_offsets: dict[tuple[int, str], timedelta] = {}

    # -- structure -------------------------------------------------------

    def build(self) -> DemoResult:
        organization = create_organization(name=ORG_NAME, slug=ORG_SLUG, intro=ORG_INTRO)
        admin_operator = create_operator(
            actor=None,
            organization=organization,
            username=ADMIN_USERNAME,
            password=self.password,
            role=OperatorRole.ORG_ADMIN,
            email="demo-admin@example.com",
            first_name="培经总会秘书处",
            check_password=False,
        )
        get_user_model().objects.filter(pk=admin_operator.user_id).update(
            is_staff=True, is_superuser=True
        )
        self.admin = build_scope(admin_operator)
        for slug, name, city, salon, _n in CHAPTERS:
            self.chapters[slug] = create_chapter(
                actor=self.admin,
                name=name,
                slug=slug,
                city=city,
                intro=f"{city}的培训经理人之家。会长带领理事团队自运营,每周沙龙:{salon}。",
            )
        for spec in COMMUNITIES:
            self.communities[spec.key] = create_community(
                actor=self.admin,
                chapter=self.chapters[spec.chapter] if spec.chapter else None,
                kind=spec.kind,
                name=spec.name,
                slug=spec.slug,
                access=spec.access,
                intro=spec.intro,
                rules=spec.rules,
                capacity=spec.capacity,
                starts_at=self.now - spec.starts_before,
                # Open while the demo fills it (joins check the real clock, and `now` may
                # be another day); _backdate then gives it the end its kind proposes.
                ends_at=self.now + FILLING_END if KIND_LIFESPANS[spec.kind] else None,
            )
        people = _plan_people(self.rng)
        self._create_members(people)
        self._create_operators(people)
        self._fill_communities(people)
        archive_community(actor=self.admin, community=self.communities["lead-old"])
        member_login = self._sign_up_demo_member()
        self._backdate()
        self._record_history(people)
        # A few people with a second account (same phone, unionid, username, a namesake): the
        # merge queue has something to review.
        seed_demo_merge_candidates(organization)
        Member.objects.filter(
            organization=organization, identities__external_id__startswith=DUPLICATE_PREFIX
        ).update(created_at=self.now - timedelta(days=3))
        self._seed_joining(organization)
        from shequn.profiles.demo import seed_demo_knowing

        seed_demo_knowing(organization=organization, now=self.now)
        from shequn.points.demo import seed_demo_points

        seed_demo_points(organization=organization, now=self.now)
        return DemoResult(
            organization=organization, member_count=len(self.members), member_login=member_login
        )

    def _seed_joining(self, organization: Organization) -> None:
        """Joining and leaving (issue 7): applications, paid orders, waitlist/leaving/blacklist,
        then invite links, which credit the memberships made before them to their inviters."""
        from shequn.applications.demo import seed_demo_applications
        from shequn.invitations.demo import seed_demo_invitations
        from shequn.joining.demo import seed_demo_joining
        from shequn.payments.demo import seed_demo_payments

        real_start = timezone.now()
        seed_demo_applications(organization=organization, now=self.now)
        seed_demo_payments(organization=organization, now=self.now)
        seed_demo_joining(organization=organization, now=self.now)
        self._backdate_admissions(organization, real_start)
        self._record_missing_leaves(organization)
        seed_demo_invitations(organization=organization, now=self.now)

    def _record_missing_leaves(self, organization: Organization) -> None:
        """Leaves the joining demo wrote straight into memberships get their activity."""
        recorded = Activity.objects.filter(
            organization_id=organization.pk,
            kind=ActivityKind.LEAVE,
            member_id=OuterRef("member_id"),
            community_id=OuterRef("community_id"),
        )
        missing = Membership.objects.filter(
            community__organization=organization, left_at__isnull=False
        ).exclude(Exists(recorded))
        for membership in missing.select_related("member", "community").order_by("pk"):
            assert membership.left_at is not None
            record_membership_activity(
                membership=membership,
                organization=organization,
                kind=ActivityKind.LEAVE,
                at=membership.left_at,
            )

    def _backdate_admissions(self, organization: Organization, real_start: datetime) -> None:
        """The joins of approved applications and paid orders happened on the real clock (the
        services stamp them): give them fixed times in the days before `now`, so the demo hangs
        on `now` and two loads are identical; their activities follow."""
        recent = list(
            Membership.objects.filter(
                community__organization=organization, joined_at__gte=real_start
            ).order_by("pk")
        )
        for i, membership in enumerate(recent):
            membership.joined_at = self.now - timedelta(days=2 + i % 20, hours=i % 7)
            if membership.left_at is not None and membership.left_at >= real_start:
                membership.left_at = membership.joined_at + timedelta(hours=1)
        Membership.objects.bulk_update(recent, ["joined_at", "left_at"], batch_size=200)
        by_pk = {m.pk: m for m in recent}
        late = list(
            Activity.objects.filter(
                Q(occurred_at__gte=real_start) | Q(occurred_at__gt=self.now),
                organization_id=organization.pk,
            ).order_by("pk")
        )
        for i, activity in enumerate(late):
            parts = activity.external_id.split(":")
            owner = by_pk.get(int(parts[2])) if len(parts) > 2 and parts[2].isdigit() else None
            if owner is not None and activity.kind == ActivityKind.JOIN:
                activity.occurred_at = owner.joined_at
            elif owner is not None and owner.left_at is not None:
                activity.occurred_at = owner.left_at
            else:
                activity.occurred_at = self.now - timedelta(days=1, minutes=i)
        Activity.objects.bulk_update(late, ["occurred_at"], batch_size=500)

    def _create_members(self, people: list[_Person]) -> None:
        by_chapter = self._by_chapter(people)
        for slug, name, *_rest in CHAPTERS:
            by_chapter[slug][0].notes = f"{name}会长"
        self.president = by_chapter["shanghai"][1]
        self.president.notes = "培经总会会长"
        self.demo_person = by_chapter["shanghai"][2]
        self.demo_person.email = MEMBER_EMAIL
        self.demo_person.channels = [
            *(c for c in self.demo_person.channels if c[0] != Channel.EMAIL),
            (Channel.EMAIL, MEMBER_EMAIL),
        ]
        for person in people:
            member = create_member(
                actor=self.admin,
                display_name=person.name,
                chapter=self.chapters[person.chapter] if person.chapter else None,
                phone=person.phone,
                email=person.email,
                notes=person.notes,
            )
            self.members.append(member)
            for channel, external_id in person.channels:
                add_identity(
                    actor=self.admin,
                    member=member,
                    channel=channel,
                    external_id=external_id,
                    display_name=person.name,
                )

    def _create_operators(self, people: list[_Person]) -> None:
        by_chapter = self._by_chapter(people)
        for slug, *_rest in CHAPTERS:
            head = create_operator(
                actor=self.admin,
                organization=self.admin.organization,
                username=f"{HEAD_USERNAME_PREFIX}{slug}",
                password=self.password,
                role=OperatorRole.CHAPTER_HEAD,
                first_name=by_chapter[slug][0].name,
                chapters=[self.chapters[slug]],
                check_password=False,
            )
            self.heads[slug] = build_scope(head)
        assistant = create_operator(
            actor=self.admin,
            organization=self.admin.organization,
            username=ASSISTANT_USERNAME,
            password=self.password,
            role=OperatorRole.ASSISTANT,
            first_name="训练营助教",
            communities=[self.communities["camp"]],
            check_password=False,
        )
        self.assistant = build_scope(assistant)

    # -- memberships -----------------------------------------------------

    @staticmethod
    def _by_chapter(people: Sequence[_Person]) -> dict[str, list[_Person]]:
        groups: dict[str, list[_Person]] = {slug: [] for slug, *_rest in CHAPTERS}
        for person in people:
            if person.chapter is not None:
                groups[person.chapter].append(person)
        return groups

    def _join(
        self,
        actor: OperatorScope,
        key: str,
        person: _Person,
        *,
        role: str = MembershipRole.MEMBER,
        source: str = MembershipSource.CONSOLE,
        within: timedelta,
    ) -> None:
        community = self.communities[key]
        self.memberships[person.index, key] = add_membership(
            actor=actor,
            member=self.members[person.index],
            community=community,
            role=role,
            source=source,
        )
        seconds = int(within.total_seconds())
        self.join_offsets[person.index, key] = timedelta(seconds=self.rng.randint(0, seconds))

    def _promote(self, actor: OperatorScope, key: str, person: _Person, role: str) -> None:
        self.memberships[person.index, key] = change_membership_role(
            actor=actor, membership=self.memberships[person.index, key], role=role
        )

    def _end(self, actor: OperatorScope | None, key: str, person: _Person, status: str) -> None:
        self.memberships[person.index, key] = end_membership(
            actor=actor, membership=self.memberships[person.index, key], status=status
        )

    def _fill_communities(self, people: list[_Person]) -> None:
        rng = self.rng
        by_chapter = self._by_chapter(people)
        heads = [group[0] for group in by_chapter.values()]
        demo = self.demo_person
        # Everybody but the heads, the president and the demo member, who are placed by hand.
        regular = [p for p in people if p not in heads and p not in (self.president, demo)]
        chaptered = [p for p in regular if p.chapter is not None]
        chapterless = [p for p in regular if p.chapter is None]
        picked: dict[str, list[_Person]] = {}

        # 属地群: the chapter head owns it, and runs it (adds, promotes, removes).
        for slug, *_rest in CHAPTERS:
            key, head, scope = f"regional-{slug}", by_chapter[slug][0], self.heads[slug]
            since = COMMUNITIES_BY_KEY[key].starts_before - timedelta(days=1)
            self._join(scope, key, head, role=MembershipRole.OWNER, within=timedelta(0))
            rest = [p for p in by_chapter[slug][1:] if p is not demo]
            chosen = rng.sample(rest, k=round(len(rest) * 0.88))
            if slug == "shanghai":
                chosen.insert(5, demo)
            for person in chosen:
                self._join(scope, key, person, within=since)
            for person, role in zip(
                chosen,
                [MembershipRole.ADMIN] * 2 + [MembershipRole.KOL] * 2 + [MembershipRole.GUEST],
                strict=False,
            ):
                self._promote(scope, key, person, role)
            for person in chosen[6:9]:
                self._end(None, key, person, MembershipStatus.LEFT)
            self._end(scope, key, chosen[9], MembershipStatus.REMOVED)
            picked[slug] = chosen

        # 铁粉群: the president owns it; the chapter heads are its admins.
        fans = "fans"
        since = COMMUNITIES_BY_KEY[fans].starts_before - timedelta(days=1)
        self._join(self.admin, fans, self.president, role=MembershipRole.OWNER, within=timedelta(0))
        for head in heads:
            self._join(self.admin, fans, head, role=MembershipRole.ADMIN, within=timedelta(days=7))
        leaders = [p for chosen in picked.values() for p in chosen[:4]]
        fan_people = leaders + rng.sample([p for p in chaptered if p not in leaders], k=25)
        for person in fan_people:
            self._join(self.admin, fans, person, within=since)
        for person in fan_people[:6]:
            self._promote(self.admin, fans, person, MembershipRole.KOL)
        for person in fan_people[-2:]:
            self._end(self.admin, fans, person, MembershipStatus.REMOVED)

        # 引流群 of this week's campaign, and the archived one of last month.
        lead = "lead"
        lead_people = chapterless + rng.sample(chaptered, k=60)
        for person in lead_people:
            self._join(
                self.admin, lead, person, source=MembershipSource.INVITE, within=timedelta(hours=19)
            )
        self._promote(self.admin, lead, lead_people[-1], MembershipRole.ADMIN)
        for person in lead_people[-3:-1]:
            self._promote(self.admin, lead, person, MembershipRole.GUEST)
        for person in rng.sample(regular, k=50):
            self._join(
                self.admin,
                "lead-old",
                person,
                source=MembershipSource.INVITE,
                within=timedelta(hours=40),
            )

        # 新人群: newcomers from the campaign and recent members; the demo member too.
        newcomers = "newcomers"
        new_people = [*rng.sample(chapterless, k=15), *rng.sample(chaptered, k=25), demo]
        for person in new_people:
            self._join(self.admin, newcomers, person, within=timedelta(days=2))
        self._promote(self.admin, newcomers, new_people[0], MembershipRole.ADMIN)

        # 训练营: the assistant adds learners and the 助教; the admin names the 学委 and 嘉宾.
        camp = "camp"
        camp_people = rng.sample(regular, k=42)
        coaches, lecturer, learners = camp_people[:3], camp_people[3], [*camp_people[4:], demo]
        for person in coaches:
            self._join(
                self.assistant, camp, person, role=MembershipRole.ASSISTANT, within=timedelta(0)
            )
        self._join(self.admin, camp, lecturer, role=MembershipRole.GUEST, within=timedelta(0))
        for person in learners:
            self._join(self.assistant, camp, person, within=timedelta(days=2))
        for person in learners[:2]:
            self._promote(self.admin, camp, person, MembershipRole.STUDY_COMMITTEE)
        for person in learners[-3:-1]:
            self._end(None, camp, person, MembershipStatus.LEFT)

        # 交付群: paid members; two admins, two guest lecturers.
        delivery = "delivery"
        delivery_people = rng.sample(regular, k=60)
        for person in delivery_people:
            self._join(self.admin, delivery, person, within=timedelta(days=5))
        for person in delivery_people[:2]:
            self._promote(self.admin, delivery, person, MembershipRole.ADMIN)
        for person in delivery_people[2:4]:
            self._promote(self.admin, delivery, person, MembershipRole.GUEST)

    def _sign_up_demo_member(self) -> bool:
        """The demo member gets a web account (for the member pages) like any visitor would:
        signs up with their recorded email and uses the emailed link."""
        try:
            signed_up = sign_up_member(
                organization=self.admin.organization,
                display_name=self.demo_person.name,
                email=MEMBER_EMAIL,
                password=self.password,
            )
        except ValidationError:  # a DEMO_PASSWORD the password rules refuse
            return False
        confirm_email_verification(verification=signed_up.verification)
        return True

    # -- history ---------------------------------------------------------

    def _backdate(self) -> None:
        """Spread joins and leaves over each community's life, relative to `now`."""
        first_join: dict[int, datetime] = {}
        for (index, key), membership in self.memberships.items():
            spec = COMMUNITIES_BY_KEY[key]
            starts_at = self.now - spec.starts_before
            if spec.kind == CommunityKind.TRAINING_CAMP:
                starts_at -= timedelta(days=2)  # learners join before the opening session
            membership.joined_at = starts_at + self.join_offsets[index, key]
            if membership.status != MembershipStatus.ACTIVE:
                room = max(int((self.now - membership.joined_at).total_seconds()), 2)
                membership.left_at = membership.joined_at + timedelta(
                    seconds=self.rng.randint(1, room - 1)
                )
            first_join[index] = min(membership.joined_at, first_join.get(index, self.now))
        Membership.objects.bulk_update(
            self.memberships.values(), ["joined_at", "left_at"], batch_size=200
        )
        self._backdate_membership_activities()
        for index, member in enumerate(self.members):
            member.created_at = first_join.get(index, self.now - timedelta(days=index % 90 + 1))
        Member.objects.bulk_update(self.members, ["created_at"], batch_size=200)
        for spec in COMMUNITIES:
            lifespan = KIND_LIFESPANS[spec.kind]
            if lifespan is not None:
                Community.objects.filter(pk=self.communities[spec.key].pk).update(
                    ends_at=self.now - spec.starts_before + lifespan
                )

    def _backdate_membership_activities(self) -> None:
        """Move the join/leave activities the services recorded to the backdated times (and
        give them the ids such an event has: shequn.activity.services.membership_event_id)."""
        by_pk = {m.pk: m for m in self.memberships.values()}
        moved = []
        app_events = Activity.objects.filter(
            organization_id=self.admin.organization.pk,
            source=ActivitySource.APP,
            kind__in=(ActivityKind.JOIN, ActivityKind.LEAVE),
        )
        for activity in app_events.only("pk", "kind", "external_id"):
            membership = by_pk.get(int(activity.external_id.split(":")[2]))
            if membership is None:
                continue
            at = membership.joined_at if activity.kind == ActivityKind.JOIN else membership.left_at
            assert at is not None
            activity.occurred_at = at
            activity.external_id = membership_event_id(activity.kind, membership.pk, at)
            moved.append(activity)
        Activity.objects.bulk_update(moved, ["occurred_at", "external_id"], batch_size=500)

    # -- activity history --------------------------------------------------

    def _record_history(self, people: list[_Person]) -> None:
        history = _History(self, people)
        rows = history.rows()
        for start in range(0, len(rows), HISTORY_BATCH):
            ingest_activities(
                organization=self.admin.organization,
                rows=rows[start : start + HISTORY_BATCH],
                source=ActivitySource.CHANNEL,
                actor=None,
                first_index=start,
            )


HISTORY_DAYS = 150  # how far back the chat history of long-lived communities goes
HISTORY_BATCH = 5000
# Activities per community (a few thousand each; more where more people talk).
HISTORY_VOLUME: dict[str, int] = {
    CommunityKind.REGIONAL: 3200,
    CommunityKind.CORE_FANS: 2600,
    CommunityKind.LEAD_GEN: 2100,
    CommunityKind.NEW_MEMBER: 2100,
    CommunityKind.TRAINING_CAMP: 2000,
    CommunityKind.DELIVERY: 2400,
}
# What people do in each kind of community, by weight (check-ins and salons come on top).
HISTORY_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    CommunityKind.REGIONAL: (("message", 55), ("reply", 22), ("reaction", 18), ("post", 5)),
    CommunityKind.CORE_FANS: (
        ("message", 40),
        ("reply", 20),
        ("reaction", 15),
        ("post", 10),
        ("comment", 15),
    ),
    CommunityKind.LEAD_GEN: (("message", 55), ("reply", 15), ("reaction", 30)),
    CommunityKind.NEW_MEMBER: (("message", 55), ("reply", 25), ("reaction", 20)),
    CommunityKind.TRAINING_CAMP: (("message", 45), ("reply", 30), ("reaction", 25)),
    CommunityKind.DELIVERY: (
        ("message", 35),
        ("reply", 20),
        ("reaction", 15),
        ("post", 10),
        ("comment", 20),
    ),
}
CHAT_CHANNELS = (Channel.WECOM, Channel.WECHAT, Channel.TELEGRAM, Channel.EMAIL)
MESSAGES = (
    "大家好,我是新来的,请多关照!",
    "今天的分享太有收获了,感谢老师!",
    "请问有没有做过培训需求调研的模板?",
    "我们公司今年在做新经理的领导力项目,欢迎交流。",
    "周四的沙龙我报名了,有一起的吗?",
    "课件能分享一下吗?",
    "这个案例很典型,我们也遇到过类似的问题。",
    "学习地图怎么和岗位能力模型对应起来?",
    "推荐一本书:《培训需求分析与评估》。",
    "线上课的完课率大家一般做到多少?",
    "今天的作业已提交,请助教批改。",
    "柯氏四级评估,第三级真的很难落地。",
    "有没有人用过微课制作工具?求推荐。",
    "刚结束一场内训师认证,累但是开心。",
    "收到,谢谢群主!",
    "这个观点我不太同意,行为改变需要环境支持。",
    "明天几点开始?",
    "已经打卡,坚持就是胜利💪",
    "分享一篇关于混合式学习的文章,大家看看。",
    "年度培训预算被砍了,大家怎么应对?",
)
REPLIES = (
    "同意!",
    "我们的做法是先访谈业务负责人。",
    "可以私聊我,我发你模板。",
    "谢谢分享,学到了。",
    "这个问题我们上期沙龙讨论过。",
    "+1,也想要。",
    "建议先做小范围试点。",
    "哈哈,太真实了。",
)
POSTS = (
    "【干货】培训需求分析的五个步骤",
    "【复盘】我们的新员工训练营是怎么做的",
    "【问卷】2026 年企业培训现状调研",
    "【招募】下期沙龙分享嘉宾",
    "【书单】培训经理必读的十本书",
)
REACTIONS = ("👍", "❤️", "🎉", "👏", "😂", "🙏")


class _History:
    """The demo's activity history: deterministic rows in the interchange format."""

    def __init__(self, builder: _Builder, people: list[_Person]) -> None:
        self.builder = builder
        self.rng = random.Random(SEED + 1)  # noqa: S311 - demo data, not secrets
        self.now = builder.now
        # Activity layers: a lognormal weight per person, a third of them lurkers (weight ~0).
        self.weight = {
            p.index: (0.02 if self.rng.random() < 0.35 else self.rng.lognormvariate(0, 1.2))
            for p in people
        }
        self.account = {}
        for person in people:
            channels = dict(person.channels)
            for channel in CHAT_CHANNELS:
                if channel in channels:
                    self.account[person.index] = (str(channel), channels[channel])
                    break

    def rows(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for spec in COMMUNITIES:
            rows.extend(self._community(spec))
        return rows

    def _stints(self, key: str) -> list[tuple[int, datetime, datetime]]:
        stints = []
        for (index, community_key), membership in self.builder.memberships.items():
            if community_key != key or index not in self.account:
                continue
            stints.append((index, membership.joined_at, membership.left_at or self.now))
        return stints

    def _window(self, spec: CommunitySpec) -> tuple[datetime, datetime]:
        starts_at = self.now - spec.starts_before
        if spec.kind == CommunityKind.TRAINING_CAMP:
            starts_at -= timedelta(days=2)
        lifespan = KIND_LIFESPANS[spec.kind]
        ends_at = min(self.now, starts_at + lifespan) if lifespan else self.now
        return max(starts_at, self.now - timedelta(days=HISTORY_DAYS)), ends_at

    def _row(
        self, spec: CommunitySpec, n: int, index: int, kind: str, at: datetime, **extra: object
    ) -> dict[str, object]:
        channel, external_id = self.account[index]
        row: dict[str, object] = {
            "id": f"demo-{spec.slug}-{n}",
            "channel": channel,
            "kind": kind,
            "occurred_at": at,
            "actor": {"external_id": external_id},
            "community": spec.slug,
        }
        row.update(extra)
        return row

    def _community(self, spec: CommunitySpec) -> list[dict[str, object]]:
        rng = self.rng
        stints = self._stints(spec.key)
        start, end = self._window(spec)
        span = (end - start).total_seconds()
        if not stints or span <= 0:
            return []
        weights = [self.weight[index] for index, *_t in stints]
        kinds, kind_weights = zip(*HISTORY_MIX[spec.kind], strict=True)
        rows: list[dict[str, object]] = []
        recent: list[str] = []  # ids of recent messages and posts, to reply or react to
        n = 0
        rows.extend(self._rituals(spec, stints, start, end))
        n = len(rows)
        target = HISTORY_VOLUME[spec.kind]
        while n < target:
            at = start + timedelta(seconds=rng.random() * span)
            # Chats happen in the day and the evening.
            at = at.replace(hour=rng.choice((8, 9, 10, 12, 13, 15, 17, 19, 20, 20, 21, 21, 22)))
            if at > end or at < start:
                continue
            index, joined, left = rng.choices(stints, weights=weights)[0]
            if not joined <= at < left:
                continue
            kind = rng.choices(kinds, weights=kind_weights)[0]
            if kind in ("reply", "reaction", "comment") and not recent:
                kind = "message"
            extra: dict[str, object] = {}
            if kind == "message":
                extra["text"] = rng.choice(MESSAGES)
            elif kind == "post":
                extra["text"] = rng.choice(POSTS)
            elif kind in ("reply", "comment"):
                extra = {"text": rng.choice(REPLIES), "reply_to": rng.choice(recent[-30:])}
            else:
                extra = {
                    "reply_to": rng.choice(recent[-30:]),
                    "properties": {"emoji": rng.choice(REACTIONS)},
                }
            rows.append(self._row(spec, n, index, kind, at, **extra))
            if kind in ("message", "post"):
                recent.append(f"demo-{spec.slug}-{n}")
            n += 1
        return rows

    def _rituals(
        self,
        spec: CommunitySpec,
        stints: list[tuple[int, datetime, datetime]],
        start: datetime,
        end: datetime,
    ) -> list[dict[str, object]]:
        """Daily check-ins in the camp, the weekly salon's attendance in a chapter."""
        rng = self.rng
        rows: list[dict[str, object]] = []
        if spec.kind == CommunityKind.TRAINING_CAMP:
            day, number = start.replace(hour=21), 1
            while day < end:
                for index, joined, left in stints:
                    if joined <= day < left and rng.random() < min(0.95, 0.4 + self.weight[index]):
                        rows.append(
                            self._row(
                                spec,
                                len(rows),
                                index,
                                "check_in",
                                day,
                                text=f"第{number}天打卡完成",
                                properties={"day": number},
                            )
                        )
                day, number = day + timedelta(days=1), number + 1
        elif spec.kind == CommunityKind.REGIONAL:
            salon = start.replace(hour=19) + timedelta(days=(3 - start.weekday()) % 7)
            number = 1
            while salon < end:
                for index, joined, left in stints:
                    if joined <= salon < left and rng.random() < min(
                        0.6, 0.05 + self.weight[index] / 4
                    ):
                        rows.append(
                            self._row(
                                spec,
                                len(rows),
                                index,
                                "event_attendance",
                                salon,
                                properties={"event": f"周四沙龙第{number}期"},
                            )
                        )
                salon, number = salon + timedelta(days=7), number + 1
        return rows


COMMUNITIES_BY_KEY = {spec.key: spec for spec in COMMUNITIES}
FILLING_END = timedelta(days=3650)


@transaction.atomic
def build_demo(*, now: datetime | None = None, password: str) -> DemoResult:
    """Load the demo organisation into a database that does not have it yet (all or nothing)."""
    return _Builder(now=now or default_now(), password=password).build()


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str
    is_member: bool


def list_demo_logins() -> list[DemoLogin]:
    """The demo's sign-ins: its operator accounts, then the member account if it has one."""
    operators: QuerySet[Operator] = (
        Operator.objects.filter(
            organization__slug=ORG_SLUG, user__username__startswith="demo-", user__is_active=True
        )
        .select_related("user")
        .prefetch_related("chapters", "communities")
    )
    order: dict[str, int] = {
        OperatorRole.ORG_ADMIN: 0,
        OperatorRole.CHAPTER_HEAD: 1,
        OperatorRole.ASSISTANT: 2,
    }
    logins = [
        DemoLogin(
            username=op.user.get_username(),
            role=op.role,
            scope="、".join(
                [c.name for c in op.chapters.all()] + [c.name for c in op.communities.all()]
            ),
            is_member=False,
        )
        for op in sorted(operators, key=lambda o: (order[o.role], o.user.get_username()))
    ]
    if Member.objects.filter(organization__slug=ORG_SLUG, user__username=MEMBER_EMAIL).exists():
        logins.append(DemoLogin(username=MEMBER_EMAIL, role="member", scope="", is_member=True))
    return logins
