"""Keys made by a developer acted as agency admin: cap each existing key at its creator's scope
(the same rule as ApiKey.role_for for new keys)."""

from django.db import migrations


def cap_existing_keys(apps, schema_editor):
    ApiKey = apps.get_model("api", "ApiKey")
    Membership = apps.get_model("agencies", "Membership")
    for key in ApiKey.objects.filter(created_by__isnull=False, service_user__isnull=False).select_related(
        "agency", "created_by"
    ):
        creator = key.created_by
        if creator.is_superuser:
            continue
        roles = Membership.objects.filter(user=creator).select_related("agency")
        if any(m.role == "national_admin" for m in roles):
            continue
        if any(m.role == "agency_admin" and key.agency.path.startswith(m.agency.path) for m in roles):
            continue
        Membership.objects.filter(user_id=key.service_user_id).update(role="developer")


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0006_api_key_sandbox"),
        ("agencies", "0001_initial"),
    ]

    operations = [migrations.RunPython(cap_existing_keys, migrations.RunPython.noop)]
