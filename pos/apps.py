from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PosConfig(AppConfig):
    name = "pos"
    verbose_name = _("Point of sale")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pos import registrations

        registrations.register_all()
