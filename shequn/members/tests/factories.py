from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from shequn.core.collation import sort_key_for
from shequn.members.counters import count_membership
from shequn.members.models import Channel, Identity, Member, Membership, MembershipStatus
from shequn.members.search import index_member_names
from shequn.organizations.tests.factories import CommunityFactory, OrganizationFactory


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    organization = factory.SubFactory(OrganizationFactory)
    display_name = factory.Sequence(lambda n: f"成员{n}")
    sort_key = factory.LazyAttribute(lambda o: sort_key_for(o.display_name))

    @classmethod
    def _create(cls, model_class: type[Member], *args: Any, **kwargs: Any) -> Member:
        """Index the name for short searches, as the services do (shequn.members.search)."""
        member = super()._create(model_class, *args, **kwargs)
        index_member_names([member.pk])
        return member


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
    member_sort_key = factory.LazyAttribute(lambda o: o.member.sort_key)

    @classmethod
    def _create(cls, model_class: type[Membership], *args: Any, **kwargs: Any) -> Membership:
        """Keep the counters the services keep (shequn.members.counters)."""
        membership = super()._create(model_class, *args, **kwargs)
        if membership.status == MembershipStatus.ACTIVE:
            count_membership(
                community_id=membership.community_id, member_id=membership.member_id, delta=1
            )
            membership.community.refresh_from_db(fields=["member_count"])
            membership.member.refresh_from_db(fields=["community_count"])
        return membership
