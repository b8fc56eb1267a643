"""Reads of the activity stream, always through the actor's scope, in keyset pages.

Who sees what (docs/api.md, "Activities"):
- an organisation admin sees every activity of the organisation, organisation-wide ones (no
  community) included;
- a chapter head sees the activities in the communities of their chapters, an assistant those
  in their communities; neither sees organisation-wide activities (they belong to no community
  in their scope), also not on the timeline of a member they may see.

Every list is ordered newest first on (occurred_at DESC, id DESC) and paged by a cursor (the
last row's occurred_at and id, signed): a page reads `limit + 1` rows from one index, whatever
the depth, and never COUNTs or OFFSETs. The index each list walks:
- a community's feed: `activity_community_time` (community, occurred_at, id);
- a member's timeline: `activity_member_time` (member, occurred_at, id);
- the organisation's stream (admins): `activity_org_time` (organization, occurred_at, id);
- a scoped operator's stream: one `activity_community_time` range per community of the scope
  (UNION ALL of `limit + 1` rows each, then merged), up to UNION_MAX_COMMUNITIES communities;
  a larger scope walks `activity_org_time` and filters by community (in a scope that large,
  rows of it come at once).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from shequn.activity.models import Activity
from shequn.organizations.models import Community

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.members.models import Member

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# A scoped operator's stream: per-community index ranges up to this many communities.
UNION_MAX_COMMUNITIES = 50
CURSOR_MAX_LENGTH = 200
ORDERING = ("-occurred_at", "-id")
_CURSOR_SALT = "shequn.activity.cursor"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class InvalidCursorError(ValueError):
    """A cursor this server did not hand out (altered, truncated or from another list)."""

    def __init__(self) -> None:
        super().__init__(_("This cursor is not valid. Start again from the first page."))


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the (occurred_at, id) of its last row; the next page starts after."""

    occurred_at: datetime
    id: int

    @classmethod
    def after(cls, activity: Activity) -> Cursor:
        return cls(occurred_at=activity.occurred_at, id=activity.pk)

    def encode(self) -> str:
        """Opaque text for a URL: base64url of "microseconds.id", signed (HMAC of SECRET_KEY)."""
        micros = (self.occurred_at - _EPOCH) // _MICROSECOND
        raw = base64.urlsafe_b64encode(f"{micros}.{self.id}".encode()).decode().rstrip("=")
        return signing.Signer(salt=_CURSOR_SALT).sign(raw)


def decode_cursor(value: str) -> Cursor:
    """The cursor `value` names; InvalidCursorError for anything this server did not sign."""
    if len(value) > CURSOR_MAX_LENGTH:
        raise InvalidCursorError
    try:
        raw = signing.Signer(salt=_CURSOR_SALT).unsign(value)
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        micros_text, id_text = text.split(".")
        micros, pk = int(micros_text), int(id_text)
        occurred_at = _EPOCH + micros * _MICROSECOND
    except (signing.BadSignature, binascii.Error, ValueError, OverflowError):
        raise InvalidCursorError from None
    if pk < 1:
        raise InvalidCursorError
    return Cursor(occurred_at=occurred_at, id=pk)


@dataclass(frozen=True)
class ActivityPage:
    """One page of activities, newest first; `next_cursor` is None on the last page."""

    items: list[Activity]
    next_cursor: str | None

    def __iter__(self) -> Iterator[Activity]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _community_in_scope(actor: OperatorScope, community: Community) -> bool:
    if community.organization_id != actor.organization.pk:
        return False
    if actor.is_org_admin:
        return True
    if actor.is_chapter_head:
        return community.chapter_id in actor.chapter_ids
    return community.pk in actor.community_ids


def _scope_communities(actor: OperatorScope) -> QuerySet[Community, int] | frozenset[int]:
    """The ids of a scoped operator's communities (a subquery for chapter heads)."""
    if actor.is_assistant:
        return actor.community_ids
    return (
        Community.objects.filter(actor.community_filter()).order_by().values_list("pk", flat=True)
    )


