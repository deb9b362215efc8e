"""What invoices and payment links (PAY-11) add to the platform's registries, from payments' ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from payments.services import invoices
    from payments.services.sources import source_kind_register
    from studio import beat, navigation
    from studio.permissions import Perm
    from studio.registries import audit, profile_panels

    source_kind_register(invoices.SOURCE_KIND, on_outcome=invoices.invoice_on_outcome)
    invoices.register_emails()
    # Daily is enough for "3 days before" and "on the due date"; hourly keeps a missed run short.
    beat.register("payments-invoice-reminders", task="payments.invoice_reminders_sweep", schedule=3600.0)
    navigation.add_manage(
        navigation.NavEntry(_("Invoices"), "invoice-list", perm=Perm.BILL_CLIENTS, order=56)
    )

    from payments.selectors_invoices import INVOICES_PANEL

    profile_panels.register_profile_panel(INVOICES_PANEL)

    audit.register_actions(
        {
            "invoice.created": _("Invoice created"),
            "invoice.sent": _("Invoice's payment link sent"),
            "invoice.voided": _("Invoice cancelled"),
        }
    )
    audit.register_fields(
        {
            "invoice_number": audit.Field(_("Invoice number")),
            "deposit": audit.Field(_("Deposit"), audit.money),
            "void_reason": audit.Field(_("Why"), _void_reason),
        }
    )
    audit.register_record("invoice", lambda entry: str(_("Invoice %(name)s") % {"name": entry.object_repr}))


def _void_reason(value, ctx) -> str:
    from payments.models.invoices import VoidReason
    from studio.registries import audit

    labels = dict(VoidReason.choices)
    return str(labels[value]) if value in labels else audit.plain(value, ctx)
