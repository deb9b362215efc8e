from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    default = True
    name = "studio"
    verbose_name = _("Studios")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from studio import beat

        # Mail the broker lost at commit time, or the server refused, is sent again.
        beat.register(
            "notifications-sweep", task="studio.notifications.tasks.sweep_undelivered", schedule=300.0
        )
        from studio.notifications import registrations as notification_registrations

        notification_registrations.register()


class PlatformAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "studio.admin_site.PlatformAdminSite"
