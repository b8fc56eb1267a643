"""A small organisation whose segment memberships are computed by hand (docs/segments.md).

The clock is 2026-12-05 20:00 in Shanghai (NOW). `community` and `c2` are in `chapter` (上海),
`other_community` in `other_chapter` (北京). Members, in name order:

member: home chapter; memberships (active unless said); stage, last active; tags; accounts;
layer
- Alice: chapter; community as member, joined 11-01 00:00; 3, 11-30 23:59; t1 t2; wecom;
  core in community
- Bob: chapter; community as KOL, joined 10-31 23:59; 0, 12-01 00:00; t1; wechat;
  lurker in community
- Carol: other_chapter; other_community as admin, joined 11-15; no stage row; t3; none;
  active in other_community
- Dave: chapter; community, LEFT, joined 11-10; 5, never active; t2; wecom; none
- Eve: chapter; community; 3; t1 t2; wecom — merged into Alice (never found)
- Frank: no home chapter; c2 as member, joined 11-20; 1, never active; none; none; none

Activities in the last 5 days (from 12-01 00:00): Alice 3 messages (12-01 00:00, 12-03,
12-05) and a join (12-02), plus a message at 11-30 23:59; Bob a message (12-01 00:00) and a
check-in (12-04); Carol 2 messages (12-02, other_community); Dave 5 reactions (12-03); Eve 10
messages; Frank a purchase with no community (12-04). Another organisation's Gina has every fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from shequn.accounts.models import Operator
from shequn.ladder.models import MemberStage
from shequn.layers.models import MembershipLayer
from shequn.members.models import Channel, Member, MembershipRole, MembershipStatus
from shequn.members.tests.factories import IdentityFactory, MemberFactory
from shequn.organizations.models import Chapter, Community, Organization
from shequn.organizations.tests.factories import (
    ChapterFactory,
    CommunityFactory,
    OrganizationFactory,
)
from shequn.profiles.tests.helpers import act, at, join
from shequn.tags.models import MemberTag, Tag

NOW = at("2026-12-05", "20:00")


def planner_queries() -> int:
    """Statements a count or page block adds on PostgreSQL in a test (savepoint, settings,
    release; selectors.planned_for_sets): none on SQLite."""
    from django.db import connection

    return 3 if connection.vendor == "postgresql" else 0


@dataclass
class World:
    org: Organization
    chapter: Chapter
    other_chapter: Chapter
    community: Community
    c2: Community
    other_community: Community
    members: dict[str, Member]
    tags: dict[str, Tag]
    other_org: Organization

    def ids(self, *names: str) -> set[int]:
        return {self.members[n].pk for n in names}

    def names(self, members: Any) -> list[str]:
        """The names of members (or of segment rows), sorted."""
        by_id = {m.pk: name for name, m in self.members.items()}
        return sorted(by_id[m.pk] for m in members)


def _stage(member: Member, stage: int, last_active: Any = None) -> None:
    MemberStage.objects.create(
        member=member,
        organization_id=member.organization_id,
        stage=stage,
        computed_stage=stage,
        since=NOW,
        last_active_at=last_active,
    )


def _tag(member: Member, *tags: Tag) -> None:
    for tag in tags:
        MemberTag.objects.create(
            tag=tag,
            member=member,
            organization_id=member.organization_id,
            source="manual",
            added_at=NOW,
        )


def _layer(membership: Any, layer: str) -> None:
    MembershipLayer.objects.create(
        membership=membership,
        organization_id=membership.community.organization_id,
        community=membership.community,
        member=membership.member,
        layer=layer,
        since=NOW,
    )


@pytest.fixture
def world(org, chapter, other_chapter, community, other_community) -> World:
    c2 = CommunityFactory(chapter=chapter, organization=org, name="上海读书会", slug="sh-read")
    tags = {name: Tag.objects.create(organization=org, name=name) for name in ("t1", "t2", "t3")}
    m: dict[str, Member] = {
        name: MemberFactory(organization=org, display_name=name, chapter=home)
        for name, home in (
            ("Alice", chapter),
            ("Bob", chapter),
            ("Carol", other_chapter),
            ("Dave", chapter),
            ("Eve", chapter),
            ("Frank", None),
        )
    }
    a = join(m["Alice"], community, at("2026-11-01", "00:00"))
    b = join(m["Bob"], community, at("2026-10-31", "23:59"))
    b.role = MembershipRole.KOL
    b.save(update_fields=["role"])
    c = join(m["Carol"], other_community, at("2026-11-15"))
    c.role = MembershipRole.ADMIN
    c.save(update_fields=["role"])
    join(m["Dave"], community, at("2026-11-10"), status=MembershipStatus.LEFT)
    join(m["Eve"], community, at("2026-11-01"))
    join(m["Frank"], c2, at("2026-11-20"))

    _stage(m["Alice"], 3, at("2026-11-30", "23:59"))
    _stage(m["Bob"], 0, at("2026-12-01", "00:00"))
    _stage(m["Dave"], 5)
    _stage(m["Eve"], 3)
    _stage(m["Frank"], 1)

    _tag(m["Alice"], tags["t1"], tags["t2"])
    _tag(m["Bob"], tags["t1"])
    _tag(m["Carol"], tags["t3"])
    _tag(m["Dave"], tags["t2"])
    _tag(m["Eve"], tags["t1"], tags["t2"])

    IdentityFactory(member=m["Alice"], organization=org, channel=Channel.WECOM)
    IdentityFactory(member=m["Bob"], organization=org, channel=Channel.WECHAT)
    IdentityFactory(member=m["Dave"], organization=org, channel=Channel.WECOM)
    IdentityFactory(member=m["Eve"], organization=org, channel=Channel.WECOM)

    _layer(a, "core")
    _layer(b, "lurker")
    _layer(c, "active")

    for day in ("2026-12-01T00:00", "2026-12-03T12:00", "2026-12-05T08:00"):
        d, t = day.split("T")
        act(m["Alice"], community, "message", at(d, t))
    act(m["Alice"], community, "join", at("2026-12-02"))
    act(m["Alice"], community, "message", at("2026-11-30", "23:59"))
    act(m["Bob"], community, "message", at("2026-12-01", "00:00"))
    act(m["Bob"], community, "check_in", at("2026-12-04"))
    act(m["Carol"], other_community, "message", at("2026-12-02", "09:00"))
    act(m["Carol"], other_community, "message", at("2026-12-02", "10:00"))
    for hour in range(10, 15):
        act(m["Dave"], community, "reaction", at("2026-12-03", f"{hour}:00"))
    for hour in range(10, 20):
        act(m["Eve"], community, "message", at("2026-12-03", f"{hour}:00"))
    act(m["Frank"], None, "purchase", at("2026-12-04"))

    m["Eve"].merged_into = m["Alice"]
    m["Eve"].save(update_fields=["merged_into"])

    other_org = OrganizationFactory(name="别的组织", slug="other-org")
    other_chapter_far = ChapterFactory(organization=other_org, name="广州分会", slug="gz")
    far = CommunityFactory(chapter=other_chapter_far, organization=other_org, slug="gz-salon")
    gina = MemberFactory(organization=other_org, display_name="Gina", chapter=other_chapter_far)
    gm = join(gina, far, at("2026-11-01"))
    _stage(gina, 3, at("2026-12-01"))
    other_tag = Tag.objects.create(organization=other_org, name="t1")
    _tag(gina, other_tag)
    IdentityFactory(member=gina, organization=other_org, channel=Channel.WECOM)
    _layer(gm, "core")
    act(gina, far, "message", at("2026-12-03"))
    m["Gina"] = gina
    tags["far"] = other_tag

    return World(
        org=org,
        chapter=chapter,
        other_chapter=other_chapter,
        community=community,
        c2=c2,
        other_community=other_community,
        members=m,
        tags=tags,
        other_org=other_org,
    )


@pytest.fixture
def admin_scope(org_admin: Operator, scope_of: Any) -> Any:
    return scope_of(org_admin)


@pytest.fixture
def head_scope(chapter_head: Operator, scope_of: Any) -> Any:
    return scope_of(chapter_head)


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`timezone.now()` is NOW (the pages and the API count activity windows from it)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW
