"""Before slugs become unique regardless of case: rename all but the oldest of each group of
chapters or communities whose slugs differ only in case (e.g. "Salon" and "salon")."""

from django.db import migrations

SLUG_MAX_LENGTH = 50


def _free_slug(base, taken):
    for n in range(2, 10_000):
        suffix = f"-{n}"
        candidate = f"{base[: SLUG_MAX_LENGTH - len(suffix)]}{suffix}"
        if candidate.lower() not in taken:
            return candidate
    raise RuntimeError(f"no free slug for {base!r}")


def _fix(model):
    seen = {}
    rows = model.objects.order_by("organization_id", "id").values_list(
        "id", "organization_id", "slug"
    )
    for pk, org_id, slug in rows:
        seen.setdefault(org_id, []).append((pk, slug))
    for items in seen.values():
        taken = {slug.lower() for _pk, slug in items}
        kept = set()
        for pk, slug in items:
            if slug.lower() not in kept:
                kept.add(slug.lower())
                continue
            new = _free_slug(slug, taken)
            taken.add(new.lower())
            model.objects.filter(pk=pk).update(slug=new)


def fix_case_duplicates(apps, schema_editor):
    _fix(apps.get_model("organizations", "Chapter"))
    _fix(apps.get_model("organizations", "Community"))


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_counters_sort_keys_indexes"),
    ]

    operations = [
        # Reversing keeps the new slugs: going back to duplicates would help nobody.
        migrations.RunPython(fix_case_duplicates, migrations.RunPython.noop),
    ]
