"""Reads of segments (docs/segments.md): who is in one, how many, in pages, and the segments
an operator may see.

A segment's members are computed now, within the viewer's scope (`actor.member_filter()`),
never merged members. No list of ids is read into Python and sent back; each filter is a
subquery on an index (see `segment_conditions`):
- positive filters are `id IN (subquery)` over an index that leads with the organisation, a
  community or a tag (stage rows by (organization, stage) or (organization, last_active_at),
  layers by (organization | community, layer), memberships by (community, status, role,
  joined_at), tags by (tag, member), identities by (organization, channel)): SQLite drives
  the count from the most selective one and probes the rest, PostgreSQL hash-joins them;
- negative ones (stage 0 without a row, tags none of) are NOT EXISTS probes of one member's
  rows (an anti-join on PostgreSQL);
- the activity count is a correlated probe of the member's (member, occurred_at) range that
  stops at the N-th row, except for counts on PostgreSQL, which group the window once.
Counts and pages on PostgreSQL run without JIT and parallel workers (`planned_for_sets`).
Measured at 100,000 members and 1,000,000 activities: docs/segments.md, "Speed".

Facts that belong to a community (memberships, layers, activity) count only in the viewer's
communities for a chapter head; organisation-wide facts (stage, last active, tags, channels)
count as they are.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from shequn.activity.models import Activity
from shequn.core.sqlsets import day_start
from shequn.ladder.models import MemberStage, Stage
from shequn.layers.models import MembershipLayer
from shequn.members.models import Identity, Member, Membership, MembershipStatus
from shequn.organizations.models import Community
from shequn.segments.filters import SegmentFilters, load_filters
from shequn.segments.models import Segment
from shequn.tags.models import MemberTag

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.tags.models import Tag

TAG_FILTER_KEYS = ("tags_all", "tags_any", "tags_none")
PREVIEW_SIZE = 20
PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
CURSOR_MAX_LENGTH = 600
_CURSOR_SALT = "shequn.segments.cursor"


# --- segments ---------------------------------------------------------------------------------


def can_use_segments(actor: OperatorScope) -> bool:
    """Organisation admins (every segment) and chapter heads (their chapters'); assistants none."""
    return actor.is_org_admin or actor.is_chapter_head


def list_segments(*, actor: OperatorScope) -> QuerySet[Segment]:
    """The segments the actor may see, by name (pinyin): all of the organisation's for its
    admins, those owned by their chapters for chapter heads; PermissionDenied for assistants."""
    actor.require(can_use_segments(actor))
    qs = Segment.objects.filter(organization_id=actor.organization.pk)
    if not actor.is_org_admin:
        qs = qs.filter(chapter_id__in=actor.chapter_ids)
    return qs.select_related("chapter").order_by("sort_key", "id")


def get_segment_for_user(*, actor: OperatorScope, segment_id: int) -> Segment:
    """A segment the actor may see; Http404 for another chapter's or organisation's."""
    try:
        return list_segments(actor=actor).select_related("organization").get(pk=segment_id)
    except (Segment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such segment.")) from exc


def segment_filters(segment: Segment) -> SegmentFilters:
    return load_filters(segment.filters)


def segment_uses_tag(segment: Segment, tag_id: int) -> bool:
    filters = segment.filters if isinstance(segment.filters, dict) else {}
    return any(tag_id in (filters.get(key) or []) for key in TAG_FILTER_KEYS)


def list_segments_using_tag(*, tag: Tag) -> list[Segment]:
    """Every segment of the tag's organisation whose filters name the tag (whatever the owner).

    An organisation has tens of segments, not thousands: they are read and their JSON is
    looked at here (SQLite has no JSON containment lookup)."""
    segments = Segment.objects.filter(organization_id=tag.organization_id).order_by(
        "sort_key", "id"
    )
    return [s for s in segments if segment_uses_tag(s, tag.pk)]


# --- members of a segment ---------------------------------------------------------------------


def _scope_communities(actor: OperatorScope) -> QuerySet[Any] | frozenset[int] | None:
    """The communities whose facts count for the actor (None: every one, for admins)."""
    if actor.is_org_admin:
        return None
    if actor.is_assistant:
        return actor.community_ids
    return Community.objects.filter(actor.community_filter()).order_by().values("pk")


def _day_start(day: datetime.date, zone: str) -> datetime.datetime:
    """Local midnight at the start of `day` in the organisation's zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(zone))


def _day_range(
    start: datetime.date | None, end: datetime.date | None, zone: str, field: str
) -> dict[str, datetime.datetime]:
    """Lookups of `field` for the calendar days from `start` to `end` (both included)."""
    lookups = {}
    if start is not None:
        lookups[f"{field}__gte"] = _day_start(start, zone)
    if end is not None:
        lookups[f"{field}__lt"] = _day_start(end + datetime.timedelta(days=1), zone)
    return lookups


def _stage_condition(filters: SegmentFilters, org_id: int, zone: str) -> Q | None:
    """The member's stage row (one per member; its primary key is the member's id).

    A member the ladder has not placed yet has no row: they stand on stage 0 (unaware) and
    were never active."""
    last_active = _day_range(
        filters.last_active_from, filters.last_active_to, zone, "last_active_at"
    )
    if not filters.stages and not last_active:
        return None
    rows = MemberStage.objects.filter(organization_id=org_id)
    if last_active:  # the (organization, last_active_at) index
        rows = rows.filter(**last_active)
        if filters.stages:
            rows = rows.filter(stage__in=filters.stages)
        return Q(pk__in=rows.values("member_id"))
    if Stage.UNAWARE in filters.stages:
        # No row, or a row on one of the stages: no row on another stage (a primary-key probe).
        other = MemberStage.objects.filter(member_id=OuterRef("pk")).exclude(
            stage__in=filters.stages
        )
        return ~Q(Exists(other))
    return Q(pk__in=rows.filter(stage__in=filters.stages).values("member_id"))  # (org, stage)


def _membership_condition(
    filters: SegmentFilters,
    org_id: int,
    zone: str,
    communities: QuerySet[Any] | frozenset[int] | None,
) -> Q | None:
    """Communities, roles and the join date: one active membership that meets them all, read
    from the (community, status, role, joined_at) indexes of memberships."""
    if not filters.has_membership_filter:
        return None
    rows = Membership.objects.filter(status=MembershipStatus.ACTIVE)
    if filters.community_ids:
        rows = rows.filter(community_id__in=filters.community_ids)
    if communities is not None:
        rows = rows.filter(community_id__in=communities)
    elif not filters.community_ids:
        organization = Community.objects.filter(organization_id=org_id).order_by().values("pk")
        rows = rows.filter(community_id__in=organization)
    if filters.roles:
        rows = rows.filter(role__in=filters.roles)
    joined = _day_range(filters.joined_from, filters.joined_to, zone, "joined_at")
    if joined:
        rows = rows.filter(**joined)
    return Q(pk__in=rows.values("member_id"))


def _layer_condition(
    filters: SegmentFilters, org_id: int, communities: QuerySet[Any] | frozenset[int] | None
) -> Q | None:
    """A layer in one community (its (community, layer) index) or in any (organization, layer)."""
    if not filters.layers:
        return None
    if filters.layer_community_id is not None:
        rows = MembershipLayer.objects.filter(community_id=filters.layer_community_id)
    else:
        rows = MembershipLayer.objects.filter(organization_id=org_id)
    rows = rows.filter(layer__in=filters.layers)
    if communities is not None:
        rows = rows.filter(community_id__in=communities)
    return Q(pk__in=rows.values("member_id"))


def _tag_conditions(filters: SegmentFilters) -> list[Q]:
    """The (tag, member) unique key of member tags: each required tag, any of, none of."""
    conditions = [
        Q(pk__in=MemberTag.objects.filter(tag_id=tag_id).values("member_id"))
        for tag_id in filters.tags_all
    ]
    if filters.tags_any:
        rows = MemberTag.objects.filter(tag_id__in=filters.tags_any)
        conditions.append(Q(pk__in=rows.values("member_id")))
    if filters.tags_none:
        rows = MemberTag.objects.filter(tag_id__in=filters.tags_none, member_id=OuterRef("pk"))
        conditions.append(~Q(Exists(rows)))
    return conditions


def _activity_condition(
    filters: SegmentFilters,
    org_id: int,
    zone: str,
    communities: QuerySet[Any] | frozenset[int] | None,
    now: datetime.datetime,
    walk: bool,
) -> Q | None:
    """At least N activities of the kinds in the last W calendar days.

    A count on PostgreSQL: the members with N or more in the window, grouped once from the
    window's activities (a hashed semi-join). A page in name order (`walk`), and everything
    on SQLite, which runs a correlated subquery per candidate member cheaply: the member's
    (member, occurred_at) index range, read only until its N-th row (LIMIT 1 OFFSET N-1), so
    a page stops as soon as it has its members; for N > 1 first the same test on the index
    alone (any kind), which drops the members with fewer rows without reading an activity.
    """
    spec = filters.activity
    if spec is None:
        return None
    since = day_start(now, spec.window_days - 1, zone)
    if connection.vendor == "postgresql" and not walk:
        rows = Activity.objects.filter(
            organization_id=org_id, occurred_at__gte=since, kind__in=spec.counted_kinds
        )
        if communities is not None:
            rows = rows.filter(community_id__in=communities)
        members = (
            rows.order_by()
            .values("member_id")
            .annotate(n=Count("id"))
            .filter(n__gte=spec.min_count)
            .values("member_id")
        )
        return Q(pk__in=members)
    window = Activity.objects.filter(member_id=OuterRef("pk"), occurred_at__gte=since).order_by()
    n = spec.min_count
    rows = window.filter(kind__in=spec.counted_kinds)
    if communities is not None:
        rows = rows.filter(community_id__in=communities)
    condition = Q(Exists(rows.values("pk")[n - 1 : n]))
    if n > 1:
        condition = Q(Exists(window.values("pk")[n - 1 : n])) & condition
    return condition


def segment_conditions(
    *,
    actor: OperatorScope,
    filters: SegmentFilters,
    now: datetime.datetime | None = None,
    walk: bool = False,
) -> list[Q]:
    """The filters as conditions on Member, for the actor (AND of all; [] for no filter).

    Each positive filter is `id IN (subquery)` on an index that leads with the organisation,
    community or tag, so SQLite drives the count from the most selective one and PostgreSQL
    hash-joins them; each negative one is a NOT EXISTS probe of a member's rows (an anti-join
    on PostgreSQL: no hashed NOT IN that could outgrow its memory)."""
    from django.utils import timezone

    org_id = actor.organization.pk
    zone = actor.organization.time_zone
    communities = _scope_communities(actor)
    conditions: list[Q | None] = []
    if filters.chapter_ids:
        conditions.append(Q(chapter_id__in=filters.chapter_ids))
    conditions.append(_stage_condition(filters, org_id, zone))
    conditions.append(_membership_condition(filters, org_id, zone, communities))
    conditions.append(_layer_condition(filters, org_id, communities))
    conditions.extend(_tag_conditions(filters))
    if filters.channels:
        rows = Identity.objects.filter(organization_id=org_id, channel__in=filters.channels)
        conditions.append(Q(pk__in=rows.values("member_id")))
    conditions.append(
        _activity_condition(filters, org_id, zone, communities, now or timezone.now(), walk)
    )
    return [c for c in conditions if c is not None]


def segment_members(
    *, actor: OperatorScope, filters: SegmentFilters, now: datetime.datetime | None = None
) -> QuerySet[Member]:
    """The members in the actor's scope who meet every filter (unordered)."""
    qs = Member.objects.filter(actor.member_filter(), merged_into__isnull=True)
    for condition in segment_conditions(actor=actor, filters=filters, now=now):
        qs = qs.filter(condition)
    return qs.order_by()


