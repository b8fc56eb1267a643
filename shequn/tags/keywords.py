"""Keyword rules: reading messages once and keeping what they found (docs/tags.md, "Keywords").

A message's text never changes, so whether a keyword occurs in it as a word of its own is
decided once: `scan_keyword_tag` reads the messages a rule has not read yet (activity ids above
its `KeywordScan.scanned_to`; all of them after the rule was created or changed), lets the
database find the candidates (`LIKE`: a substring hit is necessary for a word hit), segments
only those with jieba and keeps a `KeywordHit` per message with the number of hits. The
recompute then reads hits: the members whose hits in the rule's window reach its minimum
(`keyword_members`), one indexed GROUP BY.

Ids are handed out before the rows commit, so a transaction still open at a scan may commit
rows below ids the scan saw: the watermark stays below every row recorded in the last
`SAFETY` (those are read again next time; a hit already kept is not kept twice).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum
from django.utils import timezone

from shequn.activity.models import Activity
from shequn.core.sqlsets import Members
from shequn.tags.keyword_models import KeywordHit, KeywordScan
from shequn.tags.models import Tag

SPEAKING_KINDS = ("message", "reply", "post", "comment")
SAFETY = datetime.timedelta(minutes=2)
CHUNK = 2000


def rule_key(tag: Tag) -> str:
    """What the scan read for: the words (a change of words means reading again)."""
    return json.dumps(sorted(w.lower() for w in tag.rule.get("keywords", [])), ensure_ascii=False)


def candidates(organization_id: int, words: Iterable[str]) -> QuerySet[Activity]:
    wanted = Q()
    for word in words:
        wanted |= Q(text__icontains=word)
    return Activity.objects.filter(wanted, organization_id=organization_id, kind__in=SPEAKING_KINDS)


def scan_keyword_tag(tag: Tag, *, now: datetime.datetime | None = None) -> int:
    """Read the messages `tag`'s rule has not read; how many hits it kept. Inside a
    transaction (the hits and the watermark move together)."""
    from shequn.tags.rules import word_hits

    now = now or timezone.now()
    key = rule_key(tag)
    scan = KeywordScan.objects.select_for_update().filter(tag=tag).first()
    if scan is None or scan.rule_key != key:
        KeywordHit.objects.filter(tag=tag).delete()
        scan = scan or KeywordScan(tag=tag)
        scan.rule_key = key
        scan.scanned_to = 0
    org_id = tag.organization_id
    words = tag.rule["keywords"]
    lowered = [w.lower() for w in words]
    rows = (
        candidates(org_id, words)
        .filter(pk__gt=scan.scanned_to)
        .order_by()
        .values_list("pk", "member_id", "occurred_at", "text")
    )
    kept = 0
    batch: list[KeywordHit] = []
    for pk, member_id, occurred_at, text in rows.iterator(chunk_size=CHUNK):
        lower = text.lower()
        if not any(w in lower for w in lowered):
            continue
        hits = word_hits(text, words)
        if hits:
            batch.append(
                KeywordHit(
                    tag_id=tag.pk,
                    member_id=member_id,
                    activity_id=pk,
                    occurred_at=occurred_at,
                    hits=min(hits, 32767),
                )
            )
        if len(batch) >= CHUNK:
            kept += _keep(batch)
            batch = []
    kept += _keep(batch)
    settled = (
        Activity.objects.filter(
            organization_id=org_id, pk__gt=scan.scanned_to, created_at__lt=now - SAFETY
        )
        .order_by()
        .aggregate(m=Max("pk"))["m"]
    )
    if settled is not None:
        scan.scanned_to = settled
    scan.save()
    return kept


def _keep(batch: list[KeywordHit]) -> int:
    if not batch:
        return 0
    return len(KeywordHit.objects.bulk_create(batch, ignore_conflicts=True))


def keyword_members(tag: Tag, members: Members, since: datetime.datetime | None) -> QuerySet[Any]:
    """The member ids whose hits (in the window from `since`) reach the rule's minimum."""
    qs = KeywordHit.objects.filter(tag=tag)
    if since is not None:
        qs = qs.filter(occurred_at__gte=since)
    if members.ids is not None:
        qs = qs.filter(member_id__in=members.ids)
    else:
        qs = qs.filter(member_id__gte=members.lo, member_id__lte=members.hi)
    grouped = qs.order_by().values("member_id").annotate(n=Sum("hits"))
    minimum = int(tag.rule.get("min_count") or 1)
    if minimum > 1:
        grouped = grouped.filter(n__gte=minimum)
    return grouped.values("member_id")
