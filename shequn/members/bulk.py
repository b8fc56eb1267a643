"""Members and identities in bulk: resolving thousands of channel accounts in a few queries.

The ingestion service (shequn.activity.services) meets each activity's actor as a channel
account (channel + the channel's id of the person). `resolve_identities` finds the known
ones with one query and creates the unknown ones — a Member and its Identity each — with a
few bulk inserts, cleaning them the way `create_member` / `add_identity` do: the name loses
control characters (shequn.core.text), the sort key is the pinyin key
(shequn.core.collation), the name pieces of the short-name search are written
(shequn.members.search), the email is lower-cased and kept only when valid, the phone is
stored in E.164 (shequn.members.phones) and kept only when valid, and what the channel sent
stays whole in `raw_profile`.

A member created here has no phone or email on the member record itself (those are what an
operator recorded): the channel's are on the identity, where identity merge compares them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db.models import Q

from shequn.core.collation import sort_key_for
from shequn.core.text import clean_name
from shequn.members.models import DISPLAY_NAME_MAX_LENGTH, Identity, Member, MemberNameGram
from shequn.members.phones import normalize_phone
from shequn.members.search import name_grams
from shequn.organizations.models import Organization

BULK_BATCH_SIZE = 5000
# Most channel ids in one lookup query (well below SQLite's limit of bound parameters).
LOOKUP_CHUNK = 10_000
USERNAME_MAX_LENGTH = 64
UNION_ID_MAX_LENGTH = 64
AVATAR_URL_MAX_LENGTH = 500
EMAIL_MAX_LENGTH = 254

AccountKey = tuple[str, str]  # (channel, external id)


@dataclass
class AccountProfile:
    """What a channel tells about one of its accounts (any field may be empty)."""

    display_name: str = ""
    username: str = ""
    email: str = ""
    phone: str = ""
    avatar_url: str = ""
    union_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)
    chapter_id: int | None = None  # the new member's home chapter, if one is created


@dataclass(frozen=True)
class ResolvedAccount:
    member_id: int
    identity_id: int


def _lock_organization(organization_id: int) -> None:
    """Serialise the creation of members of one organisation (shequn.members.services does
    the same): of two batches naming the same new account, the second waits, then finds it."""
    list(Organization.objects.select_for_update().filter(pk=organization_id).values("pk"))


def find_identities(
    *, organization_id: int, keys: Iterable[AccountKey]
) -> dict[AccountKey, ResolvedAccount]:
    """The known accounts among `keys`: one query per LOOKUP_CHUNK accounts."""
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    found: dict[AccountKey, ResolvedAccount] = {}
    pending = list(by_channel.items())
    while pending:
        condition = Q()
        budget = LOOKUP_CHUNK
        while pending and budget > 0:
            channel, ids = pending.pop()
            taken, rest = ids[:budget], ids[budget:]
            if rest:
                pending.append((channel, rest))
            budget -= len(taken)
            condition |= Q(channel=channel, external_id__in=taken)
        rows = (
            Identity.objects.filter(condition, organization_id=organization_id)
            .order_by()
            .values_list("channel", "external_id", "member_id", "pk")
        )
        for channel, external_id, member_id, pk in rows:
            found[channel, external_id] = ResolvedAccount(member_id=member_id, identity_id=pk)
    return found


def _clean_email(value: str) -> str:
    value = value.strip().lower()
    if not value or len(value) > EMAIL_MAX_LENGTH:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _clean_phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValidationError:
        return ""


_url = URLValidator(schemes=["http", "https"])


def _clean_url(value: str) -> str:
    value = value.strip()
    if not value or len(value) > AVATAR_URL_MAX_LENGTH:
        return ""
    try:
        _url(value)
    except ValidationError:
        return ""
    return value


def _display_name(key: AccountKey, profile: AccountProfile) -> str:
    for candidate in (profile.display_name, profile.username, key[1]):
        name = clean_name(candidate or "")[:DISPLAY_NAME_MAX_LENGTH].strip()
        if name:
            return name
    return key[1][:DISPLAY_NAME_MAX_LENGTH]


def create_accounts(
    *, organization_id: int, accounts: Mapping[AccountKey, AccountProfile]
) -> dict[AccountKey, ResolvedAccount]:
    """A new Member with one Identity for each account (the caller made sure they are new)."""
    if not accounts:
        return {}
    keys = list(accounts)
    members = []
    for key in keys:
        profile = accounts[key]
        name = _display_name(key, profile)
        members.append(
            Member(
                organization_id=organization_id,
                chapter_id=profile.chapter_id,
                display_name=name,
                sort_key=sort_key_for(name),
            )
        )
    Member.objects.bulk_create(members, batch_size=BULK_BATCH_SIZE)
    identities = []
    grams: list[MemberNameGram] = []
    for key, member in zip(keys, members, strict=True):
        profile = accounts[key]
        identities.append(
            Identity(
                organization_id=organization_id,
                member_id=member.pk,
                channel=key[0],
                external_id=key[1],
                display_name=member.display_name,
                username=clean_name(profile.username or "")[:USERNAME_MAX_LENGTH],
                email=_clean_email(profile.email or ""),
                phone=_clean_phone(profile.phone or ""),
                avatar_url=_clean_url(profile.avatar_url or ""),
                union_id=(profile.union_id or "").strip()[:UNION_ID_MAX_LENGTH],
                raw_profile=dict(profile.raw),
            )
        )
        grams.extend(
            MemberNameGram(
                member_id=member.pk,
                gram=gram,
                organization_id=organization_id,
                sort_key=member.sort_key,
            )
            for gram in sorted(name_grams(member.display_name))
        )
    Identity.objects.bulk_create(identities, batch_size=BULK_BATCH_SIZE)
    MemberNameGram.objects.bulk_create(grams, batch_size=BULK_BATCH_SIZE)
    return {
        key: ResolvedAccount(member_id=member.pk, identity_id=identity.pk)
        for key, member, identity in zip(keys, members, identities, strict=True)
    }


def resolve_identities(
    *,
    organization_id: int,
    accounts: Mapping[AccountKey, AccountProfile],
    create: bool = True,
) -> dict[AccountKey, ResolvedAccount]:
    """Every account's member and identity; unknown ones are created when `create`.

    One lookup query for all of them; when some are unknown, the organisation row is locked
    and those are looked up again (a concurrent batch may just have created them) before the
    rest are created. Runs inside the caller's transaction.
    """
    found = find_identities(organization_id=organization_id, keys=accounts)
    missing = [key for key in accounts if key not in found]
    if not missing or not create:
        return found
    _lock_organization(organization_id)
    found.update(find_identities(organization_id=organization_id, keys=missing))
    created = create_accounts(
        organization_id=organization_id,
        accounts={key: accounts[key] for key in missing if key not in found},
    )
    found.update(created)
    return found
