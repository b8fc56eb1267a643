from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from shequn.core.collation import sort_key_for
from shequn.organizations.counters import count_active_community
from shequn.organizations.models import (
    Chapter,
    Community,
    CommunityAccess,
    CommunityKind,
    CommunityStatus,
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
    sort_key = factory.LazyAttribute(lambda o: sort_key_for(o.name))


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
    sort_key = factory.LazyAttribute(lambda o: sort_key_for(o.name))

    @classmethod
    def _create(cls, model_class: type[Community], *args: Any, **kwargs: Any) -> Community:
        """Keep the chapter's counter as the services do (shequn.organizations.counters)."""
        community = super()._create(model_class, *args, **kwargs)
        if community.status == CommunityStatus.ACTIVE and community.chapter is not None:
            count_active_community(chapter_id=community.chapter_id, delta=1)
            community.chapter.refresh_from_db(fields=["community_count"])
        return community
