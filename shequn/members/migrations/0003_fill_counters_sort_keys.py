"""Fill the maintained counters and pinyin sort keys of existing rows.

From here on the services keep them; `manage.py recount_members` recomputes them at any time.
The sort key is computed as in shequn.core.collation at the time of writing (copied here so the
migration does not change when that module does).
"""

from django.db import migrations
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from pypinyin import Style, lazy_pinyin


def _sort_key(name):
    text = name.strip().casefold()
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: chars)
    reading = " ".join(s.strip() for s in syllables if s.strip())
    return f"{reading}\x01{text}"[:255]


def _fill_sort_keys(model, name_field):
    batch = []
    for row in model.objects.only("pk", name_field).iterator(chunk_size=2000):
        row.sort_key = _sort_key(getattr(row, name_field))
        batch.append(row)
        if len(batch) >= 2000:
            model.objects.bulk_update(batch, ["sort_key"])
            batch = []
    if batch:
        model.objects.bulk_update(batch, ["sort_key"])


def _count(model, fk, **filters):
    counted = (
        model.objects.filter(**{fk: OuterRef("pk")}, **filters)
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def fill(apps, schema_editor):
    chapter = apps.get_model("organizations", "Chapter")
    community = apps.get_model("organizations", "Community")
    member = apps.get_model("members", "Member")
    membership = apps.get_model("members", "Membership")
    _fill_sort_keys(chapter, "name")
    _fill_sort_keys(community, "name")
    _fill_sort_keys(member, "display_name")
    chapter.objects.update(community_count=_count(community, "chapter", status="active"))
    community.objects.update(member_count=_count(membership, "community", status="active"))
    member.objects.update(community_count=_count(membership, "member", status="active"))
    membership.objects.update(
        member_sort_key=Subquery(
            member.objects.filter(pk=OuterRef("member_id")).values("sort_key")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_counters_sort_keys_indexes"),
        ("organizations", "0002_counters_sort_keys_indexes"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
