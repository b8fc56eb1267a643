"""Redemption: the refusals (exact messages, nothing changed), the race for the last items,
coupon codes under concurrency, cancellation returning the points."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from shequn.accounts.selectors import build_scope
from shequn.accounts.tests.factories import UserFactory
from shequn.members.tests.factories import MemberFactory
from shequn.points.ledger import Draft, write_entry
from shequn.points.models import EntryReason, LedgerEntry, MemberPoints
from shequn.rewards import services
from shequn.rewards.models import CouponCode, Redemption, Reward, RewardKind


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are asserted in English (the default language is zh-hans)."""
    with translation.override("en"):
        yield


def _reward(org, **kw):
    values = {"kind": RewardKind.GIFT, "name": "帆布袋", "cost": 10, "stock": 5} | kw
    return Reward.objects.create(organization=org, **values)


def _give(member, points):
    write_entry(member, Draft(delta=points, reason=EntryReason.ADJUSTMENT))


def _state(member, reward):
    reward.refresh_from_db()
    return (
        MemberPoints.objects.filter(pk=member.pk).values_list("balance", flat=True).first(),
        LedgerEntry.objects.filter(member=member).count(),
        Redemption.objects.filter(member=member).count(),
        reward.stock,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "balance", "message"),
    [
        ({}, 5, "Not enough points: the balance is 5, this needs 10."),
        ({"stock": 0}, 50, "This reward is out of stock."),
        ({"is_active": False}, 50, "This reward is switched off."),
        ({"min_level": 3}, 50, "This reward needs level 3 or higher."),
        ({"available_from": "future"}, 50, "This reward is not available at this time."),
        ({"available_until": "past"}, 50, "This reward is not available at this time."),
    ],
)
def test_refusals_change_nothing(org, member, changes, balance, message):
    now = timezone.now()
    changes = {
        k: (
            now + timedelta(days=1)
            if v == "future"
            else now - timedelta(days=1)
            if v == "past"
            else v
        )
        for k, v in changes.items()
    }
    reward = _reward(org, **changes)
    _give(member, balance)
    before = _state(member, reward)
    with pytest.raises(ValidationError) as exc:
        services.redeem(member=member, reward=reward)
    assert exc.value.messages == [message]
    assert _state(member, reward) == before


@pytest.mark.django_db
def test_limit_reached(org, member):
    reward = _reward(org, per_member_limit=1)
    _give(member, 50)
    services.redeem(member=member, reward=reward)
    before = _state(member, reward)
    with pytest.raises(ValidationError) as exc:
        services.redeem(member=member, reward=reward)
    assert exc.value.messages == ["You have reached the limit of 1 per member for this reward."]
    assert _state(member, reward) == before


@pytest.mark.django_db
def test_same_form_twice_is_one_redemption(org, member):
    reward = _reward(org)
    _give(member, 50)
    first = services.redeem(member=member, reward=reward, request_key="k1")
    second = services.redeem(member=member, reward=reward, request_key="k1")
    assert first.pk == second.pk
    assert _state(member, reward) == (40, 2, 1, 4)


@pytest.mark.django_db
def test_cancel_returns_points_and_stock(org, member, org_admin):
    reward = _reward(org)
    _give(member, 50)
    redemption = services.redeem(member=member, reward=reward)
    services.cancel(actor=build_scope(org_admin), redemption=redemption, note="缺货")
    balance, entries, _, stock = _state(member, reward)
    assert (balance, stock) == (50, 5)
    assert balance == LedgerEntry.objects.filter(member=member).aggregate(s=Sum("delta"))["s"]
    with pytest.raises(ValidationError):
        services.cancel(actor=build_scope(org_admin), redemption=redemption, note="")
    assert _state(member, reward) == (50, entries, 1, 5)


@pytest.mark.django_db
def test_fulfil_rights(org, member, other_member, chapter_head, assistant):
    reward = _reward(org)
    _give(other_member, 50)
    far = services.redeem(member=other_member, reward=reward)
    client = Client()
    client.force_login(chapter_head.user)
    url = reverse("rewards:fulfil", kwargs={"redemption_id": far.pk})
    assert client.post(url, {"note": "x"}).status_code == 404
    client.force_login(assistant.user)
    assert client.post(url, {"note": "x"}).status_code == 403
    far.refresh_from_db()
    assert far.status == "requested"


def _run(jobs):
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i):
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_members_race_for_the_last_five(org):
    reward = _reward(org, stock=5)
    people = []
    for _ in range(20):
        user = UserFactory()
        m = MemberFactory(organization=org, user=user)
        _give(m, 100)
        people.append((m, user))

    def post(user):
        def job():
            client = Client()
            client.force_login(user)
            url = reverse(
                "rewards_portal:redeem", kwargs={"org_slug": org.slug, "reward_id": reward.pk}
            )
            return client.post(url, {"confirm": "yes", "key": user.pk}).status_code

        return job

    statuses = _run([post(u) for _, u in people])
    assert sorted(statuses) == [302] * 5 + [422] * 15
    reward.refresh_from_db()
    assert reward.stock == 0
    assert Redemption.objects.filter(reward=reward).count() == 5
    spent = MemberPoints.objects.filter(member__in=[m for m, _ in people], balance=90).count()
    assert spent == 5


@pytest.mark.django_db(transaction=True)
def test_a_code_goes_to_one_member(org):
    reward = _reward(org, kind=RewardKind.COUPON, stock=3)
    CouponCode.objects.bulk_create([CouponCode(reward=reward, code=f"C{i}") for i in range(3)])
    members = [MemberFactory(organization=org) for _ in range(10)]
    for m in members:
        _give(m, 100)
    results = _run([lambda m=m: services.redeem(member=m, reward=reward) for m in members])
    won = [r for r in results if isinstance(r, Redemption)]
    assert len(won) == 3
    codes = CouponCode.objects.filter(reward=reward)
    assert sorted(c.redemption.member_id for c in codes if c.redemption) == sorted(
        r.member_id for r in won
    )
    assert all(r.status == "fulfilled" for r in won)
