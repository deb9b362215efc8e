from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WaiversConfig(AppConfig):
    name = "waivers"
    verbose_name = _("Waivers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waivers import registrations

        registrations.register_all()
