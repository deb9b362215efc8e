"""A signing link's token is unique within its studio (the unique constraint leads with studio_id,
as every tenant table's must: Citus-ready). Links are only ever looked up within a studio."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("waivers", "0002_append_only")]

    operations = [
        migrations.RemoveConstraint(model_name="waiverlink", name="waiver_link_token_unique"),
        migrations.AddConstraint(
            model_name="waiverlink",
            constraint=models.UniqueConstraint(
                fields=("studio", "token_sha256"), name="waiver_link_token_unique"
            ),
        ),
    ]
