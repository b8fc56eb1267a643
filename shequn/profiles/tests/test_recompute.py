"""The recompute against hand-computed expectations (docs/ladder.md, docs/layers.md, docs/tags.md).

The clock is 2026-11-30 20:00 in Shanghai. Windows of N days are the last N calendar days in
the organisation's zone, today included: 30 days begin on 2026-11-01 00:00 (+08:00).
"""

from __future__ import annotations

import pytest

from shequn.ladder.models import MemberStage, Stage, StageTransition, TransitionCause
from shequn.layers.models import Layer, MembershipLayer
from shequn.members.models import MembershipStatus
from shequn.members.tests.factories import MemberFactory
from shequn.organizations.models import CommunityKind
from shequn.organizations.tests.factories import CommunityFactory
from shequn.profiles.models import RecomputeRun, RecomputeStatus
from shequn.profiles.recompute import run_full_recompute
from shequn.profiles.tests.helpers import act, at, join
from shequn.tags.models import MemberTag, RuleType, Tag

NOW = at("2026-11-30", "20:00")
pytestmark = pytest.mark.django_db


def stage_of(member) -> int:
    return MemberStage.objects.get(member=member).stage


def test_stages_from_facts_with_day_boundaries(org, community) -> None:
    m = {name: MemberFactory(organization=org, display_name=name) for name in "0123456789"}
    act(m["1"], None, "reaction", at("2026-11-20"))
    join(m["2"], community, at("2026-11-01"))
    for day in ("03", "05", "07", "09"):
        act(m["2"], community, "message", at(f"2026-11-{day}"))
    join(m["3"], community, at("2026-10-01"))
    act(m["3"], community, "message", at("2026-11-01", "00:00"))  # first moment of the window
    for day in ("03", "05", "07", "09"):
        act(m["3"], community, "message", at(f"2026-11-{day}"))
    join(m["4"], community, at("2026-10-01"))
    act(m["4"], community, "message", at("2026-10-31", "23:59"))  # a minute before it
    for day in ("03", "05", "07", "09"):
        act(m["4"], community, "message", at(f"2026-11-{day}"))
    join(m["5"], community, at("2026-09-01", "23:00"))  # before 2026-09-02 00:00: 90 days
    join(m["6"], community, at("2026-09-02", "00:00"))  # 89 days and 20 hours: not yet
    for person in (m["5"], m["6"]):
        for n in range(20):
            act(person, community, "reaction", at(f"2026-11-{n + 1:02d}"))
    act(m["7"], community, "purchase", at("2026-06-01"))
    act(m["8"], community, "purchase", at("2026-06-01"))
    act(m["8"], community, "purchase", at("2026-11-01"))
    join(m["9"], community, at("2026-05-01"), status=MembershipStatus.LEFT)

    run = run_full_recompute(org, as_of=NOW)

    expected = {
        "0": Stage.UNAWARE,
        "1": Stage.CURIOUS,
        "2": Stage.ACQUAINTED,
        "3": Stage.UNDERSTANDS,
        "4": Stage.ACQUAINTED,
        "5": Stage.FAMILIAR,
        "6": Stage.UNDERSTANDS,
        "7": Stage.BOUGHT,
        "8": Stage.BOUGHT_AGAIN,
        "9": Stage.ACQUAINTED,
    }
    assert {name: stage_of(person) for name, person in m.items()} == expected
    assert run is not None
    assert (run.status, run.members, run.stage_changes) == (RecomputeStatus.DONE, 10, 10)
    assert StageTransition.objects.filter(from_stage__isnull=True).count() == 10
    t = StageTransition.objects.get(member=m["3"])
    assert (t.to_stage, t.cause, t.engagement_count) == (Stage.UNDERSTANDS, "rules", 5)
    assert MemberStage.objects.get(member=m["5"]).last_active_at == at("2026-11-20")

    again = run_full_recompute(org, as_of=NOW)
    assert again is not None
    assert (again.members, again.stage_changes) == (10, 0)
    assert StageTransition.objects.count() == 10


def test_stage_moves_down_and_a_pin_holds(org, community) -> None:
    person = MemberFactory(organization=org)
    join(person, community, at("2026-10-01"))
    for day in range(1, 6):
        act(person, community, "message", at(f"2026-11-{day:02d}"))
    run_full_recompute(org, as_of=NOW)
    assert stage_of(person) == Stage.UNDERSTANDS
    MemberStage.objects.filter(member=person).update(
        pinned=True, stage=Stage.FAMILIAR, pin_reason="核心讲师"
    )
    later = at("2026-12-10", "09:00")  # the five messages left the window
    run = run_full_recompute(org, as_of=later)
    row = MemberStage.objects.get(member=person)
    assert (row.stage, row.computed_stage, row.pinned) == (Stage.FAMILIAR, Stage.ACQUAINTED, True)
    assert run is not None
    assert run.stage_changes == 0  # a pin hides the computed move
    MemberStage.objects.filter(member=person).update(pinned=False, stage=Stage.ACQUAINTED)
    run_full_recompute(org, as_of=at("2026-12-11"))
    assert stage_of(person) == Stage.ACQUAINTED


