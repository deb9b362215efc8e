"""Existing Manager roles gain `manage_memberships`, as new studios' Manager roles do.

Owner and Admin hold every permission by computation; custom roles are the studio's choice.
"""

from django.db import migrations

PERM = "manage_memberships"
KINDS = ("manager",)


def grant(apps, schema_editor):
    Role = apps.get_model("studio", "Role")
    for role in Role.objects.filter(kind__in=KINDS):
        if PERM not in role.permissions:
            role.permissions = [*role.permissions, PERM]
            role.save(update_fields=["permissions"])


def revoke(apps, schema_editor):
    Role = apps.get_model("studio", "Role")
    for role in Role.objects.filter(kind__in=KINDS):
        if PERM in role.permissions:
            role.permissions = [p for p in role.permissions if p != PERM]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("studio", "0005_core_invitation_revoked")]

    operations = [migrations.RunPython(grant, revoke)]