_PLANNED: ContextVar[bool] = ContextVar("shequn_segments_planned", default=False)


@contextmanager
def planned_for_sets() -> Iterator[None]:
    """PostgreSQL: no JIT compilation and no parallel workers for the statements inside.

    A count over 100,000 members with correlated probes has a large estimated cost, so
    PostgreSQL's default settings compile it (about 300 ms) before running it (about 100 ms);
    and a parallel plan builds the hashed activity counts once per worker. The settings are
    local to the transaction opened here (one statement; nested uses add nothing), so they
    never outlive it. SQLite: nothing."""
    if connection.vendor != "postgresql" or _PLANNED.get():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', 'off', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )
        token = _PLANNED.set(True)
        try:
            yield
        finally:
            with suppress(ValueError):  # a generator closed in another context
                _PLANNED.reset(token)


def count_segment(
    *, actor: OperatorScope, filters: SegmentFilters, now: datetime.datetime | None = None
) -> int:
    """How many members the filters find in the actor's scope (one COUNT)."""
    with planned_for_sets():
        return segment_members(actor=actor, filters=filters, now=now).count()


# --- pages ------------------------------------------------------------------------------------


class InvalidCursorError(ValueError):
    """A cursor this server did not hand out."""

    def __init__(self) -> None:
        super().__init__(_("This cursor is not valid. Start again from the first page."))


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the (sort_key, id) of its last member; the next page starts after."""

    sort_key: str
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.sort_key, self.id], ensure_ascii=False).encode()
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return signing.Signer(salt=_CURSOR_SALT).sign(text)


def decode_cursor(value: str) -> Cursor:
    if not value or len(value) > CURSOR_MAX_LENGTH:
        raise InvalidCursorError
    try:
        text = signing.Signer(salt=_CURSOR_SALT).unsign(value)
        sort_key, pk = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (signing.BadSignature, binascii.Error, ValueError, TypeError):
        raise InvalidCursorError from None
    if not isinstance(sort_key, str) or not isinstance(pk, int) or pk < 1:
        raise InvalidCursorError
    return Cursor(sort_key=sort_key, id=pk)


@dataclass(frozen=True)
class MemberPage:
    """A page of a segment's members by name (sort_key, id); `next_cursor` None on the last."""

    items: list[SegmentMember]
    next_cursor: str | None

    def __iter__(self) -> Iterator[SegmentMember]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _ordered_members(
    actor: OperatorScope, filters: SegmentFilters, now: datetime.datetime | None
) -> QuerySet[Member]:
    """The segment's members in name order, read in the cheaper shape for the scope: a small
    scope by its ids (then sorted), a large one along the (organization, sort_key, id) index."""
    from shequn.members.search import unindexed_ordering

    scope = actor.member_list_filter()
    qs = Member.objects.filter(scope.q, merged_into__isnull=True)
    for condition in segment_conditions(actor=actor, filters=filters, now=now, walk=True):
        qs = qs.filter(condition)
    ordering = ("sort_key", "id")
    return qs.order_by(*(unindexed_ordering(ordering) if scope.listed else ordering))


