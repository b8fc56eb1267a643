"""Level perks: a community's joining rules admit members from a level up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shequn.joining.admission import admit_member
from shequn.joining.models import JoinPolicy
from shequn.members.models import Membership
from shequn.members.tests.factories import MemberFactory
from shequn.points.ledger import Draft, write_entry
from shequn.points.models import EntryReason

pytestmark = pytest.mark.django_db


def test_min_level_is_enforced_by_the_joining_rules(org, community) -> None:
    JoinPolicy.objects.create(community=community, min_level=3)
    person = MemberFactory(organization=org, display_name="新人")
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        admit_member(member=person, community=community, source="self_signup")
    assert caught.value.code == "level_too_low"
    with translation.override("en"):
        assert caught.value.messages == [
            "This community admits members from level 3; you are at level 0."
        ]
    assert not Membership.objects.filter(member=person).exists()
    write_entry(person, Draft(delta=60, reason=EntryReason.AWARD))  # level 2
    with pytest.raises(ValidationError):
        admit_member(member=person, community=community, source="self_signup")
    write_entry(person, Draft(delta=140, reason=EntryReason.AWARD))  # 200 earned: level 3
    admission = admit_member(member=person, community=community, source="self_signup")
    assert admission.membership is not None
    assert admission.membership.member_id == person.pk
