from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from studio import beat, checklist, navigation
        from studio.permissions import Perm
        from studio.registries import home_change, location_facts, profile_panels

        beat.register("payments-reconcile", task="payments.reconcile_all", schedule=300.0)
        beat.register("payments-refund-reconcile", task="payments.refund_reconcile_all", schedule=300.0)
        # Sweeps: whatever a broker outage or a dead worker left undone is picked up within minutes.
        beat.register("payments-outcomes-sweep", task="payments.sweep_outcomes", schedule=120.0)
        beat.register("payments-stripe-events-sweep", task="payments.sweep_stripe_events", schedule=300.0)

        navigation.add_manage(
            navigation.NavEntry(_("Payments"), "payments-ledger", perm=Perm.VIEW_REPORTS, order=55)
        )
        navigation.add_manage(
            navigation.NavEntry(
                _("Payment accounts"), "payments-accounts", perm=Perm.CONNECT_PAYMENTS, order=60
            )
        )
        navigation.add_manage(
            navigation.NavEntry(_("Stripe events"), "payments-events", perm=Perm.CONNECT_PAYMENTS, order=62)
        )
        navigation.add_settings_tab(
            navigation.NavEntry(
                _("Fees and taxes"), "payments-fees", perm=Perm.MANAGE_SETTINGS, settings_tab="payments-fees"
            )
        )
        navigation.add_settings_tab(
            navigation.NavEntry(
                _("Saved payment methods"),
                "payments-saved-methods-settings",
                perm=Perm.MANAGE_SETTINGS,
                settings_tab="saved-methods",
            )
        )
        checklist.CHECKS["stripe"] = _stripe_connected
        location_facts.register_location_fact(_location_account)

        from payments import panels

        profile_panels.register_profile_panel(panels.SAVED_METHODS_PANEL)
        profile_panels.register_profile_panel(panels.MONEY_PANEL)
        profile_panels.register_account_panel(panels.client_saved_methods)
        home_change.register_home_change_check(panels.home_change_check)
        _register_audit_terms()

        from payments import registrations_invoices

        registrations_invoices.register()


def _stripe_connected(studio) -> bool:
    from payments.models import ConnectedAccount

    return (
        ConnectedAccount.objects.filter(studio=studio, charges_enabled=True)
        .exclude(stripe_account_id="")
        .exists()
    )


def _location_account(location):
    from payments.services.accounts import account_for_location

    if not location.is_home_location:
        return None
    account = account_for_location(studio=location.studio, location=location)
    label = _("Payment account")
    if account is None:
        return {"label": label, "value": _("the studio's default account")}
    return {"label": label, "value": account.display_name}


