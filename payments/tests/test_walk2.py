"""Findings of the second newcomer's walk through the payments pages (issue 10's re-check)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from payments.models import Refund
from payments.tests.helpers import cash_payment as _payment

pytestmark = pytest.mark.django_db


def _refund_url(studio, payment):
    return reverse("payments-payment-refund", kwargs={"studio_slug": studio.slug, "pk": payment.pk})


def test_the_refund_confirmation_offers_to_edit_in_french_not_a_noun(
    owner_client, studio, a_client, settings
):
    """The button that goes back to the form read « Modification » (the noun "a change")."""
    payment = _payment(studio, a_client)
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    body = owner_client.post(
        _refund_url(studio, payment),
        {"amount": "12,50", "destination": "original", "seen_refunded": "0"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-testid="refund-confirm"' in body and "12,50" in body
    assert '<button type="submit" class="button" name="edit" value="1">Modifier</button>' in body
    assert "Modification" not in body


def test_a_ten_thousand_character_refund_reason_is_refused_and_nothing_is_refunded(
    owner_client, studio, a_client
):
    payment = _payment(studio, a_client)
    response = owner_client.post(
        _refund_url(studio, payment),
        {
            "amount": "5.00",
            "destination": "original",
            "reason": "r" * 10_000,
            "seen_refunded": "0",
            "confirm": "1",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'class="error"' in body
    with scopes_disabled():
        assert not Refund.objects.filter(payment=payment).exists()


def test_the_clients_own_add_card_page_speaks_to_them_not_about_them(
    sandbox, client, studio, location, make_account, owner, user_factory, settings
):
    """ "For Camille Tremblay, on the payment account …" is staff wording on the client's own page."""
    from django_scopes import scope

    from payments.services import saved_methods as svc
    from studio.services import Actor
    from tests.factories import ClientFactory

    make_account(studio, name="Plateau", default=True, locations=[location])
    with scope(studio=studio):
        svc.saved_methods_enable(studio=studio, actor=Actor(user=owner.user), accept_terms=True)
    user = user_factory()
    me = ClientFactory(
        studio=studio,
        user=user,
        email=user.email,
        home_location=location,
        first_name="Camille",
        last_name="Tremblay",
    )
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    own = client.get(
        reverse("payments-client-method-add", kwargs={"studio_slug": studio.slug, "kind": "card"})
    )
    body = own.content.decode()
    assert own.status_code == 200
    assert "It will be offered for your purchases paid to “Plateau”." in body
    assert "For Camille Tremblay" not in body and "payment account" not in body
    staff = client.__class__()
    staff.force_login(owner.user, backend="django.contrib.auth.backends.ModelBackend")
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    staff_body = staff.get(
        reverse("payments-staff-method-add", kwargs={"studio_slug": studio.slug, "pk": me.pk, "kind": "card"})
    ).content.decode()
    assert "For Camille Tremblay, on the payment account “Plateau”." in staff_body


def test_the_events_page_names_card_saving_events_in_words_and_never_repeats_a_code(owner_client, studio):
    """The page showed "setup_intent.created" as the event's name and again as its type."""
    from payments.models import StripeEvent

    for n, kind in enumerate(
        ("setup_intent.created", "customer.created", "payment_method.attached", "test.thing_happened")
    ):
        StripeEvent.objects.create(
            event_id=f"evt_walk2_{n}",
            type=kind,
            studio_id=studio.pk,
            created=0,
            payload={},
            processed_at="2026-11-01T10:00Z",
            outcome="not needed",
        )
    body = owner_client.get(reverse("payments-events", kwargs={"studio_slug": studio.slug})).content.decode()
    for words in (
        "Saving a payment method started",
        "Stripe customer created",
        "Payment method added to a Stripe customer",
        "Other Stripe event",
    ):
        assert words in body
    for code in ("setup_intent.created", "test.thing_happened"):
        assert body.count(code) == 1, code  # only in the small code line
