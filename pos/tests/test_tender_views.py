"""The tender panel and the void page (tender): what the clerk sees and may use, French decimals,
refusals without a half-saved tender, twenty parallel POSTs of one form make one charge, two tabs
never take more than the balance, and the confirm step of voiding."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from payments.models import Payment
from payments.tests.test_saved_methods import save_card
from pos.forms.tender import new_tender_token
from pos.models import Sale, SaleStatus, SaleTender, TenderStatus
from pos.tests.tender_fixtures import *  # noqa: F403 - fixtures
from pos.tests.tender_fixtures import add_product, make_product, new_sale
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale(studio, actor, laval, buyer, accounts):
    bottle = make_product(studio, name="Water bottle", price=2000, stock={laval: 10})
    return add_product(studio, actor, new_sale(studio, actor, laval, client=buyer), bottle, quantity=3)


def _url(studio, name, pk):
    return reverse(name, kwargs={"studio_slug": studio.slug, "pk": pk})


def _cash(amount, received, token=None):
    return {
        "kind": "cash",
        "cash-amount": amount,
        "cash-cash_received": received,
        "cash-token": token or new_tender_token(),
    }


def _desk_without(studio, *perms):
    desk = StaffFactory(studio=studio, kind="front_desk")
    with scopes_disabled():
        desk.role.permissions = [p for p in desk.role.permissions if p not in perms] + ["sell_pos"]
        desk.role.save()
    return desk


def _sale(sale):
    with scopes_disabled():
        return Sale.objects.get(pk=sale.pk)


def test_the_panel_shows_the_balance_the_route_and_the_tenders_the_clerk_may_use(
    sandbox, owner_client, studio, sale, buyer, login
):
    save_card(sandbox, studio, buyer)
    # Without studio credit there is no credit to pay with: not offered.
    body = owner_client.get(_url(studio, "pos-tender", sale.pk), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="tender-cash"' in body and 'data-testid="tender-credit"' not in body
    from payments.services.credit import credit_grant
    from studio.services import SYSTEM

    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=buyer, amount=2500, note="gift")
    page = owner_client.get(_url(studio, "pos-tender", sale.pk), HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="tender-panel"' in body
    assert "Studio credit ($25.00 available)" in body
    assert "$60.00" in body and "Balance due" in body
    assert "Laval — location chosen at the start of the sale" in body  # PAY-3 rule 1, in words
    for kind in ("cash", "credit", "saved_card", "manual_card"):
        assert f'data-testid="tender-{kind}"' in body
    assert "Save this card for future purchases" in body and "•••• 4242" in body
    assert 'value="60.00"' in body  # the amount prefilled with the balance

    desk = _desk_without(studio, "use_saved_payment_method", "add_saved_payment_method")
    client = login(desk.user)
    body = client.get(_url(studio, "pos-tender", sale.pk), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="tender-saved_card"' not in body and "4242" not in body
    assert "Save this card" not in body and 'data-testid="tender-manual_card"' in body
    with scopes_disabled():
        card = buyer.saved_methods.get()
    refused = client.post(
        _url(studio, "pos-tender", sale.pk),
        {
            "kind": "saved_card",
            "saved_card-amount": "60.00",
            "saved_card-saved_method": card.pk,
            "saved_card-token": new_tender_token(),
        },
    )
    assert refused.status_code == 403
    with scopes_disabled():
        assert not SaleTender.objects.filter(sale=sale).exists()
    assert sandbox.objects("payment_intent", account=card.account.stripe_account_id) == []


def test_cash_in_french_decimals_shows_the_change_due(owner_client, studio, sale):
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    answer = owner_client.post(
        _url(studio, "pos-tender", sale.pk), _cash("20,50", "50,00"), HTTP_HX_REQUEST="true"
    )
    body = answer.content.decode()
    assert answer.status_code == 200
    with scopes_disabled():
        tender = SaleTender.objects.get(sale=sale)
    assert (tender.amount, tender.cash_received, tender.change_due) == (2050, 5000, 2950)
    assert "29,50" in body and "39,50" in body  # the change due, and the balance still due


def test_cash_over_the_balance_is_refused_and_nothing_is_saved(owner_client, studio, sale):
    answer = owner_client.post(
        _url(studio, "pos-tender", sale.pk), _cash("60.01", "100.00"), HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 400 and "At most $60.00" in answer.content.decode()
    short = owner_client.post(
        _url(studio, "pos-tender", sale.pk), _cash("20.00", "10.00"), HTTP_HX_REQUEST="true"
    )
    assert short.status_code == 400 and "at least the amount" in short.content.decode()
    with scopes_disabled():
        assert not SaleTender.objects.filter(sale=sale).exists()
        assert _sale(sale).status == SaleStatus.OPEN


def test_paid_in_full_goes_to_the_receipt(owner_client, studio, sale):
    answer = owner_client.post(
        _url(studio, "pos-tender", sale.pk), _cash("60.00", "60.00"), HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 204 and f"/sales/{sale.pk}/" in answer["HX-Redirect"]
    assert _sale(sale).status == SaleStatus.COMPLETED
    plain = owner_client.get(_url(studio, "pos-tender", sale.pk))
    assert plain.status_code == 302


def _race(workers, job):
    barrier = threading.Barrier(workers)
    outcomes = [None] * workers

    def run(i):
        try:
            barrier.wait(timeout=20)
            outcomes[i] = job(i)
        except Exception as exc:  # the test inspects it
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _signed_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_of_one_saved_card_form_make_one_charge(
    sandbox, studio, owner, sale, buyer, accounts
):
    card = save_card(sandbox, studio, buyer)
    data = {
        "kind": "saved_card",
        "saved_card-amount": "60.00",
        "saved_card-saved_method": card.pk,
        "saved_card-token": new_tender_token(),
    }
    clients = [_signed_in(owner.user) for _ in range(20)]
    outcomes = _race(20, lambda i: clients[i].post(_url(studio, "pos-tender", sale.pk), data).status_code)
    assert all(code in (200, 204, 302) for code in outcomes), outcomes
    with scopes_disabled():
        assert SaleTender.objects.filter(sale=sale).count() == 1
        assert Payment.objects.filter(source_type="pos_tender").count() == 1
    assert _sale(sale).status == SaleStatus.COMPLETED
    intents = sandbox.objects("payment_intent", account=accounts["laval"].stripe_account_id)
    charges = [
        c
        for c in sandbox.objects("charge", account=accounts["laval"].stripe_account_id)
        if c["status"] == "succeeded"
    ]
    assert len(intents) == 1 and len(charges) == 1 and charges[0]["amount"] == 6000


@pytest.mark.django_db(transaction=True)
def test_two_tabs_with_two_tokens_never_take_more_than_the_balance(studio, owner, sale):
    clients = [_signed_in(owner.user) for _ in range(2)]
    forms = [_cash("40.00", "40.00"), _cash("40.00", "40.00")]  # two renderings: two tokens
    outcomes = _race(2, lambda i: clients[i].post(_url(studio, "pos-tender", sale.pk), forms[i]).status_code)
    assert sorted(outcomes) == [302, 400], outcomes
    with scopes_disabled():
        tenders = list(SaleTender.objects.filter(sale=sale))
        assert [t.amount for t in tenders] == [4000] and tenders[0].status == TenderStatus.SUCCEEDED
    with scope(studio=studio):
        from pos.services.checkout import sale_balance

        assert sale_balance(sale=_sale(sale)) == 2000


def test_void_asks_first_then_gives_everything_back(owner_client, studio, sale, laval):
    owner_client.post(_url(studio, "pos-tender", sale.pk), _cash("25.00", "30.00"))
    confirm = owner_client.get(_url(studio, "pos-sale-void", sale.pk))
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "$25.00" in body and "hand the cash back" in body
    assert _sale(sale).status == SaleStatus.TENDERING  # asking changed nothing
    done = owner_client.post(
        _url(studio, "pos-sale-void", sale.pk), {"reason": "Changed her mind"}, follow=True
    )
    assert "The sale was abandoned; what was paid was given back." in done.content.decode()
    voided = _sale(sale)
    assert voided.status == SaleStatus.VOIDED and voided.void_reason == "Changed her mind"
    with scopes_disabled():
        payment = SaleTender.objects.get(sale=sale).payment
        assert payment.amount_refunded == payment.amount == 2500
    again = owner_client.post(_url(studio, "pos-sale-void", sale.pk), {"reason": "x" * 201})
    assert again.status_code == 400


def test_voiding_a_sale_nothing_was_paid_on_says_only_that_it_was_abandoned(owner_client, studio, sale):
    done = owner_client.post(_url(studio, "pos-sale-void", sale.pk), {"reason": ""}, follow=True)
    body = done.content.decode()
    assert "The sale was abandoned." in body and "given back" not in body
    assert _sale(sale).status == SaleStatus.VOIDED


def test_the_panel_reads_the_same_number_of_queries_with_one_tender_or_many(
    owner_client, studio, actor, sale
):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from pos.services import checkout
    from pos.tests.tender_fixtures import token

    url = _url(studio, "pos-tender", sale.pk)

    def pay(amount):
        with scope(studio=studio):
            checkout.tender_cash(
                studio=studio,
                actor=actor,
                sale=_sale(sale),
                amount=amount,
                cash_received=amount,
                token=token(),
            )

    pay(100)
    owner_client.get(url, HTTP_HX_REQUEST="true")  # warm: sessions, settings rows made on first read
    with CaptureQueriesContext(db) as one:
        owner_client.get(url, HTTP_HX_REQUEST="true")
    for _ in range(6):
        pay(100)
    with CaptureQueriesContext(db) as many:
        body = owner_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert body.count("pos-tender-row ") == 7
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]


def test_a_lost_answer_on_a_saved_card_says_checking_with_stripe_then_reconcile_charges_once(
    sandbox, owner_client, studio, sale, buyer, accounts
):
    from django.utils import timezone

    from payments.services.outcomes import outcomes_deliver_pending
    from payments.tasks.reconcile import payments_reconcile_studio

    card = save_card(sandbox, studio, buyer)
    sandbox.faults.next("lost_response", "/v1/payment_intents")
    data = {
        "kind": "saved_card",
        "saved_card-amount": "60.00",
        "saved_card-saved_method": card.pk,
        "saved_card-token": new_tender_token(),
    }
    answer = owner_client.post(_url(studio, "pos-tender", sale.pk), data, HTTP_HX_REQUEST="true")
    body = answer.content.decode()
    assert answer.status_code == 200 and "Checking with Stripe" in body and 'data-state="unknown"' in body
    assert 'data-testid="tender-cash"' not in body  # nothing else is offered while the answer is unknown
    # The same form sent again (the clerk clicks once more) charges nothing more.
    owner_client.post(_url(studio, "pos-tender", sale.pk), data, HTTP_HX_REQUEST="true")
    with scopes_disabled():
        [tender] = SaleTender.objects.filter(sale=sale)
        Payment.objects.filter(pk=tender.payment_id).update(
            created_at=timezone.now() - timezone.timedelta(minutes=10)
        )
    payments_reconcile_studio(studio.pk)
    with scope(studio=studio):
        outcomes_deliver_pending(studio=studio, now=timezone.now() + timezone.timedelta(minutes=5))
    assert _sale(sale).status == SaleStatus.COMPLETED
    charges = [
        c
        for c in sandbox.objects("charge", account=accounts["laval"].stripe_account_id)
        if c["status"] == "succeeded"
    ]
    assert len(charges) == 1 and charges[0]["amount"] == 6000


def test_a_card_typed_by_hand_and_declined_returns_to_the_screen_with_the_reason_in_french(
    sandbox, owner_client, studio, sale, actor
):
    """The card page's return (after Stripe.js) lands on the sale's screen, and the refusal is
    worded from the stored decline code in the clerk's language — never Stripe's English."""
    from pos.services.checkout import tender_manual_card_start

    with scope(studio=studio):
        locked = Sale.objects.get(pk=sale.pk)
        tender = tender_manual_card_start(
            studio=studio, actor=actor, sale=locked, amount=1000, save_card=False, token=new_tender_token()
        )
        payment = Payment.objects.get(pk=tender.payment_id)
    with pytest.raises(Exception):  # noqa: B017 - the SDK raises the sandbox's card error
        sandbox.client().v1.payment_intents.confirm(
            payment.stripe_payment_intent_id,
            params={"payment_method": "pm_card_chargeDeclinedInsufficientFunds"},
            options={"stripe_account": payment.stripe_account_id},
        )
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    answer = owner_client.post(
        reverse("pos-tender-card", kwargs={"studio_slug": studio.slug, "pk": tender.pk}), follow=True
    )
    assert answer.redirect_chain[-1][0] == _url(studio, "pos-sale", sale.pk)
    page = answer.content.decode()
    with scopes_disabled():
        assert SaleTender.objects.get(pk=tender.pk).status == TenderStatus.FAILED
    assert "insufficient funds" not in page.lower()  # Stripe's own sentence is not shown
    assert "fonds insuffisants. Demandez une autre carte." in page


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("currency", ["CAD", "JPY"])
def test_a_cart_changes_amount_inputs_are_the_forms_own_widgets(language, currency):
    """`amount_input` fills a marked copy of the widget: the same markup as the form draws."""
    from django.utils import translation

    from pos.forms.tender import FORMS
    from pos.views.tender import amount_input

    with translation.override(language):
        for kind, form_class in FORMS.items():
            for name in ("amount", "cash_received"):
                if name not in form_class.base_fields:
                    continue
                for amount in (123456, 5, 0):
                    form = form_class(currency=currency, balance=amount, prefix=kind)
                    expected = form[name].as_widget(attrs={"hx-swap-oob": "true"})
                    assert amount_input(kind=kind, name=name, currency=currency, amount=amount) == expected
        shown = amount_input(kind="cash", name="amount", currency="CAD", amount=123456)
    assert ('value="1234,56"' if language == "fr" else 'value="1234.56"') in shown


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_tender_forms_filled_markup_is_its_template_drawn_directly(language, monkeypatch):
    """`tender_form_html` fills a drawing kept per way of paying: the same markup as the template."""
    from types import SimpleNamespace

    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    from pos.forms.tender import FORMS
    from pos.views import tender as views
    from studio.fragments import cache_clear

    cache_clear()
    monkeypatch.setattr(views, "get_token", lambda request: "csrf<&>")
    request = RequestFactory().get("/")
    card = SimpleNamespace(pk=7, brand="visa", last4="4242", exp_month=3, exp_year=2031)
    readers = [SimpleNamespace(pk=3, label="Front <desk>"), SimpleNamespace(pk=4, label="Back")]
    extras = {
        "cash": [{}],
        "credit": [{}],
        "saved_card": [{"cards": [card]}, {"cards": []}],
        "manual_card": [{"may_save": True}, {"may_save": False}],
        "reader": [{"readers": readers, "may_save": True}, {"readers": readers[:1]}],
    }
    with translation.override(language):
        for kind, cases in extras.items():
            for extra in cases:
                for balance, credit in ((123456, 2500), (5, 0)):
                    form = FORMS[kind](currency="CAD", balance=balance, prefix=kind, **extra)
                    url = f"/s/pos/sales/{balance}/tender/"
                    filled = views.tender_form_html(
                        request, kind=kind, form=form, url=url, credit=credit, currency="CAD"
                    )
                    direct = render_to_string(
                        views.FORM_TEMPLATE,
                        {
                            "kind": kind,
                            "form": form,
                            "tender_url": url,
                            "tender_credit_shown": views.money(credit, "CAD"),
                            "csrf_token": "csrf<&>",
                        },
                    )
                    assert filled == direct, (kind, extra, balance)
                    assert form.initial["token"] in filled and 'value="csrf&lt;&amp;&gt;"' in filled
