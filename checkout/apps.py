from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = _("Online checkout")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from checkout import registrations

        registrations.register_all()
