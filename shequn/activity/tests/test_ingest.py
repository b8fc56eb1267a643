"""The ingestion service (shequn.activity.services): counts, duplicates, rejections, actors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from shequn.activity.models import ACTIVITY_TEXT_MAX_LENGTH, Activity, ActivitySource
from shequn.activity.services import (
    MAX_BATCH_ROWS,
    BatchTooLargeError,
    IngestResult,
    Rejected,
    ingest_activities,
)
from shequn.audit.models import AuditEntry
from shequn.members.models import Channel, Identity, Member, MemberNameGram, Membership
from shequn.members.tests.factories import IdentityFactory, MemberFactory

pytestmark = pytest.mark.django_db


def activity(n: int | str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"tg-{n}",
        "channel": "telegram",
        "kind": "message",
        "occurred_at": "2026-06-01T08:00:00+08:00",
        "actor": {"external_id": "user1", "display_name": "王伟"},
        "community": "sh-salon",
        "text": f"消息 {n}",
    }
    row.update(overrides)
    return row


def line(n: int | str, **overrides: Any) -> bytes:
    return json.dumps(activity(n, **overrides), ensure_ascii=False).encode()


def ingest(org, rows, **kwargs: Any) -> IngestResult:
    kwargs.setdefault("source", ActivitySource.IMPORT)
    kwargs.setdefault("actor", None)
    return ingest_activities(organization=org, rows=rows, **kwargs)


def test_new_duplicate_and_rejected_are_counted_with_indices(org, community):
    rows = [line(1), line(2), b"{not json", line(3, kind="shout"), line(4)]
    with translation.override("en"):
        result = ingest(org, rows, first_index=100)
    assert result.new == 3
    assert result.duplicate == 0
    assert result.rejected == [
        Rejected(102, "The row is not valid JSON."),
        Rejected(103, "Unknown activity kind: shout"),
    ]
    stored = Activity.objects.order_by("external_id")
    assert list(stored.values_list("external_id", "text", "community_id", "source")) == [
        ("tg-1", "消息 1", community.pk, "import"),
        ("tg-2", "消息 2", community.pk, "import"),
        ("tg-4", "消息 4", community.pk, "import"),
    ]
    assert {a.occurred_at for a in stored} == {datetime(2026, 6, 1, 0, 0, tzinfo=UTC)}


def test_the_same_batch_twice_stores_nothing_the_second_time(org, community):
    rows = [line(i) for i in range(5)]
    assert ingest(org, rows).new == 5
    again = ingest(org, rows)
    assert (again.new, again.duplicate, again.rejected) == (0, 5, [])
    assert Activity.objects.count() == 5
    assert Member.objects.count() == 1


def test_a_second_delivery_through_another_source_is_a_duplicate(org, community):
    assert ingest(org, [line(1)], source=ActivitySource.API).new == 1
    result = ingest(org, [activity(1)], source=ActivitySource.CHANNEL)
    assert (result.new, result.duplicate) == (0, 1)
    assert Activity.objects.get().source == ActivitySource.API


def test_duplicates_inside_a_batch_count_once_and_the_first_wins(org, community):
    rows = [line(1, text="first"), line(1, text="second"), line(2), activity(1, text="third")]
    result = ingest(org, rows)
    assert (result.new, result.duplicate, result.rejected) == (2, 2, [])
    assert Activity.objects.get(external_id="tg-1").text == "first"


def test_the_same_id_on_two_channels_is_two_activities(org, community):
    result = ingest(org, [line(1), line(1, channel="wecom")])
    assert result.new == 2
    assert sorted(Activity.objects.values_list("channel", flat=True)) == ["telegram", "wecom"]


def test_a_rejected_row_does_not_claim_its_id(org, community):
    rows = [line(1, community="nowhere"), line(1)]
    result = ingest(org, rows)
    assert (result.new, result.duplicate, len(result.rejected)) == (1, 0, 1)


def test_a_bad_row_among_good_ones_keeps_the_good_ones(org, community):
    rows = [line(i) for i in range(50)]
    rows[25] = line(25, occurred_at="yesterday")
    result = ingest(org, rows)
    assert result.new == 49
    assert [r.index for r in result.rejected] == [25]
    assert not Activity.objects.filter(external_id="tg-25").exists()


FUTURE = (timezone.now() + timedelta(days=2)).isoformat()
LONG_TEXT = "字" * (ACTIVITY_TEXT_MAX_LENGTH + 1)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (b"{not json", "The row is not valid JSON."),
        (b"\xff\xfe", "The row is not valid JSON."),
        (b"[1, 2]", "A row must be a JSON object."),
        (b"42", "A row must be a JSON object."),
        (line(1, id=7), "Field “id” must be a string."),
        (line(1, text=["a"]), "Field “text” must be a string or null."),
        (line(1, weight="1"), "Field “weight” must be an integer."),
        (line(1, weight=True), "Field “weight” must be an integer."),
        (line(1, weight=40000), "Field “weight” must be between -32768 and 32767."),
        (line(1, actor="user1"), "Field “actor” must be an object."),
        (line(1, actor={"external_id": 5}), "Field “actor.external_id” must be a string."),
        (line(1, actor={"display_name": "王伟"}), "Missing field “actor.external_id”."),
        (line(1, actor={"external_id": "  "}), "Field “actor.external_id” is empty."),
        (
            line(1, actor={"external_id": "u" * 129}),
            "Field “actor.external_id” is longer than 128 characters.",
        ),
        (
            json.dumps({k: v for k, v in activity(1).items() if k != "id"}).encode(),
            "Missing field “id”.",
        ),
        (
            json.dumps({k: v for k, v in activity(1).items() if k != "channel"}).encode(),
            "Missing field “channel”.",
        ),
        (
            json.dumps({k: v for k, v in activity(1).items() if k != "kind"}).encode(),
            "Missing field “kind”.",
        ),
        (
            json.dumps({k: v for k, v in activity(1).items() if k != "occurred_at"}).encode(),
            "Missing field “occurred_at”.",
        ),
        (
            json.dumps({k: v for k, v in activity(1).items() if k != "actor"}).encode(),
            "Missing field “actor”.",
        ),
        (line(1, id=""), "Field “id” is empty."),
        (line("x" * 130), "Field “id” is longer than 128 characters."),
        (line(1, reply_to="r" * 129), "Field “reply_to” is longer than 128 characters."),
        (line(1, kind="shout"), "Unknown activity kind: shout"),
        (line(1, channel="myspace"), "Unknown channel: myspace"),
        (line(1, community="nowhere"), "Unknown community: nowhere"),
        (
            line(1, occurred_at="June 1st"),
            "Field “occurred_at” is not a valid date and time (ISO 8601, for example "
            "2026-06-01T08:00:00+08:00).",
        ),
        (line(1, occurred_at=7), "Field “occurred_at” must be a date and time."),
        (line(1, occurred_at=FUTURE), "Field “occurred_at” is more than a day in the future: "),
        (
            line(1, text=LONG_TEXT),
            f"Field “text” is longer than 4000 characters ({ACTIVITY_TEXT_MAX_LENGTH + 1}).",
        ),
        (line(1, text="a\x00b"), "Field “text” contains a NUL character."),
        (line(1, properties=[1]), "Field “properties” must be an object or null."),
        (line(1, properties={"a": "\x00"}), "Field “properties” contains a NUL character."),
        (line(1, kind="join", community=None), "A join or leave activity needs a community."),
    ],
)
def test_every_rejection_has_its_reason_and_stores_nothing(org, community, row, reason):
    with translation.override("en"):
        result = ingest(org, [row], first_index=7)
    assert result.new == 0
    assert len(result.rejected) == 1
    assert result.rejected[0].index == 7
    assert result.rejected[0].reason.startswith(reason)
    if not reason.endswith(": "):
        assert result.rejected[0].reason == reason
    assert Activity.objects.count() == 0
    assert Member.objects.count() == 0
    assert Identity.objects.count() == 0


def test_reasons_are_translated(org, community):
    with translation.override("zh-hans"):
        result = ingest(org, [line(1, kind="shout"), line(2, actor={})])
    assert result.rejected == [
        Rejected(0, "未知的动态类型：shout"),
        Rejected(1, "缺少字段“actor.external_id”。"),
    ]


def test_an_unknown_actor_becomes_exactly_one_member_and_identity(org, community):
    actor = {
        "external_id": "user100001",
        "display_name": " 王\u200b伟\n",
        "username": "wangwei",
        "email": " WangWei@Example.COM ",
        "phone": "138 1234 5678",
        "avatar_url": "https://example.com/a.png",
        "union_id": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
        "language": "zh",
    }
    rows = [line(i, actor=actor) for i in range(3)]
    assert ingest(org, rows).new == 3
    member = Member.objects.get()
    identity = Identity.objects.get()
    assert (member.display_name, member.sort_key) == ("王伟", "wang wei\x01王伟")
    assert (member.organization_id, member.chapter_id) == (org.pk, community.chapter_id)
    assert (member.phone, member.email) == ("", "")
    assert identity.member_id == member.pk
    assert (identity.channel, identity.external_id, identity.display_name) == (
        "telegram",
        "user100001",
        "王伟",
    )
    assert (identity.username, identity.email, identity.phone) == (
        "wangwei",
        "wangwei@example.com",
        "+8613812345678",
    )
    assert identity.avatar_url == "https://example.com/a.png"
    assert identity.union_id == "o6_bmasdasdsad6_2sgVt7hMZOPfL"
    assert identity.raw_profile == actor
    assert sorted(MemberNameGram.objects.values_list("gram", flat=True)) == ["伟", "王", "王伟"]
    assert set(Activity.objects.values_list("member_id", "identity_id")) == {
        (member.pk, identity.pk)
    }
    assert ingest(org, [line(9, actor=actor)]).new == 1
    assert (Member.objects.count(), Identity.objects.count()) == (1, 1)


def test_an_actor_without_a_name_is_named_by_username_then_id(org, community):
    rows = [
        line(1, actor={"external_id": "u1", "username": "lily"}),
        line(2, actor={"external_id": "u2", "display_name": "\u200b"}),
    ]
    ingest(org, rows)
    assert sorted(Member.objects.values_list("display_name", flat=True)) == ["lily", "u2"]


def test_invalid_profile_details_are_left_out_but_kept_raw(org, community):
    actor = {"external_id": "u1", "email": "not-an-email", "phone": "12", "avatar_url": "x"}
    ingest(org, [line(1, actor=actor)])
    identity = Identity.objects.get()
    assert (identity.email, identity.phone, identity.avatar_url) == ("", "", "")
    assert identity.raw_profile == actor


def test_a_known_identity_is_used_and_nobody_is_created(org, community):
    person = MemberFactory(organization=org, display_name="李雷")
    known = IdentityFactory(
        member=person, organization=org, channel=Channel.TELEGRAM, external_id="user1"
    )
    ingest(org, [line(1), line(2)])
    assert Member.objects.count() == 1
    assert set(Activity.objects.values_list("member_id", "identity_id")) == {(person.pk, known.pk)}


def test_an_identity_of_another_organisation_is_not_used(org, community):
    other = MemberFactory(display_name="别人")
    IdentityFactory(
        member=other,
        organization=other.organization,
        channel=Channel.TELEGRAM,
        external_id="user1",
    )
    ingest(org, [line(1)])
    assert Activity.objects.get().member.organization_id == org.pk
    assert Member.objects.filter(organization=org).count() == 1


def test_a_time_without_offset_is_read_in_the_organisations_time_zone(org, community):
    org.time_zone = "Europe/London"
    org.save()
    ingest(org, [line(1, occurred_at="2026-06-01T08:00:00"), line(2, occurred_at="2026-01-01")])
    times = dict(Activity.objects.values_list("external_id", "occurred_at"))
    assert times == {"tg-1": datetime(2026, 6, 1, 7, 0, tzinfo=UTC)}  # BST is UTC+1


def test_history_older_than_the_community_is_accepted(org, community):
    result = ingest(org, [line(1, occurred_at="2015-03-01T10:00:00+08:00")])
    assert result.new == 1
    assert Activity.objects.get().occurred_at < community.created_at


def test_rows_without_a_community_use_the_default_or_are_organisation_wide(
    org, community, other_community
):
    rows: list[Any] = [line(1, community=None), activity(2, community="BJ-Salon")]
    del rows[1]["community"]
    rows.append(activity(3, community="BJ-Salon"))
    ingest(org, rows, default_community=community)
    assert dict(Activity.objects.values_list("external_id", "community_id")) == {
        "tg-1": community.pk,
        "tg-2": community.pk,
        "tg-3": other_community.pk,
    }
    ingest(org, [line(4, community=None, kind="purchase")])
    assert Activity.objects.get(external_id="tg-4").community_id is None


def test_mapping_rows_and_fields_are_kept(org, community):
    row = activity(
        1, kind="reply", reply_to="tg-0", weight=3, properties={"reactions": {"👍": 2}}, text=None
    )
    row["occurred_at"] = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert ingest(org, [row]).new == 1
    stored = Activity.objects.get()
    assert (stored.kind, stored.reply_to, stored.weight, stored.text) == ("reply", "tg-0", 3, "")
    assert stored.properties == {"reactions": {"👍": 2}}
    assert stored.occurred_at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_a_large_batch_goes_through_the_staging_table(org, community):
    rows = [line(i, actor={"external_id": f"u{i % 40}"}) for i in range(500)]
    rows += [line(i) for i in range(100)]
    result = ingest(org, rows)
    assert (result.new, result.duplicate) == (500, 100)
    assert Member.objects.count() == 40
    assert Activity.objects.filter(external_id="tg-499", member__identities__external_id="u19")


def test_more_than_the_batch_limit_is_refused_and_stores_nothing(org, community):
    rows = (line(i) for i in range(MAX_BATCH_ROWS + 1))
    with pytest.raises(BatchTooLargeError):
        ingest(org, rows)
    assert Activity.objects.count() == 0


def test_an_actor_of_another_organisation_is_refused(org, community, scope_of):
    from django.core.exceptions import PermissionDenied

    from shequn.accounts.models import OperatorRole
    from shequn.accounts.tests.factories import OperatorFactory

    stranger = OperatorFactory(role=OperatorRole.ORG_ADMIN)
    with pytest.raises(PermissionDenied):
        ingest(org, [line(1)], actor=scope_of(stranger))
    assert Activity.objects.count() == 0


@pytest.mark.parametrize("persona", ["chapter_head", "assistant"])
def test_a_scoped_actor_ingests_only_into_their_communities(
    request, org, community, other_community, scope_of, persona
):
    actor = scope_of(request.getfixturevalue(persona))
    rows = [
        line(1, community="bj-salon", actor={"external_id": "far"}),
        line(2, community=None, kind="purchase", actor={"external_id": "nowhere"}),
        line(3, kind="join", community="bj-salon", actor={"external_id": "joiner"}),
        line(4),
    ]
    with translation.override("en"):
        result = ingest(org, rows, actor=actor)
    assert result.new == 1
    assert result.rejected == [
        Rejected(0, "This community is not one you manage."),
        Rejected(1, "Only an organisation admin may record activities without a community."),
        Rejected(2, "This community is not one you manage."),
    ]
    assert list(Activity.objects.values_list("external_id", flat=True)) == ["tg-4"]
    assert list(Identity.objects.values_list("external_id", flat=True)) == ["user1"]
    assert not Membership.objects.filter(community=other_community).exists()
    assert AuditEntry.objects.count() == 0


def test_an_org_admin_ingests_anywhere(org, community, other_community, org_admin, scope_of):
    rows = [line(1, community="bj-salon"), line(2, community=None, kind="purchase")]
    assert ingest(org, rows, actor=scope_of(org_admin)).new == 2


@pytest.mark.parametrize("size", [3, 50])  # one INSERT … VALUES; the staged bulk path
def test_properties_are_stored_as_objects(org, community, size):
    rows = [line(n, properties={"n": n, "tags": ["打卡"]} if n % 2 else {}) for n in range(size)]
    assert ingest(org, rows).new == size
    stored = dict(Activity.objects.values_list("external_id", "properties"))
    assert stored == {f"tg-{n}": ({"n": n, "tags": ["打卡"]} if n % 2 else {}) for n in range(size)}
    # the database's own JSON functions see objects too (a JSON string would not match)
    assert Activity.objects.filter(properties__n=1).count() == 1


@pytest.mark.parametrize(
    "when",
    ["0999-05-30T03:17:11-23:42", "0001-01-01T00:00:00+23:59", "1969-12-31T23:59:59Z"],
)
def test_times_before_1970_are_rejected(org, community, when):
    with translation.override("en"):
        result = ingest(org, [line(1, occurred_at=when), line(2)])
    assert result.new == 1
    assert [r.index for r in result.rejected] == [0]
    assert result.rejected[0].reason.startswith("Field “occurred_at” is before 1970")
    assert list(Activity.objects.values_list("external_id", flat=True)) == ["tg-2"]


def test_any_offset_is_stored_as_the_same_instant(org, community):
    assert ingest(org, [line(1, occurred_at="2026-06-01T08:00:00-23:30")]).new == 1
    stored = Activity.objects.get().occurred_at
    assert stored == datetime(2026, 6, 2, 7, 30, tzinfo=UTC)
