"""Selling a membership (MEM-2): saved card on the client's home location's account, cash, the
refusals, a declined card, a lost answer settled later, and a double click that sells once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from memberships.models import Membership, MembershipPeriod, MembershipStatus, PassStart
from memberships.services import sales
from memberships.services.sales import membership_sale_outcome, membership_sell
from memberships.tests.factories import PlanFactory
from payments.models import Payment, PaymentSettings
from payments.services.charges import payment_reconcile
from payments.tests.conftest import make_account, sandbox  # noqa: F401 - fixtures
from payments.tests.test_saved_methods import save_card
from studio.models import AuditLog, Message
from studio.services import Actor
from tests.factories import ClientFactory, LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enabled(studio):
    with scopes_disabled():
        PaymentSettings.objects.update_or_create(studio=studio, defaults={"saved_methods_enabled": True})


@pytest.fixture
def laval(studio):
    return LocationFactory(studio=studio, name="Laval")


@pytest.fixture
def accounts(make_account, studio, location, laval):  # noqa: F811
    """Two home locations, each with its own connected account; Plateau's is the default."""
    return {
        "plateau": make_account(studio, name="Plateau", default=True, locations=[location]),
        "laval": make_account(studio, name="Laval", locations=[laval]),
    }


@pytest.fixture
def laval_client(studio, laval):
    return ClientFactory(studio=studio, first_name="Léa", last_name="Gagnon", home_location=laval)


@pytest.fixture
def monthly(studio):
    return PlanFactory(studio=studio, name="Unlimited monthly", price_amount=9900, signup_fee_amount=2500)


def _sell(studio, owner, client, plan, tender="saved_method", **kwargs):
    with scope(studio=studio):
        return membership_sell(
            studio=studio, actor=Actor(user=owner.user), client=client, plan=plan, tender=tender, **kwargs
        )


def _intents(sandbox, account):  # noqa: F811
    return sandbox.objects("payment_intent", account=account.stripe_account_id)


@translation.override("en")
def test_saved_card_sale_is_charged_on_the_clients_home_location_account(
    sandbox,  # noqa: F811
    studio,
    owner,
    accounts,
    enabled,
    laval_client,
    a_client,
    monthly,
    other_studio,
):
    laval_card = save_card(sandbox, studio, laval_client)
    save_card(sandbox, studio, a_client)  # Plateau's client: her card lives on Plateau's account
    result = _sell(studio, owner, laval_client, monthly, now=timezone.now())
    assert result.status == "active" and result.sold
    payment = result.payment
    with scope(studio=studio):
        membership = Membership.objects.get(pk=result.membership.pk)
        [period] = MembershipPeriod.objects.filter(membership=membership)
    assert membership.status == MembershipStatus.ACTIVE
    assert (period.kind, period.payment_id, period.starts_on) == (
        "purchase",
        payment.pk,
        membership.started_on,
    )
    assert membership.current_period_end == period.ends_on and membership.next_renewal_on == period.ends_on
    # PAY-3 rule 3: the client's home location's account, the reason in words, on the ledger.
    assert payment.account == accounts["laval"] and payment.routing_rule == "client_home_location"
    assert payment.payment_method_id == laval_card.stripe_payment_method_id
    assert (payment.source_type, payment.source_id) == ("membership_sale", str(membership.pk))
    assert payment.idempotency_key == f"membership_sale:{membership.pk}"
    assert payment.subtotal == 9900 + 2500  # a subscription's first charge carries the sign-up fee
    with scope(studio=studio):
        from payments.services.routing import route_reason

        assert route_reason(rule=payment.routing_rule, params=payment.routing_params).startswith(
            "Laval — client's home location"
        )
    assert len(_intents(sandbox, accounts["laval"])) == 1 and _intents(sandbox, accounts["plateau"]) == []
    with scopes_disabled():
        assert AuditLog.objects.filter(
            studio=studio, action="membership.sold", object_id=str(membership.pk)
        ).exists()
    # The other home location's client is charged on the other account.
    second = _sell(studio, owner, a_client, monthly)
    assert second.payment.account == accounts["plateau"] and second.status == "active"


