"""Studio credit (PAY-7): balance arithmetic, never negative (also under concurrent spends), the
staff adjustment page and its permission, and the client-profile panel."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django_scopes import scope

from payments.models import CreditEntry, Payment
from payments.selectors import client_money_context
from payments.services.credit import credit_adjust, credit_balance, credit_grant, credit_spend
from payments.services.tenders import payment_record_tender
from payments.tests.test_refunds import race
from studio.models import AuditLog
from studio.permissions import Perm, RoleKind
from studio.services import SYSTEM
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _balance(studio, client):
    with scope(studio=studio):
        return credit_balance(client=client)


def test_grant_spend_and_balance(studio, a_client):
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=1500, note="gift")
        credit_spend(studio=studio, actor=SYSTEM, client=a_client, amount=400, note="drop-in")
        credit_spend(studio=studio, actor=SYSTEM, client=a_client, amount=1100, note="mat")
        assert credit_balance(client=a_client) == 0
        with pytest.raises(ValidationError):
            credit_spend(studio=studio, actor=SYSTEM, client=a_client, amount=1, note="too much")
        kinds = list(CreditEntry.objects.filter(client=a_client).order_by("id").values_list("kind", "amount"))
    assert kinds == [("adjustment", 1500), ("spend", -400), ("spend", -1100)]


@pytest.mark.parametrize("amount", [0, -1])
def test_amounts_must_be_positive(studio, a_client, amount):
    with scope(studio=studio):
        with pytest.raises(ValidationError):
            credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=amount, note="x")
        with pytest.raises(ValidationError):
            credit_spend(studio=studio, actor=SYSTEM, client=a_client, amount=amount, note="x")


def test_adjustments_need_a_reason_and_cannot_go_negative(studio, a_client):
    with scope(studio=studio):
        with pytest.raises(ValidationError):
            credit_adjust(studio=studio, actor=SYSTEM, client=a_client, amount=500, note="  ")
        credit_adjust(studio=studio, actor=SYSTEM, client=a_client, amount=500, note="goodwill")
        with pytest.raises(ValidationError):
            credit_adjust(studio=studio, actor=SYSTEM, client=a_client, amount=-501, note="fix")
        credit_adjust(studio=studio, actor=SYSTEM, client=a_client, amount=-500, note="fix")
        assert credit_balance(client=a_client) == 0
        assert AuditLog.objects.filter(studio=studio, action__startswith="credit.").count() == 2


def test_spend_linked_to_a_payment(studio, a_client):
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=1000, note="gift")
        payment = _cash(studio, a_client, 800, description="Tea", tender=Payment.Method.CREDIT)
        entry = CreditEntry.objects.get(payment=payment)
        assert (
            entry.payment_id == payment.pk and entry.amount == -800 and entry.kind == CreditEntry.Kind.SPEND
        )
        assert credit_balance(client=a_client) == 200
        assert payment.status == Payment.Status.SUCCEEDED


def _cash(studio, client, subtotal, *, description, tender=Payment.Method.CASH, channel="pos"):
    """A settled offline payment, recorded the way the POS records one (no state forced by hand)."""
    return payment_record_tender(
        studio=studio,
        actor=SYSTEM,
        tender=tender,
        client=client,
        subtotal=subtotal,
        item_kind="product",
        channel=channel,
        description=description,
    )


def test_credit_is_per_client_and_per_studio(studio, other_studio, a_client):
    other_client = ClientFactory(studio=other_studio)
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=1000, note="gift")
        with pytest.raises(ValidationError):  # another studio's client cannot be credited from here
            credit_grant(studio=studio, actor=SYSTEM, client=other_client, amount=1000, note="x")
    assert _balance(other_studio, other_client) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_go_negative(studio, a_client):
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=1000, note="gift")

    def job(_i):
        with scope(studio=studio):
            return credit_spend(studio=studio, actor=SYSTEM, client=a_client, amount=300, note="race")

    outcomes = race(6, job)
    spent = [o for o in outcomes if isinstance(o, CreditEntry)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(spent) == 3 and len(refused) == 3, outcomes
    assert _balance(studio, a_client) == 100


# --- the staff page ------------------------------------------------------------------------------


def _url(studio, client):
    return reverse("payments-client-credit", kwargs={"studio_slug": studio.slug, "pk": client.pk})


def test_owner_adds_and_removes_credit_with_a_reason(owner_client, studio, a_client):
    url = _url(studio, a_client)
    assert owner_client.get(url).status_code == 200
    response = owner_client.post(url, {"direction": "add", "amount": "12.50", "note": "Sorry for the noise"})
    assert response.status_code == 302
    assert _balance(studio, a_client) == 1250
    refused = owner_client.post(url, {"direction": "remove", "amount": "20", "note": "oops"})
    assert refused.status_code == 200 and "credit is available" in refused.content.decode()
    no_reason = owner_client.post(url, {"direction": "add", "amount": "1", "note": ""})
    assert no_reason.status_code == 200
    owner_client.post(url, {"direction": "remove", "amount": "2.50", "note": "correction"})
    assert _balance(studio, a_client) == 1000
    page = owner_client.get(url).content.decode()
    assert "Sorry for the noise" in page and "$10.00" in page


def test_front_desk_cannot_adjust_credit(login, studio, a_client, staff_factory):
    clerk = staff_factory(RoleKind.FRONT_DESK)
    response = login(clerk.user).post(
        _url(studio, a_client), {"direction": "add", "amount": "50", "note": "me"}
    )
    assert response.status_code == 403
    assert _balance(studio, a_client) == 0


def test_client_money_panel(studio, a_client, owner):
    with scope(studio=studio):
        payment = _cash(studio, a_client, 2875, description="Unlimited")
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=500, note="gift")
        ctx = client_money_context(client=a_client)
    assert ctx["credit_balance"] == 500 and ctx["payments"] == [payment] and ctx["total_paid"] == 2875
    request = RequestFactory().get("/")
    request.user = owner.user
    with scope(studio=studio):
        html = render_to_string(
            "payments/_client_money.html",
            {
                "ctx": ctx,
                "studio": studio,
                "perms": frozenset({Perm.REFUND, Perm.VIEW_REPORTS}),
                "Perm": Perm,
            },
            request=request,
        )
    assert "Unlimited" in html and "$28.75" in html and "$5.00" in html
    assert reverse("payments-client-credit", kwargs={"studio_slug": studio.slug, "pk": a_client.pk}) in html


def test_client_money_context_query_count_does_not_grow(studio, a_client, django_assert_max_num_queries):
    with scope(studio=studio):
        for i in range(15):
            _cash(studio, a_client, 100 + i, description=f"P{i}")
    with scope(studio=studio), django_assert_max_num_queries(6):
        ctx = client_money_context(client=a_client)
    assert len(ctx["payments"]) == 10


def test_a_double_click_on_a_credit_adjustment_adds_it_once(owner_client, studio, a_client):
    url = _url(studio, a_client)
    page = owner_client.get(url).content.decode()
    assert 'name="seen_balance" value="0"' in page
    posted = {"direction": "add", "amount": "12.50", "note": "Goodwill", "seen_balance": "0"}
    assert owner_client.post(url, posted).status_code == 302
    second = owner_client.post(url, posted)
    assert second.status_code == 200 and "changed since this page was opened" in second.content.decode()
    assert _balance(studio, a_client) == 1250
    with scope(studio=studio):
        assert CreditEntry.objects.filter(client=a_client).count() == 1


def test_a_stale_balance_is_refused_by_the_service_too(studio, a_client):
    with scope(studio=studio):
        credit_grant(studio=studio, actor=SYSTEM, client=a_client, amount=500, note="gift")
        with pytest.raises(ValidationError):
            credit_adjust(
                studio=studio, actor=SYSTEM, client=a_client, amount=-100, note="fix", expected_balance=0
            )
        credit_adjust(
            studio=studio, actor=SYSTEM, client=a_client, amount=-100, note="fix", expected_balance=500
        )
    assert _balance(studio, a_client) == 400