@dataclass(frozen=True)
class SegmentMember:
    """A member of a segment with their place on the ladder (stage 0 when not placed yet)."""

    member: Member
    stage: int
    stage_label: str
    last_active_at: datetime.datetime | None

    @property
    def pk(self) -> int:
        return self.member.pk


def with_stage(members: list[Member]) -> list[SegmentMember]:
    """The members (read with select_related("ladder_stage")) with their stage."""
    labels = dict(Stage.choices)
    rows = []
    for member in members:
        place = getattr(member, "ladder_stage", None)
        stage = place.stage if place is not None else Stage.UNAWARE
        last = place.last_active_at if place is not None else None
        rows.append(SegmentMember(member, stage, str(labels.get(stage, "")), last))
    return rows


def list_segment_page(
    *,
    actor: OperatorScope,
    filters: SegmentFilters,
    cursor: Cursor | str | None = None,
    limit: int = PAGE_SIZE,
    now: datetime.datetime | None = None,
) -> MemberPage:
    """One page of the segment's members by name, after `cursor` (a page's `next_cursor`);
    reads `limit + 1` rows whatever the depth. InvalidCursorError for a cursor not ours."""
    if isinstance(cursor, str):
        cursor = decode_cursor(cursor)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = _ordered_members(actor, filters, now).select_related("chapter", "ladder_stage")
    if cursor is not None:
        qs = qs.filter(
            Q(sort_key__gte=cursor.sort_key),
            Q(sort_key__gt=cursor.sort_key) | Q(id__gt=cursor.id),
        )
    with planned_for_sets():
        rows = list(qs[: limit + 1])
    items = with_stage(rows[:limit])
    more = len(rows) > limit
    last = items[-1].member if items else None
    next_cursor = Cursor(last.sort_key, last.pk).encode() if more and last else None
    return MemberPage(items=items, next_cursor=next_cursor)


