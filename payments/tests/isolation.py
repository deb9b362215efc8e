"""Payments URLs with ids, for the isolation and permission matrices (see tests/isolation.py)."""

from __future__ import annotations

from django_scopes import scopes_disabled

from payments.models import ConnectedAccount, SavedPaymentMethod, SetupRequest, StripeCustomer
from tests.factories import ClientFactory


def _account(studio):
    with scopes_disabled():
        account = ConnectedAccount.objects.create(
            studio=studio,
            display_name=f"Acct {studio.slug}",
            creation_key=f"iso:{studio.slug}:{ConnectedAccount.objects.count()}",
            stripe_account_id="",
            state=ConnectedAccount.State.CREATING,
        )
    return {"pk": account.pk}


def _method_objects(studio):
    with scopes_disabled():
        account = ConnectedAccount.objects.get(pk=_account(studio)["pk"])
        client = ClientFactory(studio=studio)
        customer = StripeCustomer.objects.create(
            studio=studio,
            client=client,
            account=account,
            stripe_customer_id=f"cus_{studio.slug}",
            idempotency_key="k",
        )
        method = SavedPaymentMethod.objects.create(
            studio=studio,
            client=client,
            account=account,
            customer=customer,
            kind="card",
            brand="visa",
            last4="4242",
            stripe_payment_method_id=f"pm_{studio.slug}_{client.pk}",
            source="staff",
        )
        setup = SetupRequest.objects.create(
            studio=studio,
            client=client,
            account=account,
            customer=customer,
            kind="card",
            source="staff",
            idempotency_key=f"setup-iso:{client.pk}",
        )
    return client, method, setup


def _client_and_kind(studio):
    return {"pk": ClientFactory(studio=studio).pk, "kind": "card"}


def _staff_setup(studio):
    client, _method, setup = _method_objects(studio)
    return {"pk": client.pk, "setup_pk": setup.pk}


def _client_setup(studio):
    _client, _method, setup = _method_objects(studio)
    return {"setup_pk": setup.pk}


def _method(studio):
    _client, method, _setup = _method_objects(studio)
    return {"pk": method.pk}


def _payment(studio):
    """A succeeded cash payment of `studio` (ledger, detail, refund pages)."""
    from payments.models import Payment

    with scopes_disabled():
        n = Payment.objects.filter(studio=studio).count()
        payment = Payment.objects.create(
            studio=studio,
            amount=1000,
            currency=studio.currency,
            subtotal=1000,
            routing_rule="default",
            routing_reason="test",
            channel="pos",
            item_kind="other",
            description=f"Iso {studio.slug}",
            method=Payment.Method.CASH,
            idempotency_key=f"iso:{studio.slug}:{n}",
            status=Payment.Status.SUCCEEDED,
        )
    return {"pk": payment.pk}


def _client_pk(studio):
    from tests.factories import ClientFactory

    return {"pk": ClientFactory(studio=studio).pk}


def _tax_rate(studio):
    from payments.models import TaxRate

    with scopes_disabled():
        n = TaxRate.objects.filter(studio=studio).count()
        rate = TaxRate.objects.create(studio=studio, name=f"Tax {n}", rate="5.000", item_kinds=["product"])
    return {"pk": rate.pk}


def _migration_import(studio):
    """A mapping-file import of `studio` (migration pages, PAY-10)."""
    from payments.models import MigrationImport
    from tests.factories import owner_of

    with scopes_disabled():
        account = ConnectedAccount.objects.get(pk=_account(studio)["pk"])
        migration = MigrationImport.objects.create(
            studio=studio,
            target_account=account,
            file_name="mapping.csv",
            progress_total=1,
            content="customer_id_old,source_id_old,source_id_new\ncus_1,pm_1,pm_2\n",
            columns={
                "customer_old": "customer_id_old",
                "source_old": "source_id_old",
                "source_new": "source_id_new",
            },
            created_by=owner_of(studio).user,
        )
    return {"pk": migration.pk}


def _invoice(studio):
    """An open invoice of `studio` with one line (invoice pages, PAY-11); its token for the link."""
    import datetime as dt
    import secrets

    from django.utils import timezone

    from payments.models import Invoice, InvoiceLine

    with scopes_disabled():
        n = Invoice.objects.filter(studio=studio).count() + 1
        invoice = Invoice.objects.create(
            studio=studio,
            number=n,
            client=ClientFactory(studio=studio),
            currency=studio.currency,
            subtotal=1000,
            total=1000,
            due_date=timezone.localdate() + dt.timedelta(days=10),
            token=secrets.token_urlsafe(32),
            link_expires_at=timezone.now() + dt.timedelta(days=40),
        )
        InvoiceLine.objects.create(
            studio=studio, invoice=invoice, description="Iso", quantity=1, unit_amount=1000, amount=1000
        )
    return invoice


def _invoice_pk(studio):
    return {"pk": _invoice(studio).pk}


def _invoice_token(studio):
    return {"token": _invoice(studio).token}


CASES = {
    "payments-staff-method-add": _client_and_kind,
    "payments-staff-method-complete": _staff_setup,
    "payments-staff-method-default": _method,
    "payments-staff-method-delete": _method,
    "payments-client-method-complete": _client_setup,
    "payments-client-method-default": _method,
    "payments-client-method-delete": _method,
    "payments-client-method-add": lambda studio: {"kind": "card"},
    "payments-account-detail": _account,
    "payments-account-status": _account,
    "payments-account-onboard": _account,
    "payments-account-return": _account,
    "payments-account-edit": _account,
    # Ledger side (issue #4): payments, refunds, credit, taxes.
    "payments-payment-detail": _payment,
    "payments-payment-refund": _payment,
    "payments-client-credit": _client_pk,
    "payments-tax-edit": _tax_rate,
    "payments-tax-archive": _tax_rate,
    # Migration import, chunked (PAY-10).
    "payments-migration-detail": _migration_import,
    "payments-migration-progress": _migration_import,
    "payments-migration-dry-run": _migration_import,
    "payments-migration-apply": _migration_import,
    "payments-migration-report": _migration_import,
    # Invoices and payment links (PAY-11): staff pages by pk, the hosted link by its token.
    "invoice-detail": _invoice_pk,
    "invoice-void": _invoice_pk,
    "invoice-send": _invoice_pk,
    "pay-link": _invoice_token,
    "pay-link-card": _invoice_token,
    "pay-link-return": _invoice_token,
}
