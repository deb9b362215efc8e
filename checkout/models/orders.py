"""An online order (CHK-2): what a client buys on the studio's hosted pages, and how it is paid.

Life cycle (docs/checkout.md):
- OPEN: the cart. Lines come and go; the totals are recomputed on every change. An anonymous
  visitor's cart is theirs through the session (`checkout.services.cart`); signing in attaches
  it to their client record.
- PAYING: the client pressed "Pay": lines and totals are frozen, a drop-in's place and an
  appointment's slot are held, the credit part is taken and the card payment is committed
  (routed by PAY-3 rules 2–4). A refused card sends the order back to OPEN (the holds and the
  credit given back), so the client can try another card.
- PAID: the card payment succeeded (or nothing was left to charge after credit); what was
  bought exists exactly once (memberships, bookings, appointments, stock out, fees paid).
- CANCELED: abandoned; nothing taken, or everything given back.

Money is integer minor units of `currency`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from checkout.formats import moment_label
from studio.tenancy import TenantModel


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Cart")
    PAYING = "paying", _("Payment in progress")
    PAID = "paid", _("Paid")
    CANCELED = "canceled", _("Cancelled")


class OrderLineKind(models.TextChoices):
    PLAN = "plan", _("Membership, pack or pass")
    DROP_IN = "drop_in", _("Drop-in class")
    APPOINTMENT = "appointment", _("Appointment")
    PRODUCT = "product", _("Product")
    OWED = "owed", _("Amount owed")


class Order(TenantModel):
    number = models.PositiveIntegerField(null=True, blank=True)  # given when paid: the receipt's number
    token = models.CharField(max_length=32)  # the public id in URLs (never the pk)
    client = models.ForeignKey(
        "studio.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    currency = models.CharField(max_length=3)

    subtotal = models.BigIntegerField(default=0)  # Σ unit × quantity
    tax_total = models.BigIntegerField(default=0)
    tax_lines = models.JSONField(default=list, blank=True)  # [{"name", "rate", "amount"}] summed by tax
    total = models.BigIntegerField(default=0)  # what the goods cost: subtotal + taxes
    use_credit = models.BooleanField(default=False)  # the client asked to spend their studio credit
    credit_applied = models.BigIntegerField(default=0)  # the part paid from studio credit
    card_fee = models.BigIntegerField(default=0)  # PAY-8, on the card part, when passed on
    amount_due = models.BigIntegerField(default=0)  # what the card is charged: total − credit + fee
    save_card = models.BooleanField(default=False)  # SPM-3: the client consented to keep the card

    payment = models.ForeignKey(  # the card part
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    credit_payment = models.ForeignKey(  # the studio-credit part (an offline tender in the ledger)
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pay_token = models.CharField(max_length=64, blank=True)  # the pay form's one-time token
    attempt = models.PositiveSmallIntegerField(default=0)  # card attempts: keys the payment of each
    failure_code = models.CharField(max_length=60, blank=True)  # the last refused attempt's code

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("online order")
        verbose_name_plural = _("online orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "token"], name="order_token_unique"),
            models.UniqueConstraint(
                fields=["studio", "number"],
                condition=models.Q(number__isnull=False),
                name="order_number_unique",
            ),
            models.UniqueConstraint(
                fields=["studio", "pay_token"],
                condition=~models.Q(pay_token=""),
                name="order_pay_token_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_applied__gte=0), name="order_credit_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(credit_applied__lte=models.F("total")), name="order_credit_within_total"
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "client", "-created_at"]),
            models.Index(fields=["studio", "status", "updated_at"]),
        ]

    def __str__(self) -> str:
        return f"W-{self.number}" if self.number else f"order {self.pk}"

    @property
    def paid_total(self) -> int:
        """What the client paid for the order: the goods, plus the card fee when passed on (the
        credit part included)."""
        return self.total + self.card_fee


class OrderLine(TenantModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=14, choices=OrderLineKind.choices)

    plan = models.ForeignKey(
        "memberships.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "scheduling.ClassSession", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment_service = models.ForeignKey(
        "scheduling.AppointmentService", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appointment_calendar = models.ForeignKey(
        "scheduling.AppointmentCalendar", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A class's or an appointment's start, frozen with the line: its receipt writes it in the
    # reader's language and the place's zone (`label`), never as stored words.
    starts_at = models.DateTimeField(null=True, blank=True)
    product = models.ForeignKey(
        "pos.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owed_kind = models.CharField(max_length=20, blank=True)  # "penalty" / "renewal"
    owed_id = models.BigIntegerField(null=True, blank=True)
    # Where the item belongs (a class's, an appointment's or a product's location; a plan's "held
    # at"): PAY-3 rule 2 routes by it, products leave this location's stock.
    location = models.ForeignKey(
        "studio.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    description = models.CharField(max_length=200)  # the item's name at the time of the order
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.BigIntegerField()  # minor units, taxes excluded
    tax_kind = models.CharField(max_length=20, blank=True)  # payments' ItemKind code; "" = not taxed
    line_subtotal = models.BigIntegerField(default=0)
    tax_total = models.BigIntegerField(default=0)
    tax_lines = models.JSONField(default=list, blank=True)
    line_total = models.BigIntegerField(default=0)
    # What the line became or holds: "booking:<id>", "appointment:<id>", "membership:<id>",
    # "stock:<movement id>", "penalty:<id>"…; set when held (at freeze) or fulfilled (when paid).
    fulfilment_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(unit_amount__gte=0), name="order_line_amount_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["studio", "order"])]

    @property
    def label(self) -> str:
        """The line as its reader sees it: the item's name, and for a class or an appointment its
        date and time where it takes place, written in the active language when shown."""
        if self.starts_at is None or self.kind not in (OrderLineKind.DROP_IN, OrderLineKind.APPOINTMENT):
            return self.description
        zone = (self.location.time_zone if self.location_id else "") or self.studio.time_zone
        return f"{self.description} · {moment_label(self.starts_at, zone)}"

    def __str__(self) -> str:
        return self.description


class CardForm(models.TextChoices):
    ELEMENTS = "elements", _("Card fields on the studio's page (Stripe Elements)")
    HOSTED = "hosted", _("Stripe's hosted payment page (Stripe Checkout)")


class CheckoutSettings(TenantModel):
    """How the studio's clients pay online. One row per studio, created on first read."""

    card_form = models.CharField(
        _("card entry"), max_length=10, choices=CardForm.choices, default=CardForm.ELEMENTS
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("checkout settings")
        constraints = [models.UniqueConstraint(fields=["studio"], name="checkout_settings_one_per_studio")]