@dataclass(frozen=True)
class SegmentOverview:
    """A segment's count (None when not asked for) and one page of its members."""

    count: int | None
    page: MemberPage


def get_segment_overview(
    *,
    actor: OperatorScope,
    filters: SegmentFilters,
    cursor: Cursor | str | None = None,
    limit: int = PAGE_SIZE,
    with_count: bool = True,
) -> SegmentOverview:
    """The count and a page, in one transaction's planner settings (two statements)."""
    with planned_for_sets():
        page = list_segment_page(actor=actor, filters=filters, cursor=cursor, limit=limit)
        count = count_segment(actor=actor, filters=filters) if with_count else None
    return SegmentOverview(count=count, page=page)


def list_segment_members(
    *, actor: OperatorScope, filters: SegmentFilters, now: datetime.datetime | None = None
) -> QuerySet[Member]:
    """The segment's members by name (for limit/offset pages of the API)."""
    return _ordered_members(actor, filters, now).select_related("chapter", "ladder_stage")


def iter_export_rows(
    *, actor: OperatorScope, filters: SegmentFilters, chunk_size: int = 2000
) -> Iterator[Member]:
    """Every member of the segment in the actor's scope, by id, streamed from the database
    (a server-side cursor on PostgreSQL) so memory stays flat at any size."""
    qs = (
        segment_members(actor=actor, filters=filters)
        .select_related("chapter", "ladder_stage")
        .only(
            "id",
            "display_name",
            "phone",
            "email",
            "chapter__name",
            "ladder_stage__stage",
            "ladder_stage__last_active_at",
        )
        .order_by("id")
    )
    with planned_for_sets():
        yield from qs.iterator(chunk_size=chunk_size)


