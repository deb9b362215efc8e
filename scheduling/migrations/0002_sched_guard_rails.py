"""Guard rails (issue #10) and events (issue #11): bounded capacities and durations, the
"taught" report of ended classes, and the overbook permission for existing built-in roles."""

import django.core.validators
from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

OVERBOOK = "overbook_classes"
# Owner and Admin hold every permission without storing it; these two get it stored.
OVERBOOK_KINDS = ("manager", "front_desk")


def classes_already_over_are_reported(apps, schema_editor):
    # Classes that ended before this migration are history: payroll is not told of them again.
    ClassSession = apps.get_model("scheduling", "ClassSession")
    ClassSession.objects.filter(ends_at__lte=timezone.now()).update(taught_reported_at=F("ends_at"))


def grant_overbook(apps, schema_editor):
    Role = apps.get_model("studio", "Role")
    for role in Role.objects.filter(kind__in=OVERBOOK_KINDS).exclude(permissions__contains=[OVERBOOK]):
        role.permissions = [*role.permissions, OVERBOOK]
        role.save(update_fields=["permissions"])


def revoke_overbook(apps, schema_editor):
    Role = apps.get_model("studio", "Role")
    for role in Role.objects.filter(permissions__contains=[OVERBOOK]):
        role.permissions = [p for p in role.permissions if p != OVERBOOK]
        role.save(update_fields=["permissions"])


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0001_initial'),
        ('studio', '0002_auditlog_append_only'),
    ]

    operations = [
        migrations.AddField(
            model_name='classsession',
            name='taught_reported_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='classseries',
            name='capacity',
            field=models.PositiveIntegerField(blank=True, help_text="Leave empty to use the template's.", null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(500)], verbose_name='capacity'),
        ),
        migrations.AlterField(
            model_name='classseries',
            name='duration_minutes',
            field=models.PositiveSmallIntegerField(blank=True, help_text="Leave empty to use the template's.", null=True, validators=[django.core.validators.MinValueValidator(5), django.core.validators.MaxValueValidator(720)], verbose_name='duration (minutes)'),
        ),
        migrations.AlterField(
            model_name='classsession',
            name='capacity',
            field=models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(500)], verbose_name='capacity'),
        ),
        migrations.AlterField(
            model_name='classtemplate',
            name='capacity',
            field=models.PositiveIntegerField(default=20, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(500)], verbose_name='capacity'),
        ),
        migrations.AlterField(
            model_name='classtemplate',
            name='default_duration_minutes',
            field=models.PositiveSmallIntegerField(default=60, validators=[django.core.validators.MinValueValidator(5), django.core.validators.MaxValueValidator(720)], verbose_name='default duration (minutes)'),
        ),
        migrations.RunPython(classes_already_over_are_reported, migrations.RunPython.noop),
        migrations.RunPython(grant_overbook, revoke_overbook),
    ]