def test_layers_with_boundaries(org, chapter) -> None:
    group = CommunityFactory(
        chapter=chapter, organization=org, kind=CommunityKind.REGIONAL, name="沙龙群"
    )
    m = {name: MemberFactory(organization=org, display_name=name) for name in "abcdefghij"}
    join(m["a"], group, at("2026-11-28"))
    join(m["b"], group, at("2026-08-01"))
    join(m["c"], group, at("2026-11-10"))
    for day in ("11", "20"):
        act(m["c"], group, "reaction", at(f"2026-11-{day}"))
    for name in "defgh":
        join(m[name], group, at("2026-10-01"))
    # d: every one of the last four weeks, 12 in all — the top score.
    for day in ("03", "04", "05", "10", "11", "12", "17", "18", "19", "24", "25", "30"):
        act(m["d"], group, "message", at(f"2026-11-{day}"))
    for n in range(9):  # e: 9 in one week: active, not core (not the top, one week only)
        act(m["e"], group, "message", at("2026-11-25", f"1{n}:00"))
    for day in ("10", "20"):
        act(m["f"], group, "message", at(f"2026-11-{day}"))
    act(m["g"], group, "message", at("2026-11-01", "00:00"))  # the silence window's first moment
    act(m["h"], group, "message", at("2026-10-31", "23:59"))  # a minute before: a lurker
    join(m["i"], group, at("2026-11-17"))  # 13 days: neither new nor a lurker yet
    join(m["j"], group, at("2026-10-01"), status=MembershipStatus.LEFT)

    run = run_full_recompute(org, as_of=NOW)

    layers = {
        row.member.display_name: row.layer
        for row in MembershipLayer.objects.filter(community=group).select_related("member")
    }
    assert layers == {
        "a": Layer.NEW,
        "b": Layer.DORMANT,
        "c": Layer.LURKER,
        "d": Layer.CORE,
        "e": Layer.ACTIVE,
        "f": Layer.CASUAL,
        "g": Layer.CASUAL,
        "h": Layer.LURKER,
        "i": Layer.CASUAL,
    }
    assert run is not None
    assert run.layer_changes == 9
    again = run_full_recompute(org, as_of=NOW)
    assert again is not None
    assert again.layer_changes == 0


def test_keyword_rule_tag_matches_whole_words_only(org, community) -> None:
    yes = MemberFactory(organization=org, display_name="去北京")
    no = MemberFactory(organization=org, display_name="北京大学")
    term = MemberFactory(organization=org, display_name="私域")
    act(yes, community, "message", at("2026-11-02"), text="下周我去北京出差")
    act(no, community, "message", at("2026-11-02"), text="我在北京大学读书")
    act(term, community, "message", at("2026-11-02"), text="做私域流量的朋友")
    beijing = Tag.objects.create(
        organization=org,
        name="北京",
        rule_type=RuleType.KEYWORD,
        rule={"keywords": ["北京"], "match": "word", "min_count": 1, "window_days": None},
        is_active=True,
    )
    private = Tag.objects.create(
        organization=org,
        name="私域",
        rule_type=RuleType.KEYWORD,
        rule={"keywords": ["私域流量"], "match": "word", "min_count": 1, "window_days": 30},
        is_active=True,
    )
    off = Tag.objects.create(
        organization=org,
        name="未开启",
        rule_type=RuleType.KEYWORD,
        rule={"keywords": ["北京"], "match": "word", "min_count": 1, "window_days": None},
    )
    run = run_full_recompute(org, as_of=NOW)
    tagged = set(MemberTag.objects.values_list("tag__name", "member__display_name"))
    assert tagged == {("北京", "去北京"), ("私域", "私域")}
    assert run is not None
    assert (run.tags_added, run.tags_removed) == (2, 0)
    beijing.refresh_from_db()
    private.refresh_from_db()
    off.refresh_from_db()
    assert (beijing.member_count, private.member_count, off.member_count) == (1, 1, 0)
    # The 30-day window moves past the message: the tag goes.
    run = run_full_recompute(org, as_of=at("2026-12-05"))
    assert run is not None
    assert (run.tags_added, run.tags_removed) == (0, 1)
    assert set(MemberTag.objects.values_list("tag__name", flat=True)) == {"北京"}


