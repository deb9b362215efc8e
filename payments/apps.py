from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from studio import checklist, navigation, profile_sections
        from studio.permissions import Perm

        navigation.add_manage(navigation.NavEntry(_("Payments"), "payments-ledger", perm=Perm.VIEW_REPORTS, order=55))
        navigation.add_manage(navigation.NavEntry(_("Payment accounts"), "payments-accounts",
                                                  perm=Perm.CONNECT_PAYMENTS, order=60))
        navigation.add_manage(navigation.NavEntry(_("Stripe events"), "payments-events",
                                                  perm=Perm.CONNECT_PAYMENTS, order=62))
        navigation.add_settings_tab(navigation.NavEntry(_("Fees and taxes"), "payments-fees",
                                                        perm=Perm.MANAGE_SETTINGS, settings_tab="payments-fees"))
        navigation.add_settings_tab(navigation.NavEntry(_("Saved payment methods"), "payments-saved-methods-settings",
                                                        perm=Perm.MANAGE_SETTINGS, settings_tab="saved-methods"))
        checklist.CHECKS["stripe"] = _stripe_connected
        profile_sections.register_location_fact(_location_account)

        from payments import panels

        profile_sections.register(panels.staff_saved_methods)
        profile_sections.register(panels.staff_money)
        profile_sections.register_account(panels.client_saved_methods)
        profile_sections.register_home_change_check(panels.home_change_check)


def _stripe_connected(studio) -> bool:
    from payments.models import ConnectedAccount

    return ConnectedAccount.objects.filter(studio=studio, charges_enabled=True).exclude(stripe_account_id="").exists()


def _location_account(location):
    from payments.services.accounts import account_for_location

    if not location.is_home_location:
        return None
    account = account_for_location(studio=location.studio, location=location)
    label = _("Payment account")
    if account is None:
        return {"label": label, "value": _("the studio's default account")}
    return {"label": label, "value": account.display_name}
