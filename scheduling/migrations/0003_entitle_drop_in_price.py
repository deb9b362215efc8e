"""A class's drop-in price (SCH-4): 0, the default, keeps every existing class free."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_sched_guard_rails"),
    ]

    operations = [
        migrations.AddField(
            model_name="classtemplate",
            name="drop_in_price",
            field=models.BigIntegerField(
                default=0,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="drop-in price",
            ),
        ),
    ]
