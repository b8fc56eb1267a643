"""Store every recorded phone number in E.164 (`138 1234 5678` → `+8613812345678`).

Numbers without a country code are read as mainland China's (the default SHEQUN_PHONE_REGION),
as shequn.members.phones does at the time of writing (copied here so that this migration does
not change when that module does). A value that is not a valid number is kept as it is: the
console shows it unchanged and asks for a valid one on the next edit. Reversing is a no-op:
E.164 is a valid input in every form, and the old spelling is not kept.
"""

import phonenumbers
from django.conf import settings
from django.db import migrations


def _e164(value):
    region = getattr(settings, "SHEQUN_PHONE_REGION", "CN")
    try:
        number = phonenumbers.parse(value.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalize(model):
    batch = []
    for row in model.objects.exclude(phone="").only("pk", "phone").iterator(chunk_size=2000):
        e164 = _e164(row.phone)
        if e164 is not None and e164 != row.phone:
            row.phone = e164
            batch.append(row)
        if len(batch) >= 2000:
            model.objects.bulk_update(batch, ["phone"])
            batch = []
    if batch:
        model.objects.bulk_update(batch, ["phone"])


def normalize_phones(apps, schema_editor):
    _normalize(apps.get_model("members", "Member"))
    _normalize(apps.get_model("members", "EmailVerification"))


class Migration(migrations.Migration):
    dependencies = [("members", "0005_email_verification")]

    operations = [migrations.RunPython(normalize_phones, migrations.RunPython.noop)]
