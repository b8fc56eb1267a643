"""The ladder's services, reads, pages and API against hand-computed expectations."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from shequn.accounts.selectors import build_scope
from shequn.audit.models import AuditEntry
from shequn.ladder import selectors, services
from shequn.ladder.models import LadderRules, MemberStage, Stage, StageCount, StageTransition
from shequn.layers.models import LayerRules
from shequn.layers.services import save_layer_rules
from shequn.members.tests.factories import MemberFactory
from shequn.profiles.recompute import run_full_recompute
from shequn.profiles.tests.helpers import act, at, join

pytestmark = pytest.mark.django_db
NOW = at("2026-11-30", "20:00")


@pytest.fixture
def placed(org, community, other_community):
    """Three members: two in `community` (acquainted, understands), one in the other."""
    a = MemberFactory(organization=org, display_name="甲")
    b = MemberFactory(organization=org, display_name="乙")
    c = MemberFactory(organization=org, display_name="丙")
    join(a, community, at("2026-10-01"))
    join(b, community, at("2026-10-01"))
    join(c, other_community, at("2026-10-01"))
    for day in range(1, 6):
        act(b, community, "message", at(f"2026-11-{day:02d}"))
    run_full_recompute(org, as_of=NOW)
    return a, b, c


def test_funnel_counts_per_scope(org_admin, chapter_head, placed, community, chapter) -> None:
    admin = build_scope(org_admin)
    whole = selectors.get_ladder_scope(actor=admin)
    steps = {s.stage: s.members for s in selectors.stage_funnel(actor=admin, scope=whole)}
    assert steps[Stage.ACQUAINTED] == 2
    assert steps[Stage.UNDERSTANDS] == 1
    head = build_scope(chapter_head)
    mine = selectors.get_ladder_scope(actor=head)
    assert (mine.kind, mine.id) == (StageCount.Scope.CHAPTER, chapter.pk)
    steps = {s.stage: s.members for s in selectors.stage_funnel(actor=head, scope=mine)}
    assert (steps[Stage.ACQUAINTED], steps[Stage.UNDERSTANDS]) == (1, 1)
    group = selectors.get_ladder_scope(actor=head, community_id=community.pk)
    reached = [s.reached for s in selectors.stage_funnel(actor=head, scope=group)]
    assert reached[:4] == [2, 2, 2, 1]


def test_movement_between_dates_and_who_moved(org_admin, placed) -> None:
    admin = build_scope(org_admin)
    scope = selectors.get_ladder_scope(actor=admin)
    _a, b, _c = placed
    # Placed for the first time on 2026-11-30 (Shanghai): that day only.
    moves = selectors.stage_movement(
        actor=admin, scope=scope, start=datetime.date(2026, 11, 30), end=datetime.date(2026, 11, 30)
    )
    assert {(m.from_stage, m.to_stage, m.members) for m in moves} == {
        (None, Stage.ACQUAINTED, 2),
        (None, Stage.UNDERSTANDS, 1),
    }
    none = selectors.stage_movement(
        actor=admin, scope=scope, start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 29)
    )
    assert none == []
    # Ten days on b's messages left the window: understands → acquainted on 2026-12-10.
    run_full_recompute(b.organization, as_of=at("2026-12-10", "09:00"))
    moves = selectors.stage_movement(
        actor=admin, scope=scope, start=datetime.date(2026, 12, 1), end=datetime.date(2026, 12, 31)
    )
    assert [(m.from_stage, m.to_stage, m.members) for m in moves] == [
        (Stage.UNDERSTANDS, Stage.ACQUAINTED, 1)
    ]
    who = selectors.list_movers(
        actor=admin,
        scope=scope,
        start=datetime.date(2026, 12, 1),
        end=datetime.date(2026, 12, 31),
        from_stage=Stage.UNDERSTANDS,
        to_stage=Stage.ACQUAINTED,
    )
    assert [t.member_id for t in who] == [b.pk]
    with pytest.raises(ValidationError):
        selectors.stage_movement(
            actor=admin,
            scope=scope,
            start=datetime.date(2026, 12, 2),
            end=datetime.date(2026, 12, 1),
        )


def test_pin_and_unpin(org_admin, assistant, placed) -> None:
    a, _b, _c = placed
    admin = build_scope(org_admin)
    row = services.pin_stage(actor=admin, member=a, stage=Stage.FAMILIAR, reason="核心讲师")
    assert (row.stage, row.computed_stage, row.pinned) == (Stage.FAMILIAR, Stage.ACQUAINTED, True)
    t = StageTransition.objects.filter(member=a).order_by("-id").first()
    assert t is not None
    assert (t.from_stage, t.to_stage, t.cause, t.reason) == (
        Stage.ACQUAINTED,
        Stage.FAMILIAR,
        "pin",
        "核心讲师",
    )
    org_row = StageCount.objects.get(scope="org", scope_id=0, stage=Stage.FAMILIAR)
    assert org_row.members == 1
    assert StageCount.objects.get(scope="org", stage=Stage.ACQUAINTED).members == 1
    # A recompute keeps the pin.
    run_full_recompute(a.organization, as_of=at("2026-12-01"))
    assert MemberStage.objects.get(member=a).stage == Stage.FAMILIAR
    services.unpin_stage(actor=admin, member=a)
    assert MemberStage.objects.get(member=a).stage == Stage.ACQUAINTED
    with pytest.raises(ValidationError):
        services.unpin_stage(actor=admin, member=a)
    before = StageTransition.objects.count()
    with pytest.raises(PermissionDenied):
        services.pin_stage(actor=build_scope(assistant), member=a, stage=1, reason="x")
    with pytest.raises(ValidationError):
        services.pin_stage(actor=admin, member=a, stage=9, reason="")
    assert StageTransition.objects.count() == before
    assert MemberStage.objects.get(member=a).pinned is False
    assert AuditEntry.objects.filter(object_id=str(a.pk)).count() >= 2


def test_rules_bad_input_saves_nothing(org_admin) -> None:
    admin = build_scope(org_admin)
    good = {
        "understands_min_activities": 5,
        "understands_window_days": 30,
        "familiar_min_member_days": 90,
        "familiar_min_activities": 20,
        "familiar_window_days": 90,
        "bought_min_purchases": 2,
        "bought_again_min_purchases": 2,
    }
    with pytest.raises(ValidationError) as exc:
        services.save_ladder_rules(actor=admin, data=good)
    assert "bought_again_min_purchases" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.save_ladder_rules(actor=admin, data={**good, "understands_window_days": 0})
    assert LadderRules.objects.count() == 0
    saved = services.save_ladder_rules(actor=admin, data={**good, "bought_min_purchases": 1})
    assert saved.bought_min_purchases == 1
    with pytest.raises(ValidationError) as exc:
        save_layer_rules(
            actor=admin,
            community_kind="regional",
            data={"mode": "thresholds", "core_top_percent": 80, "active_band_percent": 30},
        )
    assert "new_days" in exc.value.message_dict
    assert LayerRules.objects.count() == 0


def test_pages_render_in_both_languages(client, org_admin, placed, community) -> None:
    client.force_login(org_admin.user)
    a, _b, _c = placed
    for lang, word in (("zh-hans", "认识你"), ("en", "Acquainted")):
        client.cookies["django_language"] = lang
        page = client.get(reverse("ladder:funnel"), HTTP_ACCEPT_LANGUAGE=lang)
        assert page.status_code == 200
        assert word in page.content.decode()
    detail = client.get(reverse("members:detail", kwargs={"member_id": a.pk}))
    assert detail.status_code == 200
    assert "ladder-panel" in detail.content.decode()
    response = client.post(
        reverse("ladder:pin", kwargs={"member_id": a.pk}), {"stage": "5", "reason": "买过课"}
    )
    assert response.status_code == 302
    assert MemberStage.objects.get(member=a).stage == Stage.BOUGHT
    layers = client.get(
        reverse("layers:community", kwargs={"community_id": community.pk}) + "?layer=casual"
    )
    assert layers.status_code == 200
