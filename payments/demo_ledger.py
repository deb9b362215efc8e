"""Demo ledger entries: real payments on the sandbox, on both accounts, a refund to the card,
a refund as studio credit, a credit adjustment, and escrow in the second studio.

Idempotent: every payment uses a fixed idempotency key (`demo:<n>`), so a second run finds the
same rows instead of charging again.
"""

from __future__ import annotations

from django_scopes import scope

from payments.models import ConnectedAccount, CreditEntry, Payment, Refund, SavedPaymentMethod
from payments.models.settings import Channel, ItemKind
from payments.services.charges import ChargeTarget, payment_create, payment_submit
from payments.services.fees_setup import seed_taxes_and_fees
from studio.models import Client, Location, StaffMember, Studio
from studio.permissions import RoleKind
from studio.services import Actor

# (key, client email or None for the first client of the location, item kind, subtotal, description, location)
DEMO_PAYMENTS = [
    ("demo:1", "client@demo.atelier.test", ItemKind.MEMBERSHIP, 12900, "Illimité mensuel", None),
    (
        "demo:2",
        "client@demo.atelier.test",
        ItemKind.CLASS_BOOKING,
        2500,
        "Vinyasa — cours à l'unité",
        "Montréal",
    ),
    ("demo:3", None, ItemKind.PRODUCT, 4500, "Tapis de yoga", "Laval"),
    ("demo:4", None, ItemKind.MEMBERSHIP, 9900, "Carte 10 cours", None),
]


def _owner_actor(studio: Studio) -> Actor:
    owner = (
        StaffMember.objects.filter(studio=studio, role__kind=RoleKind.OWNER).select_related("user").first()
    )
    return Actor(user=owner.user if owner else None)


def _client_for(studio: Studio, email: str | None, location_name: str | None) -> Client | None:
    if email:
        return Client.objects.filter(studio=studio, email__iexact=email).first()
    home = Location.objects.filter(studio=studio, name=location_name or "Laval").first()
    return (
        Client.objects.filter(studio=studio, home_location=home, saved_methods__isnull=False)
        .order_by("id")
        .first()
    )


def seed_ledger(*, studio: Studio, accounts: list[ConnectedAccount]) -> None:
    seed_taxes_and_fees(studio=studio)
    actor = _owner_actor(studio)
    payments = {}
    for key, email, kind, subtotal, description, location_name in DEMO_PAYMENTS:
        client = _client_for(studio, email, location_name)
        if client is None:
            continue
        existing = Payment.objects.filter(studio=studio, idempotency_key=key).first()
        if existing is not None:
            payments[key] = existing
            continue
        location = (
            Location.objects.filter(studio=studio, name=location_name).first() if location_name else None
        )
        method = (
            SavedPaymentMethod.objects.filter(client=client, kind="card", is_default=True)
            .select_related("customer")
            .first()
        )
        target = ChargeTarget(
            customer_id=method.customer.stripe_customer_id if method else None,
            payment_method_id=method.stripe_payment_method_id if method else "pm_card_visa",
            off_session=method is not None,
        )
        payment = payment_create(
            studio=studio,
            actor=actor,
            client=client,
            subtotal=subtotal,
            item_kind=kind,
            channel=Channel.ONLINE,
            description=description,
            item_location=location,
            target=target,
            idempotency_key=key,
        )
        # The demo's saved cards live on the client's home-location account; a payment routed
        # elsewhere is paid with a fresh test card instead (a saved card never crosses accounts).
        if method is not None and payment.account_id != method.account_id:
            Payment.objects.filter(pk=payment.pk).update(
                stripe_customer_id="", payment_method_id="pm_card_visa", off_session=False
            )
            payment.refresh_from_db()
        payments[key] = payment_submit(payment=payment)

    from payments.services.credit import credit_grant
    from payments.services.refunds import refund_create

    refundable = payments.get("demo:2")
    if (
        refundable
        and refundable.status == Payment.Status.SUCCEEDED
        and not Refund.objects.filter(payment=refundable).exists()
    ):
        refund_create(
            studio=studio,
            actor=actor,
            payment=refundable,
            amount=1000,
            destination=Refund.Destination.ORIGINAL,
            reason="Cours annulé par le studio (partiel)",
        )
        refund_create(
            studio=studio,
            actor=actor,
            payment=refundable,
            amount=500,
            destination=Refund.Destination.CREDIT,
            reason="Geste commercial",
        )
    camille = Client.objects.filter(studio=studio, email__iexact="client@demo.atelier.test").first()
    if camille and not CreditEntry.objects.filter(client=camille, kind=CreditEntry.Kind.ADJUSTMENT).exists():
        credit_grant(studio=studio, actor=actor, client=camille, amount=2000, note="Parrainage d'une amie")


def seed_escrow(*, studio: Studio) -> None:
    """A studio without any Stripe account: its first online sale is held in escrow."""
    with scope(studio=studio):
        client = Client.objects.filter(studio=studio).order_by("id").first()
        if client is None or Payment.objects.filter(studio=studio, idempotency_key="demo-escrow:1").exists():
            return
        payment = payment_create(
            studio=studio,
            actor=_owner_actor(studio),
            client=client,
            subtotal=3000,
            item_kind=ItemKind.CLASS_BOOKING,
            channel=Channel.ONLINE,
            description="Drop-in (before Stripe was connected)",
            target=ChargeTarget(payment_method_id="pm_card_visa"),
            idempotency_key="demo-escrow:1",
        )
        payment_submit(payment=payment)
