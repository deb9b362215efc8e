"""The sale form's one-time token on a membership: a double click on "Sell" sells once (H2)."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("memberships", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="sale_token",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=~Q(sale_token=""),
                fields=("studio", "sale_token"),
                name="membership_sale_token_once",
            ),
        ),
    ]
