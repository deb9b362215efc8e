"""Retail products (POS-4): price, tax kind, SKU and barcode, stock per location."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel


class Product(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True)
    price_amount = models.BigIntegerField(_("price"))  # minor units, taxes excluded
    currency = models.CharField(max_length=3)
    # payments' ItemKind code the product is taxed as (PAY-9); "product" unless the studio says otherwise.
    tax_kind = models.CharField(_("taxed as"), max_length=20, default="product")
    track_stock = models.BooleanField(_("track stock"), default=True)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock alert at"), default=3)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "sku"], condition=~models.Q(sku=""), name="product_sku_unique_per_studio"
            ),
            models.UniqueConstraint(
                fields=["studio", "barcode"],
                condition=~models.Q(barcode=""),
                name="product_barcode_unique_per_studio",
            ),
            models.CheckConstraint(
                condition=models.Q(price_amount__gte=0), name="product_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProductStock(TenantModel):
    """How many units of a product a location has. Never negative (the database refuses)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock")
    location = models.ForeignKey("studio.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField(_("in stock"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "product", "location"], name="one_stock_row_per_location"
            ),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_not_negative"),
        ]


class StockMovement(TenantModel):
    """Every change of a stock count and why: sold, returned, a sale voided, counted by staff."""

    class Reason(models.TextChoices):
        SALE = "sale", _("Sold")
        RETURN = "return", _("Returned")
        VOID = "void", _("Sale abandoned")
        ADJUSTMENT = "adjustment", _("Counted or adjusted")
        RECEIVED = "received", _("Received")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    location = models.ForeignKey("studio.Location", on_delete=models.PROTECT, related_name="+")
    delta = models.IntegerField()
    quantity_after = models.IntegerField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    sale = models.ForeignKey("pos.Sale", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["studio", "product", "-created_at"])]
