"""Migration 0003 renames slugs that differ only in case before 0004 makes them unique."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("organizations", "0002_counters_sort_keys_indexes")
AFTER = ("organizations", "0004_lifecycle_old_slugs_case_insensitive")


@pytest.mark.django_db(transaction=True)
def test_case_duplicates_are_renamed_before_the_constraint():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    apps = executor.loader.project_state([BEFORE]).apps
    organization = apps.get_model("organizations", "Organization")
    chapter = apps.get_model("organizations", "Chapter")
    community = apps.get_model("organizations", "Community")
    org = organization.objects.create(name="培经", slug="pj")
    other = organization.objects.create(name="别的", slug="other")
    now = timezone.now()
    kept = community.objects.create(
        organization=org, kind="regional", name="a", slug="Salon", starts_at=now
    )
    renamed = [
        community.objects.create(
            organization=org, kind="regional", name=name, slug=slug, starts_at=now
        )
        for name, slug in (("b", "salon"), ("c", "SALON"))
    ]
    taken = community.objects.create(
        organization=org, kind="regional", name="d", slug="salon-2", starts_at=now
    )
    elsewhere = community.objects.create(
        organization=other, kind="regional", name="e", slug="salon", starts_at=now
    )
    heads = [chapter.objects.create(organization=org, name=s, slug=s) for s in ("SH", "sh")]
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([AFTER])
        slugs = dict(
            community.objects.filter(
                pk__in=[kept.pk, *(r.pk for r in renamed), taken.pk, elsewhere.pk]
            ).values_list("name", "slug")
        )
        assert slugs == {"a": "Salon", "b": "salon-3", "c": "SALON-4", "d": "salon-2", "e": "salon"}
        assert list(
            chapter.objects.filter(pk__in=[h.pk for h in heads])
            .order_by("pk")
            .values_list("slug", flat=True)
        ) == ["SH", "sh-2"]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
