"""Existing built-in roles gain "bill clients by invoice and payment link" (PAY-11).

Manager and Front desk get it, as new studios' roles do; Owner and Admin hold every permission by
computation; custom roles are the studio's choice.
"""

from django.db import migrations

GRANTS = {
    "manager": ("bill_clients",),
    "front_desk": ("bill_clients",),
}


def grant(apps, schema_editor):
    Role = apps.get_model("studio", "Role")
    for kind, perms in GRANTS.items():
        for role in Role.objects.filter(kind=kind):
            missing = [p for p in perms if p not in role.permissions]
            if missing:
                role.permissions = [*role.permissions, *missing]
                role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("studio", "Role")
    for kind, perms in GRANTS.items():
        for role in Role.objects.filter(kind=kind):
            role.permissions = [p for p in role.permissions if p not in perms]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("studio", "0009_mail_template_overrides")]

    operations = [migrations.RunPython(grant, revoke)]
