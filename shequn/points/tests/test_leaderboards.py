"""Leaderboards: the rule of what counts, ranks with ties, scopes and periods, and the two
backends (the database, Redis) giving the same boards after awards, reversals and rebuilds."""

from __future__ import annotations

import datetime
import os
import uuid

import pytest
from django.utils import timezone

from shequn.members.tests.factories import MemberFactory, MembershipFactory
from shequn.organizations.models import Community
from shequn.points import leaderboards as lb
from shequn.points.awards import award_points
from shequn.points.ledger import Draft, reverse_entry, write_entry
from shequn.points.models import EntryReason, LedgerEntry, PointRule
from shequn.profiles.tests.helpers import act

pytestmark = pytest.mark.django_db

REDIS_FOR_TESTS = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_on(settings):
    import redis

    try:
        redis.Redis.from_url(REDIS_FOR_TESTS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis for tests")
    settings.REDIS_URL = REDIS_FOR_TESTS
    settings.LEADERBOARD_REDIS_PREFIX = f"test:lb:{uuid.uuid4().hex}"
    yield lb.client()
    client = lb.client()
    keys = list(client.scan_iter(match=f"{settings.LEADERBOARD_REDIS_PREFIX}:*"))
    if keys:
        client.delete(*keys)


def _days_ago(n: int, hour: int = 12) -> datetime.datetime:
    now = timezone.localtime(timezone.now())
    return now.replace(hour=hour, minute=0, second=0, microsecond=0) - datetime.timedelta(days=n)


def _write(member, delta, reason=EntryReason.AWARD, *, community=None, days=0, **extra):
    return write_entry(
        member,
        Draft(
            delta=delta,
            reason=reason,
            community_id=community.pk if community else None,
            occurred_at=_days_ago(days),
            **extra,
        ),
    )


def _boards(org, chapter, other_chapter, community, other_community) -> list[lb.Board]:
    scopes: list[tuple[lb.Scope, int]] = [
        ("organization", org.pk),
        ("chapter", chapter.pk),
        ("chapter", other_chapter.pk),
        ("community", community.pk),
        ("community", other_community.pk),
    ]
    return [lb.Board(org.pk, s, i, p) for s, i in scopes for p in lb.PERIODS]


def _same(org, boards, members) -> None:
    for board in boards:
        db = lb.top(org, board, 100, backend="db")
        assert lb.top(org, board, 100, backend="redis") == db, board
        for m in members:
            assert lb.rank(org, board, m.pk, backend="redis") == lb.rank(
                org, board, m.pk, backend="db"
            ), (board, m.pk)


def test_what_counts_ties_scopes_periods(org, chapter, community, other_community) -> None:
    a, b, c, d = (MemberFactory(organization=org) for _ in range(4))
    _write(a, 10, community=community)
    _write(b, 10, community=community, days=3)
    _write(c, 30, community=other_community, days=10)  # in 30d, not 7d
    _write(d, 5, EntryReason.ADJUSTMENT)  # no community: organisation only
    _write(d, 8, EntryReason.REFERRAL, days=6, source_key="ref:1")
    # Spending and penalties do not lower a board; a negative adjustment neither.
    _write(a, -3, EntryReason.PENALTY, community=community)
    _write(a, -2, EntryReason.REDEMPTION)
    _write(b, -1, EntryReason.ADJUSTMENT)
    late = _write(b, 50, community=community, days=8)  # 30d only
    org_7d = lb.Board(org.pk, "organization", org.pk, "7d")
    places = [(p.member_id, p.points, p.rank) for p in lb.top(org, org_7d)]
    assert places == [(d.pk, 13, 1), (a.pk, 10, 2), (b.pk, 10, 2)]
    assert lb.rank(org, org_7d, c.pk) is None
    org_30d = lb.Board(org.pk, "organization", org.pk, "30d")
    assert [(p.member_id, p.points, p.rank) for p in lb.top(org, org_30d)] == [
        (b.pk, 60, 1),
        (c.pk, 30, 2),
        (d.pk, 13, 3),
        (a.pk, 10, 4),
    ]
    assert [
        p.member_id for p in lb.top(org, lb.Board(org.pk, "community", community.pk, "7d"))
    ] == [
        min(a.pk, b.pk),
        max(a.pk, b.pk),
    ]
    chapter_all = lb.Board(org.pk, "chapter", chapter.pk, "all")
    assert other_community.chapter_id != chapter.pk
    assert {p.member_id: p.points for p in lb.top(org, chapter_all)} == {a.pk: 10, b.pk: 60}
    # A reversal takes the entry off every board, in the entry's own period.
    reverse_entry(late, actor_id=None, note="错发")
    assert lb.rank(org, org_30d, b.pk) == lb.Place(b.pk, 10, 3)
    assert lb.top(org, org_30d, limit=1) == [lb.Place(c.pk, 30, 1)]


def test_period_is_calendar_days_in_shanghai(org, community) -> None:
    a = MemberFactory(organization=org)
    # 00:30 six days ago (Shanghai) is inside 7d; 23:30 seven days ago is not.
    _write(a, 4, community=community, days=0)
    write_entry(a, Draft(delta=7, reason=EntryReason.AWARD, occurred_at=_days_ago(6, 0)))
    write_entry(
        a,
        Draft(
            delta=100,
            reason=EntryReason.AWARD,
            occurred_at=_days_ago(7, 23) + datetime.timedelta(minutes=30),
        ),
    )
    board = lb.Board(org.pk, "organization", org.pk, "7d")
    assert lb.rank(org, board, a.pk) == lb.Place(a.pk, 11, 1)


def test_backends_agree_after_awards_reversals_and_rebuild(
    org,
    chapter,
    other_chapter,
    community,
    other_community,
    redis_on,
    django_capture_on_commit_callbacks,
) -> None:
    assert lb.rebuild(org) == 0
    assert lb.is_built(org)
    members = [MemberFactory(organization=org) for _ in range(12)]
    for i, m in enumerate(members):
        MembershipFactory(member=m, community=community if i % 2 else other_community)
    PointRule.objects.create(organization=org, kind="check_in", points=5)
    PointRule.objects.create(organization=org, kind="message", points=2)
    with django_capture_on_commit_callbacks(execute=True):
        entries = []
        for i, m in enumerate(members):
            place = community if i % 2 else other_community
            entries.append(_write(m, 10 * (i % 4) + 5, community=place, days=i * 3))
            if i % 3 == 0:
                _write(m, 7, EntryReason.REFERRAL, days=i, source_key=f"ref:{i}")
            if i % 5 == 0:
                _write(m, -4, EntryReason.PENALTY, community=place)
        for i, m in enumerate(members):
            for n in range(i % 4):
                act(m, community if n % 2 else other_community, "check_in", _days_ago(n * 4))
                act(m, community, "message", _days_ago(n))
        result = award_points(org)
    assert result.entries > 10
    boards = _boards(org, chapter, other_chapter, community, other_community)
    _same(org, boards, members)
    # Ties exist (the same totals), and the boards are not empty.
    ranks = [p.rank for p in lb.top(org, boards[2], backend="redis")]
    assert len(ranks) == 12
    assert len(set(ranks)) < 12
    with django_capture_on_commit_callbacks(execute=True):
        reverse_entry(entries[3], actor_id=None, note="错发")
        reverse_entry(
            LedgerEntry.objects.filter(
                reason=EntryReason.AWARD, activity_id__isnull=False
            ).earliest("id"),
            actor_id=None,
            note="x",
        )
    _same(org, boards, members)
    # Drift (a write Redis missed) is healed by a rebuild.
    lb.client().delete(lb._key(org.pk, "organization", org.pk, "all"))
    assert lb.top(org, boards[2], backend="redis") != lb.top(org, boards[2], backend="db")
    lb.rebuild(org)
    _same(org, boards, members)


def test_reads_use_the_database_until_built(org, community, redis_on) -> None:
    a = MemberFactory(organization=org)
    _write(a, 9, community=community)
    board = lb.Board(org.pk, "community", community.pk, "all")
    assert not lb.is_built(org)
    assert lb.top(org, board) == [lb.Place(a.pk, 9, 1)]
    assert Community.objects.filter(pk=community.pk).exists()


def test_scoped_operators_see_their_boards_only(
    org, chapter, other_chapter, community, other_community, member, client_as, api_client_as
) -> None:
    _write(member, 12, community=community)
    head, assistant = client_as("chapter_head"), client_as("assistant")
    assert head.get(f"/leaderboards/?board=chapter:{chapter.pk}").status_code == 200
    assert head.get(f"/leaderboards/?board=chapter:{other_chapter.pk}").status_code == 404
    assert head.get("/leaderboards/?board=organization:0").status_code == 404
    assert assistant.get(f"/leaderboards/?board=community:{community.pk}").status_code == 200
    assert assistant.get(f"/leaderboards/?board=chapter:{chapter.pk}").status_code == 404
    assert assistant.get(f"/leaderboards/?board=community:{other_community.pk}").status_code == 404
    page = client_as("org_admin").get("/leaderboards/?period=all")
    assert page.status_code == 200
    assert member.display_name in page.content.decode()
    api = api_client_as("assistant")
    answer = api.get(f"/api/v1/leaderboards?scope=community&scope_id={community.pk}&period=all")
    assert answer.status_code == 200
    assert answer.json()["places"] == [
        {"rank": 1, "member_id": member.pk, "display_name": member.display_name, "points": 12}
    ]
    other = f"/api/v1/leaderboards?scope=community&scope_id={other_community.pk}"
    assert api.get(other).status_code == 404
    assert api.get("/api/v1/leaderboards?period=1y").status_code == 422
    ranks = api.get(f"/api/v1/leaderboards/members/{member.pk}?period=7d").json()["places"]
    assert ranks == [
        {"scope": "community", "scope_id": community.pk, "period": "7d", "rank": 1, "points": 12}
    ]
    mine = client_as("member").get(f"/c/{org.slug}/{community.slug}/leaderboard/")
    assert mine.status_code == 200
