"""Rule tags: checking a rule's parameters, finding the members it matches, applying it.

Every rule but the keyword one is a query over facts (docs/tags.md): the ladder
(`MemberStage`), layers (`MembershipLayer`), invite joins, event-attendance and custom
activities. The keyword rule finds candidate messages with the database (`LIKE`, a substring
hit is necessary for a word hit) and keeps those where jieba's segmentation has the keyword as
a word of its own: "北京" matches "我去北京出差", not "我在北京大学读书". A keyword jieba's
dictionary lacks ("私域流量") is added to the tokenizer used for that rule, so it is cut as one
word. A regular-expression rule runs in the database (PostgreSQL's `~`, SQLite's REGEXP).

`apply_rule_tags` writes the difference between what each switched-on rule matches and the
rule rows of its tag, for the members of `Members`; `preview_rule` counts and samples.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from shequn.activity.models import Activity, ActivityKind
from shequn.core.sqlsets import Members, analyze, execute, temp_table, window_start
from shequn.ladder.models import MemberStage, Stage
from shequn.layers.models import Layer, MembershipLayer
from shequn.members.models import Member
from shequn.organizations.models import Organization
from shequn.tags.models import RuleType, Tag, TagSource

logger = logging.getLogger(__name__)

KEYWORD_MAX_LENGTH = 30
MAX_KEYWORDS = 20
REGEX_MAX_LENGTH = 200
MAX_WINDOW_DAYS = 3650
MAX_MIN_COUNT = 10_000
SPEAKING_KINDS = ("message", "reply", "post", "comment")
MATCH_WORD = "word"
MATCH_REGEX = "regex"
TMP = "shequn_rule_members"
DIFF = "shequn_rule_changes"
SCAN_CHUNK = 2000


@dataclass(frozen=True)
class TagCounts:
    added: int = 0
    removed: int = 0


# Checking --------------------------------------------------------------------------------


def _positive_int(
    value: Any, field: str, *, low: int, high: int, default: int | None
) -> int | None:
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({field: _("Enter a whole number.")})
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationError({field: _("Enter a whole number.")}) from exc
    if not low <= number <= high:
        raise ValidationError(
            {field: _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}}
        )
    return number


def clean_rule(
    organization: Organization, rule_type: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The rule's parameters in their stored form; ValidationError (by field) when wrong."""
    if rule_type not in RuleType.values:
        raise ValidationError({"rule_type": _("Choose a rule.")})
    window = _positive_int(
        params.get("window_days"), "window_days", low=1, high=MAX_WINDOW_DAYS, default=None
    )
    min_count = _positive_int(
        params.get("min_count"), "min_count", low=1, high=MAX_MIN_COUNT, default=1
    )
    if rule_type == RuleType.KEYWORD:
        return _clean_keyword(params, window, min_count)
    if rule_type == RuleType.EVENT_KIND:
        name = str(params.get("event_kind") or "").strip()
        if not name or len(name) > 64:
            raise ValidationError({"event_kind": _("Enter the event kind (up to 64 characters).")})
        return {"event_kind": name, "window_days": window}
    if rule_type == RuleType.ACTIVITY_KIND:
        name = str(params.get("activity_kind") or "").strip()
        if not name or len(name) > 64:
            raise ValidationError(
                {"activity_kind": _("Enter the activity name (up to 64 characters).")}
            )
        return {"activity_kind": name, "min_count": min_count, "window_days": window}
    if rule_type == RuleType.STAGE:
        raw = params.get("stages") or []
        if not isinstance(raw, list | tuple) or not raw:
            raise ValidationError({"stages": _("Choose at least one stage.")})
        stages = sorted({_stage(value) for value in raw})
        return {"stages": stages}
    if rule_type == RuleType.LAYER:
        layer = str(params.get("layer") or "")
        if layer not in Layer.values:
            raise ValidationError({"layer": _("Choose a layer.")})
        community_id = params.get("community_id")
        if community_id not in (None, ""):
            from shequn.organizations.models import Community

            community_pk = _positive_int(
                community_id, "community_id", low=1, high=2**62, default=None
            )
            if (
                community_pk is None
                or not Community.objects.filter(pk=community_pk, organization=organization).exists()
            ):
                raise ValidationError({"community_id": _("Choose a community of yours.")})
            community_id = community_pk
        else:
            community_id = None
        return {"layer": layer, "community_id": community_id}
    # invite link
    from shequn.invitations.models import InviteLink

    link_id = _positive_int(
        params.get("invite_link_id"), "invite_link_id", low=1, high=2**62, default=None
    )
    if (
        link_id is None
        or not InviteLink.objects.filter(pk=link_id, organization=organization).exists()
    ):
        raise ValidationError({"invite_link_id": _("Choose an invite link of yours.")})
    return {"invite_link_id": link_id}


