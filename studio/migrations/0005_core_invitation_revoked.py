"""Invitations can be revoked, and a person has at most one open invitation per studio.

Existing duplicates (several open invitations to one email) keep their newest row open; the
older ones are marked revoked, so that the constraint can be created on existing databases.
"""

from django.db import migrations, models
from django.utils import timezone


def revoke_duplicates(apps, schema_editor):
    Invitation = apps.get_model("studio", "Invitation")
    seen = set()
    for invitation in Invitation.objects.filter(accepted_at__isnull=True).order_by("-created_at", "-id"):
        key = (invitation.studio_id, invitation.email.lower())
        if key in seen:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [("studio", "0004_notify_view_messages_perm")]

    operations = [
        migrations.AddField(
            model_name="invitation", name="revoked_at", field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(revoke_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("accepted_at__isnull", True), ("revoked_at__isnull", True)),
                fields=("studio", "email"), name="invitation_one_open_per_email",
            ),
        ),
    ]
