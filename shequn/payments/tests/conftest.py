"""Fixtures of the payments tests: a paid community in `chapter` with a price, a buyer."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from shequn.accounts.tests.factories import UserFactory
from shequn.members.models import Channel, Member
from shequn.members.tests.factories import IdentityFactory, MemberFactory
from shequn.organizations.models import Community, CommunityAccess
from shequn.organizations.tests.factories import CommunityFactory
from shequn.payments.models import CommunityPrice

START = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture
def paid_community(chapter) -> Community:
    return CommunityFactory(
        chapter=chapter,
        organization=chapter.organization,
        name="铁粉VIP群",
        slug="vip",
        access=CommunityAccess.PAID,
        starts_at=timezone.now() - datetime.timedelta(days=3),
    )


@pytest.fixture
def price(paid_community) -> CommunityPrice:
    """¥199, ¥99 early bird for the first 15 days or the first 50, a 365-day term."""
    return CommunityPrice.objects.create(
        community=paid_community,
        price_fen=19900,
        early_bird_price_fen=9900,
        early_bird_days=15,
        early_bird_seats=50,
        term_days=365,
        renewal_price_fen=15900,
        reminder_days=14,
    )


@pytest.fixture
def buyer(org, chapter) -> Member:
    """A member with a web account who is not yet in the paid community."""
    person = MemberFactory(
        organization=org,
        chapter=chapter,
        display_name="王五",
        email="wangwu@example.com",
        user=UserFactory(username="wangwu@example.com"),
    )
    IdentityFactory(
        member=person, organization=org, channel=Channel.WEB, external_id=str(person.user_id)
    )
    return person


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Pages in English unless a test asks for zh-hans (Accept-Language)."""
    settings.LANGUAGE_CODE = "en"
