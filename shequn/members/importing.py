"""Importing an operator's member list (CSV or Excel rows), in batches (docs/member-import.md).

`MemberImport(organization=…, actor=…).import_rows(rows)` imports one batch in one transaction:

1. every row is checked: a name, a valid phone (stored in E.164, shequn.members.phones), a valid
   email (lower-cased), channel accounts, a community of the organisation within the actor's
   scope (slug or name), a known role, a readable joined date; a row that fails is rejected
   with its line and reason, the others go on;
2. each row is matched to a member the organisation already has: by a channel account
   (Identity), then by phone, then by email. The file is the operator's own list, so a match is
   trusted (no verification, unlike a visitor's sign-up). Rows matching nobody become new
   members, created in bulk with their sort keys and name index (as `create_member` keeps
   them) and audited; earlier rows of the file count as existing, so a person listed twice is
   one member;
3. the row's accounts become identities (channel columns, and its phone and email on the
   phone and email channels), added to new and matched members alike unless the account is
   already known (or is the phone or email on another member's record);
4. a row with a community becomes a `join` activity through
   `shequn.activity.services.ingest_activities` at the joined date (default: the import's
   start), which opens the membership at that time and keeps the counters; a member already
   active in the community gets none. A role other than "member" is then given to the
   membership when it still has the default role.

Importing the same file again therefore adds nothing: every row matches the member the first
import created, every account exists and every membership is active.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shequn.audit.models import AuditAction, AuditEntry
from shequn.core.collation import sort_key_for
from shequn.core.text import clean_name
from shequn.members.models import (
    DISPLAY_NAME_MAX_LENGTH,
    Channel,
    Identity,
    Member,
    Membership,
    MembershipRole,
    MembershipStatus,
)
from shequn.members.phones import normalize_phone
from shequn.members.search import index_member_names
from shequn.organizations.models import Community, Organization

if TYPE_CHECKING:
    from shequn.accounts.selectors import OperatorScope

# Fields of a row (the columns a file's mapping names); channel columns by their Channel value.
CHANNEL_COLUMNS = (
    Channel.WECHAT,
    Channel.WECOM,
    Channel.TELEGRAM,
    Channel.QQ,
    Channel.FEISHU,
    Channel.DINGTALK,
    Channel.DISCORD,
    Channel.SLACK,
)
EXTERNAL_ID_MAX_LENGTH = 128
EMAIL_MAX_LENGTH = 254
NOTES_MAX_LENGTH = 500
# One batch is one transaction; the ingestion takes up to 10,000 rows a call.
MAX_BATCH_SIZE = 5000
# A joined date may be at most this far ahead (clock skew, time zones), as for activities.
FUTURE_TOLERANCE = datetime.timedelta(days=1)
LEADING_ROLES = {MembershipRole.OWNER, MembershipRole.ADMIN}

# Role names as operators write them, Chinese and English (with the roles' own labels, added
# in both languages at import time).
ROLE_NAMES: dict[str, str] = {
    "群主": MembershipRole.OWNER,
    "所有者": MembershipRole.OWNER,
    "创建者": MembershipRole.OWNER,
    "owner": MembershipRole.OWNER,
    "管理员": MembershipRole.ADMIN,
    "群管理": MembershipRole.ADMIN,
    "群管": MembershipRole.ADMIN,
    "管理": MembershipRole.ADMIN,
    "admin": MembershipRole.ADMIN,
    "administrator": MembershipRole.ADMIN,
    "助教": MembershipRole.ASSISTANT,
    "助理": MembershipRole.ASSISTANT,
    "assistant": MembershipRole.ASSISTANT,
    "学委": MembershipRole.STUDY_COMMITTEE,
    "学习委员": MembershipRole.STUDY_COMMITTEE,
    "studycommittee": MembershipRole.STUDY_COMMITTEE,
    "kol": MembershipRole.KOL,
    "意见领袖": MembershipRole.KOL,
    "大v": MembershipRole.KOL,
    "嘉宾": MembershipRole.GUEST,
    "guest": MembershipRole.GUEST,
    "成员": MembershipRole.MEMBER,
    "群友": MembershipRole.MEMBER,
    "群成员": MembershipRole.MEMBER,
    "普通成员": MembershipRole.MEMBER,
    "会员": MembershipRole.MEMBER,
    "学员": MembershipRole.MEMBER,
    "member": MembershipRole.MEMBER,
}
_ROLE_KEY = re.compile(r"[\s\-_.]+")
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?)?$"
)


def role_for(text: str) -> str | None:
    """The MembershipRole a cell names ("助教", "Assistant", "assistant"), None if unknown."""
    key = _ROLE_KEY.sub("", text.casefold())
    if key in MembershipRole.values:
        return key
    if key in ROLE_NAMES:
        return ROLE_NAMES[key]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in MembershipRole.choices:
                if _ROLE_KEY.sub("", str(label).casefold()) == key:
                    return str(value)
    return None


def parse_joined_at(text: str, tz: datetime.tzinfo) -> datetime.datetime | None:
    """A date or time as operators and Excel write it ("2024-03-01", "2024/3/1 14:30",
    "2024年3月1日", ISO 8601 with or without offset); without an offset it is read in `tz`.
    None when it is not one."""
    text = text.strip()
    match = _DATE.match(text)
    try:
        if match:
            year, month, day, hour, minute, second = (int(p) if p else 0 for p in match.groups())
            value = datetime.datetime(year, month, day, hour, minute, second)
        else:
            value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=tz)
    return value


@dataclass(frozen=True)
class ImportRow:
    """One data row of a file: its line (as the operator sees it) and its cells by field."""

    line: int
    values: Mapping[str, str]


@dataclass(frozen=True)
class RowRejected:
    line: int
    reason: str


@dataclass
class BatchResult:
    """What one batch did: members created, rows matching a member, rows rejected."""

    new: int = 0
    duplicate: int = 0
    rejected: list[RowRejected] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    name: str
    phone: str
    email: str
    accounts: list[tuple[str, str]]  # (channel, external id), most telling first
    community: Community | None
    role: str | None
    joined_at: datetime.datetime | None
    notes: str
    member_id: int | None = None
    new_index: int | None = None  # position in the batch's new members


class _RejectError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MemberImport:
    """Imports rows into one organisation as one operator, batch by batch.

    `actor` None is the system (a management command): no scope limits. A chapter head or an
    assistant may import only into communities of their scope, and rows without a community
    need `default_community` (the views require one for them). Communities named by rows are
    looked up once and remembered across batches.
    """

    def __init__(
        self,
        *,
        organization: Organization,
        actor: OperatorScope | None,
        default_community: Community | None = None,
        started_at: datetime.datetime | None = None,
    ) -> None:
        if default_community is not None:
            if default_community.organization_id != organization.pk:
                raise ValidationError(_("The community belongs to another organisation."))
            if actor is not None:
                actor.require(self._in_scope(actor, default_community))
        self.organization = organization
        self.actor = actor
        self.default_community = default_community
        self.started_at = started_at or timezone.now()
        self.tz = _zone(organization.time_zone)
        self._communities: dict[str, Community | _RejectError] = {}
        self._owners: dict[tuple[str, str], int] = {}

    @staticmethod
    def _in_scope(actor: OperatorScope, community: Community) -> bool:
        return actor.can_manage_members_of(community.pk, community.chapter_id)

    # Checking rows ---------------------------------------------------------------------------

    def _community(self, text: str) -> Community | None:
        text = " ".join(text.split())
        if not text:
            return self.default_community
        if text not in self._communities:
            self._communities[text] = self._find_community(text)
        found = self._communities[text]
        if isinstance(found, _RejectError):
            raise found
        return found

    def _find_community(self, text: str) -> Community | _RejectError:
        matches = list(
            Community.objects.filter(organization=self.organization)
            .filter(Q(slug__iexact=text) | Q(name=text))
            .select_related("chapter")
            .order_by("pk")[:3]
        )
        by_slug = [c for c in matches if c.slug.casefold() == text.casefold()]
        if by_slug:
            matches = by_slug[:1]
        if not matches:
            return _RejectError(_("Unknown community: %(community)s") % {"community": text})
        if len(matches) > 1:
            return _RejectError(
                _("Several communities are called %(community)s; write the slug instead.")
                % {"community": text}
            )
        community = matches[0]
        if self.actor is not None and not self._in_scope(self.actor, community):
            return _RejectError(
                _("The community %(community)s is outside your scope.") % {"community": text}
            )
        return community

    def _check(self, row: ImportRow) -> _Row:
        values = row.values
        name = clean_name(values.get("name", ""))
        if not name:
            raise _RejectError(_("No name."))
        if len(name) > DISPLAY_NAME_MAX_LENGTH:
            raise _RejectError(
                _("The name is longer than %(max)s characters.") % {"max": DISPLAY_NAME_MAX_LENGTH}
            )
        raw_phone = values.get("phone", "").strip()
        try:
            phone = normalize_phone(raw_phone)
        except ValidationError as exc:
            raise _RejectError(_("Invalid phone number: %(phone)s") % {"phone": raw_phone}) from exc
        email = values.get("email", "").strip().lower()
        if email:
            try:
                if len(email) > EMAIL_MAX_LENGTH:
                    raise ValidationError("too long")
                validate_email(email)
            except ValidationError as exc:
                raise _RejectError(
                    _("Invalid email address: %(email)s") % {"email": email}
                ) from exc
        accounts: list[tuple[str, str]] = []
        for channel in CHANNEL_COLUMNS:
            external_id = values.get(channel, "").strip()
            if not external_id:
                continue
            if len(external_id) > EXTERNAL_ID_MAX_LENGTH:
                raise _RejectError(
                    _("The %(channel)s account is longer than %(max)s characters.")
                    % {"channel": Channel(channel).label, "max": EXTERNAL_ID_MAX_LENGTH}
                )
            accounts.append((channel, external_id))
        if phone:
            accounts.append((Channel.PHONE, phone))
        if email:
            accounts.append((Channel.EMAIL, email))
        if not accounts:
            raise _RejectError(
                _("No phone, email or channel account: a name alone cannot tell two people apart.")
            )
        notes = values.get("notes", "").strip()
        if len(notes) > NOTES_MAX_LENGTH:
            raise _RejectError(
                _("The notes are longer than %(max)s characters.") % {"max": NOTES_MAX_LENGTH}
            )
        community = self._community(values.get("community", ""))
        role_text = values.get("role", "").strip()
        role = None
        if role_text:
            role = role_for(role_text)
            if role is None:
                raise _RejectError(_("Unknown role: %(role)s") % {"role": role_text})
            if community is None:
                raise _RejectError(_("A role needs a community."))
            if (
                role in LEADING_ROLES
                and self.actor is not None
                and not self.actor.can_manage_chapter(community.chapter_id)
            ):
                raise _RejectError(
                    _("Your account may not give the role %(role)s.")
                    % {"role": MembershipRole(role).label}
                )
        joined_text = values.get("joined_at", "").strip()
        joined_at = None
        if joined_text:
            joined_at = parse_joined_at(joined_text, self.tz)
            if joined_at is None:
                raise _RejectError(_("Invalid joined date: %(date)s") % {"date": joined_text})
            if joined_at > timezone.now() + FUTURE_TOLERANCE:
                raise _RejectError(
                    _("The joined date is in the future: %(date)s") % {"date": joined_text}
                )
            if community is None:
                raise _RejectError(_("A joined date needs a community."))
        return _Row(
            line=row.line,
            name=name,
            phone=phone,
            email=email,
            accounts=accounts,
            community=community,
            role=role,
            joined_at=joined_at,
            notes=notes,
        )

    # Importing -------------------------------------------------------------------------------

    def import_rows(self, rows: Sequence[ImportRow]) -> BatchResult:
        """Import one batch (at most MAX_BATCH_SIZE rows) in one transaction."""
        if len(rows) > MAX_BATCH_SIZE:
            raise ValueError(f"at most {MAX_BATCH_SIZE} rows a batch")
        result = BatchResult()
        checked: list[_Row] = []
        for item in rows:
            try:
                checked.append(self._check(item))
            except _RejectError as rejected:
                result.rejected.append(RowRejected(item.line, rejected.reason))
        with transaction.atomic():
            # The lock create_member and the ingestion take: two imports (or an import and the
            # console) cannot both create the same person.
            list(
                Organization.objects.select_for_update()
                .filter(pk=self.organization.pk)
                .values("pk")
            )
            new_members = self._match(checked)
            self._create(new_members)
            for row in checked:
                if row.new_index is not None:
                    row.member_id = new_members[row.new_index].pk
            self._add_identities(checked)
            join_rejects = self._join(checked)
        rejected_lines = {r.line for r in join_rejects}
        result.rejected.extend(join_rejects)
        result.rejected.sort(key=lambda r: r.line)
        counted_new: set[int] = set()
        for row in checked:
            if row.line in rejected_lines:
                continue
            if row.new_index is not None and row.new_index not in counted_new:
                counted_new.add(row.new_index)
                result.new += 1
            else:
                result.duplicate += 1
        return result

    def _match(self, rows: list[_Row]) -> list[Member]:
        """Set each row's `member_id` (an existing member) or `new_index` (a member to create,
        shared by rows of the batch naming the same person); returns the members to create."""
        org = self.organization.pk
        accounts = {account for row in rows for account in row.accounts}
        by_account: dict[tuple[str, str], int] = {}
        if accounts:
            by_channel: dict[str, list[str]] = {}
            for channel, external_id in accounts:
                by_channel.setdefault(channel, []).append(external_id)
            condition = Q()
            for channel, ids in by_channel.items():
                condition |= Q(channel=channel, external_id__in=ids)
            for channel, external_id, member_id in (
                Identity.objects.filter(condition, organization_id=org)
                .filter(member__merged_into__isnull=True)
                .values_list("channel", "external_id", "member_id")
            ):
                by_account[(channel, external_id)] = member_id
        phones = {row.phone for row in rows if row.phone}
        by_phone: dict[str, int] = {}
        if phones:
            for phone, pk in (
                Member.objects.filter(organization_id=org, phone__in=phones, merged_into=None)
                .order_by("-pk")
                .values_list("phone", "pk")
            ):
                by_phone[phone] = pk  # the oldest member wins (read last)
        emails = {row.email for row in rows if row.email}
        by_email: dict[str, int] = {}
        if emails:
            for email, pk in (
                Member.objects.filter(organization_id=org, merged_into=None)
                .annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails)
                .order_by("-pk")
                .values_list("email_lower", "pk")
            ):
                by_email[email] = pk
        # Phones and emails on other members' records: not linked to this row's member.
        self._owners = {
            **{(Channel.PHONE, phone): pk for phone, pk in by_phone.items()},
            **{(Channel.EMAIL, email): pk for email, pk in by_email.items()},
        }
        new_members: list[Member] = []
        # Keys of the batch's new members, so a person listed twice is created once.
        new_by_key: dict[tuple[str, str], int] = {}
        for row in rows:
            keys = [*row.accounts]
            found = next((by_account[k] for k in keys if k in by_account), None)
            if found is None and row.phone:
                found = by_phone.get(row.phone)
            if found is None and row.email:
                found = by_email.get(row.email)
            if found is not None:
                row.member_id = found
                continue
            index = next((new_by_key[k] for k in keys if k in new_by_key), None)
            if index is None:
                index = len(new_members)
                chapter_id = row.community.chapter_id if row.community else None
                new_members.append(
                    Member(
                        organization_id=org,
                        chapter_id=chapter_id,
                        display_name=row.name,
                        phone=row.phone,
                        email=row.email,
                        notes=row.notes,
                        sort_key=sort_key_for(row.name),
                    )
                )
            row.new_index = index
            for key in keys:
                new_by_key.setdefault(key, index)
        return new_members

    def _create(self, members: list[Member]) -> None:
        if not members:
            return
        Member.objects.bulk_create(members)
        index_member_names([m.pk for m in members])
        user = self.actor.user if self.actor else None
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    organization_id=self.organization.pk,
                    chapter_id=m.chapter_id,
                    actor_id=user.pk if user else None,
                    actor_name=user.get_username() if user else "",
                    action=AuditAction.CREATE,
                    object_type="member",
                    object_id=str(m.pk),
                    object_repr=str(m)[:200],
                    changes={
                        "display_name": m.display_name,
                        "chapter": m.chapter_id,
                        "phone": m.phone,
                        "email": m.email,
                        "source": "import",
                    },
                )
                for m in members
            ],
            batch_size=1000,
        )

    def _add_identities(self, rows: list[_Row]) -> None:
        org = self.organization.pk
        wanted: dict[tuple[str, str], Identity] = {}
        for row in rows:
            if row.member_id is None:  # pragma: no cover - every checked row has one by now
                continue
            for channel, external_id in row.accounts:
                if (channel, external_id) in wanted:
                    continue
                owner = self._owners.get((channel, external_id))
                if owner is not None and owner != row.member_id:
                    continue  # the phone or email of another member's record
                wanted[(channel, external_id)] = Identity(
                    organization_id=org,
                    member_id=row.member_id,
                    channel=channel,
                    external_id=external_id,
                    display_name=row.name,
                    phone=external_id if channel == Channel.PHONE else "",
                    email=external_id if channel == Channel.EMAIL else "",
                )
        if not wanted:
            return
        condition = Q()
        by_channel: dict[str, list[str]] = {}
        for channel, external_id in wanted:
            by_channel.setdefault(channel, []).append(external_id)
        for channel, ids in by_channel.items():
            condition |= Q(channel=channel, external_id__in=ids)
        known = set(
            Identity.objects.filter(condition, organization_id=org).values_list(
                "channel", "external_id"
            )
        )
        missing = [identity for key, identity in wanted.items() if key not in known]
        Identity.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)

    def _join(self, rows: list[_Row]) -> list[RowRejected]:
        """Join activities for rows with a community whose member is not active in it; then
        the roles. Returns the rows the ingestion rejected."""
        from shequn.activity.models import ActivityKind, ActivitySource
        from shequn.activity.services import ingest_activities

        joining = [row for row in rows if row.community is not None and row.member_id]
        if not joining:
            return []
        member_ids = {row.member_id for row in joining if row.member_id}
        community_ids = {row.community.pk for row in joining if row.community}
        active = set(
            Membership.objects.filter(
                member_id__in=member_ids,
                community_id__in=community_ids,
                status=MembershipStatus.ACTIVE,
            ).values_list("member_id", "community_id")
        )
        accounts: dict[int, dict[tuple[str, str], None]] = {}
        for member_id, channel, external_id in Identity.objects.filter(
            member_id__in=member_ids
        ).values_list("member_id", "channel", "external_id"):
            accounts.setdefault(member_id, {})[(channel, external_id)] = None
        activities: list[dict[str, Any]] = []
        lines: list[int] = []
        seen: set[tuple[int, int]] = set()
        for row in joining:
            assert row.community is not None
            assert row.member_id is not None
            pair = (row.member_id, row.community.pk)
            if pair in active or pair in seen:
                continue
            seen.add(pair)
            own = accounts.get(row.member_id, {})
            account = next((a for a in row.accounts if a in own), next(iter(own), None))
            if account is None:  # every account of the row belongs to somebody else
                continue
            occurred_at = row.joined_at or self.started_at
            activities.append(
                {
                    "id": f"member-import:{row.community.pk}:{row.member_id}:"
                    f"{int(occurred_at.timestamp())}",
                    "channel": account[0],
                    "kind": ActivityKind.JOIN,
                    "occurred_at": occurred_at.isoformat(),
                    "actor": {"external_id": account[1], "display_name": row.name},
                    "community": row.community.slug,
                    "properties": {"imported": True},
                }
            )
            lines.append(row.line)
        rejected: list[RowRejected] = []
        if activities:
            result = ingest_activities(
                organization=self.organization,
                rows=activities,
                source=ActivitySource.IMPORT,
                actor=self.actor,
            )
            rejected = [
                RowRejected(
                    lines[r.index],
                    _("Not added to the community: %(reason)s") % {"reason": r.reason},
                )
                for r in result.rejected
            ]
        self._give_roles(joining, {r.line for r in rejected})
        return rejected

    def _give_roles(self, rows: Iterable[_Row], skipped: set[int]) -> None:
        by_role: dict[tuple[str, int], list[int]] = {}
        for row in rows:
            if row.role and row.role != MembershipRole.MEMBER and row.line not in skipped:
                assert row.community is not None
                assert row.member_id is not None
                by_role.setdefault((row.role, row.community.pk), []).append(row.member_id)
        for (role, community_id), member_ids in by_role.items():
            Membership.objects.filter(
                community_id=community_id,
                member_id__in=member_ids,
                status=MembershipStatus.ACTIVE,
                role=MembershipRole.MEMBER,
            ).update(role=role, updated_at=timezone.now())


def _zone(name: str) -> datetime.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()
