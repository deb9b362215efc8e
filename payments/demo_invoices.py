"""Demo invoice (PAY-11): one open invoice with a 30 % deposit for the demo client, its link ready
to pay in the outbox. Idempotent: found again by its note, never made twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django_scopes import scope

from payments.models import Invoice
from payments.models.invoices import DepositKind
from payments.services.invoices import LineInput, invoice_create, studio_today
from studio.models import Client, Studio
from studio.services import SYSTEM

DEMO_CLIENT_EMAIL = "client@demo.atelier.test"
DEMO_MEMO = "Atelier privé pour votre équipe — acompte de 30 % pour réserver la date."


def seed_invoice(*, studio: Studio) -> Invoice | None:
    with scope(studio=studio):
        client = Client.objects.filter(studio=studio, email=DEMO_CLIENT_EMAIL).first()
        if client is None:
            return None
        existing = Invoice.objects.filter(studio=studio, client=client, memo=DEMO_MEMO).first()
        if existing is not None:
            return existing
        return invoice_create(
            studio=studio,
            actor=SYSTEM,
            client=client,
            lines=[
                LineInput(description="Atelier privé (2 h)", quantity=1, unit_amount=30000, tax_kind="other"),
                LineInput(description="Tapis prêtés", quantity=10, unit_amount=500, tax_kind="product"),
            ],
            due_date=studio_today(studio=studio) + dt.timedelta(days=21),
            deposit_kind=DepositKind.PERCENT,
            deposit_value=Decimal(30),
            memo=DEMO_MEMO,
        )
