"""Finding members who may be one person, and deciding on the suggestions (docs/merges.md).

Finding never compares all pairs. Every member gets blocking keys: each phone (E.164) and email
(lower case) of the member and of their identities, each WeChat unionid, each username (with its
channel), and, within their home chapter, their name in characters and in pinyin (the reading
of `Member.sort_key`, made by pypinyin). Only members that share a key are compared, and a key
shared by more than MAX_BLOCK members (a switchboard number, the name 王伟 in a big chapter) is
no evidence and is skipped, so the work grows linearly with the identities.

Confidences (SIGNAL_CONFIDENCE) combine as independent evidence: 1 − Π(1 − c).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.members.merging import merge_members
from shequn.members.models import (
    Channel,
    Identity,
    Member,
    MergeReason,
    MergeSuggestion,
    MergeSuggestionStatus,
)
from shequn.members.phones import format_phone, normalize_phone

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope
    from shequn.organizations.models import Organization

# How sure each signal alone makes us that two members are one person.
SIGNAL_CONFIDENCE = {
    MergeReason.UNION_ID: 0.98,  # WeChat's own id of the person, across WeChat and WeCom
    MergeReason.PHONE: 0.95,
    MergeReason.EMAIL: 0.95,
    MergeReason.USERNAME: 0.85,  # the same handle on two channels
    MergeReason.NAME: 0.35,  # the same name in one chapter: namesakes are common
    MergeReason.PINYIN: 0.2,  # the same reading (王伟 / Wang Wei / 汪薇)
}
# A username shared by more than three members (one person has at most a few accounts) is a
# common handle: weak evidence only.
COMMON_USERNAME_CONFIDENCE = 0.5
MAX_USERNAME_SHARERS = 3
# The default of "accept all above" and the bar of the benchmark (bench/merge.py): every strong
# signal and a username on two channels are above it; names alone never are.
ACCEPT_THRESHOLD = 0.8
# Auto-merge (Organization.auto_merge_exact) merges only pairs with one of these.
EXACT_REASONS = frozenset({MergeReason.PHONE, MergeReason.EMAIL, MergeReason.UNION_ID})
MAX_BLOCK = 8
# A name shared by more than this many members of one chapter is common there: no evidence.
MAX_NAME_BLOCK = 4
MIN_USERNAME_LENGTH = 3
MAX_CONFIDENCE = 0.999
AUTO_MERGE_ROUNDS = 5


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValidationError:
        return ""


def _email(value: str) -> str:
    value = value.strip().lower()
    return value if "@" in value else ""


@dataclass
class _Blocks:
    """Blocking key → the members having it (and, for usernames, on which channels)."""

    keys: dict[tuple[str, str], set[int]]
    usernames: dict[str, dict[int, set[str]]]

    def add(self, code: str, value: str, member_id: int) -> None:
        if value:
            self.keys[(code, value)].add(member_id)


def _blocks(organization_id: int) -> _Blocks:
    blocks = _Blocks(keys=defaultdict(set), usernames=defaultdict(lambda: defaultdict(set)))
    members = Member.objects.filter(
        organization_id=organization_id, merged_into__isnull=True
    ).values_list("pk", "chapter_id", "display_name", "sort_key", "phone", "email")
    for pk, chapter_id, name, sort_key, phone, email in members.iterator(chunk_size=5000):
        blocks.add(MergeReason.PHONE, _phone(phone), pk)
        blocks.add(MergeReason.EMAIL, _email(email), pk)
        if chapter_id is not None:
            hanzi = "".join(name.split()).casefold()
            reading = sort_key.split("\x01", 1)[0].replace(" ", "")
            blocks.add(MergeReason.NAME, f"{chapter_id}:{hanzi}" if hanzi else "", pk)
            blocks.add(MergeReason.PINYIN, f"{chapter_id}:{reading}" if reading else "", pk)
    identities = Identity.objects.filter(
        organization_id=organization_id, member__merged_into__isnull=True
    ).values_list("member_id", "channel", "external_id", "username", "email", "phone", "union_id")
    for member_id, channel, external_id, username, email, phone, union_id in identities.iterator(
        chunk_size=5000
    ):
        blocks.add(MergeReason.PHONE, _phone(phone), member_id)
        blocks.add(MergeReason.EMAIL, _email(email), member_id)
        blocks.add(MergeReason.UNION_ID, union_id.strip(), member_id)
        if channel == Channel.PHONE:
            blocks.add(MergeReason.PHONE, _phone(external_id), member_id)
        elif channel == Channel.EMAIL:
            blocks.add(MergeReason.EMAIL, _email(external_id), member_id)
        handle = username.strip().lstrip("@").casefold()
        if len(handle) >= MIN_USERNAME_LENGTH:
            blocks.usernames[handle][member_id].add(channel)
    return blocks


@dataclass(frozen=True)
class Candidate:
    member_a: int
    member_b: int
    confidence: float
    evidence: list[dict[str, Any]]

    @property
    def reason_codes(self) -> str:
        return "," + ",".join(e["code"] for e in self.evidence) + ","


def _pairs(ids: Iterable[int]) -> Iterator[tuple[int, int]]:
    return itertools.combinations(sorted(ids), 2)


def find_candidates(organization_id: int) -> list[Candidate]:
    """Every pair of members sharing a blocking key, with confidence and evidence."""
    blocks = _blocks(organization_id)
    found: dict[tuple[int, int], dict[str, tuple[float, dict[str, Any]]]] = defaultdict(dict)

    def note(pair: tuple[int, int], code: str, confidence: float, params: dict[str, Any]) -> None:
        if confidence > found[pair].get(code, (0.0, {}))[0]:
            found[pair][code] = (confidence, params)

    for (code, value), members in blocks.keys.items():
        limit = MAX_NAME_BLOCK if code in (MergeReason.NAME, MergeReason.PINYIN) else MAX_BLOCK
        if not 2 <= len(members) <= limit:
            continue
        params: dict[str, Any] = {}
        if code in (MergeReason.NAME, MergeReason.PINYIN):
            params = {"value": value.split(":", 1)[1]}
        elif code in (MergeReason.PHONE, MergeReason.EMAIL):
            params = {"value": value}
        for pair in _pairs(members):
            note(pair, code, SIGNAL_CONFIDENCE[MergeReason(code)], params)
    for handle, channels in blocks.usernames.items():
        if not 2 <= len(channels) <= MAX_BLOCK:
            continue
        confidence = (
            SIGNAL_CONFIDENCE[MergeReason.USERNAME]
            if len(channels) <= MAX_USERNAME_SHARERS
            else COMMON_USERNAME_CONFIDENCE
        )
        for a, b in _pairs(channels):
            on = channels[a] | channels[b]
            if len(on) < 2:  # the same handle on one channel only: two accounts, not one
                continue
            note(
                (a, b), MergeReason.USERNAME, confidence, {"value": handle, "channels": sorted(on)}
            )
    candidates = []
    for (a, b), reasons in found.items():
        if MergeReason.NAME in reasons:
            reasons.pop(MergeReason.PINYIN, None)  # the same characters read the same
        doubt = 1.0
        for confidence, _params in reasons.values():
            doubt *= 1 - confidence
        ordered = sorted(reasons.items(), key=lambda item: -item[1][0])
        evidence = [{"code": code, "params": params} for code, (_c, params) in ordered]
        total = round(min(1 - doubt, MAX_CONFIDENCE), 3)
        candidates.append(Candidate(a, b, total, evidence))
    return candidates


@dataclass(frozen=True)
class RefreshResult:
    created: int
    updated: int
    removed: int
    merged: int


def _rejected_pairs(organization_id: int) -> set[tuple[int, int]]:
    """Rejected pairs, also as the members they have been merged into since."""
    from shequn.members.selectors import resolve_merged_member_id

    rows = MergeSuggestion.objects.filter(
        organization_id=organization_id, status=MergeSuggestionStatus.REJECTED
    ).values_list(
        "member_a_id", "member_b_id", "member_a__merged_into_id", "member_b__merged_into_id"
    )
    pairs = set()
    for a, b, a_into, b_into in rows:
        pairs.add((a, b))
        if a_into is not None or b_into is not None:
            ra = resolve_merged_member_id(a) if a_into else a
            rb = resolve_merged_member_id(b) if b_into else b
            pairs.add((min(ra, rb), max(ra, rb)))
    return pairs


@transaction.atomic
def _store(organization_id: int, candidates: list[Candidate]) -> tuple[int, int, int]:
    existing = {
        (s.member_a_id, s.member_b_id): s
        for s in MergeSuggestion.objects.select_for_update().filter(organization_id=organization_id)
    }
    rejected = _rejected_pairs(organization_id)
    new, changed, seen = [], [], set()
    for c in candidates:
        pair = (c.member_a, c.member_b)
        if pair in rejected:
            continue
        seen.add(pair)
        row = existing.get(pair)
        if row is None:
            new.append(
                MergeSuggestion(
                    organization_id=organization_id,
                    member_a_id=c.member_a,
                    member_b_id=c.member_b,
                    confidence=c.confidence,
                    evidence=c.evidence,
                    reason_codes=c.reason_codes,
                )
            )
        elif row.status == MergeSuggestionStatus.OPEN and (
            row.confidence != c.confidence or row.evidence != c.evidence
        ):
            row.confidence, row.evidence, row.reason_codes = (
                c.confidence,
                c.evidence,
                c.reason_codes,
            )
            changed.append(row)
    stale = [
        row.pk
        for pair, row in existing.items()
        if row.status == MergeSuggestionStatus.OPEN and pair not in seen
    ]
    MergeSuggestion.objects.bulk_create(new, batch_size=2000)
    MergeSuggestion.objects.bulk_update(
        changed, ["confidence", "evidence", "reason_codes"], batch_size=2000
    )
    for start in range(0, len(stale), 2000):
        MergeSuggestion.objects.filter(pk__in=stale[start : start + 2000]).delete()
    return len(new), len(changed), len(stale)


def refresh_merge_suggestions(organization: Organization) -> RefreshResult:
    """Find the organisation's suggestions again: new pairs are added, changed ones updated,
    open ones no longer found removed; rejected pairs are never suggested again. With
    `auto_merge_exact`, pairs with an exact phone, email or unionid match are then merged."""
    created, updated, removed = _store(organization.pk, find_candidates(organization.pk))
    merged = 0
    if organization.auto_merge_exact:
        for _round in range(AUTO_MERGE_ROUNDS):
            done = auto_merge_exact_matches(organization)
            if not done:
                break
            merged += done
            _store(organization.pk, find_candidates(organization.pk))
    return RefreshResult(created=created, updated=updated, removed=removed, merged=merged)


def _exact_q() -> Q:
    q = Q()
    for code in EXACT_REASONS:
        q |= Q(reason_codes__contains=f",{code},")
    return q


def choose_survivor(a: Member, b: Member) -> tuple[Member, Member]:
    """(source, target) of merging two members: the survivor is the one with a web account,
    else the one in more communities, else the one recorded first."""

    def weight(m: Member) -> tuple[int, int, int]:
        return (int(m.user_id is not None), m.community_count, -m.pk)

    target = max((a, b), key=weight)
    return (b if target is a else a), target


def auto_merge_exact_matches(organization: Organization) -> int:
    """Merge every open pair with an exact phone, email or unionid match (the system acts)."""
    merged = 0
    suggestions = MergeSuggestion.objects.filter(
        _exact_q(), organization_id=organization.pk, status=MergeSuggestionStatus.OPEN
    ).order_by("-confidence", "id")
    for suggestion in list(suggestions.select_related("member_a", "member_b")):
        a = Member.objects.get(pk=suggestion.member_a_id)
        b = Member.objects.get(pk=suggestion.member_b_id)
        if a.merged_into_id is not None or b.merged_into_id is not None:
            continue  # one of them merged in this round: found again next round
        source, target = choose_survivor(a, b)
        merge_members(actor=None, source=source, target=target, suggestion=suggestion)
        merged += 1
    return merged


# Decisions


def _check_open(suggestion: MergeSuggestion) -> None:
    if suggestion.status != MergeSuggestionStatus.OPEN:
        raise ValidationError(
            _("This suggestion has already been decided."), code="already_decided"
        )


@transaction.atomic
def accept_suggestion(
    *, actor: OperatorScope, suggestion: MergeSuggestion, keep: int | None = None
) -> Any:
    """Merge the pair; `keep` is the id of the member who survives (default: choose_survivor)."""
    suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    _check_open(suggestion)
    a = Member.objects.get(pk=suggestion.member_a_id)
    b = Member.objects.get(pk=suggestion.member_b_id)
    if keep == a.pk:
        source, target = b, a
    elif keep == b.pk:
        source, target = a, b
    else:
        source, target = choose_survivor(a, b)
    return merge_members(actor=actor, source=source, target=target, suggestion=suggestion)


def _can_decide(actor: OperatorScope) -> bool:
    return actor.is_org_admin or actor.is_chapter_head


@transaction.atomic
def reject_suggestion(*, actor: OperatorScope, suggestion: MergeSuggestion) -> MergeSuggestion:
    """The two are different people: never suggested again."""
    actor.require(_can_decide(actor) and suggestion.organization_id == actor.organization.pk)
    suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    _check_open(suggestion)
    suggestion.status = MergeSuggestionStatus.REJECTED
    suggestion.decided_by_id = actor.user.pk
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return suggestion


@dataclass(frozen=True)
class BulkResult:
    merged: int
    skipped: int


def accept_suggestions_above(
    *, actor: OperatorScope, suggestions: QuerySet[MergeSuggestion], min_confidence: float
) -> BulkResult:
    """Accept every open suggestion of `suggestions` (the actor's) at or above a confidence.

    Each merge is its own transaction; a pair one of whose members was merged by an earlier
    pair of the same run is skipped (it is found again, for the survivor, next time).
    """
    actor.require(_can_decide(actor))
    ids = list(
        suggestions.filter(
            status=MergeSuggestionStatus.OPEN, confidence__gte=min_confidence
        ).values_list("pk", flat=True)
    )
    merged = skipped = 0
    for pk in ids:
        suggestion = MergeSuggestion.objects.filter(pk=pk).first()
        if suggestion is None:  # removed: one of its members was merged just before
            skipped += 1
            continue
        try:
            accept_suggestion(actor=actor, suggestion=suggestion)
        except ValidationError:
            skipped += 1
        else:
            merged += 1
    return BulkResult(merged=merged, skipped=skipped)


@transaction.atomic
def set_auto_merge_exact(*, actor: OperatorScope, enabled: bool) -> Organization:
    """Switch the organisation's auto-merge of exact matches (organisation admins only)."""
    from shequn.audit.models import AuditAction
    from shequn.audit.services import record_audit
    from shequn.organizations.models import Organization

    actor.require(actor.is_org_admin)
    organization = Organization.objects.select_for_update().get(pk=actor.organization.pk)
    if organization.auto_merge_exact != enabled:
        old = organization.auto_merge_exact
        organization.auto_merge_exact = enabled
        organization.save(update_fields=["auto_merge_exact", "updated_at"])
        record_audit(
            actor=actor,
            action=AuditAction.UPDATE,
            target=organization,
            changes={"auto_merge_exact": [old, enabled]},
        )
    return organization


# Evidence in words


def describe_evidence(item: dict[str, Any]) -> str:
    """One reason of a suggestion, in the active language."""
    code = item.get("code", "")
    params = item.get("params") or {}
    value = str(params.get("value", ""))
    if code == MergeReason.PHONE:
        return _("Same phone number %(phone)s") % {"phone": format_phone(value)}
    if code == MergeReason.EMAIL:
        return _("Same email %(email)s") % {"email": value}
    if code == MergeReason.UNION_ID:
        return _("Same WeChat unionid on WeChat and WeCom")
    if code == MergeReason.USERNAME:
        labels = {c.value: str(c.label) for c in Channel}
        channels = [labels.get(c, c) for c in params.get("channels", [])]
        return _("Same username %(username)s on %(channels)s") % {
            "username": value,
            "channels": _(" and ").join(channels),
        }
    if code == MergeReason.NAME:
        return _("Same name %(name)s in one chapter") % {"name": value}
    if code == MergeReason.PINYIN:
        return _("Same name in pinyin (%(pinyin)s) in one chapter") % {"pinyin": value}
    return str(code)
