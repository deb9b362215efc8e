"""When a renewal first failed: the studio's retry schedule counts its days from it (H4)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("memberships", "0002_sales_token")]

    operations = [
        migrations.AddField(
            model_name="renewal",
            name="first_failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
