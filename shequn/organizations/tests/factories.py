from __future__ import annotations

import factory
from django.utils import timezone

from shequn.organizations.models import (
    Chapter,
    Community,
    CommunityAccess,
    CommunityKind,
    Organization,
)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"组织{n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chapter

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"分会{n}")
    slug = factory.Sequence(lambda n: f"chapter-{n}")
    city = "上海"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    organization = factory.LazyAttribute(
        lambda o: o.chapter.organization if o.chapter else OrganizationFactory()
    )
    chapter = factory.SubFactory(ChapterFactory)
    kind = CommunityKind.REGIONAL
    access = CommunityAccess.OPEN
    name = factory.Sequence(lambda n: f"社群{n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    starts_at = factory.LazyFunction(timezone.now)