def test_the_sale_shows_in_the_ledger_with_its_rule_and_reason(
    sandbox,  # noqa: F811
    studio,
    owner,
    owner_client,
    accounts,
    enabled,
    laval_client,
    monthly,
):
    save_card(sandbox, studio, laval_client)
    payment = _sell(studio, owner, laval_client, monthly).payment
    page = owner_client.get(
        reverse("payments-payment-detail", kwargs={"studio_slug": studio.slug, "pk": payment.pk})
    )
    assert page.status_code == 200
    assert "Laval — client&#x27;s home location" in page.content.decode()
    # The audit log reads the sale in words.
    audit = owner_client.get(reverse("audit-log", kwargs={"studio_slug": studio.slug})).content.decode()
    assert "Membership sold" in audit and "Unlimited monthly" in audit


def test_cash_sale_is_one_transaction_with_its_first_period(
    studio,
    owner,
    a_client,
    monthly,
    accounts,
    monkeypatch,
    sandbox,  # noqa: F811
):
    result = _sell(studio, owner, a_client, monthly, tender="cash")
    assert result.status == "active"
    with scope(studio=studio):
        payment = Payment.objects.get(pk=result.payment.pk)
        assert (payment.method, payment.status, payment.amount) == ("cash", "succeeded", 12400)
        assert MembershipPeriod.objects.get(membership=result.membership).payment_id == payment.pk
    assert _intents(sandbox, accounts["plateau"]) == []  # nothing sent to Stripe
    with scopes_disabled():
        [mail] = Message.objects.filter(studio=studio, template="memberships/sold")
    assert mail.to_email == a_client.email and "Unlimited monthly" in mail.subject
    assert "$124.00" in mail.body_text and f"Receipt no. {payment.pk}" in mail.body_text
    # A failure after the payment was recorded takes the payment, the membership and all with it.

    def broken(**kwargs):
        raise RuntimeError("period could not be opened")

    monkeypatch.setattr(sales, "period_open", broken)
    with pytest.raises(RuntimeError):
        _sell(studio, owner, a_client, monthly, tender="cash")
    with scopes_disabled():
        assert Membership.objects.filter(studio=studio).count() == 1
        assert Payment.objects.filter(studio=studio).count() == 1


@translation.override("en")
def test_no_default_method_on_the_routed_account_refuses_and_saves_nothing(
    sandbox,  # noqa: F811
    studio,
    owner,
    accounts,
    enabled,
    laval_client,
    a_client,
    monthly,
):
    save_card(sandbox, studio, a_client)  # a card on Plateau's account does not pay for Laval's client
    with pytest.raises(ValidationError) as refused:
        _sell(studio, owner, laval_client, monthly)
    assert "no saved payment method on “Laval”" in " ".join(refused.value.messages)
    with scopes_disabled():
        assert not Membership.objects.filter(client=laval_client).exists()
        assert not Payment.objects.filter(client=laval_client).exists()


@translation.override("en")
def test_a_default_removed_between_the_question_and_the_charge_leaves_nothing(
    sandbox,  # noqa: F811
    studio,
    owner,
    accounts,
    enabled,
    laval_client,
    monthly,
    monkeypatch,
):
    monkeypatch.setattr(sales, "_require_default_method", lambda **kwargs: None)  # the question said yes
    with pytest.raises(ValidationError) as refused:
        _sell(studio, owner, laval_client, monthly)
    assert "no saved payment method" in " ".join(refused.value.messages)
    with scopes_disabled():
        assert not Membership.objects.filter(client=laval_client).exists()
        assert not Payment.objects.filter(client=laval_client).exists()


