"""Demo payments data: two connected accounts (Plateau, Mile End) on the Stripe sandbox.

Runs only against the sandbox (`make run`); against real Stripe the owner connects their own
account from the settings. Idempotent: existing rows are kept, Stripe keys are fixed strings.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_scopes import scope

from payments import gateway
from payments.models import ConnectedAccount, ConnectedAccountLocation, StripeAccountDirectory
from payments.services.accounts import connected_account_sync
from studio.models import Location, Studio

DEMO_ACCOUNTS = [("Atelier Demo — Plateau", "Plateau", True), ("Atelier Demo — Mile End", "Mile End", False)]


def _ensure_account(studio: Studio, name: str, location_name: str, default: bool) -> ConnectedAccount:
    key = f"demo-account:{studio.slug}:{location_name}"
    account = ConnectedAccount.objects.filter(studio=studio, creation_key=key).first()
    if account is None:
        with transaction.atomic():
            account = ConnectedAccount.objects.create(studio=studio, display_name=name, creation_key=key,
                                                      is_default=default)
            location = Location.objects.get(studio=studio, name=location_name)
            ConnectedAccountLocation.objects.create(studio=studio, account=account, location=location)
    if not account.stripe_account_id:
        created = gateway.account_create(idempotency_key=key, country=studio.country, email=None,
                                         business_name=name, metadata={"atelier_studio": str(studio.pk)})
        with transaction.atomic():
            StripeAccountDirectory.objects.get_or_create(stripe_account_id=created.id,
                                                         defaults={"studio_id": studio.pk})
            ConnectedAccount.objects.filter(pk=account.pk).update(stripe_account_id=created.id,
                                                                  state=ConnectedAccount.State.ONBOARDING)
        account.refresh_from_db()
    if not account.charges_enabled:
        gateway.account_fill_test_details(account_id=account.stripe_account_id, idempotency_key=f"{key}:details",
                                          business_url=f"{settings.SITE_URL}/{studio.slug}/")
        account = connected_account_sync(account=account)
    return account


def seed(*, studio: Studio, second_studio: Studio) -> None:
    if settings.STRIPE_TARGET != "sandbox":
        return
    with scope(studio=studio):
        accounts = [_ensure_account(studio, *spec) for spec in DEMO_ACCOUNTS]
        from payments.demo_ledger import seed_ledger

        seed_ledger(studio=studio, accounts=accounts)
