"""How the studio's clients enter a new card online (CHK-2): Stripe's card fields on the studio's
own checkout page (Elements), or Stripe's hosted payment page (Stripe Checkout)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_scopes import scope

from checkout.models import CardForm, CheckoutSettings
from studio.compiled_sql import compiled_models
from studio.models import Studio
from studio.services import Actor, audit_record


def _settings_row(*, studio_id: int):
    return CheckoutSettings.objects.all()


def checkout_settings_for(*, studio: Studio) -> CheckoutSettings:
    """The studio's checkout settings (the row is created, with the defaults, on first read; read
    through SQL compiled once, as the review page asks for it every time)."""
    with scope(studio=studio):
        found = compiled_models("checkout-settings", _settings_row, model=CheckoutSettings)
    if found:
        found[0].studio = studio
        return found[0]
    settings, _created = CheckoutSettings.objects.get_or_create(studio=studio)
    return settings


def checkout_settings_update(*, studio: Studio, actor: Actor, card_form: str) -> CheckoutSettings:
    """Choose how a new card is entered; audited when it changes."""
    if card_form not in CardForm.values:
        raise ValidationError(_("Choose how clients enter a new card."), code="card_form")
    checkout_settings_for(studio=studio)
    with transaction.atomic():
        settings = CheckoutSettings.objects.select_for_update().get(studio=studio)
        if settings.card_form != card_form:
            before = settings.card_form
            settings.card_form = card_form
            settings.save(update_fields=["card_form", "updated_at"])
            audit_record(
                studio=studio,
                actor=actor,
                action="checkout.settings_updated",
                obj=settings,
                changes={"card_form": [before, card_form]},
            )
    return settings