def iter_segment_member_ids(segment: Segment, *, chunk_size: int = 2000) -> Iterator[int]:
    """The ids of a segment's members as its owner sees them (for broadcasts and jobs): the
    organisation for an organisation's segment, the owning chapter for a chapter's. Streamed
    in id order; members merged away are left out."""
    scope = _owner_scope(segment)
    qs = segment_members(actor=scope, filters=segment_filters(segment)).order_by("id")
    return qs.values_list("pk", flat=True).iterator(chunk_size=chunk_size)


def _owner_scope(segment: Segment) -> OperatorScope:
    """A scope standing for the segment's owner: its organisation's admins, or its chapter's
    head (no operator is needed to read)."""
    from shequn.accounts.models import Operator, OperatorRole
    from shequn.accounts.selectors import OperatorScope

    organization = segment.organization
    if segment.chapter_id is None:
        return OperatorScope(
            operator=Operator(organization=organization),
            organization=organization,
            role=OperatorRole.ORG_ADMIN,
        )
    return OperatorScope(
        operator=Operator(organization=organization),
        organization=organization,
        role=OperatorRole.CHAPTER_HEAD,
        chapter_ids=frozenset({segment.chapter_id}),
    )


# --- the filters in words ---------------------------------------------------------------------


@dataclass(frozen=True)
class FilterLine:
    label: str
    value: str


