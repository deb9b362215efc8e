"""Reminders about a membership's payment method, each sent once (H6: card expiring, method needed)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("memberships", "0003_renew_first_failed")]

    operations = [
        migrations.CreateModel(
            name="MembershipReminder",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("card_expiring", "Card expiring before the renewal"),
                            ("method_needed", "Payment method needed on the new account"),
                        ],
                        max_length=16,
                    ),
                ),
                ("key", models.CharField(max_length=120)),
                ("renewal_on", models.DateField()),
                ("sent_at", models.DateTimeField(auto_now_add=True)),
                (
                    "studio",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="studio.studio",
                        verbose_name="studio",
                    ),
                ),
                (
                    "membership",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reminders",
                        to="memberships.membership",
                    ),
                ),
            ],
            options={
                "ordering": ["-sent_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(fields=("studio", "key"), name="membership_reminder_once")
                ],
            },
        ),
    ]