def _stage(value: Any) -> int:
    try:
        stage = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"stages": _("Choose stages of the ladder.")}) from exc
    if stage not in Stage.values:
        raise ValidationError({"stages": _("Choose stages of the ladder.")})
    return stage


def _clean_keyword(
    params: Mapping[str, Any], window: int | None, min_count: int | None
) -> dict[str, Any]:
    match = str(params.get("match") or MATCH_WORD)
    if match not in (MATCH_WORD, MATCH_REGEX):
        raise ValidationError({"match": _("Choose how the keyword matches.")})
    raw = params.get("keywords")
    if isinstance(raw, str):
        raw = re.split(r"[,，、\n]+", raw)
    if not isinstance(raw, list | tuple):
        raw = []
    words = []
    for item in raw:
        word = str(item).strip()
        if word and word not in words:
            words.append(word)
    if not words:
        raise ValidationError({"keywords": _("Enter at least one keyword.")})
    if match == MATCH_REGEX:
        if len(words) > 1:
            raise ValidationError({"keywords": _("Enter one regular expression.")})
        pattern = words[0]
        if len(pattern) > REGEX_MAX_LENGTH:
            raise ValidationError(
                {
                    "keywords": _("The expression is longer than %(n)d characters.")
                    % {"n": REGEX_MAX_LENGTH}
                }
            )
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(
                {
                    "keywords": _("This is not a valid regular expression: %(error)s")
                    % {"error": str(exc)}
                }
            ) from exc
        _check_database_regex(pattern)
    else:
        if len(words) > MAX_KEYWORDS:
            raise ValidationError(
                {"keywords": _("Enter at most %(n)d keywords.") % {"n": MAX_KEYWORDS}}
            )
        for word in words:
            if len(word) > KEYWORD_MAX_LENGTH or re.search(r"\s", word):
                raise ValidationError(
                    {
                        "keywords": _(
                            "“%(word)s”: a keyword is one word of up to %(n)d characters, "
                            "without spaces."
                        )
                        % {"word": word[:40], "n": KEYWORD_MAX_LENGTH}
                    }
                )
    return {"keywords": words, "match": match, "min_count": min_count, "window_days": window}


def _check_database_regex(pattern: str) -> None:
    """PostgreSQL's regular expressions differ a little from Python's: ask it."""
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT '' ~ %s", [pattern])
    except DatabaseError as exc:
        raise ValidationError(
            {"keywords": _("The database cannot use this regular expression.")}
        ) from exc


# Matching --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _tokenizer(words: tuple[str, ...]) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        if not tokenizer.FREQ.get(word):
            tokenizer.add_word(word)
    return tokenizer


def word_hits(text: str, words: Iterable[str]) -> int:
    """How many times the words occur in `text` as words of their own (letters: any case)."""
    wanted = {w.lower() for w in words}
    tokenizer = _tokenizer(tuple(sorted(wanted)))
    return sum(1 for token in tokenizer.cut(text) if token.lower() in wanted)


def _since(
    organization: Organization, rule: Mapping[str, Any], as_of: datetime.datetime
) -> datetime.datetime | None:
    days = rule.get("window_days")
    return window_start(as_of, int(days), organization.time_zone) if days else None


def _activities(
    organization: Organization, members: Members, as_of: datetime.datetime
) -> QuerySet[Activity]:
    qs = Activity.objects.filter(organization_id=organization.pk, occurred_at__lte=as_of)
    if members.ids is not None:
        return qs.filter(member_id__in=members.ids)
    return qs.filter(member_id__gte=members.lo, member_id__lte=members.hi)


