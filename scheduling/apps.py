from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from scheduling import panels, tasks
        from studio import checklist, navigation, profile_sections
        from studio.navigation import NavEntry
        from studio.permissions import Perm

        navigation.add_manage(NavEntry(_("Schedule"), "schedule-calendar", order=10))
        navigation.add_manage(NavEntry(_("Classes"), "class-template-list", perm=Perm.MANAGE_SCHEDULE, order=11))
        navigation.add_manage(NavEntry(_("Appointments"), "appointment-overview", order=12))
        navigation.add_manage(NavEntry(_("Kiosk"), "kiosk", perm=Perm.CHECK_IN, order=13))
        navigation.add_public(NavEntry(_("Schedule"), "public-schedule", order=10))
        navigation.add_public(NavEntry(_("Appointments"), "public-appointments", order=11))
        checklist.CHECKS["classes"] = panels.classes_step_done
        profile_sections.register(panels.client_bookings_panel)
        profile_sections.register_account(panels.account_bookings_panel)
        # Beat reads settings.CELERY_BEAT_SCHEDULE after django.setup(); see scheduling/tasks.py.
        settings.CELERY_BEAT_SCHEDULE.update(tasks.BEAT_SCHEDULE)
