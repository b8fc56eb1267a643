from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0014_name_pieces_without_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="end_reason",
            field=models.TextField(
                blank=True, db_default="", default="", verbose_name="reason for leaving"
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="left_by_request",
            field=models.BooleanField(
                db_default=False, default=False, verbose_name="left by request"
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="rejoin_allowed",
            field=models.BooleanField(db_default=False, default=False, verbose_name="may rejoin"),
        ),
    ]