def _with_related(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.select_related("member", "identity", "community").defer(
        "identity__raw_profile", "member__notes", "community__intro", "community__rules"
    )


def _page(rows: list[Activity], limit: int) -> ActivityPage:
    items = rows[:limit]
    more = len(rows) > limit
    return ActivityPage(items=items, next_cursor=Cursor.after(items[-1]).encode() if more else None)


def list_activities(
    *,
    actor: OperatorScope,
    community: Community | None = None,
    member: Member | None = None,
    members: Sequence[Member] | None = None,
    kind: str | None = None,
    channel: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: Cursor | str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> ActivityPage:
    """A page of the activities the actor may see, newest first.

    `community` and `member` (fetched through `get_community_for_user` / `get_member_for_user`)
    narrow to a community's feed or a member's timeline; `members` to any of a few members
    (a name search). `since` is inclusive, `until` exclusive. `cursor` is the `next_cursor` of
    the previous page (InvalidCursorError when it is not one). A community outside the scope
    is an Http404.
    """
    if isinstance(cursor, str):
        cursor = decode_cursor(cursor)
    limit = max(1, min(limit, MAX_LIMIT))
    org_id = actor.organization.pk
    if community is not None and not _community_in_scope(actor, community):
        raise Http404(_("No such community."))
    if member is not None and member.organization_id != org_id:
        raise Http404(_("No such member."))
    # A community, a member or a scoped operator's communities are the organisation's (checked
    # above, or by construction): filtering on the organisation as well would tempt the planner
    # away from their (…, occurred_at, id) index.
    qs = Activity.objects.all()
    if actor.is_org_admin and community is None and member is None:
        qs = qs.filter(organization_id=org_id)
    if kind:
        qs = qs.filter(kind=kind)
    if channel:
        qs = qs.filter(channel=channel)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if until is not None:
        qs = qs.filter(occurred_at__lt=until)
    if cursor is not None:
        # The redundant `<=` bounds the index range; the OR then only breaks ties on id.
        qs = qs.filter(
            Q(occurred_at__lte=cursor.occurred_at),
            Q(occurred_at__lt=cursor.occurred_at) | Q(id__lt=cursor.id),
        )
    if member is not None:
        qs = qs.filter(member_id=member.pk)
    if members is not None:
        qs = qs.filter(member_id__in=[m.pk for m in members])
    if community is not None:
        qs = qs.filter(community_id=community.pk)
    elif not actor.is_org_admin:
        if member is None and members is None:
            return _scoped_stream(actor, qs, limit)
        qs = qs.filter(community_id__in=_scope_communities(actor))
    rows = list(_with_related(qs).order_by(*ORDERING)[: limit + 1])
    return _page(rows, limit)


def _scoped_stream(actor: OperatorScope, qs: QuerySet[Activity], limit: int) -> ActivityPage:
    """A scoped operator's stream: the newest `limit + 1` of each community's index range,
    merged (two queries, three for a chapter head), or one filtered walk of a large scope."""
    community_ids = sorted(_scope_communities(actor))
    if not community_ids:
        return ActivityPage(items=[], next_cursor=None)
    if len(community_ids) > UNION_MAX_COMMUNITIES:
        rows = list(
            _with_related(
                qs.filter(organization_id=actor.organization.pk, community_id__in=community_ids)
            ).order_by(*ORDERING)[: limit + 1]
        )
        return _page(rows, limit)
    # Each community's newest `limit + 1` keys from its index range, merged by the database
    # (written out: SQLite refuses LIMIT inside a compound SELECT unless wrapped like this).
    sql_parts: list[str] = []
    params: list[Any] = []
    for number, community_id in enumerate(community_ids):
        ordered = qs.filter(community_id=community_id).order_by(*ORDERING)
        part = ordered.values_list("occurred_at", "id")[: limit + 1]
        sql, part_params = part.query.get_compiler(using=part.db).as_sql()
        sql_parts.append(f"SELECT * FROM ({sql}) AS p{number}")  # noqa: S608 (compiled SQL)
        params.extend(part_params)
    union = " UNION ALL ".join(sql_parts)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(
            f"SELECT u.id FROM ({union}) AS u "  # noqa: S608 (compiled SQL)
            "ORDER BY u.occurred_at DESC, u.id DESC LIMIT %s",
            [*params, limit + 1],
        )
        keys = [row[0] for row in cursor.fetchall()]
    if not keys:
        return ActivityPage(items=[], next_cursor=None)
    by_id = {a.pk: a for a in _with_related(Activity.objects.filter(id__in=keys))}
    rows = [by_id[pk] for pk in keys if pk in by_id]
    return _page(rows, limit)
