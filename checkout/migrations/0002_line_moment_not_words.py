"""A class's or an appointment's line keeps its name and its start, no longer a date written in
the language of the person who added it (the receipt writes it in its reader's: `OrderLine.label`)."""

from django.db import migrations


def forwards(apps, schema_editor):
    OrderLine = apps.get_model("checkout", "OrderLine")
    ClassSession = apps.get_model("scheduling", "ClassSession")
    lines = OrderLine.objects.filter(kind__in=["drop_in", "appointment"])
    for line in lines.iterator():
        if line.kind == "drop_in" and line.starts_at is None and line.session_id:
            session = ClassSession.objects.filter(pk=line.session_id).values_list("starts_at", flat=True)
            line.starts_at = session.first()
        if " · " in line.description:
            line.description = line.description.rsplit(" · ", 1)[0]
        line.save(update_fields=["starts_at", "description"])


class Migration(migrations.Migration):
    dependencies = [("checkout", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
