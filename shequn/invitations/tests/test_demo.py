from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from shequn.accounts.models import Operator, OperatorRole
from shequn.accounts.selectors import build_scope
from shequn.invitations.demo import seed_demo_invitations
from shequn.invitations.models import InviteJoin, InviteLink
from shequn.invitations.selectors import list_inviters
from shequn.organizations.demo import build_demo

NOW = timezone.make_aware(datetime(2026, 3, 2))


@pytest.mark.django_db
def test_demo_invitations_are_coherent_and_seeded_once() -> None:
    organization = build_demo(now=NOW, password="demo-password-1").organization
    seed_demo_invitations(organization=organization, now=NOW)
    links, joins = InviteLink.objects.count(), InviteJoin.objects.count()
    assert links >= 10
    assert joins >= 20
    for join in InviteJoin.objects.select_related("membership", "link"):
        assert join.joined_at == join.membership.joined_at
        assert join.community_id == join.link.community_id == join.membership.community_id
    for link in InviteLink.objects.all():
        assert link.use_count == InviteJoin.objects.filter(link=link).count()
    admin = Operator.objects.filter(organization=organization, role=OperatorRole.ORG_ADMIN).first()
    assert admin is not None
    rows = list_inviters(actor=build_scope(admin))
    assert {r.kind for r in rows} == {"member", "operator"}
    assert sum(r.invitees for r in rows) == joins
    seed_demo_invitations(organization=organization, now=NOW)
    assert (InviteLink.objects.count(), InviteJoin.objects.count()) == (links, joins)
