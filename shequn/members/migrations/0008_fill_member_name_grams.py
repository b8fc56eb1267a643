"""Fill the one- and two-character name pieces of existing members (members.0007).

The pieces are computed as in shequn.members.search.name_grams at the time of writing.
"""

from django.db import migrations


def _grams(name):
    text = name.strip().casefold()
    pieces = {text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1)}
    return {p for p in pieces if p.strip() == p and p}


def fill(apps, schema_editor):
    member = apps.get_model("members", "Member")
    gram = apps.get_model("members", "MemberNameGram")
    batch = []
    for pk, name in member.objects.values_list("pk", "display_name").iterator(chunk_size=2000):
        batch.extend(gram(member_id=pk, gram=g) for g in sorted(_grams(name)))
        if len(batch) >= 5000:
            gram.objects.bulk_create(batch)
            batch = []
    gram.objects.bulk_create(batch)


def empty(apps, schema_editor):
    apps.get_model("members", "MemberNameGram").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0007_member_name_grams")]

    operations = [migrations.RunPython(fill, empty)]
