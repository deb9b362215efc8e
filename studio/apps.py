from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class StudioConfig(AppConfig):
    default = True
    name = "studio"
    verbose_name = _("Studios")
    default_auto_field = "django.db.models.BigAutoField"


class PlatformAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "studio.admin_site.PlatformAdminSite"
