"""Finding merge suggestions (shequn.members.merge_suggestions): signals, rejections, bulk
accept, auto-merge, the Huey task."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from shequn.members.merge_suggestions import (
    ACCEPT_THRESHOLD,
    accept_suggestions_above,
    describe_evidence,
    refresh_merge_suggestions,
    reject_suggestion,
)
from shequn.members.models import Channel, Member, Merge, MergeSuggestion, MergeSuggestionStatus
from shequn.members.selectors import list_merge_suggestions
from shequn.members.tasks import find_merge_suggestions
from shequn.members.tests.factories import IdentityFactory, MemberFactory


@pytest.fixture
def admin(org_admin, scope_of):
    return scope_of(org_admin)


def _codes(s: MergeSuggestion) -> list[str]:
    return [e["code"] for e in s.evidence]


def _only() -> MergeSuggestion:
    return MergeSuggestion.objects.get()


@pytest.mark.parametrize(
    ("a_kwargs", "b_kwargs", "code", "confidence"),
    [
        ({"phone": "+8613800000001"}, {"phone": "+8613800000001"}, "phone", 0.95),
        ({"email": "Wang@Example.com"}, {"email": "wang@example.com"}, "email", 0.95),
        ({"union_id": "o6_bmasdasdsad6"}, {"union_id": "o6_bmasdasdsad6"}, "union_id", 0.98),
    ],
)
def test_each_strong_signal_on_identities(org, a_kwargs, b_kwargs, code, confidence):
    a, b = MemberFactory(organization=org), MemberFactory(organization=org)
    IdentityFactory(member=a, channel=Channel.WECHAT, **a_kwargs)
    IdentityFactory(member=b, channel=Channel.WECOM, **b_kwargs)
    result = refresh_merge_suggestions(org)
    assert (result.created, result.updated, result.removed, result.merged) == (1, 0, 0, 0)
    s = _only()
    assert (s.member_a_id, s.member_b_id, _codes(s), s.confidence) == (
        a.pk,
        b.pk,
        [code],
        confidence,
    )


def test_members_own_phone_and_email_count_and_combine(org):
    a = MemberFactory(organization=org, phone="+8613800000001", email="w@example.com")
    b = MemberFactory(organization=org)
    IdentityFactory(member=b, channel=Channel.PHONE, external_id="+8613800000001")
    IdentityFactory(member=b, channel=Channel.EMAIL, external_id="W@example.com")
    refresh_merge_suggestions(org)
    s = _only()
    assert (s.member_a_id, s.member_b_id) == (a.pk, b.pk)
    assert sorted(_codes(s)) == ["email", "phone"]
    assert s.confidence == 0.997  # 1 − 0.05 × 0.05, to three places
    assert s.reason_codes in (",phone,email,", ",email,phone,")


def test_username_on_two_channels_but_not_on_one(org):
    a, b, c = (MemberFactory(organization=org) for _ in range(3))
    IdentityFactory(member=a, channel=Channel.TELEGRAM, username="@WangWei88")
    IdentityFactory(member=b, channel=Channel.DISCORD, username="wangwei88")
    IdentityFactory(member=c, channel=Channel.TELEGRAM, username="lonely")
    d = MemberFactory(organization=org)
    IdentityFactory(member=d, channel=Channel.TELEGRAM, username="lonely")  # one channel only
    refresh_merge_suggestions(org)
    s = _only()
    assert (s.member_a_id, s.member_b_id, s.confidence) == (a.pk, b.pk, 0.85)
    assert s.evidence == [
        {"code": "username", "params": {"value": "wangwei88", "channels": ["discord", "telegram"]}}
    ]
    assert s.confidence >= ACCEPT_THRESHOLD


def test_same_name_only_within_one_chapter_and_low(org, chapter, other_chapter):
    a = MemberFactory(organization=org, chapter=chapter, display_name="王伟")
    b = MemberFactory(organization=org, chapter=chapter, display_name="王 伟")
    MemberFactory(organization=org, chapter=other_chapter, display_name="王伟")
    c = MemberFactory(organization=org, chapter=chapter, display_name="Wang Wei")
    refresh_merge_suggestions(org)
    rows = {(s.member_a_id, s.member_b_id): s for s in MergeSuggestion.objects.all()}
    assert set(rows) == {(a.pk, b.pk), (a.pk, c.pk), (b.pk, c.pk)}
    assert _codes(rows[(a.pk, b.pk)]) == ["name"]
    assert rows[(a.pk, b.pk)].confidence == 0.35
    assert _codes(rows[(a.pk, c.pk)]) == ["pinyin"]
    assert all(s.confidence < ACCEPT_THRESHOLD for s in rows.values())


def test_no_self_pairs_and_merged_members_left_out(org, admin):
    a = MemberFactory(organization=org, phone="+8613800000001")
    IdentityFactory(member=a, channel=Channel.PHONE, external_id="+8613800000001")
    IdentityFactory(member=a, channel=Channel.WECHAT, phone="+8613800000001")
    refresh_merge_suggestions(org)
    assert MergeSuggestion.objects.count() == 0


def test_big_blocks_are_no_evidence(org):
    for _ in range(9):
        MemberFactory(organization=org, phone="+8613800000009")
    refresh_merge_suggestions(org)
    assert MergeSuggestion.objects.count() == 0


def test_rejected_pair_is_never_suggested_again(org, admin):
    a = MemberFactory(organization=org, email="w@example.com")
    b = MemberFactory(organization=org, email="w@example.com")
    refresh_merge_suggestions(org)
    reject_suggestion(actor=admin, suggestion=_only())
    b.phone = "+8613800000001"
    b.save()
    a.phone = "+8613800000001"
    a.save()
    result = refresh_merge_suggestions(org)
    assert (result.created, result.updated, result.removed) == (0, 0, 0)
    s = _only()
    assert (s.status, s.decided_by_id, _codes(s)) == ("rejected", admin.user.pk, ["email"])
    with pytest.raises(ValidationError):
        reject_suggestion(actor=admin, suggestion=s)


def test_stale_open_suggestions_are_removed_and_changed_ones_updated(org):
    a = MemberFactory(organization=org, email="w@example.com")
    b = MemberFactory(organization=org, email="w@example.com", phone="+8613800000001")
    refresh_merge_suggestions(org)
    a.phone = "+8613800000001"
    a.save()
    assert refresh_merge_suggestions(org).updated == 1
    assert sorted(_codes(_only())) == ["email", "phone"]
    Member.objects.filter(pk__in=[a.pk, b.pk]).update(email="", phone="")
    assert refresh_merge_suggestions(org).removed == 1
    assert MergeSuggestion.objects.count() == 0


def test_bulk_accept_above_a_confidence(org, admin, chapter):
    strong = [MemberFactory(organization=org, email="s@example.com") for _ in range(2)]
    weak = [MemberFactory(organization=org, chapter=chapter, display_name="李娜") for _ in range(2)]
    refresh_merge_suggestions(org)
    result = accept_suggestions_above(
        actor=admin, suggestions=list_merge_suggestions(actor=admin), min_confidence=0.8
    )
    assert (result.merged, result.skipped) == (1, 0)
    merge = Merge.objects.get()
    assert {merge.source_id, merge.target_id} == {m.pk for m in strong}
    assert merge.target_id == strong[0].pk  # recorded first
    statuses = dict(MergeSuggestion.objects.values_list("member_a_id", "status"))
    assert statuses == {strong[0].pk: "accepted", weak[0].pk: "open"}


def test_bulk_accept_forbidden_for_assistants(org, assistant, scope_of):
    MemberFactory(organization=org, email="s@example.com")
    MemberFactory(organization=org, email="s@example.com")
    refresh_merge_suggestions(org)
    with pytest.raises(PermissionDenied):
        accept_suggestions_above(
            actor=scope_of(assistant),
            suggestions=MergeSuggestion.objects.all(),
            min_confidence=0.5,
        )
    assert Merge.objects.count() == 0
    assert _only().status == "open"


def test_auto_merge_of_exact_matches_only(org, chapter):
    org.auto_merge_exact = True
    org.save()
    _x, y, z = (MemberFactory(organization=org, phone="+8613800000001") for _ in range(3))
    MemberFactory(organization=org, chapter=chapter, display_name="赵敏")
    MemberFactory(organization=org, chapter=chapter, display_name="赵敏")
    result = refresh_merge_suggestions(org)
    assert result.merged == 2
    assert set(Member.objects.filter(merged_into__isnull=False).values_list("pk", flat=True)) == {
        y.pk,
        z.pk,
    }
    assert Merge.objects.filter(merged_by__isnull=True).count() == 2
    assert list(
        MergeSuggestion.objects.filter(status="open").values_list("reason_codes", flat=True)
    ) == [",name,"]


def test_the_task_finds_suggestions(huey_immediate, org):
    MemberFactory(organization=org, email="t@example.com")
    MemberFactory(organization=org, email="t@example.com")
    assert find_merge_suggestions(org.pk)() == 1
    assert MergeSuggestion.objects.filter(status=MergeSuggestionStatus.OPEN).count() == 1


def test_evidence_in_words():
    with translation.override("zh-hans"):
        text = describe_evidence({"code": "phone", "params": {"value": "+8613812345678"}})
        assert text == "同一手机号 138 1234 5678"
        assert (
            describe_evidence({"code": "union_id", "params": {}}) == "微信与企业微信的 unionid 相同"
        )
    with translation.override("en"):
        assert (
            describe_evidence(
                {"code": "username", "params": {"value": "wangwei", "channels": ["telegram", "qq"]}}
            )
            == "Same username wangwei on Telegram and QQ"
        )


def test_chapter_head_sees_only_pairs_in_scope(org, chapter_head, scope_of, chapter, other_chapter):
    inside = [
        MemberFactory(organization=org, chapter=chapter, email="i@example.com") for _ in range(2)
    ]
    [
        MemberFactory(organization=org, chapter=other_chapter, email="o@example.com")
        for _ in range(2)
    ]
    refresh_merge_suggestions(org)
    seen = list(list_merge_suggestions(actor=scope_of(chapter_head)))
    assert [(s.member_a_id, s.member_b_id) for s in seen] == [(inside[0].pk, inside[1].pk)]


def test_demo_candidates_fill_the_queue_once(org, chapter):
    from shequn.members.merge_demo import seed_demo_merge_candidates

    for i in range(5):
        MemberFactory(
            organization=org, chapter=chapter, display_name=f"演示{i}", phone=f"+861380000000{i}"
        )
    first = seed_demo_merge_candidates(org)
    assert (first.created, first.merged) == (5, 0)
    reasons = sorted(MergeSuggestion.objects.values_list("reason_codes", flat=True))
    assert reasons == [
        ",name,",
        ",phone,name,",
        ",phone,name,",
        ",union_id,name,",
        ",username,name,",
    ]
    assert seed_demo_merge_candidates(org).created == 0
    assert MergeSuggestion.objects.count() == 5