def matching_query(tag: Tag, members: Members, as_of: datetime.datetime) -> QuerySet[Any] | None:
    """The member ids a rule matches, as a query (None for word-keyword rules)."""
    organization = tag.organization
    rule = tag.rule
    since = _since(organization, rule, as_of)
    if tag.rule_type == RuleType.STAGE:
        qs: QuerySet[Any] = MemberStage.objects.filter(
            organization_id=organization.pk, stage__in=rule["stages"]
        )
        return _in(qs, "member_id", members).values("member_id")
    if tag.rule_type == RuleType.LAYER:
        qs = MembershipLayer.objects.filter(organization_id=organization.pk, layer=rule["layer"])
        if rule.get("community_id"):
            qs = qs.filter(community_id=rule["community_id"])
        return _in(qs, "member_id", members).values("member_id").distinct()
    if tag.rule_type == RuleType.INVITE_LINK:
        from shequn.invitations.models import InviteJoin

        qs = InviteJoin.objects.filter(
            organization_id=organization.pk, link_id=rule["invite_link_id"]
        )
        return _in(qs, "member_id", members).values("member_id").distinct()
    acts = _activities(organization, members, as_of)
    if since is not None:
        acts = acts.filter(occurred_at__gte=since)
    if tag.rule_type == RuleType.EVENT_KIND:
        acts = acts.filter(
            kind=ActivityKind.EVENT_ATTENDANCE, properties__event_kind=rule["event_kind"]
        )
        return acts.order_by().values("member_id").distinct()
    if tag.rule_type == RuleType.ACTIVITY_KIND:
        acts = acts.filter(kind=ActivityKind.CUSTOM, properties__name=rule["activity_kind"])
        return _at_least(acts, int(rule.get("min_count") or 1))
    if rule.get("match") == MATCH_REGEX:
        acts = acts.filter(kind__in=SPEAKING_KINDS, text__regex=rule["keywords"][0])
        return _at_least(acts, int(rule.get("min_count") or 1))
    if tag.pk is None:
        return None  # an unsaved rule (a preview) has no hits: keyword_matches reads messages
    from shequn.tags.keywords import keyword_members

    return keyword_members(tag, members, since)


def _in(qs: QuerySet[Any], field: str, members: Members) -> QuerySet[Any]:
    if members.ids is not None:
        return qs.filter(**{f"{field}__in": members.ids})
    return qs.filter(**{f"{field}__gte": members.lo, f"{field}__lte": members.hi})


def _at_least(acts: QuerySet[Activity], count: int) -> QuerySet[Any]:
    grouped = acts.order_by().values("member_id").annotate(n=Count("id"))
    if count > 1:
        grouped = grouped.filter(n__gte=count)
    return grouped.values("member_id")


def keyword_matches(
    tags: list[Tag], members: Members, as_of: datetime.datetime, *, limit: int | None = None
) -> dict[int, set[int]]:
    """Members matched by each word-keyword rule (tag id → member ids), from one scan of the
    candidate messages of all the rules (the newest `limit` candidates when given: a preview
    before a rule is saved; a saved rule reads its kept hits instead)."""
    if not tags:
        return {}
    organization = tags[0].organization
    wanted = Q()
    earliest: datetime.datetime | None = as_of
    for tag in tags:
        for word in tag.rule["keywords"]:
            wanted |= Q(text__icontains=word)
        since = _since(organization, tag.rule, as_of)
        earliest = None if since is None or earliest is None else min(earliest, since)
    acts = _activities(organization, members, as_of).filter(wanted, kind__in=SPEAKING_KINDS)
    if earliest is not None:
        acts = acts.filter(occurred_at__gte=earliest)
    rules = [(tag, _since(organization, tag.rule, as_of)) for tag in tags]
    counts: dict[int, dict[int, int]] = {tag.pk: {} for tag in tags}
    rows = acts.order_by("-pk").values_list("member_id", "occurred_at", "text")
    if limit is not None:
        rows = rows[:limit]
    for member_id, occurred_at, text in rows.iterator(chunk_size=SCAN_CHUNK):
        lowered = text.lower()
        for tag, since in rules:
            if since is not None and occurred_at < since:
                continue
            words = tag.rule["keywords"]
            if not any(w.lower() in lowered for w in words):
                continue
            hits = word_hits(text, words)
            if hits:
                per = counts[tag.pk]
                per[member_id] = per.get(member_id, 0) + hits
    return {
        tag.pk: {m for m, n in counts[tag.pk].items() if n >= int(tag.rule.get("min_count") or 1)}
        for tag in tags
    }


