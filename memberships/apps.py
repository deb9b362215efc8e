from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipsConfig(AppConfig):
    name = "memberships"
    verbose_name = _("Memberships")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from memberships import registrations

        registrations.register_all()
