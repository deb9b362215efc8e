"""Writing a studio's fee and tax settings (PAY-8, PAY-9), and the demo's Quebec taxes.

Reading and pricing live in `payments/services/fees.py` (`quote_build`). The platform fee
(`application_fee_*`) is the platform's to set, in the Django admin; studios only see it.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.models import PaymentSettings, TaxRate
from payments.models.settings import ItemKind
from payments.services.fees import payment_settings_for
from studio.models import Studio
from studio.services import SYSTEM, Actor, audit_record, snapshot

MAX_CARD_FEE_FIXED = 1000  # minor units: a fixed part above 10.00 is surely a typo


def payment_settings_update(
    *, studio: Studio, actor: Actor, card_fee_mode: str, card_fee_percent: Decimal, card_fee_fixed: int
) -> PaymentSettings:
    """Absorb card fees, or pass them on as their own line (percentage of the taxed total + fixed part)."""
    if card_fee_mode not in PaymentSettings.FeeMode.values:
        raise ValidationError(_("Choose who pays the card fees."), code="mode")
    if not Decimal(0) <= Decimal(card_fee_percent) <= Decimal(10):
        raise ValidationError(_("The card fee percentage is between 0 and 10."), code="percent")
    if not isinstance(card_fee_fixed, int) or not 0 <= card_fee_fixed <= MAX_CARD_FEE_FIXED:
        raise ValidationError(_("The fixed part is between 0 and 10.00."), code="fixed")
    with transaction.atomic():
        settings = PaymentSettings.objects.select_for_update().get(pk=payment_settings_for(studio=studio).pk)
        fields = ["card_fee_mode", "card_fee_percent", "card_fee_fixed"]
        before = snapshot(settings, fields)
        settings.card_fee_mode = card_fee_mode
        settings.card_fee_percent = Decimal(card_fee_percent)
        settings.card_fee_fixed = card_fee_fixed
        settings.save(update_fields=fields)
        settings.refresh_from_db(fields=["card_fee_percent"])
        changes = {
            name: [str(before.get(name)), str(getattr(settings, name))]
            for name in fields
            if str(before.get(name)) != str(getattr(settings, name))
        }
        audit_record(
            studio=studio, actor=actor, action="payments.fees_updated", obj=settings, changes=changes
        )
    return settings


def tax_rate_save(*, studio: Studio, actor: Actor, tax_rate: TaxRate) -> TaxRate:
    """Create or update a tax rate (name unique per studio; rate in percent; the item kinds it applies to)."""
    if tax_rate.studio_id not in (None, studio.pk):
        raise ValidationError(_("This tax rate belongs to another studio."), code="studio")
    tax_rate.studio = studio
    unknown = set(tax_rate.item_kinds) - set(ItemKind.values)
    if unknown:
        raise ValidationError(_("Unknown item kinds: %(kinds)s") % {"kinds": ", ".join(sorted(unknown))})
    tax_rate.item_kinds = [kind for kind in ItemKind.values if kind in set(tax_rate.item_kinds)]
    creating = tax_rate.pk is None
    try:
        with transaction.atomic():
            tax_rate.save()
            audit_record(
                studio=studio,
                actor=actor,
                action="tax_rate.created" if creating else "tax_rate.updated",
                obj=tax_rate,
                changes={
                    "name": tax_rate.name,
                    "rate": str(tax_rate.rate),
                    "item_kinds": tax_rate.item_kinds,
                },
            )
    except IntegrityError as exc:
        raise ValidationError(_("A tax rate with this name already exists."), code="duplicate") from exc
    return tax_rate


def tax_rate_archive(*, studio: Studio, actor: Actor, tax_rate: TaxRate, archived: bool = True) -> TaxRate:
    """Stop (or resume) charging a tax. Past payments keep their tax lines; nothing is deleted."""
    with transaction.atomic():
        tax_rate.archived_at = timezone.now() if archived else None
        tax_rate.save(update_fields=["archived_at"])
        audit_record(
            studio=studio,
            actor=actor,
            action="tax_rate.archived" if archived else "tax_rate.restored",
            obj=tax_rate,
        )
    return tax_rate


def seed_taxes_and_fees(*, studio: Studio) -> list[TaxRate]:
    """Demo: Quebec's GST 5 % and QST 9.975 % on every item kind, card fees passed on at 2.9 % + 0.30.

    Idempotent: running it again changes nothing. Names follow the studio's language (TPS/TVQ in French).
    """
    french = (studio.language or "").startswith("fr")
    wanted = [
        ("TPS" if french else "GST", "GST", "TPS", Decimal("5.000"), 0),
        ("TVQ" if french else "QST", "QST", "TVQ", Decimal("9.975"), 1),
    ]
    rates = []
    with transaction.atomic():
        for name, english, french_name, rate, position in wanted:
            existing = TaxRate.objects.filter(studio=studio, name__in=[english, french_name]).first()
            if existing is None:
                existing = TaxRate.objects.create(
                    studio=studio, name=name, rate=rate, item_kinds=list(ItemKind.values), position=position
                )
                audit_record(
                    studio=studio,
                    actor=SYSTEM,
                    action="tax_rate.created",
                    obj=existing,
                    changes={"name": name, "rate": str(rate), "seed": True},
                )
            rates.append(existing)
        settings = payment_settings_for(studio=studio)
        if (settings.card_fee_mode, settings.card_fee_percent, settings.card_fee_fixed) != (
            PaymentSettings.FeeMode.PASS_ON,
            Decimal("2.900"),
            30,
        ):
            settings.card_fee_mode = PaymentSettings.FeeMode.PASS_ON
            settings.card_fee_percent = Decimal("2.900")
            settings.card_fee_fixed = 30
            settings.save(update_fields=["card_fee_mode", "card_fee_percent", "card_fee_fixed"])
    return rates