def test_resumes_a_stopped_run_and_a_live_run_blocks_a_second(org, community) -> None:
    people = [MemberFactory(organization=org) for _ in range(5)]
    for person in people:
        join(person, community, at("2026-11-01"))
    first = people[0].pk
    run = run_full_recompute(org, as_of=NOW, part_size=2, stop_after_parts=1)
    assert run is not None
    assert run.status == RecomputeStatus.RUNNING
    assert MemberStage.objects.count() == len([p for p in people if p.pk <= run.cursor])
    assert run_full_recompute(org, as_of=NOW, part_size=2) is None  # alive: left alone
    assert MemberStage.objects.count() < 5
    RecomputeRun.objects.filter(pk=run.pk).update(heartbeat_at=at("2026-11-30", "08:00"))
    resumed = run_full_recompute(org, part_size=2)
    assert resumed is not None
    assert (resumed.pk, resumed.status, resumed.as_of) == (run.pk, RecomputeStatus.DONE, NOW)
    assert MemberStage.objects.filter(stage=Stage.ACQUAINTED).count() == 5
    assert resumed.members == 5
    assert first <= resumed.cursor
    assert StageTransition.objects.filter(cause=TransitionCause.RULES).count() == 5


def test_facts_older_than_every_window(org, community) -> None:
    """The facts pass reads the windows (at most 90 days by default); what counts from all
    time — purchases, all-time rule counts, the last engagement, whether there is any
    activity — comes from the older history too, and a manual tag on a matched member stays."""
    buyer = MemberFactory(organization=org, display_name="老客")
    quiet = MemberFactory(organization=org, display_name="沉默")
    joined_only = MemberFactory(organization=org, display_name="只有加入")
    nobody = MemberFactory(organization=org, display_name="无")
    act(buyer, community, "purchase", at("2026-03-01"))
    act(buyer, None, "purchase", at("2026-04-01"))
    act(buyer, community, "custom", at("2026-02-01"), properties={"name": "lesson_done"})
    act(quiet, community, "message", at("2026-05-06", "09:30"))
    act(quiet, community, "join", at("2026-06-01"))
    act(joined_only, community, "leave", at("2026-01-10"))
    lessons = Tag.objects.create(
        organization=org,
        name="上过课",
        rule_type=RuleType.ACTIVITY_KIND,
        rule={"activity_kind": "lesson_done", "min_count": 1, "window_days": None},
        is_active=True,
    )
    recent = Tag.objects.create(
        organization=org,
        name="近期上课",
        rule_type=RuleType.ACTIVITY_KIND,
        rule={"activity_kind": "lesson_done", "min_count": 1, "window_days": 30},
        is_active=True,
    )
    MemberTag.objects.create(
        tag=lessons, member=buyer, organization=org, source="manual", added_at=NOW
    )
    run = run_full_recompute(org, as_of=NOW)
    assert run is not None
    assert stage_of(buyer) == Stage.BOUGHT_AGAIN
    assert MemberStage.objects.get(member=buyer).purchase_count == 2
    assert MemberStage.objects.get(member=buyer).last_active_at == at("2026-04-01")
    # A join is no engagement: the last one is the May message.
    assert MemberStage.objects.get(member=quiet).last_active_at == at("2026-05-06", "09:30")
    assert stage_of(quiet) == Stage.CURIOUS
    assert stage_of(joined_only) == Stage.CURIOUS
    assert MemberStage.objects.get(member=joined_only).last_active_at is None
    assert stage_of(nobody) == Stage.UNAWARE
    # The manual row stands for the match: nothing added, and the 30-day rule matches no one.
    assert (run.tags_added, run.tags_removed) == (0, 0)
    assert list(MemberTag.objects.values_list("tag_id", "member_id", "source")) == [
        (lessons.pk, buyer.pk, "manual")
    ]
    assert not MemberTag.objects.filter(tag=recent).exists()
    act(buyer, community, "custom", at("2026-11-20"), properties={"name": "lesson_done"})
    run = run_full_recompute(org, as_of=NOW)
    assert run is not None
    assert (run.tags_added, run.tags_removed) == (1, 0)
    assert MemberTag.objects.get(tag=recent).member_id == buyer.pk
    # Nothing else moved: a second run changes nothing.
    run = run_full_recompute(org, as_of=NOW)
    assert run is not None
    assert (run.stage_changes, run.layer_changes, run.tags_added, run.tags_removed) == (0,) * 4
