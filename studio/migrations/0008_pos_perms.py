"""Existing built-in roles gain the point-of-sale permissions new studios' roles get.

Manager: give discounts, manage products and stock, pair card readers. Front desk: pair card
readers (SPEC's front desk pairs the reader beside the till). Owner and Admin hold every
permission by computation; custom roles are the studio's choice.
"""

from django.db import migrations

GRANTS = {
    "manager": ("discount_pos", "manage_products", "manage_card_readers"),
    "front_desk": ("manage_card_readers",),
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
    dependencies = [("studio", "0007_wrec_message_attachments")]

    operations = [migrations.RunPython(grant, revoke)]
