"""Factories of invitations."""

from __future__ import annotations

import factory

from shequn.invitations.models import InviteLink
from shequn.invitations.services import generate_invite_code
from shequn.organizations.tests.factories import CommunityFactory


class InviteLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InviteLink

    community = factory.SubFactory(CommunityFactory)
    organization = factory.LazyAttribute(lambda o: o.community.organization)
    code = factory.LazyFunction(generate_invite_code)
    purpose = "poster campaign"
