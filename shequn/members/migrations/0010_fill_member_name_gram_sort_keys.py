"""Copy each member's organisation and sort key onto its name pieces (members.0009)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    member = apps.get_model("members", "Member")
    gram = apps.get_model("members", "MemberNameGram")
    owner = member.objects.filter(pk=OuterRef("member_id"))
    gram.objects.update(
        organization_id=Subquery(owner.values("organization_id")[:1]),
        sort_key=Subquery(owner.values("sort_key")[:1]),
    )


def clear(apps, schema_editor):
    apps.get_model("members", "MemberNameGram").objects.update(organization_id=None, sort_key="")


class Migration(migrations.Migration):
    dependencies = [("members", "0009_member_name_gram_sort_key")]

    operations = [migrations.RunPython(fill, clear)]