@translation.override("en")
def test_a_declined_card_leaves_the_membership_cancelled_and_says_why(
    sandbox,  # noqa: F811
    studio,
    owner,
    accounts,
    enabled,
    laval_client,
    monthly,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    save_card(sandbox, studio, laval_client, pm="pm_card_chargeCustomerFail")
    with django_capture_on_commit_callbacks(execute=True):
        result = _sell(studio, owner, laval_client, monthly)
    assert result.status == "declined" and not result.sold
    assert "declined" in result.reason
    with scope(studio=studio):
        membership = Membership.objects.get(pk=result.membership.pk)
        assert membership.status == MembershipStatus.CANCELLED and membership.cancelled_at is not None
        assert not MembershipPeriod.objects.filter(membership=membership).exists()
        assert Payment.objects.get(pk=result.payment.pk).status == Payment.Status.FAILED
    with scopes_disabled():
        assert not Message.objects.filter(template="memberships/sold").exists()  # nothing was sold


def test_a_lost_answer_leaves_the_sale_awaiting_payment_until_it_is_settled(
    sandbox,  # noqa: F811
    studio,
    owner,
    accounts,
    enabled,
    laval_client,
    monthly,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    save_card(sandbox, studio, laval_client)
    sandbox.faults.next("lost_response", "/v1/payment_intents")  # charged, but the answer never came
    result = _sell(studio, owner, laval_client, monthly)
    assert result.status == "pending" and result.sold
    with scope(studio=studio):
        membership = Membership.objects.get(pk=result.membership.pk)
        assert membership.status == MembershipStatus.PENDING
        assert membership.get_status_display() == "Awaiting payment"
        assert not MembershipPeriod.objects.filter(membership=membership).exists()
        assert not Message.objects.filter(template="memberships/sold").exists()
    # The reconcile task asks Stripe again (same key: the first charge, not a second); the
    # outcome hook, in the worker, opens the period.
    with django_capture_on_commit_callbacks(execute=True), scope(studio=studio):
        settled = payment_reconcile(payment=Payment.objects.get(pk=result.payment.pk))
    assert settled.status == Payment.Status.SUCCEEDED
    with scope(studio=studio):
        membership.refresh_from_db()
        assert membership.status == MembershipStatus.ACTIVE
        [period] = MembershipPeriod.objects.filter(membership=membership)
        assert period.payment_id == settled.pk
        # Told twice (a redelivery), the hook opens nothing more.
        from payments.models import Payment as P

        outcome = P.objects.get(pk=settled.pk).outcomes.get()
        membership_sale_outcome(outcome)
        assert MembershipPeriod.objects.filter(membership=membership).count() == 1
        assert Message.objects.filter(template="memberships/sold").count() == 1  # once, when it settled
    assert len(_intents(sandbox, accounts["laval"])) == 1


def test_a_lost_answer_that_ends_failed_cancels_the_pending_membership(
    studio,
    owner,
    a_client,
    monthly,
    accounts,
    enabled,
    sandbox,  # noqa: F811
):
    save_card(sandbox, studio, a_client)
    sandbox.faults.next("lost_response", "/v1/payment_intents")
    result = _sell(studio, owner, a_client, monthly)

    class Outcome:  # what payments hands the hook when the payment ends failed
        state = "failed"
        payment = result.payment
        created_at = timezone.now()

    with scope(studio=studio):
        membership_sale_outcome(Outcome)
        membership = Membership.objects.get(pk=result.membership.pk)
    assert membership.status == MembershipStatus.CANCELLED


def test_the_same_sale_token_sells_once(
    sandbox,  # noqa: F811
    studio,
    owner,
    accounts,
    enabled,
    laval_client,
    monthly,
):
    save_card(sandbox, studio, laval_client)
    first = _sell(studio, owner, laval_client, monthly, sale_token="t" * 32)
    again = _sell(studio, owner, laval_client, monthly, sale_token="t" * 32)
    assert again.duplicate and again.membership.pk == first.membership.pk and again.status == "active"
    cash_again = _sell(studio, owner, laval_client, monthly, tender="cash", sale_token="t" * 32)
    assert cash_again.duplicate and cash_again.membership.pk == first.membership.pk
    with scopes_disabled():
        assert Membership.objects.filter(client=laval_client).count() == 1
        assert Payment.objects.filter(client=laval_client).count() == 1
    assert len(_intents(sandbox, accounts["laval"])) == 1
    # The token names that client's sale: sent for another client, it sells nothing.
    with pytest.raises(ValidationError):
        _sell(studio, owner, ClientFactory(studio=studio), monthly, tender="cash", sale_token="t" * 32)


def test_double_click_on_sell_sells_once(
    sandbox,  # noqa: F811
    studio,
    owner_client,
    accounts,
    enabled,
    laval_client,
    monthly,
):
    save_card(sandbox, studio, laval_client)
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": laval_client.pk})
    form = owner_client.get(url).content.decode()
    token = form.split('name="sale_token" value="', 1)[1].split('"', 1)[0]
    data = {"plan": monthly.pk, "tender": "saved_method", "sale_token": token}
    first = owner_client.post(url, data)
    second = owner_client.post(url, data)
    profile = reverse("client-detail", kwargs={"studio_slug": studio.slug, "pk": laval_client.pk})
    assert first.status_code == second.status_code == 302 and first["Location"] == profile
    with scopes_disabled():
        assert Membership.objects.filter(client=laval_client).count() == 1
        assert Payment.objects.filter(client=laval_client).count() == 1
    assert len(_intents(sandbox, accounts["laval"])) == 1
    # A new rendering of the form is a new sale.
    token2 = owner_client.get(url).content.decode().split('name="sale_token" value="', 1)[1].split('"', 1)[0]
    assert token2 != token


@translation.override("en")
def test_what_cannot_be_sold_is_refused(studio, owner, a_client, monthly, other_studio, location):
    other_client = ClientFactory(studio=other_studio)
    other_plan = PlanFactory(studio=other_studio)
    archived = PlanFactory(studio=studio, archived_at=timezone.now())
    euros = PlanFactory(studio=studio, currency="EUR")
    elsewhere = PlanFactory(studio=studio, sold_everywhere=False)
    gone = ClientFactory(studio=studio, archived_at=timezone.now())
    cases = [
        (a_client, other_plan, {}, "another studio"),
        (other_client, monthly, {}, "another studio"),
        (a_client, archived, {}, "archived"),
        (a_client, euros, {}, "EUR"),
        (a_client, elsewhere, {"location": location}, "not sold at Plateau"),
        (gone, monthly, {}, "archived"),
        (a_client, monthly, {"tender": "cheque"}, "how the client pays"),
    ]
    for client, plan, extra, words in cases:
        tender = extra.pop("tender", "cash")
        with pytest.raises(ValidationError) as refused:
            _sell(studio, owner, client, plan, tender=tender, **extra)
        assert words in " ".join(refused.value.messages), words
    with scopes_disabled():
        assert not Membership.objects.exists() and not Payment.objects.exists()


def test_a_pass_from_first_use_has_no_period_until_its_first_class(studio, owner, a_client):
    from memberships.selectors.memberships import membership_sale_payment_id

    pass_ = PlanFactory(studio=studio, pass_=True, pass_start=PassStart.FIRST_USE, credits_per_period=10)
    result = _sell(studio, owner, a_client, pass_, tender="cash")
    with scope(studio=studio):
        membership = Membership.objects.get(pk=result.membership.pk)
        assert not MembershipPeriod.objects.filter(membership=membership).exists()
        # The first class's period will name the sale's payment.
        assert membership_sale_payment_id(membership=membership) == result.payment.pk
    assert membership.status == MembershipStatus.ACTIVE and membership.started_on is None
    assert membership.credits_remaining == 10


def test_a_pack_opens_its_period_with_its_credits_and_expiry(studio, owner, a_client):
    pack = PlanFactory(studio=studio, pack=True, pack_expires_after_days=90)
    today = dt.date(2026, 3, 10)
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    result = _sell(studio, owner, a_client, pack, tender="cash", now=now)
    with scope(studio=studio):
        membership = Membership.objects.get(pk=result.membership.pk)
    assert membership.credits_remaining == 10 and membership.next_renewal_on is None
    assert (membership.current_period_start, membership.current_period_end) == (
        today,
        today + dt.timedelta(days=90),
    )


def test_a_payment_plan_is_routed_to_the_course_location(
    sandbox,  # noqa: F811
    studio,
    owner,
    accounts,
    enabled,
    a_client,
    laval,
):
    # Plateau's client, a course held at Laval: rule 2 picks Laval's account — where her card is not.
    course = PlanFactory(studio=studio, payment_plan=True, location=laval)
    save_card(sandbox, studio, a_client)
    with pytest.raises(ValidationError):
        _sell(studio, owner, a_client, course)
    result = _sell(studio, owner, a_client, course, tender="cash")
    assert result.payment.routing_rule == "item_location" and result.payment.account == accounts["laval"]
    assert result.payment.item_kind == "payment_plan"


def test_another_studios_client_answers_404_and_its_plan_is_not_offered(
    studio, owner_client, a_client, other_studio, monthly
):
    other_client = ClientFactory(studio=other_studio)
    other_plan = PlanFactory(studio=other_studio, name="Bravo secret plan")
    url = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": other_client.pk})
    assert owner_client.get(url).status_code == 404
    assert (
        owner_client.post(url, {"plan": monthly.pk, "tender": "cash", "sale_token": "x" * 32}).status_code
        == 404
    )
    own = reverse("client-membership-sell", kwargs={"studio_slug": studio.slug, "pk": a_client.pk})
    page = owner_client.get(own).content.decode()
    assert "Bravo secret plan" not in page and monthly.name in page
    refused = owner_client.post(own, {"plan": other_plan.pk, "tender": "cash", "sale_token": "x" * 32})
    assert refused.status_code == 200 and b"errorlist" in refused.content
    with scopes_disabled():
        assert not Membership.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_simultaneous_clicks_with_one_token_sell_once(studio, other_studio, owner, a_client):
    """Real threads, one connection each: the token's unique constraint lets one sale through."""
    import threading

    from django.db import connection

    plan = PlanFactory(studio=studio)
    threads_count = 6
    start = threading.Barrier(threads_count)
    results, errors = [], []
    lock = threading.Lock()

    def click():
        try:
            start.wait(timeout=30)
            result = _sell(studio, owner, a_client, plan, tender="cash", sale_token="r" * 32)
            with lock:
                results.append(result)
        except BaseException as exc:  # re-raised below, in the main thread
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len({r.membership.pk for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    with scopes_disabled():
        assert Membership.objects.filter(client=a_client).count() == 1
        assert Payment.objects.filter(client=a_client).count() == 1


def test_a_sale_email_that_cannot_be_written_does_not_undo_the_sale(
    studio, owner, a_client, monthly, monkeypatch
):
    import memberships.emails.sales as sale_emails

    def broken(**kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr(sale_emails, "send_sale_email", broken)
    result = _sell(studio, owner, a_client, monthly, tender="cash")
    with scope(studio=studio):
        assert Membership.objects.get(pk=result.membership.pk).status == MembershipStatus.ACTIVE
        assert not Message.objects.exists()


# --- a sale whose charge was never made ------------------------------------------------------


def test_a_sale_that_no_payment_names_is_swept_after_the_grace_period(db, studio, other_studio):
    import datetime as dt

    from django.utils import timezone
    from django_scopes import scope

    from memberships.models import Membership, MembershipStatus
    from memberships.services.sales import ORPHAN_SALE_GRACE, sales_sweep_orphans
    from memberships.tests.factories import PlanFactory
    from tests.factories import ClientFactory

    def pending(on):
        with scope(studio=on):
            plan = PlanFactory(studio=on)
            return Membership.objects.create(
                studio=on,
                client=ClientFactory(studio=on),
                plan=plan,
                status=MembershipStatus.PENDING,
                price_amount=plan.price_amount,
                currency=plan.currency,
            )

    orphan, mine_too, theirs = pending(studio), pending(studio), pending(other_studio)
    later = timezone.now() + ORPHAN_SALE_GRACE + dt.timedelta(minutes=1)
    with scope(studio=studio):
        # Not old enough yet: kept.
        assert sales_sweep_orphans(studio=studio) == 0
        # A payment names this one: payments' reconcile and the outcome hook settle it.
        from payments.services.tenders import payment_record_tender
        from studio.services import SYSTEM

        payment_record_tender(
            studio=studio,
            actor=SYSTEM,
            tender="cash",
            client=mine_too.client,
            subtotal=100,
            item_kind="membership",
            channel="online",
            description="test",
            idempotency_key=f"membership_sale:{mine_too.pk}",
        )
        assert sales_sweep_orphans(studio=studio, now=later) == 1
        assert not Membership.objects.filter(pk=orphan.pk).exists()
        assert Membership.objects.filter(pk=mine_too.pk).exists()
    with scope(studio=other_studio):
        assert Membership.objects.filter(pk=theirs.pk).exists()