# Applying --------------------------------------------------------------------------------


def active_rule_tags(organization: Organization) -> list[Tag]:
    return list(
        Tag.objects.filter(organization=organization, is_active=True)
        .exclude(rule_type="")
        .select_related("organization")
        .order_by("pk")
    )


def word_keyword_tags(tags: Iterable[Tag]) -> list[Tag]:
    return [
        t for t in tags if t.rule_type == RuleType.KEYWORD and t.rule.get("match") != MATCH_REGEX
    ]


def scan_keywords(tags: Iterable[Tag]) -> int:
    """Let every word-keyword rule among `tags` read the messages it has not read (their hits
    are kept: shequn.tags.keywords); how many hits. Inside a transaction."""
    from shequn.tags.keywords import scan_keyword_tag

    return sum(scan_keyword_tag(tag) for tag in word_keyword_tags(tags))


def _json_text(field: str) -> str:
    if connection.vendor == "postgresql":
        return f"a.properties ->> '{field}'"
    return f"json_extract(a.properties, '$.{field}')"


def _column(tag: Tag) -> str:
    return f"rule_{int(tag.pk)}"


def rule_tag_columns(
    organization: Organization, as_of: datetime.datetime
) -> tuple[tuple[str, str, tuple[object, ...], datetime.datetime | None], ...]:
    """The per-member counts the event-kind and custom-activity rules need, for the facts
    pass of the recompute (shequn.activity.facts): they cost a column there instead of a scan
    of the activities each."""
    columns = []
    for tag in active_rule_tags(organization):
        since = _since(organization, tag.rule, as_of)
        if tag.rule_type == RuleType.EVENT_KIND:
            condition = f"a.kind = %s AND {_json_text('event_kind')} = %s"
            columns.append(
                (
                    _column(tag),
                    condition,
                    (ActivityKind.EVENT_ATTENDANCE, tag.rule["event_kind"]),
                    since,
                )
            )
        elif tag.rule_type == RuleType.ACTIVITY_KIND:
            condition = f"a.kind = %s AND {_json_text('name')} = %s"
            columns.append(
                (_column(tag), condition, (ActivityKind.CUSTOM, tag.rule["activity_kind"]), since)
            )
    return tuple(columns)


def apply_rule_tags(
    organization: Organization,
    members: Members,
    as_of: datetime.datetime,
    tags: list[Tag] | None = None,
    *,
    scan: bool = True,
    facts_ready: bool = False,
) -> TagCounts:
    """Bring the rule rows of the switched-on rule tags in line with their rules for
    `members` (after stages and layers are current); inside a transaction."""
    tags = active_rule_tags(organization) if tags is None else tags
    if scan:
        scan_keywords(tags)
    added = removed = 0
    for tag in tags:
        temp_table(TMP, "member_id bigint PRIMARY KEY")
        if facts_ready and tag.rule_type in (RuleType.EVENT_KIND, RuleType.ACTIVITY_KIND):
            # The facts pass counted them (rule_tag_columns), for these members only.
            from shequn.activity.facts import MEMBER_FACTS

            minimum = int(tag.rule.get("min_count") or 1)
            execute(
                f"INSERT INTO {TMP} (member_id) SELECT f.member_id FROM {MEMBER_FACTS} f "  # noqa: S608
                f"WHERE f.{_column(tag)} >= %s",
                [minimum],
            )
        else:
            query = matching_query(tag, members, as_of)
            assert query is not None  # a saved tag: keyword rules read their kept hits
            sql, params = query.query.sql_with_params()
            execute(
                f"INSERT INTO {TMP} (member_id) SELECT DISTINCT q.member_id FROM ({sql}) q",  # noqa: S608
                list(params),
            )
        # (Merged members have no stage, layer, activity or hit left: they match no rule.)
        analyze(TMP)
        plus, minus = _write_rule_rows(organization, tag, members, as_of)
        if plus or minus:
            Tag.objects.filter(pk=tag.pk).update(member_count=F("member_count") + plus - minus)
        added += plus
        removed += minus
        execute(f"DELETE FROM {TMP}")  # noqa: S608
    return TagCounts(added=added, removed=removed)


