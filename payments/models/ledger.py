"""The payments ledger (PAY-4, PAY-7): every attempt, its status history, refunds and studio credit.

Money is integer minor units of the studio's currency; rates elsewhere are Decimals.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from payments.models.settings import Channel, ItemKind
from studio.money import format_money
from studio.tenancy import TenantModel


class Payment(TenantModel):
    """One payment attempt: what for, how much, on which account and why, and what Stripe said."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # row committed, Stripe not called yet (or outcome unknown)
        REQUIRES_ACTION = "requires_action", _("Waiting for the client")
        PROCESSING = "processing", _("Processing")
        AUTHORIZED = "authorized", _("Authorized")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    #: Where a payment ends: nothing Stripe says afterwards changes it.
    FINAL_STATUSES = frozenset({Status.SUCCEEDED, Status.FAILED, Status.CANCELED})

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        CARD_PRESENT = "card_present", _("Card reader")
        SAVED_METHOD = "saved_method", _("Saved payment method")
        CHECKOUT = "checkout", _("Online checkout")
        CREDIT = "credit", _("Studio credit")
        CASH = "cash", _("Cash")

    client = models.ForeignKey(
        "studio.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount = models.BigIntegerField(_("amount"))  # total charged, minor units
    currency = models.CharField(max_length=3)
    subtotal = models.BigIntegerField(_("subtotal"), default=0)
    tax_amount = models.BigIntegerField(_("taxes"), default=0)
    tax_lines = models.JSONField(default=list, blank=True)  # [{"name", "rate", "amount"}]
    card_fee_amount = models.BigIntegerField(_("card fee"), default=0)  # passed on to the client (PAY-8)
    application_fee_amount = models.BigIntegerField(_("platform fee"), default=0)
    account = models.ForeignKey(
        "payments.ConnectedAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    stripe_account_id = models.CharField(max_length=64, blank=True)  # "" = the platform (escrow)
    is_escrow = models.BooleanField(_("escrow"), default=False)
    routing_rule = models.CharField(_("routing rule"), max_length=40)
    # The route is stored as its rule and parameters, worded at display time (payments.services.routing).
    routing_params = models.JSONField(default=dict, blank=True)
    # Legacy only: the sentence older rows stored, kept where no parameters could be derived from it.
    routing_reason = models.CharField(_("why this account"), max_length=300, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    item_kind = models.CharField(_("purpose"), max_length=20, choices=ItemKind.choices)
    description = models.CharField(_("description"), max_length=200)
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.CARD)
    location = models.ForeignKey(
        "studio.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_home_location = models.ForeignKey(
        "studio.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    outcome_unknown = models.BooleanField(
        default=False, help_text="Stripe's answer was lost; reconcile settles it"
    )
    stripe_payment_intent_id = models.CharField(max_length=64, blank=True)
    stripe_charge_id = models.CharField(max_length=64, blank=True)
    payment_method_id = models.CharField(max_length=64, blank=True)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    off_session = models.BooleanField(default=False)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    amount_refunded = models.BigIntegerField(default=0)
    # A tip added on the card reader (POS-3): part of `amount`, its own line on the receipt.
    tip_amount = models.BigIntegerField(_("tip"), default=0)
    # The card that paid, for receipts (brand and last 4 only, never a number).
    card_brand = models.CharField(max_length=40, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    # "Save this card" (SPM-3): the intent asks Stripe to keep the card for later, on this account.
    save_method = models.BooleanField(default=False)
    reader = models.ForeignKey(
        "payments.CardReader", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    # The reader was asked to offer tips: a push repeated after a lost answer must say the same.
    tip_requested = models.BooleanField(default=False)
    # What was bought: a source kind an app registered (payments.services.sources), and its own id.
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "idempotency_key"], name="payment_idempotency_key_unique"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__gte=0)
                & models.Q(amount_refunded__lte=models.F("amount")),
                name="payment_refunds_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "client", "-created_at"]),
            models.Index(fields=["studio", "status"]),
            models.Index(fields=["studio", "stripe_payment_intent_id"]),
        ]

    def __str__(self) -> str:
        # Through the one money helper (integer minor units, the currency's own exponent), never a float.
        return f"{self.description} ({format_money(self.amount, self.currency, language=get_language() or 'en')})"

    @property
    def refundable(self) -> int:
        return self.amount - self.amount_refunded if self.status == self.Status.SUCCEEDED else 0


class PaymentStatusChange(TenantModel):
    """Status history of a payment, from our call, the webhook or the reconcile task."""

    class Source(models.TextChoices):
        CREATED = "created", _("Created")
        API = "api", _("Stripe's answer")
        WEBHOOK = "webhook", _("Stripe notification")
        RECONCILE = "reconcile", _("Automatic check")
        STAFF = "staff", _("Staff")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=20, choices=Payment.Status.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["studio", "payment"])]


class Refund(TenantModel):
    """Money given back: to the original method (a Stripe refund) or as studio credit."""

    class Destination(models.TextChoices):
        ORIGINAL = "original", _("Original payment method")
        CREDIT = "credit", _("Studio credit")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField(_("amount"))
    destination = models.CharField(max_length=10, choices=Destination.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=120)
    stripe_refund_id = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "idempotency_key"], name="refund_idempotency_key_unique"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]


class CreditEntry(TenantModel):
    """A movement of studio credit: positive adds to the client's balance, negative spends it."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund as credit")
        SPEND = "spend", _("Spent")
        ADJUSTMENT = "adjustment", _("Adjustment")

    client = models.ForeignKey("studio.Client", on_delete=models.PROTECT, related_name="credit_entries")
    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["studio", "client"])]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="credit_entry_not_zero")]


class PaymentOutcome(TenantModel):
    """One final state change of a payment, to be told to the thing bought (its source kind's hook).

    Written in the same transaction as the change itself, so a change is never lost between
    "the payment succeeded" and "the membership heard of it"; `delivered_at` is set in the same
    transaction as the hook's own writes, so the hook's effects happen exactly once. The unique
    (payment, change) pair makes a redelivered webhook or a second reconcile write nothing new.
    """

    class State(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")
        REFUNDED = "refunded", _("Refunded")

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="outcomes")
    state = models.CharField(max_length=20, choices=State.choices)
    # Which change: "status:<status>" for the payment's own status, "refund:<id>" for each refund.
    change = models.CharField(max_length=40)
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source_type = models.CharField(max_length=40)  # the payment's, copied so the sweep needs no join
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "payment", "change"], name="payment_outcome_once_per_change"
            ),
        ]
        indexes = [
            models.Index(
                fields=["studio", "created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="payment_outcome_undelivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.change}"
