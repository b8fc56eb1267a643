"""The operators' services of points refuse bad input with a message per field and change
nothing: rules, settings, levels, adjustments, reversals; defaults installed once."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequn.audit.models import AuditEntry
from shequn.points import selectors, services
from shequn.points.ledger import Draft, NotEnoughPointsError, write_entry
from shequn.points.models import (
    EntryReason,
    LedgerEntry,
    Level,
    LevelChange,
    MemberPoints,
    PointRule,
    PointSettings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def admin(org_admin, scope_of):
    return scope_of(org_admin)


def _errors(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"kind": "join", "points": 5},
            {"kind": ["Choose an activity kind that can earn points."]},
        ),
        (
            {"kind": "nonsense", "points": 5},
            {"kind": ["Choose an activity kind that can earn points."]},
        ),
        (
            {"kind": "custom", "points": 5},
            {"custom_name": ["Name the custom activity (for example featured_post)."]},
        ),
        ({"kind": "post", "points": 0}, {"points": ["Enter a number of points other than 0."]}),
        ({"kind": "post", "points": "abc"}, {"points": ["Enter a whole number."]}),
        (
            {"kind": "post", "points": 100_001},
            {"points": ["Enter a number from -100000 to 100000."]},
        ),
        (
            {"kind": "post", "points": 10, "daily_cap": 5},
            {"daily_cap": ["The daily cap must be at least one award."]},
        ),
        (
            {"kind": "post", "points": 1, "cooldown_minutes": 1441},
            {"cooldown_minutes": ["Enter a number from 0 to 1440."]},
        ),
        (
            {"kind": "post", "points": 1, "community": 10**6},
            {"community": ["Choose a community of this organisation."]},
        ),
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_saved(admin, data, expected) -> None:
    assert _errors(lambda: services.save_rule(actor=admin, data=data)) == expected
    assert PointRule.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_second_rule_for_the_same_kind_is_refused(admin, community) -> None:
    services.save_rule(actor=admin, data={"kind": "post", "points": 3})
    override = services.save_rule(
        actor=admin, data={"kind": "post", "points": 1, "community": community.pk}
    )
    assert override.community_id == community.pk
    assert _errors(lambda: services.save_rule(actor=admin, data={"kind": "post", "points": 9})) == {
        "kind": ["There is a rule for this activity kind here already."]
    }
    assert sorted(PointRule.objects.values_list("points", flat=True)) == [1, 3]


def test_rules_are_for_org_admins_only(chapter_head, assistant, scope_of) -> None:
    for operator in (chapter_head, assistant):
        with pytest.raises(PermissionDenied):
            services.save_rule(actor=scope_of(operator), data={"kind": "post", "points": 3})
        with pytest.raises(PermissionDenied):
            services.save_settings(actor=scope_of(operator), data={"referral_points": 1})
        with pytest.raises(PermissionDenied):
            services.save_levels(actor=scope_of(operator), levels=[{"name": "x", "threshold": 0}])
        with pytest.raises(PermissionDenied):
            services.install_default_rules(operator.organization_id, actor=scope_of(operator))
    assert PointRule.objects.count() == 0
    assert PointSettings.objects.count() == 0
    assert Level.objects.count() == 0


def test_default_rules_are_installed_once_and_audited(admin, org) -> None:
    assert services.install_default_rules(org.pk, actor=admin) == len(services.DEFAULT_RULES)
    assert services.install_default_rules(org.pk, actor=admin) == 0
    assert PointRule.objects.filter(organization=org).count() == len(services.DEFAULT_RULES)
    assert AuditEntry.objects.filter(object_type="pointrule").count() == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"expiry_months": 0}, {"expiry_months": ["Enter a number from 1 to 120."]}),
        ({"expiry_months": "x"}, {"expiry_months": ["Enter a whole number."]}),
        ({"referral_points": -1}, {"referral_points": ["Enter a number from 0 to 100000."]}),
        ({"referral_days": "400"}, {"referral_days": ["Enter a number from 1 to 365."]}),
    ],
)
def test_bad_settings_are_refused(admin, data, expected) -> None:
    assert _errors(lambda: services.save_settings(actor=admin, data=data)) == expected
    assert PointSettings.objects.count() == 0


def test_settings_are_saved(admin, org) -> None:
    services.save_settings(
        actor=admin, data={"expiry_months": "12", "referral_points": 30, "referral_days": 14}
    )
    row = PointSettings.objects.get(organization=org)
    assert (row.expiry_months, row.referral_points, row.referral_days) == (12, 30, 14)
    services.save_settings(actor=admin, data={"expiry_months": "", "referral_points": 0})
    row.refresh_from_db()
    assert (row.expiry_months, row.referral_points, row.referral_days) == (None, 0, 7)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], {"levels": ["Keep at least one level."]}),
        (
            [{"name": "新人", "threshold": 5}],
            {"threshold_1": ["The first level starts at 0 points."]},
        ),
        (
            [{"name": "新人", "threshold": 0}, {"name": "骨干", "threshold": 0}],
            {"levels": ["Each level needs more points than the one before."]},
        ),
        (
            [{"name": "", "threshold": 0}],
            {"name_1": ["Level 1: enter a name of at most 30 characters."]},
        ),
        (
            [{"name": "新人", "threshold": 0}, {"name": "骨干", "threshold": "many"}],
            {"threshold_2": ["Enter a whole number."]},
        ),
        (
            [{"name": f"L{i}", "threshold": i} for i in range(31)],
            {"levels": ["At most 30 levels."]},
        ),
    ],
)
def test_bad_levels_are_refused_and_the_old_ones_stay(admin, org, levels, expected) -> None:
    before = list(selectors.list_levels(org).__iter__())
    assert _errors(lambda: services.save_levels(actor=admin, levels=levels)) == expected
    after = list(Level.objects.filter(organization=org).order_by("number"))
    assert [(lv.pk, lv.name, lv.threshold) for lv in after] == [
        (lv.pk, lv.name, lv.threshold) for lv in before
    ]


def test_new_levels_relevel_members_without_level_changes(admin, org, member) -> None:
    write_entry(member, Draft(delta=120, reason=EntryReason.AWARD))
    changes = LevelChange.objects.count()
    services.save_levels(
        actor=admin,
        levels=[
            {"name": "新人", "threshold": 0},
            {"name": "骨干", "threshold": 100, "badge": "⭐"},
        ],
    )
    points = MemberPoints.objects.select_related("level").get(pk=member.pk)
    assert points.level is not None
    assert (points.level.number, points.level.name, points.level.badge) == (2, "骨干", "⭐")
    assert LevelChange.objects.count() == changes


@pytest.mark.parametrize(
    ("points", "note", "expected"),
    [
        ("", "补发", {"points": ["Enter a whole number."]}),
        (0, "补发", {"points": ["Enter a number of points other than 0."]}),
        (10**6, "补发", {"points": ["Enter a number from -100000 to 100000."]}),
        (5, "  ", {"note": ["Give a reason."]}),
        (5, "长" * 201, {"note": ["At most 200 characters."]}),
    ],
)
def test_a_bad_adjustment_writes_nothing(admin, member, points, note, expected) -> None:
    call = lambda: services.adjust_points(actor=admin, member=member, points=points, note=note)  # noqa: E731
    assert _errors(call) == expected
    assert LedgerEntry.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_taking_more_than_the_balance_is_refused_but_a_penalty_is_not(admin, member) -> None:
    services.adjust_points(actor=admin, member=member, points=10, note="补发")
    with pytest.raises(NotEnoughPointsError):
        services.adjust_points(actor=admin, member=member, points=-11, note="扣除")
    assert MemberPoints.objects.get(pk=member.pk).balance == 10
    entry = services.adjust_points(actor=admin, member=member, points=15, note="刷屏", penalty=True)
    assert (entry.delta, entry.reason, entry.note) == (-15, EntryReason.PENALTY, "刷屏")
    points = MemberPoints.objects.get(pk=member.pk)
    assert (points.balance, points.earned) == (-5, 10)


def test_a_bad_reversal_writes_nothing(admin, chapter_head, assistant, scope_of, member) -> None:
    entry = services.adjust_points(actor=admin, member=member, points=10, note="补发")
    count = LedgerEntry.objects.count()
    assert _errors(lambda: services.reverse(actor=admin, entry=entry, note="")) == {
        "note": ["Give a reason."]
    }
    assert _errors(lambda: services.reverse(actor=admin, entry=entry, note="长" * 201)) == {
        "note": ["At most 200 characters."]
    }
    with pytest.raises(PermissionDenied):
        services.reverse(actor=scope_of(assistant), entry=entry, note="错发")
    assert LedgerEntry.objects.count() == count
    reversal = services.reverse(actor=scope_of(chapter_head), entry=entry, note="错发")
    assert (reversal.delta, reversal.reverses_id) == (-10, entry.pk)
    with pytest.raises(ValidationError) as caught:
        services.reverse(actor=admin, entry=entry, note="again")
    assert caught.value.messages == ["This entry is already reversed."]
    with pytest.raises(ValidationError) as caught:
        services.reverse(actor=admin, entry=reversal, note="undo")
    assert caught.value.messages == ["A reversal cannot be reversed."]
    assert LedgerEntry.objects.count() == count + 1


def test_level_changes_are_marked_seen_for_their_member_only(member, other_member) -> None:
    write_entry(member, Draft(delta=60, reason=EntryReason.AWARD))
    write_entry(other_member, Draft(delta=60, reason=EntryReason.AWARD))
    mine = selectors.list_unseen_level_changes(member)
    theirs = selectors.list_unseen_level_changes(other_member)
    assert [c.to_number for c in mine] == [2]
    assert (
        services.mark_level_changes_seen(member=member, change_ids=[c.pk for c in mine + theirs])
        == 1
    )
    assert selectors.list_unseen_level_changes(member) == []
    assert len(selectors.list_unseen_level_changes(other_member)) == 1
