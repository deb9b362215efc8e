"""Money-moving actions ask first, with the amount and the consequence (issue 10): refunds."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from payments.forms import CREDIT_ADJUST_MAX, RefundForm
from payments.models import Refund
from payments.tests.helpers import cash_payment as _payment

pytestmark = pytest.mark.django_db


def _refund_url(studio, payment):
    return reverse("payments-payment-refund", kwargs={"studio_slug": studio.slug, "pk": payment.pk})


@translation.override("en")
def test_the_refund_amount_is_not_prefilled_and_the_form_states_its_maximum(studio, a_client):
    payment = _payment(studio, a_client)
    form = RefundForm(payment=payment)
    assert form["amount"].value() in (None, "")
    assert "$28.75" in str(form.fields["amount"].help_text)


def test_a_refund_asks_for_confirmation_with_amount_and_consequence(owner_client, studio, a_client):
    payment = _payment(studio, a_client)
    url = _refund_url(studio, payment)
    asked = owner_client.post(
        url,
        {"amount": "10.00", "destination": "original", "reason": "<b>Moved</b>", "seen_refunded": "0"},
        HTTP_HX_REQUEST="true",
    )
    body = asked.content.decode()
    assert asked.status_code == 200 and 'data-testid="refund-confirm"' in body
    assert "Refund $10.00?" in body and "Yes, refund $10.00" in body
    assert "$18.75 will remain refundable" in body and "cannot be undone" in body
    assert "Hand $10.00 back to the client in cash" in body  # a cash payment is not refunded through Stripe
    assert "&lt;b&gt;Moved&lt;/b&gt;" in body and "<b>Moved</b>" not in body
    with scopes_disabled():
        assert not Refund.objects.filter(payment=payment).exists()  # nothing moved yet
    # "Change" goes back to the form with what was typed.
    edit = owner_client.post(
        url,
        {"amount": "10.00", "destination": "original", "seen_refunded": "0", "edit": "1"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-testid="refund-confirm"' not in edit and 'value="10.00"' in edit
    done = owner_client.post(
        url, {"amount": "10.00", "destination": "original", "seen_refunded": "0", "confirm": "1"}
    )
    assert done.status_code == 302
    with scopes_disabled():
        assert list(Refund.objects.filter(payment=payment).values_list("amount", flat=True)) == [1000]
    full = owner_client.post(
        url, {"amount": "18.75", "destination": "credit", "seen_refunded": "1000"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "added to Camille Tremblay" in full and "fully refunded" in full


def test_a_refund_above_what_is_left_is_refused_before_any_confirmation(owner_client, studio, a_client):
    payment = _payment(studio, a_client)
    body = owner_client.post(
        _refund_url(studio, payment), {"amount": "9999999999", "destination": "original", "confirm": "1"}
    ).content.decode()
    assert 'data-testid="refund-confirm"' not in body and "$28.75" in body
    with scopes_disabled():
        assert not Refund.objects.filter(payment=payment).exists()


def test_a_credit_adjustment_has_a_stated_maximum(owner_client, studio, a_client):
    url = reverse("payments-client-credit", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    page = owner_client.get(url).content.decode()
    assert "At most $10,000.00 at a time." in page
    refused = owner_client.post(url, {"direction": "add", "amount": "9999999999", "note": "typo"})
    assert refused.status_code == 200
    with scopes_disabled():
        from payments.models import CreditEntry

        assert not CreditEntry.objects.filter(client=a_client).exists()
    assert CREDIT_ADJUST_MAX == 1_000_000
    assert owner_client.post(url, {"direction": "add", "amount": "10000", "note": "max"}).status_code == 302
