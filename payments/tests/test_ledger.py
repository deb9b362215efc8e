"""The payments ledger pages (PAY-4, PAY-7): list filters, constant query count, the payment page
with its routing, taxes, fees, history and refunds, and refunding through the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from payments.models import ConnectedAccount, Payment, PaymentStatusChange, Refund
from studio.permissions import RoleKind
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(studio):
    with scopes_disabled():
        main = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Atelier Plateau",
            creation_key="l1",
            stripe_account_id="acct_main",
            charges_enabled=True,
            is_default=True,
        )
        laval = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Atelier Laval",
            creation_key="l2",
            stripe_account_id="acct_laval",
            charges_enabled=True,
        )
    return main, laval


def _payment(
    studio,
    *,
    client=None,
    account=None,
    status=Payment.Status.SUCCEEDED,
    description="Unlimited",
    amount=2875,
    escrow=False,
    location=None,
    method=Payment.Method.CASH,
    created_at=None,
):
    with scopes_disabled():
        n = Payment.objects.count()
        payment = Payment.objects.create(
            studio=studio,
            client=client,
            amount=amount,
            currency="CAD",
            subtotal=2500,
            tax_amount=375,
            tax_lines=[
                {"name": "GST", "rate": "5.000", "amount": 125},
                {"name": "QST", "rate": "9.975", "amount": 250},
            ],
            account=account,
            stripe_account_id=account.stripe_account_id if account else "",
            is_escrow=escrow,
            routing_rule="client_home_location",
            routing_reason="Laval — client's home location (account “Atelier Laval”)",
            channel="online",
            item_kind="membership",
            description=description,
            method=method,
            location=location,
            idempotency_key=f"ledger:{n}",
            status=status,
            application_fee_amount=29,
        )
        PaymentStatusChange.objects.create(studio=studio, payment=payment, status="pending", source="created")
        if created_at:
            Payment.objects.filter(pk=payment.pk).update(created_at=created_at)
    return payment


def _list(studio):
    return reverse("payments-ledger", kwargs={"studio_slug": studio.slug})


def _detail(studio, payment):
    return reverse("payments-payment-detail", kwargs={"studio_slug": studio.slug, "pk": payment.pk})


def _refund_url(studio, payment):
    return reverse("payments-payment-refund", kwargs={"studio_slug": studio.slug, "pk": payment.pk})


def test_ledger_lists_and_filters(owner_client, studio, other_studio, accounts, a_client):
    main, laval = accounts
    other = ClientFactory(studio=studio, first_name="Jules", last_name="Roy")
    _payment(studio, client=a_client, account=laval, description="Laval membership")
    _payment(studio, client=other, account=main, description="Drop-in", status=Payment.Status.FAILED)
    _payment(
        studio,
        client=other,
        escrow=True,
        description="Early bird",
        created_at=timezone.now() - timedelta(days=40),
    )
    _payment(other_studio, description="Secret bravo sale")
    body = owner_client.get(_list(studio)).content.decode()
    assert "Laval membership" in body and "Drop-in" in body and "Early bird" in body
    assert "Secret bravo sale" not in body

    def rows(**params):
        html = owner_client.get(_list(studio), params).content.decode()
        return [name for name in ("Laval membership", "Drop-in", "Early bird") if name in html]

    assert rows(status="failed") == ["Drop-in"]
    assert rows(account=str(laval.pk)) == ["Laval membership"]
    assert rows(account="escrow") == ["Early bird"]
    assert rows(q="Tremblay") == ["Laval membership"]
    assert rows(q="jules roy") == ["Drop-in", "Early bird"]
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert rows(date_from=since) == ["Laval membership", "Drop-in"]
    assert rows(date_to=(timezone.localdate() - timedelta(days=30)).isoformat()) == ["Early bird"]
    partial = owner_client.get(_list(studio), {"status": "failed"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Drop-in" in partial


def test_ledger_query_count_is_constant(owner_client, studio, accounts):
    main, _laval = accounts
    place = LocationFactory(studio=studio, name="Mile End")

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = owner_client.get(_list(studio))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    _payment(studio, client=ClientFactory(studio=studio), account=main, location=place)
    one = count_queries()
    for _ in range(29):
        _payment(studio, client=ClientFactory(studio=studio), account=main, location=place, escrow=False)
    thirty = count_queries()
    assert one == thirty, (one, thirty)


def test_ledger_paginates(owner_client, studio):
    for i in range(35):
        _payment(studio, description=f"Sale {i:02d}")
    first = owner_client.get(_list(studio)).content.decode()
    assert "Page 1 of 2" in first
    second = owner_client.get(_list(studio), {"page": 2}).content.decode()
    assert "Sale 00" in second and "Sale 34" not in second


def test_payment_page_shows_routing_taxes_fees_history(owner_client, studio, accounts, a_client):
    _main, laval = accounts
    payment = _payment(studio, client=a_client, account=laval)
    body = owner_client.get(_detail(studio, payment)).content.decode()
    for text in (
        "Atelier Laval",
        "client&#x27;s home location",
        "GST",
        "QST",
        "$1.25",
        "$2.50",
        "$28.75",
        "$0.29",
        "ledger:",
        "Status history",
        "Refund this payment",
        "Camille Tremblay",
    ):
        assert text in body, text


def test_refund_through_the_page(owner_client, studio, a_client):
    payment = _payment(studio, client=a_client)  # cash: refunded at the counter, no Stripe
    response = owner_client.post(
        _refund_url(studio, payment),
        {"amount": "10.00", "destination": "original", "reason": "Moved away", "confirm": "1"},
    )
    assert response.status_code == 302
    too_much = owner_client.post(_refund_url(studio, payment), {"amount": "20.00", "destination": "original"})
    assert too_much.status_code == 200 and "At most $18.75" in too_much.content.decode()
    as_htmx = owner_client.post(
        _refund_url(studio, payment),
        {"amount": "5", "destination": "credit", "confirm": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert as_htmx.status_code == 200 and as_htmx["HX-Redirect"] == _detail(studio, payment)
    invalid_htmx = owner_client.post(
        _refund_url(studio, payment), {"amount": "abc", "destination": "credit"}, HTTP_HX_REQUEST="true"
    )
    assert "<html" not in invalid_htmx.content.decode() and 'class="error"' in invalid_htmx.content.decode()
    with scopes_disabled():
        payment.refresh_from_db()
        refunds = list(
            Refund.objects.filter(payment=payment).order_by("id").values_list("amount", "destination")
        )
    assert payment.amount_refunded == 1500 and refunds == [(1000, "original"), (500, "credit")]
    page = owner_client.get(_detail(studio, payment)).content.decode()
    assert "Moved away" in page and "Partly refunded" in page
    # the panel alone, for htmx; a plain GET goes back to the payment page
    assert owner_client.get(_refund_url(studio, payment), HTTP_HX_REQUEST="true").status_code == 200
    assert owner_client.get(_refund_url(studio, payment)).status_code == 302


def test_viewer_without_refund_permission_sees_no_form_and_cannot_refund(
    login, studio, staff_factory, a_client
):
    from studio.models import Role

    payment = _payment(studio, client=a_client)
    with scopes_disabled():
        role = Role.objects.create(studio=studio, name="Accountant", permissions=["view_reports"])
    accountant = staff_factory(RoleKind.CUSTOM, role=role)
    c = login(accountant.user)
    page = c.get(_detail(studio, payment))
    assert page.status_code == 200 and "Refund this payment" not in page.content.decode()
    denied = c.post(_refund_url(studio, payment), {"amount": "1", "destination": "original"})
    assert denied.status_code == 403
    with scopes_disabled():
        assert not Refund.objects.filter(payment=payment).exists()


@pytest.mark.parametrize("kind", [RoleKind.FRONT_DESK, RoleKind.TEACHER])
def test_roles_without_reports_cannot_read_the_ledger(login, studio, staff_factory, kind):
    member = staff_factory(kind)
    payment = _payment(studio)
    c = login(member.user)
    assert c.get(_list(studio)).status_code == 403
    assert c.get(_detail(studio, payment)).status_code == 403


def test_manager_can_refund(login, studio, staff_factory, a_client):
    payment = _payment(studio, client=a_client)
    manager = staff_factory(RoleKind.MANAGER)
    response = login(manager.user).post(
        _refund_url(studio, payment), {"amount": "28.75", "destination": "original", "confirm": "1"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        payment.refresh_from_db()
    assert payment.refundable == 0
    assert "Fully refunded" in login(manager.user).get(_detail(studio, payment)).content.decode()


def test_another_studios_payment_is_404(owner_client, studio, other_studio):
    foreign = _payment(other_studio)
    assert owner_client.get(_detail(studio, foreign)).status_code == 404
    assert (
        owner_client.post(
            _refund_url(studio, foreign), {"amount": "1", "destination": "original"}
        ).status_code
        == 404
    )
    with scopes_disabled():
        foreign.refresh_from_db()
    assert foreign.amount_refunded == 0


def test_pages_render_refunds_and_credit_made_by_the_system(owner_client, studio, a_client):
    """Reconcile tasks and seeds act as SYSTEM (no user): every page must still render."""
    from django_scopes import scope

    from payments.services.credit import credit_grant
    from payments.services.refunds import refund_create
    from studio.services import SYSTEM

    payment = _payment(studio, client=a_client)
    with scope(studio=studio):
        refund_create(
            studio=studio, actor=SYSTEM, payment=payment, amount=300, destination="credit", reason="seed"
        )
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=200, note="seed gift")
    detail = owner_client.get(_detail(studio, payment))
    assert detail.status_code == 200 and "rule 3 · client" in detail.content.decode()
    credit = owner_client.get(
        reverse("payments-client-credit", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    )
    assert credit.status_code == 200 and "seed gift" in credit.content.decode()


def test_a_double_submit_refunds_once(owner_client, studio, a_client):
    payment = _payment(studio, client=a_client)
    data = {"amount": "5.00", "destination": "original", "seen_refunded": "0", "confirm": "1"}
    assert owner_client.post(_refund_url(studio, payment), data).status_code == 302
    again = owner_client.post(_refund_url(studio, payment), data)
    body = again.content.decode()
    assert again.status_code == 200 and "refunded meanwhile" in body
    assert 'name="seen_refunded" value="500"' in body  # the fresh form can be used at once
    with scopes_disabled():
        assert Refund.objects.filter(payment=payment).count() == 1
    assert (
        owner_client.post(_refund_url(studio, payment), {**data, "seen_refunded": "500"}).status_code == 302
    )
    with scopes_disabled():
        assert Refund.objects.filter(payment=payment).count() == 2
