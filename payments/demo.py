"""Demo payments data: two connected accounts (Montréal, Laval) on the Stripe sandbox.

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

DEMO_ACCOUNTS = [("Atelier Demo — Montréal", "Montréal", True), ("Atelier Demo — Laval", "Laval", False)]


def _ensure_account(studio: Studio, name: str, location_name: str, default: bool) -> ConnectedAccount:
    key = f"demo-account:{studio.slug}:{location_name}"
    account = ConnectedAccount.objects.filter(studio=studio, creation_key=key).first()
    if account is None:
        with transaction.atomic():
            account = ConnectedAccount.objects.create(
                studio=studio, display_name=name, creation_key=key, is_default=default
            )
            location = Location.objects.get(studio=studio, name=location_name)
            ConnectedAccountLocation.objects.create(studio=studio, account=account, location=location)
    if not account.stripe_account_id:
        created = gateway.account_create(
            idempotency_key=key,
            country=studio.country,
            email=None,
            business_name=name,
            metadata={"atelier_studio": str(studio.pk)},
        )
        with transaction.atomic():
            StripeAccountDirectory.objects.get_or_create(
                stripe_account_id=created.id, defaults={"studio_id": studio.pk}
            )
            ConnectedAccount.objects.filter(pk=account.pk).update(
                stripe_account_id=created.id, state=ConnectedAccount.State.ONBOARDING
            )
        account.refresh_from_db()
    if not account.charges_enabled:
        gateway.account_fill_test_details(
            account_id=account.stripe_account_id,
            idempotency_key=f"{key}:details",
            business_url=f"{settings.SITE_URL}/{studio.slug}/",
        )
        account = connected_account_sync(account=account)
    return account


DEMO_CARDS = [  # (client email, test payment method or "acss", make default)
    ("client@demo.atelier.test", "pm_card_visa", True),
    ("client@demo.atelier.test", "acss", False),
    # Memberships' demo renews Julie's membership by pre-authorized debit (memberships/demo.py).
    ("julie.gagnon@example.test", "acss", False),
]
ACSS_TEST_ACCOUNT = {"institution_number": "000", "transit_number": "11000", "account_number": "000123456789"}


def _seed_saved_methods(studio: Studio) -> None:
    from payments.models import SavedPaymentMethod
    from payments.services import saved_methods as svc
    from studio.models import Client, StaffMember
    from studio.permissions import RoleKind
    from studio.services import SYSTEM, Actor

    if not svc.saved_methods_enabled(studio=studio):
        owner = (
            StaffMember.objects.filter(studio=studio, role__kind=RoleKind.OWNER)
            .select_related("user")
            .first()
        )
        svc.saved_methods_enable(
            studio=studio, actor=Actor(user=owner.user if owner else None), accept_terms=True
        )
    extra = list(
        Client.objects.filter(studio=studio, user__isnull=True, email__endswith="@example.test").order_by(
            "id"
        )[:6]
    )
    plan = DEMO_CARDS + [
        (c.email, ("pm_card_mastercard", "pm_card_amex", "pm_card_visa")[i % 3], True)
        for i, c in enumerate(extra)
    ]
    for email, method, default in plan:
        client = Client.objects.filter(studio=studio, email__iexact=email).first()
        if client is None:
            continue
        kind = "acss_debit" if method == "acss" else "card"
        if SavedPaymentMethod.objects.filter(client=client, kind=kind).exists():
            continue
        request = svc.setup_start(
            studio=studio, actor=SYSTEM, client=client, kind=kind, source="staff", make_default=default
        )
        if kind == "card":
            gateway.setup_intent_confirm_for_demo(
                account=request.account.stripe_account_id,
                setup_intent_id=request.stripe_setup_intent_id,
                idempotency_key=f"demo-confirm:{request.pk}",
                payment_method_id=method,
            )
        else:
            gateway.setup_intent_confirm_for_demo(
                account=request.account.stripe_account_id,
                setup_intent_id=request.stripe_setup_intent_id,
                idempotency_key=f"demo-confirm:{request.pk}",
                payment_method_data={
                    "type": "acss_debit",
                    "acss_debit": ACSS_TEST_ACCOUNT,
                    "billing_details": {
                        "name": f"{client.first_name} {client.last_name}",
                        "email": client.email,
                    },
                },
                mandate_data={
                    "customer_acceptance": {
                        "type": "online",
                        "online": {"ip_address": "127.0.0.1", "user_agent": "Atelier demo seed"},
                    }
                },
            )
        svc.setup_complete(studio=studio, actor=SYSTEM, setup_request=request, consent=True)


def seed(*, studio: Studio, second_studio: Studio) -> None:
    if settings.STRIPE_TARGET != "sandbox":
        return
    with scope(studio=studio):
        accounts = [_ensure_account(studio, *spec) for spec in DEMO_ACCOUNTS]
        _seed_saved_methods(studio)
        from payments.demo_ledger import seed_escrow, seed_ledger

        seed_ledger(studio=studio, accounts=accounts)
    seed_escrow(studio=second_studio)
    from payments.demo_invoices import seed_invoice

    seed_invoice(studio=studio)