def _register_audit_terms() -> None:
    """How payments' audit codes and details read in the audit log (studio.registries.audit)."""
    from studio.registries import audit

    audit.register_actions(
        {
            "payment.created": _("Payment started"),
            "payment.tendered": _("Payment recorded (cash or credit)"),
            "refund.created": _("Refund requested"),
            "refund.succeeded": _("Refund completed"),
            "refund.failed": _("Refund failed"),
            "credit.granted": _("Studio credit added"),
            "credit.spent": _("Studio credit used"),
            "tax_rate.created": _("Tax added"),
            "tax_rate.updated": _("Tax changed"),
            "tax_rate.archived": _("Tax archived"),
            "tax_rate.restored": _("Tax restored"),
            "escrow.payout_requested": _("Payout of held funds requested"),
            "escrow.payout_paid": _("Payout of held funds paid"),
            "escrow.payout_rejected": _("Payout of held funds rejected"),
            "payments.account_started": _("Payment account created"),
            "payments.account_created": _("Payment account opened at Stripe"),
            "payments.account_status": _("Payment account status updated by Stripe"),
            "payments.account_changed": _("Payment account changed"),
            "payments.fees_updated": _("Card fees changed"),
            "payments.saved_methods_enabled": _("Saved payment methods turned on"),
            "payments.saved_methods_disabled": _("Saved payment methods turned off"),
            "payments.saved_method_added": _("Payment method saved"),
            "payments.saved_method_default": _("Default payment method changed"),
            "payments.saved_method_deleted": _("Saved payment method removed"),
            "payments.saved_method_migrated": _("Payment method imported"),
            "payments.migration_uploaded": _("Payment method import uploaded"),
            "payments.migration_dry_run": _("Payment method import checked for a row"),
            "payments.migration_applied": _("Payment method import applied"),
            "payments.migration_apply": _("Payment method import started for a row"),
            "payments.saved_method_refused": _("Card from a sale not saved"),
            "card_reader.registered": _("Card reader paired"),
            "card_reader.renamed": _("Card reader renamed"),
            "card_reader.deleted": _("Card reader deleted"),
        }
    )
    audit.register_fields(
        {
            "amount": audit.Field(_("Amount"), audit.money),
            "fee": audit.Field(_("Fee"), audit.money),
            "payment": audit.Field(_("Payment"), lambda value, ctx: _("Payment #%(id)s") % {"id": value}),
            "last4": audit.Field(_("Card ending in")),
            "kind": audit.Field(_("Kind"), _choice_label),
            "entry": audit.Field(_("Credit entry"), lambda value, ctx: _("Entry #%(id)s") % {"id": value}),
            "account": audit.Field(_("Payment account")),
            "stripe_account": audit.Field(_("Stripe account")),
            "target_account": audit.Field(_("Target account")),
            "rows": audit.Field(_("Rows")),
            "columns": audit.Field(_("Columns of the file"), _columns),
            "applies_to": audit.Field(_("Applies to"), _choice_label),
            "tender": audit.Field(_("Paid by"), _choice_label),
            "reference": audit.Field(_("Reference")),
            "was_default": audit.Field(_("Was the default")),
            "default": audit.Field(_("Default")),
            "charges_enabled": audit.Field(_("Can take payments")),
            "stripe_refund_id": audit.Field(_("Stripe refund")),
            "note": audit.Field(_("Note")),
            "counts": audit.Field(_("Rows by outcome")),
            "clients": audit.Field(_("Clients")),
            "defaults": audit.Field(_("Default methods set")),
            "rule": audit.Field(_("Routing rule")),
            "seed": audit.Field(_("Added from the suggested taxes")),
            "message": audit.Field(_("Stripe's message")),
            "save_refused": audit.Field(_("Why"), _refusal_reason),
            "reader_location": audit.Field(_("Location"), _location_name),
            "device_type": audit.Field(_("Reader model")),
            "serial_number": audit.Field(_("Serial number")),
        }
    )
    audit.register_record("paymentsettings", lambda entry: str(_("Payment settings")))


def _choice_label(value, ctx) -> str:
    """A code from one of payments' choices (credit kinds, saved-method kinds, item kinds, tenders)."""
    from payments.models import CreditEntry, Payment, SavedPaymentMethod
    from payments.models.settings import ItemKind
    from studio.registries import audit

    for choices in (CreditEntry.Kind, SavedPaymentMethod.Kind, ItemKind, getattr(Payment, "Tender", None)):
        labels = dict(choices.choices) if choices is not None else {}
        if isinstance(value, str) and value in labels:
            return str(labels[value])
    if isinstance(value, list):
        return ", ".join(_choice_label(v, ctx) for v in value)
    return audit.plain(value, ctx)


def _refusal_reason(value, ctx) -> str:
    """Why a card from a sale was not saved (payments.services.saved_methods)."""
    from studio.registries import audit

    reasons = {
        "duplicate": _("the card is already saved for this client"),
        "limit": _("the client already has the most saved methods allowed"),
        "feature_off": _("saved payment methods are turned off"),
        "no_customer": _("the client has no Stripe customer on this account"),
    }
    return str(reasons[value]) if value in reasons else audit.plain(value, ctx)


def _location_name(value, ctx) -> str:
    """A location id by its name (looked up once per page of entries)."""
    from studio.models import Location
    from studio.registries import audit

    if isinstance(value, int) and not isinstance(value, bool):
        found = ctx.lookups.get(Location, value)
        return found.name if found is not None else _("a deleted location")
    return audit.plain(value, ctx)


def _columns(value, ctx) -> str:
    """The file's column mapping ({our column: the file's}): the file's names, which the owner knows."""
    from studio.registries import audit

    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v) or "—"
    return audit.plain(value, ctx)