def describe_filters(*, actor: OperatorScope, filters: SegmentFilters) -> list[FilterLine]:
    """The filters as lines of words for the page (names of tags, chapters and communities
    read in at most three queries; an id the actor cannot see is shown as its number)."""
    from shequn.activity.models import ActivityKind
    from shequn.layers.models import Layer
    from shequn.members.models import Channel, MembershipRole
    from shequn.organizations.selectors import list_chapters, list_communities
    from shequn.tags.selectors import list_tags

    def names(qs: QuerySet[Any], ids: set[int]) -> dict[int, str]:
        return dict(qs.filter(pk__in=ids).values_list("pk", "name")) if ids else {}

    tags = names(list_tags(actor=actor).select_related(None), filters.tag_ids)
    chapters = names(list_chapters(actor=actor), set(filters.chapter_ids))
    community_ids = set(filters.community_ids)
    if filters.layer_community_id is not None:
        community_ids.add(filters.layer_community_id)
    communities = names(list_communities(actor=actor).select_related(None), community_ids)

    def listed(ids: tuple[int, ...], known: dict[int, str]) -> str:
        return "、".join(known.get(i, f"#{i}") for i in ids)

    def labels(values: tuple[Any, ...], choices: Any) -> str:
        found = dict(choices)
        return "、".join(str(found.get(v, v)) for v in values)

    lines: list[FilterLine] = []

    def add(label: str, value: str) -> None:
        lines.append(FilterLine(label, value))

    if filters.stages:
        add(_("Stage on the ladder"), labels(filters.stages, Stage.choices))
    if filters.layers:
        text = labels(filters.layers, Layer.choices)
        if filters.layer_community_id is not None:
            where = communities.get(filters.layer_community_id, f"#{filters.layer_community_id}")
            text = _("%(layers)s in %(community)s") % {"layers": text, "community": where}
        add(_("Activity layer"), text)
    if filters.tags_all:
        add(_("Has all of these tags"), listed(filters.tags_all, tags))
    if filters.tags_any:
        add(_("Has any of these tags"), listed(filters.tags_any, tags))
    if filters.tags_none:
        add(_("Has none of these tags"), listed(filters.tags_none, tags))
    if filters.chapter_ids:
        add(_("Home chapter"), listed(filters.chapter_ids, chapters))
    if filters.community_ids:
        add(_("Member of any of these communities"), listed(filters.community_ids, communities))
    if filters.roles:
        add(_("Role"), labels(filters.roles, MembershipRole.choices))
    if filters.joined_from or filters.joined_to:
        add(_("Joined"), _date_range(filters.joined_from, filters.joined_to))
    if filters.last_active_from or filters.last_active_to:
        add(_("Last active"), _date_range(filters.last_active_from, filters.last_active_to))
    if filters.activity is not None:
        spec = filters.activity
        kinds = labels(spec.kinds, ActivityKind.choices) if spec.kinds else _("any kind")
        add(
            _("Activity"),
            _("at least %(count)s (%(kinds)s) in the last %(days)s days")
            % {"count": spec.min_count, "kinds": kinds, "days": spec.window_days},
        )
    if filters.channels:
        add(_("Has an account on"), labels(filters.channels, Channel.choices))
    return lines


def _date_range(start: datetime.date | None, end: datetime.date | None) -> str:
    if start and end:
        return _("%(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    if start:
        return _("from %(start)s") % {"start": start.isoformat()}
    assert end is not None
    return _("until %(end)s") % {"end": end.isoformat()}
