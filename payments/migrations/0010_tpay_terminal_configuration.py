# Terminal configurations (tips on the reader) and rename keys for card readers (issue 14, tpay).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_pos_terminal_readers"),
    ]

    operations = [
        migrations.AddField(
            model_name="terminallocation",
            name="configuration_id",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="terminallocation",
            name="tipping_applied",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="terminallocation",
            name="configuration_version",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="cardreader",
            name="revision",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="payment",
            name="tip_requested",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="paymentsettings",
            name="terminal_tip_percentages",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