def _write_rule_rows(
    organization: Organization, tag: Tag, members: Members, as_of: datetime.datetime
) -> tuple[int, int]:
    """Bring the tag's rule rows of `members` in line with the matches in TMP: the difference
    first (members matched without any row of the tag; rule rows no longer matched), then
    only that is written; (added, removed)."""
    temp_table(DIFF, "member_id bigint PRIMARY KEY, gone smallint NOT NULL")
    execute(
        f"""
        INSERT INTO {DIFF} (member_id, gone) SELECT t.member_id, 0 FROM {TMP} t
        WHERE NOT EXISTS (
          SELECT 1 FROM tags_membertag mt WHERE mt.tag_id = %s AND mt.member_id = t.member_id)
        """,  # noqa: S608
        [tag.pk],
    )
    scope, scope_params = members.sql("mt.member_id")
    execute(
        f"""
        INSERT INTO {DIFF} (member_id, gone) SELECT mt.member_id, 1 FROM tags_membertag mt
        WHERE mt.tag_id = %s AND mt.source = '{TagSource.RULE}' AND {scope}
          AND NOT EXISTS (SELECT 1 FROM {TMP} t WHERE t.member_id = mt.member_id)
        """,  # noqa: S608
        [tag.pk, *scope_params],
    )
    plus = execute(
        f"""
        INSERT INTO tags_membertag (tag_id, member_id, organization_id, source, added_at,
          added_by_id)
        SELECT %s, d.member_id, %s, '{TagSource.RULE}', %s, NULL FROM {DIFF} d
        WHERE d.gone = 0 ON CONFLICT (tag_id, member_id) DO NOTHING
        """,  # noqa: S608
        [tag.pk, organization.pk, as_of],
    )
    minus = execute(
        f"""
        DELETE FROM tags_membertag
        WHERE tags_membertag.tag_id = %s AND tags_membertag.source = '{TagSource.RULE}'
          AND tags_membertag.member_id IN (SELECT d.member_id FROM {DIFF} d WHERE d.gone = 1)
        """,  # noqa: S608
        [tag.pk],
    )
    execute(f"DELETE FROM {DIFF}")  # noqa: S608
    return plus, minus


# A preview of a keyword rule reads at most this many of the newest candidate messages.
PREVIEW_MESSAGES = 10_000


@dataclass(frozen=True)
class Preview:
    count: int
    examples: list[Member]
    # Keyword rules: the candidate messages read, and whether that was the newest
    # PREVIEW_MESSAGES only (the count is then a lower bound).
    messages_read: int | None = None
    capped: bool = False


def preview_rule(
    organization: Organization,
    rule_type: str,
    rule: Mapping[str, Any],
    as_of: datetime.datetime,
    *,
    examples: int = 10,
    member_filter: Q | None = None,
) -> Preview:
    """How many members a rule (already checked by `clean_rule`) would tag now, and a few of
    them; `member_filter` narrows both to a viewer's scope."""
    tag = Tag(organization=organization, rule_type=rule_type, rule=dict(rule))
    everyone = Members()
    query = matching_query(tag, everyone, as_of)
    members = Member.objects.filter(organization=organization, merged_into__isnull=True)
    if member_filter is not None:
        members = members.filter(member_filter)
    read: int | None = None
    capped = False
    if query is None:
        from shequn.tags.keywords import candidates

        since = _since(organization, tag.rule, as_of)
        pool = candidates(organization.pk, tag.rule["keywords"]).filter(occurred_at__lte=as_of)
        if since is not None:
            pool = pool.filter(occurred_at__gte=since)
        read = len(pool.order_by("-pk").values_list("pk", flat=True)[: PREVIEW_MESSAGES + 1])
        capped = read > PREVIEW_MESSAGES
        read = min(read, PREVIEW_MESSAGES)
        ids = keyword_matches([_with_pk(tag)], everyone, as_of, limit=PREVIEW_MESSAGES)[0]
        matched = members.filter(pk__in=sorted(ids)) if ids else members.none()
    else:
        matched = members.filter(pk__in=query)
    return Preview(
        count=matched.count(),
        examples=list(matched.order_by("sort_key", "pk")[:examples]),
        messages_read=read,
        capped=capped,
    )


def _with_pk(tag: Tag) -> Tag:
    tag.pk = 0
    return tag
