"""Leaderboards (排行榜): points earned in a period, per organisation, chapter or community
(docs/leaderboards.md).

What counts ("earned in the period"): the positive entries that count as earned — awards,
referrals and positive adjustments — whose `occurred_at` falls in the period, unless they were
reversed (a reversal takes the entry off every board, in the entry's own period). Penalties,
redemptions, expiry and negative adjustments do not lower a board: spending points never costs
a place.

Periods: `7d` and `30d` are the last 7 or 30 calendar days in the organisation's time zone,
today included; `all` is all time. Scopes: `organization` (every entry), `chapter` (entries
in the communities of the chapter), `community` (entries with that community).

Ranks: the same points give the same rank (1, 1, 3); within the same points the lower member
id comes first.

Two backends give the same boards: the database (one GROUP BY over the ledger's partial index
`ledger_org_earned`) and, when `settings.REDIS_URL` is set and the organisation's boards were
built (`rebuild`), Redis sorted sets: one per scope and day (kept 40 days) and one per scope
for all time, moved after each commit that writes entries (`record_entry`, `record_awards`);
a period board is the ZUNIONSTORE of its day keys, kept 60 seconds or until the next write.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from shequn.accounts.selectors import OperatorScope
from shequn.organizations.models import Community, Organization
from shequn.points.models import LedgerEntry

logger = logging.getLogger(__name__)

Scope = Literal["organization", "chapter", "community"]
Period = Literal["7d", "30d", "all"]
SCOPES: tuple[Scope, ...] = ("organization", "chapter", "community")
PERIODS: tuple[Period, ...] = ("7d", "30d", "all")
DAYS = {"7d": 7, "30d": 30}
KEEP_DAYS = 40  # day keys expire 40 days after their day
UNION_SECONDS = 60
MAX_LIMIT = 100
_SCOPE_CODE = {"organization": "o", "chapter": "h", "community": "c"}


@dataclass(frozen=True)
class Board:
    organization_id: int
    scope: Scope
    scope_id: int  # the organisation's id for the organisation's board
    period: Period


@dataclass(frozen=True)
class Place:
    member_id: int
    points: int
    rank: int


# --- periods -----------------------------------------------------------------------------


def today(organization: Organization, now: datetime.datetime | None = None) -> datetime.date:
    return (now or timezone.now()).astimezone(ZoneInfo(organization.time_zone)).date()


def period_days(
    organization: Organization, period: Period, now: datetime.datetime | None = None
) -> list[datetime.date]:
    """The calendar days of a 7d/30d period, today last."""
    last = today(organization, now)
    return [last - datetime.timedelta(days=n) for n in range(DAYS[period] - 1, -1, -1)]


def _midnight(organization: Organization, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=ZoneInfo(organization.time_zone))


# --- the database ------------------------------------------------------------------------


def counted_entries(organization: Organization) -> QuerySet[LedgerEntry]:
    """The entries that count: positive, earned, not reversed (the index ledger_org_earned)."""
    return LedgerEntry.objects.filter(
        organization_id=organization.pk, delta__gt=0, earning=True
    ).exclude(Exists(LedgerEntry.objects.filter(reverses_id=OuterRef("pk"))))


def _board_entries(
    organization: Organization, board: Board, now: datetime.datetime | None = None
) -> QuerySet[LedgerEntry]:
    entries = counted_entries(organization)
    if board.period != "all":
        days = period_days(organization, board.period, now)
        entries = entries.filter(
            occurred_at__gte=_midnight(organization, days[0]),
            occurred_at__lt=_midnight(organization, days[-1] + datetime.timedelta(days=1)),
        )
    if board.scope == "community":
        entries = entries.filter(community_id=board.scope_id)
    elif board.scope == "chapter":
        entries = entries.filter(
            community_id__in=Community.objects.filter(
                organization_id=organization.pk, chapter_id=board.scope_id
            ).values("id")
        )
    return entries


def _totals(organization: Organization, board: Board, now: datetime.datetime | None) -> Any:
    return (
        _board_entries(organization, board, now)
        .order_by()
        .values("member_id")
        .annotate(total=Sum("delta"))
    )


def db_top(
    organization: Organization, board: Board, limit: int, now: datetime.datetime | None = None
) -> list[Place]:
    rows = list(_totals(organization, board, now).order_by("-total", "member_id")[:limit])
    return _ranked([(int(r["member_id"]), int(r["total"])) for r in rows])


def db_rank(
    organization: Organization, board: Board, member_id: int, now: datetime.datetime | None = None
) -> Place | None:
    mine = (
        _board_entries(organization, board, now)
        .filter(member_id=member_id)
        .aggregate(total=Sum("delta"))["total"]
    )
    if not mine:
        return None
    points = int(mine)
    above = _totals(organization, board, now).filter(total__gt=points).count()
    return Place(member_id=member_id, points=points, rank=above + 1)


def _ranked(rows: list[tuple[int, int]]) -> list[Place]:
    """Competition ranks (1, 1, 3) of rows sorted by points down, member id up."""
    places: list[Place] = []
    for index, (member_id, points) in enumerate(rows):
        rank = places[-1].rank if places and places[-1].points == points else index + 1
        places.append(Place(member_id=member_id, points=points, rank=rank))
    return places


# --- Redis -------------------------------------------------------------------------------


def redis_url() -> str:
    return str(getattr(settings, "REDIS_URL", "") or "")


@cache
def _client_for(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def client() -> Any:
    url = redis_url()
    return _client_for(url) if url else None


def _prefix(organization_id: int) -> str:
    base = getattr(settings, "LEADERBOARD_REDIS_PREFIX", "shequn:lb")
    return f"{base}:{organization_id}"


def _key(organization_id: int, scope: Scope, scope_id: int, suffix: str) -> str:
    return f"{_prefix(organization_id)}:{_SCOPE_CODE[scope]}{scope_id}:{suffix}"


def _day_suffix(day: datetime.date) -> str:
    return "d" + day.strftime("%Y%m%d")


def _union_suffix(period: str, first: datetime.date) -> str:
    return f"{period}:{first:%Y%m%d}"


def _built_key(organization_id: int) -> str:
    return f"{_prefix(organization_id)}:built"


def is_built(organization: Organization) -> bool:
    redis = client()
    if redis is None:
        return False
    try:
        return bool(redis.exists(_built_key(organization.pk)))
    except Exception:  # Redis down: the database answers
        logger.warning("leaderboards: Redis unreachable", exc_info=True)
        return False


def _scopes_of(
    organization_id: int, community_id: int | None, chapters: dict[int, int | None]
) -> list[tuple[Scope, int]]:
    scopes: list[tuple[Scope, int]] = [("organization", organization_id)]
    if community_id:
        scopes.append(("community", community_id))
        chapter_id = chapters.get(community_id)
        if chapter_id:
            scopes.append(("chapter", chapter_id))
    return scopes


def _chapters(organization_id: int, community_ids: Iterable[int | None]) -> dict[int, int | None]:
    ids = {c for c in community_ids if c}
    if not ids:
        return {}
    return dict(
        Community.objects.filter(organization_id=organization_id, pk__in=ids).values_list(
            "id", "chapter_id"
        )
    )


def _apply(
    organization: Organization,
    changes: Iterable[tuple[int, int | None, datetime.date, int]],
    *,
    redis: Any = None,
) -> None:
    """Move the boards by (member, community, day, points) changes in one pipeline."""
    changes = list(changes)
    if not changes:
        return
    redis = redis or client()
    if redis is None:
        return
    chapters = _chapters(organization.pk, (c[1] for c in changes))
    first_kept = today(organization) - datetime.timedelta(days=KEEP_DAYS - 1)
    totals: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    expiry: dict[str, int] = {}
    touched: set[tuple[Scope, int]] = set()
    for member_id, community_id, day, points in changes:
        for scope, scope_id in _scopes_of(organization.pk, community_id, chapters):
            touched.add((scope, scope_id))
            totals[_key(organization.pk, scope, scope_id, "all")][member_id] += points
            if day >= first_kept:
                key = _key(organization.pk, scope, scope_id, _day_suffix(day))
                totals[key][member_id] += points
                end = _midnight(organization, day + datetime.timedelta(days=KEEP_DAYS + 1))
                expiry[key] = int(end.timestamp())
    pipe = redis.pipeline(transaction=False)
    for key, by_member in totals.items():
        for member_id, points in by_member.items():
            if points:
                pipe.zincrby(key, points, str(member_id))
        pipe.zremrangebyscore(key, "-inf", 0)
        if key in expiry:
            pipe.expireat(key, expiry[key])
    now_day = today(organization)
    for scope, scope_id in touched:
        for period, length in DAYS.items():
            for back in (0, length):  # this period's union and the previous one's
                first = now_day - datetime.timedelta(days=back + length - 1)
                pipe.delete(_key(organization.pk, scope, scope_id, _union_suffix(period, first)))
    pipe.execute()


def _safely(
    organization: Organization, changes: list[tuple[int, int | None, datetime.date, int]]
) -> None:
    try:
        if is_built(organization):
            _apply(organization, changes)
    except Exception:  # a board off by one write is healed by rebuild(); the write stands
        logger.warning("leaderboards: Redis update failed", exc_info=True)


def record_entry(entry: LedgerEntry) -> None:
    """After the commit of one entry: move the boards if it counts or reverses one that did."""
    if not redis_url():
        return
    counted: LedgerEntry | None = None
    sign = 1
    if entry.delta > 0 and entry.earning and entry.reverses_id is None:
        counted = entry
    elif entry.reverses_id is not None:
        original = entry.reverses
        if original is not None and original.delta > 0 and original.earning:
            counted, sign = original, -1
    if counted is None:
        return
    organization = Organization.objects.get(pk=counted.organization_id)
    day = counted.occurred_at.astimezone(ZoneInfo(organization.time_zone)).date()
    change = (counted.member_id, counted.community_id, day, sign * counted.delta)
    _safely(organization, [change])


def record_awards(organization: Organization, rows: list[tuple[int, int | None, int, int]]) -> None:
    """After the commit of an awards batch: (member, community, day number, points) sums
    (day numbers count days since 1970-01-01 in the organisation's time zone)."""
    if not rows:
        return
    epoch = datetime.date(1970, 1, 1)
    changes = [
        (member_id, community_id, epoch + datetime.timedelta(days=int(day)), int(points))
        for member_id, community_id, day, points in rows
    ]
    _safely(organization, changes)


def rebuild(organization: Organization) -> int:
    """Fill the organisation's boards in Redis from the ledger (a new Redis, or drift); how
    many (member, community, day) sums were written."""
    redis = client()
    if redis is None:
        return 0
    keys = list(redis.scan_iter(match=f"{_prefix(organization.pk)}:*", count=1000))
    for start in range(0, len(keys), 500):
        redis.delete(*keys[start : start + 500])
    zone = ZoneInfo(organization.time_zone)
    first_kept = today(organization) - datetime.timedelta(days=KEEP_DAYS - 1)
    since = _midnight(organization, first_kept)
    entries = counted_entries(organization).order_by()
    old = (
        entries.filter(occurred_at__lt=since)
        .values("member_id", "community_id")
        .annotate(total=Sum("delta"))
    )
    # Older than the day keys: all-time only (a day before first_kept is not kept).
    changes: list[tuple[int, int | None, datetime.date, int]] = [
        (int(r["member_id"]), r["community_id"], datetime.date(1970, 1, 1), int(r["total"]))
        for r in old
    ]
    recent: dict[tuple[int, int | None, datetime.date], int] = defaultdict(int)
    for member_id, community_id, occurred_at, delta in (
        entries.filter(occurred_at__gte=since)
        .values_list("member_id", "community_id", "occurred_at", "delta")
        .iterator(chunk_size=5000)
    ):
        recent[(member_id, community_id, occurred_at.astimezone(zone).date())] += delta
    changes.extend((m, c, d, p) for (m, c, d), p in recent.items())
    for start in range(0, len(changes), 20_000):
        _apply(organization, changes[start : start + 20_000], redis=redis)
    redis.set(_built_key(organization.pk), "1")
    return len(changes)


def _period_key(
    redis: Any, organization: Organization, board: Board, now: datetime.datetime | None
) -> str:
    if board.period == "all":
        return _key(organization.pk, board.scope, board.scope_id, "all")
    days = period_days(organization, board.period, now)
    key = _key(organization.pk, board.scope, board.scope_id, _union_suffix(board.period, days[0]))
    if not redis.exists(key):
        day_keys = [
            _key(organization.pk, board.scope, board.scope_id, _day_suffix(day)) for day in days
        ]
        pipe = redis.pipeline(transaction=True)
        pipe.zunionstore(key, day_keys)
        pipe.expire(key, UNION_SECONDS)
        pipe.execute()
    return key


def redis_top(
    organization: Organization, board: Board, limit: int, now: datetime.datetime | None = None
) -> list[Place]:
    redis = client()
    assert redis is not None
    key = _period_key(redis, organization, board, now)
    last = redis.zrevrange(key, limit - 1, limit - 1, withscores=True)
    if last:
        # Everyone at or above the last place's points, so ties are ordered by member id.
        rows = redis.zrevrangebyscore(key, "+inf", last[0][1], withscores=True)
    else:
        rows = redis.zrevrange(key, 0, -1, withscores=True)
    pairs = sorted(((int(m), int(s)) for m, s in rows), key=lambda p: (-p[1], p[0]))[:limit]
    return _ranked(pairs)


def redis_rank(
    organization: Organization, board: Board, member_id: int, now: datetime.datetime | None = None
) -> Place | None:
    redis = client()
    assert redis is not None
    key = _period_key(redis, organization, board, now)
    score = redis.zscore(key, str(member_id))
    if score is None or int(score) <= 0:
        return None
    above = redis.zcount(key, f"({int(score)}", "+inf")
    return Place(member_id=member_id, points=int(score), rank=int(above) + 1)


# --- reading -----------------------------------------------------------------------------


def _use_redis(organization: Organization, backend: str) -> bool:
    if backend == "db":
        return False
    if backend == "redis":
        return True
    return is_built(organization)


def top(
    organization: Organization,
    board: Board,
    limit: int = MAX_LIMIT,
    *,
    backend: str = "auto",
    now: datetime.datetime | None = None,
) -> list[Place]:
    """The board's first `limit` places (at most 100)."""
    limit = max(1, min(limit, MAX_LIMIT))
    if _use_redis(organization, backend):
        try:
            return redis_top(organization, board, limit, now)
        except Exception:
            if backend == "redis":
                raise
            logger.warning("leaderboards: Redis read failed", exc_info=True)
    return db_top(organization, board, limit, now)


def rank(
    organization: Organization,
    board: Board,
    member_id: int,
    *,
    backend: str = "auto",
    now: datetime.datetime | None = None,
) -> Place | None:
    """The member's place on the board (None: nothing earned there in the period)."""
    if _use_redis(organization, backend):
        try:
            return redis_rank(organization, board, member_id, now)
        except Exception:
            if backend == "redis":
                raise
            logger.warning("leaderboards: Redis read failed", exc_info=True)
    return db_rank(organization, board, member_id, now)


def previous_ranks(
    organization: Organization, board: Board, *, now: datetime.datetime | None = None
) -> dict[int, int] | None:
    """The ranks in the previous period's first 100 (movement on the console board), by
    member; None for all time. 7d from the same backend; 30d from the database (Redis keeps
    40 days)."""
    if board.period == "all":
        return None
    moment = (now or timezone.now()) - datetime.timedelta(days=DAYS[board.period])
    backend = "auto" if board.period == "7d" else "db"
    return {p.member_id: p.rank for p in top(organization, board, backend=backend, now=moment)}


def period_choices() -> list[tuple[str, str]]:
    from django.utils.translation import gettext as _

    return [("7d", _("Last 7 days")), ("30d", _("Last 30 days")), ("all", _("All time"))]


# --- who sees which board ------------------------------------------------------------------


def visible_boards(actor: OperatorScope) -> list[tuple[Scope, int, str]]:
    """The boards an operator may open: (scope, scope id, label)."""
    from django.utils.translation import gettext as _

    from shequn.organizations.models import Chapter

    org = actor.organization
    found: list[tuple[Scope, int, str]] = []
    if actor.is_org_admin:
        found.append(("organization", org.pk, _("The whole organisation")))
    chapters = Chapter.objects.filter(organization_id=org.pk).order_by("name")
    if not actor.is_org_admin:
        chapters = chapters.filter(pk__in=actor.chapter_ids if actor.is_chapter_head else [])
    found.extend(("chapter", c.pk, str(c.name)) for c in chapters)
    communities = Community.objects.filter(actor.community_filter()).order_by("name")
    found.extend(("community", c.pk, str(c.name)) for c in communities)
    return found


def get_board(actor: OperatorScope, scope: str, scope_id: int | None, period: str) -> Board:
    """The board, if the operator may see it (Http404 otherwise; a scoped operator sees only
    their chapter's or communities' boards)."""
    from django.http import Http404

    from shequn.organizations.models import Chapter

    org = actor.organization
    if period not in PERIODS:
        raise Http404
    if scope == "organization":
        if not actor.is_org_admin or scope_id not in (None, org.pk):
            raise Http404
        return Board(org.pk, "organization", org.pk, period)
    if scope_id is None:
        raise Http404
    if scope == "chapter":
        chapters = Chapter.objects.filter(organization_id=org.pk, pk=scope_id)
        if not actor.is_org_admin and not (actor.is_chapter_head and scope_id in actor.chapter_ids):
            raise Http404
        if not chapters.exists():
            raise Http404
        return Board(org.pk, "chapter", scope_id, period)
    if scope == "community":
        if not Community.objects.filter(actor.community_filter(), pk=scope_id).exists():
            raise Http404
        return Board(org.pk, "community", scope_id, period)
    raise Http404


def member_ranks(
    actor: OperatorScope, member_id: int, period: Period | None = None
) -> tuple[Any, list[tuple[Board, Place | None]]]:
    """A member (scope-checked) and their places on the boards the operator may see for the
    member: the organisation's, their communities' and those communities' chapters'."""
    from shequn.members.models import Membership
    from shequn.points.selectors import get_member

    member = get_member(actor=actor, member_id=member_id)
    org = actor.organization
    community_rows = Membership.objects.filter(
        member_id=member.pk, community__organization_id=org.pk
    ).values_list("community_id", "community__chapter_id")
    visible = {(s, i) for s, i, _label in visible_boards(actor)}
    wanted: list[tuple[Scope, int]] = [("organization", org.pk)]
    for community_id, chapter_id in community_rows:
        if chapter_id:
            wanted.append(("chapter", chapter_id))
        wanted.append(("community", community_id))
    seen: list[tuple[Scope, int]] = []
    for item in wanted:
        if item in visible and item not in seen:
            seen.append(item)
    periods = [period] if period else list(PERIODS)
    places = []
    for scope, scope_id in seen:
        for p in periods:
            board = Board(org.pk, scope, scope_id, p)
            places.append((board, rank(org, board, member.pk)))
    return member, places


def names(member_ids: Iterable[int]) -> dict[int, str]:
    from shequn.members.models import Member

    return dict(Member.objects.filter(pk__in=list(member_ids)).values_list("id", "display_name"))
