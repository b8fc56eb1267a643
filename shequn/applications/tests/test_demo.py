from __future__ import annotations

import pytest
from django.utils import timezone

from shequn.applications.demo import seed_demo_applications
from shequn.applications.models import Application, ApplicationDecision, ApplicationForm
from shequn.members.models import Membership, MembershipSource
from shequn.members.tests.factories import MemberFactory
from shequn.organizations.models import CommunityAccess
from shequn.organizations.tests.factories import CommunityFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_applications(org, chapter, org_admin):
    fans = CommunityFactory(
        organization=org, chapter=None, slug="core-fans", access=CommunityAccess.PRIVATE
    )
    for _ in range(30):
        MemberFactory(organization=org)
    now = timezone.now()
    seed_demo_applications(organization=org, now=now)
    form = ApplicationForm.objects.get(community=fans)
    assert form.identity_statement == "只招企业内训经理"
    assert len(form.questions) == 5
    counts = {
        status: Application.objects.filter(community=fans, status=status).count()
        for status in ("pending", "interview", "approved", "rejected")
    }
    assert counts == {"pending": 12, "interview": 2, "approved": 4, "rejected": 3}
    assert (
        Membership.objects.filter(community=fans, source=MembershipSource.APPLICATION).count() == 4
    )
    assert ApplicationDecision.objects.filter(decided_by=org_admin.user).count() == 9
    assert all(a.reject_reason for a in Application.objects.filter(status="rejected"))
    seed_demo_applications(organization=org, now=now)  # a second run adds nothing
    assert Application.objects.count() == 21
