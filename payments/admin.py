"""The platform operator's view of payments (the admin site runs unscoped: studio/admin_site.py).

The ledger is read-only here: money moves only through the services. The operator's own jobs
are the platform fee per studio (PaymentSettings) and paying escrow payout requests (PAY-6).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from payments.models import (
    ConnectedAccount,
    CreditEntry,
    EscrowPayoutRequest,
    Payment,
    PaymentSettings,
    PaymentStatusChange,
    Refund,
    StripeEvent,
    TaxRate,
)
from payments.services.escrow import escrow_payout_mark_paid, escrow_payout_reject
from studio.money import PercentField
from studio.services import Actor


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only: the admin looks, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusChangeInline(ReadOnlyInline):
    model = PaymentStatusChange
    fields = ["at", "status", "source", "detail"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fk_name = "payment"
    fields = [
        "created_at",
        "amount",
        "destination",
        "status",
        "stripe_refund_id",
        "reason",
        "failure_message",
    ]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "studio",
        "description",
        "amount",
        "currency",
        "status",
        "is_escrow",
        "stripe_account_id",
        "routing_rule",
        "amount_refunded",
    ]
    list_filter = ["status", "is_escrow", "channel", "item_kind", "studio"]
    list_select_related = ["studio"]
    search_fields = ["idempotency_key", "stripe_payment_intent_id", "stripe_charge_id", "description"]
    date_hierarchy = "created_at"
    inlines = [StatusChangeInline, RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "studio",
        "payment",
        "amount",
        "destination",
        "status",
        "stripe_refund_id",
    ]
    list_filter = ["status", "destination", "studio"]
    list_select_related = ["studio", "payment"]
    search_fields = ["idempotency_key", "stripe_refund_id"]


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "studio", "client", "amount", "currency", "kind", "note"]
    list_filter = ["kind", "studio"]
    list_select_related = ["studio", "client"]


class MarkPaidForm(forms.Form):
    reference = forms.CharField(label=_("Transfer reference"), max_length=120)


@admin.register(EscrowPayoutRequest)
class EscrowPayoutRequestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "requested_at",
        "studio",
        "amount",
        "currency",
        "legal_name",
        "status",
        "paid_at",
        "paid_reference",
    ]
    list_filter = ["status", "studio"]
    list_select_related = ["studio"]
    readonly_fields = [
        "studio",
        "amount",
        "currency",
        "legal_name",
        "account_type",
        "routing_number",
        "account_number",
        "bic",
        "address",
        "status",
        "requested_by",
        "requested_at",
        "paid_at",
        "paid_reference",
    ]
    actions = ["mark_paid", "reject"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Mark as paid (asks for the transfer reference)"))
    def mark_paid(self, request, queryset):
        form = MarkPaidForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor = Actor(user=request.user, ip_address=request.META.get("REMOTE_ADDR"))
            paid = 0
            for payout in queryset:
                try:
                    escrow_payout_mark_paid(
                        payout=payout, actor=actor, reference=form.cleaned_data["reference"]
                    )
                    paid += 1
                except ValidationError as exc:
                    self.message_user(request, f"#{payout.pk}: {' '.join(exc.messages)}", messages.ERROR)
            self.message_user(
                request,
                ngettext(
                    "%(count)d payout request marked as paid.",
                    "%(count)d payout requests marked as paid.",
                    paid,
                )
                % {"count": paid},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "payments/admin_escrow_mark_paid.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Mark payout requests as paid"),
                "form": form,
                "payouts": list(queryset),
                "action": "mark_paid",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Reject (the amount returns to the studio's escrow balance)"))
    def reject(self, request, queryset):
        actor = Actor(user=request.user, ip_address=request.META.get("REMOTE_ADDR"))
        for payout in queryset:
            try:
                escrow_payout_reject(payout=payout, actor=actor)
            except ValidationError as exc:
                self.message_user(request, f"#{payout.pk}: {' '.join(exc.messages)}", messages.ERROR)


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(admin.ModelAdmin):
    """The platform fee is set here, per studio; studios only see it (fees page)."""

    list_display = [
        "studio",
        "application_fee_percent",
        "application_fee_fixed",
        "card_fee_mode",
        "card_fee_percent",
        "card_fee_fixed",
        "saved_methods_enabled",
    ]
    list_select_related = ["studio"]
    fields = [
        "studio",
        "application_fee_percent",
        "application_fee_fixed",
        "card_fee_mode",
        "card_fee_percent",
        "card_fee_fixed",
        "saved_methods_enabled",
    ]
    readonly_fields = [
        "studio",
        "card_fee_mode",
        "card_fee_percent",
        "card_fee_fixed",
        "saved_methods_enabled",
    ]
    # The platform fee is typed like every other rate: "1,25" in French, "1.25" in English.
    formfield_overrides = {models.DecimalField: {"form_class": PercentField}}

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaxRate)
class TaxRateAdmin(ReadOnlyAdmin):
    list_display = ["studio", "name", "rate", "item_kinds", "archived_at"]
    list_filter = ["studio"]
    list_select_related = ["studio"]


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "display_name",
        "studio",
        "stripe_account_id",
        "state",
        "is_default",
        "charges_enabled",
        "payouts_enabled",
        "synced_at",
    ]
    list_filter = ["state", "charges_enabled", "studio"]
    list_select_related = ["studio"]
    search_fields = ["stripe_account_id", "display_name"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "type",
        "event_id",
        "account",
        "studio_id",
        "processed_at",
        "attempts",
        "outcome",
    ]
    list_filter = ["type"]
    search_fields = ["event_id", "account"]
    date_hierarchy = "received_at"
