from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tags", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="membertag",
            index=models.Index(fields=["tag", "-added_at", "-id"], name="member_tag_newest"),
        ),
    ]
