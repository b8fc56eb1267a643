from __future__ import annotations

import factory
from django.utils import timezone

from shequn.members.models import Channel, Identity, Member, Membership
from shequn.organizations.tests.factories import CommunityFactory, OrganizationFactory


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    organization = factory.SubFactory(OrganizationFactory)
    display_name = factory.Sequence(lambda n: f"成员{n}")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    member = factory.SubFactory(MemberFactory)
    organization = factory.LazyAttribute(lambda o: o.member.organization)
    channel = Channel.WECOM
    external_id = factory.Sequence(lambda n: f"wm-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    community = factory.SubFactory(CommunityFactory)
    member = factory.LazyAttribute(lambda o: MemberFactory(organization=o.community.organization))
    joined_at = factory.LazyFunction(timezone.now)
