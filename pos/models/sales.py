"""A point-of-sale sale (POS-1): its cart lines, and the tenders that pay it.

Life cycle (docs/pos.md):
- OPEN: the cart is being built; lines, quantities, discounts and the client change freely and
  the totals are recomputed on every change (`pos.pricing`).
- TENDERING: the first tender froze the cart: lines and totals are fixed, the stock is taken and
  a drop-in's place is held; tenders are taken until the balance is zero.
- COMPLETED: paid in full; what was bought exists (memberships, bookings, credit, fees paid).
- VOIDED: abandoned after tendering began; what was taken was refunded or voided, the stock and
  the places went back. A sale voided while OPEN took nothing.

Money is integer minor units of `currency`. The totals on the rows are what the pricing
computed when the cart was frozen (before that they are refreshed on every change).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class SaleStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    TENDERING = "tendering", _("Being paid")
    COMPLETED = "completed", _("Completed")
    VOIDED = "voided", _("Abandoned")


class DiscountKind(models.TextChoices):
    NONE = "", _("No discount")
    AMOUNT = "amount", _("Amount off")
    PERCENT = "percent", _("Percent off")


class Sale(TenantModel):
    # The receipt's number, per studio, given when the sale completes (1, 2, 3…).
    number = models.PositiveIntegerField(null=True, blank=True)
    location = models.ForeignKey("studio.Location", on_delete=models.PROTECT, related_name="+")
    cash_session = models.ForeignKey(
        "pos.CashSession", on_delete=models.PROTECT, null=True, blank=True, related_name="sales"
    )
    client = models.ForeignKey(
        "studio.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="pos_sales"
    )  # None: a walk-in without a client record
    status = models.CharField(max_length=10, choices=SaleStatus.choices, default=SaleStatus.OPEN)
    currency = models.CharField(max_length=3)
    # The cart's own discount (besides each line's), with the permission to discount (audited).
    discount_kind = models.CharField(max_length=8, choices=DiscountKind.choices, default="", blank=True)
    discount_amount = models.BigIntegerField(default=0)  # AMOUNT: minor units off the cart
    discount_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    # Totals (refreshed while OPEN, frozen from TENDERING on).
    subtotal = models.BigIntegerField(default=0)  # Σ unit × quantity
    discount_total = models.BigIntegerField(default=0)  # every discount, lines' and cart's
    tax_total = models.BigIntegerField(default=0)
    tax_lines = models.JSONField(default=list, blank=True)  # [{"name", "rate", "amount"}] summed by tax
    total = models.BigIntegerField(default=0)  # what the goods cost: subtotal − discounts + taxes
    # Tips taken on the reader (the sum of the tenders' tips), and who they go to (payroll).
    tip_amount = models.BigIntegerField(default=0)
    tip_staff = models.ForeignKey(
        "studio.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The screen's one-time token: a double click on "New sale" opens one sale, not two.
    token = models.CharField(max_length=64)
    void_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "token"], name="sale_token_unique"),
            models.UniqueConstraint(
                fields=["studio", "number"],
                condition=models.Q(number__isnull=False),
                name="sale_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_amount__gte=0), name="sale_discount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "location", "-created_at"]),
            models.Index(fields=["studio", "client", "-created_at"]),
            models.Index(fields=["studio", "status"]),
        ]

    def __str__(self) -> str:
        return f"#{self.number}" if self.number else f"sale {self.pk}"


class LineKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    PLAN = "plan", _("Membership, pack or pass")
    DROP_IN = "drop_in", _("Drop-in class")
    OWED = "owed", _("Amount owed")
    CREDIT_TOPUP = "credit_topup", _("Studio credit top-up")


class SaleLine(TenantModel):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=14, choices=LineKind.choices)
    # What the line is (one of these, by kind).
    product = models.ForeignKey(
        "pos.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    plan = models.ForeignKey(
        "memberships.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "scheduling.ClassSession", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # OWED: what is owed, as memberships' `amounts_owed_for` names it ("penalty" / "renewal" and its id).
    owed_kind = models.CharField(max_length=20, blank=True)
    owed_id = models.BigIntegerField(null=True, blank=True)
    description = models.CharField(max_length=200)  # the name at the time of the sale, for the receipt
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.BigIntegerField()  # minor units, taxes excluded
    tax_kind = models.CharField(max_length=20, blank=True)  # payments' ItemKind code; "" = not taxed
    discount_kind = models.CharField(max_length=8, choices=DiscountKind.choices, default="", blank=True)
    discount_amount = models.BigIntegerField(default=0)
    discount_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    # Computed by the pricing (refreshed while OPEN, frozen from TENDERING on).
    line_subtotal = models.BigIntegerField(default=0)  # unit × quantity
    line_discount = models.BigIntegerField(default=0)  # the line's own discount + its share of the cart's
    tax_total = models.BigIntegerField(default=0)
    tax_lines = models.JSONField(default=list, blank=True)
    line_total = models.BigIntegerField(default=0)  # subtotal − discount + taxes
    # What the sale made of the line once paid: "membership:12", "booking:34", "penalty:5", "credit:7".
    fulfilment_ref = models.CharField(max_length=64, blank=True)
    # Returns (refunds of the line): how many units and how much money went back.
    returned_quantity = models.PositiveIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="sale_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(unit_amount__gte=0), name="sale_line_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(returned_quantity__lte=models.F("quantity")),
                name="sale_line_returns_within",
            ),
        ]
        indexes = [models.Index(fields=["studio", "sale"])]


class TenderKind(models.TextChoices):
    CASH = "cash", _("Cash")
    CREDIT = "credit", _("Studio credit")
    SAVED_CARD = "saved_card", _("Saved card")
    MANUAL_CARD = "manual_card", _("Card entered by hand")
    READER = "reader", _("Card reader")


class TenderStatus(models.TextChoices):
    PENDING = "pending", _("In progress")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Declined")
    CANCELED = "canceled", _("Cancelled")


class SaleTender(TenantModel):
    """One way the client paid part (or all) of a sale. Each has its own `payments.Payment`."""

    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, related_name="tenders")
    kind = models.CharField(max_length=12, choices=TenderKind.choices)
    status = models.CharField(max_length=10, choices=TenderStatus.choices, default=TenderStatus.PENDING)
    amount = models.BigIntegerField()  # the part of the sale's total this tender pays (no fee, no tip)
    card_fee_amount = models.BigIntegerField(default=0)  # PAY-8, when the studio passes fees on
    tip_amount = models.BigIntegerField(default=0)  # chosen on the reader
    cash_received = models.BigIntegerField(null=True, blank=True)  # CASH: what the client handed over
    change_due = models.BigIntegerField(default=0)
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reader = models.ForeignKey(
        "payments.CardReader", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    save_card = models.BooleanField(default=False)  # the client consented to keep the card (SPM-3)
    # The tender form's one-time token: two tabs or twenty POSTs of the same form make one tender.
    token = models.CharField(max_length=64)
    failure_message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "sale", "token"], name="sale_tender_token_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sale_tender_amount_positive"),
            # At most one card tender in flight per sale: the screen follows one reader or card at a time.
            models.UniqueConstraint(
                fields=["studio", "sale"],
                condition=models.Q(status="pending"),
                name="one_pending_tender_per_sale",
            ),
        ]
        indexes = [models.Index(fields=["studio", "sale"])]
