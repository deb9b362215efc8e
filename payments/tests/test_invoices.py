"""Invoices and payment links with deposits (PAY-11): arithmetic, paying in parts, refusals,
exactly-once updates, refunds, routing, reminders."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from payments.models import Invoice, InvoicePayment, Payment, TaxRate
from payments.models.invoices import DepositKind, InvoiceStatus
from payments.services import invoices as services
from payments.services.invoices import LineInput, deposit_for, invoice_price
from payments.tests.invoice_helpers import *  # noqa: F403
from payments.tests.invoice_helpers import confirm_card, deliver_outcomes, make_invoice, pay_token
from studio.models import Message
from studio.services import SYSTEM
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _taxes(studio):
    with scopes_disabled():
        TaxRate.objects.create(
            studio=studio, name="GST", rate=Decimal("5.000"), item_kinds=["product", "other"]
        )
        TaxRate.objects.create(studio=studio, name="QST", rate=Decimal("9.975"), item_kinds=["product"])


def _start(studio, invoice, amount, token=None):
    with scope(studio=studio):
        return services.invoice_pay_start(
            studio=studio,
            invoice=Invoice.objects.get(pk=invoice.pk),
            amount=amount,
            pay_token=token or pay_token(),
        )


def _settle(studio, part):
    with scope(studio=studio):
        return services.invoice_pay_settle(studio=studio, part=InvoicePayment.objects.get(pk=part.pk))


def _fresh(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


# --- arithmetic ------------------------------------------------------------------------------------


def test_lines_are_taxed_per_line_and_summed_per_tax(studio, other_studio, payer):
    _taxes(studio)
    lines = [
        LineInput(description="Mat", quantity=3, unit_amount=1999, tax_kind="product"),
        LineInput(description="Coaching", quantity=1, unit_amount=10000, tax_kind="other"),
        LineInput(description="Donation", quantity=1, unit_amount=2500),
    ]
    invoice = make_invoice(studio, payer, lines=lines, deposit_kind=DepositKind.NONE, deposit_value=0)
    # Mat 59,97: GST 3,00 (2,9985 → 3,00), QST 5,98 (5,982 → 5,98); coaching 100,00: GST 5,00.
    assert invoice.subtotal == 5997 + 10000 + 2500
    assert {t["name"]: t["amount"] for t in invoice.tax_lines} == {"GST": 300 + 500, "QST": 598}
    assert invoice.tax_total == 1398
    assert invoice.total == 18497 + 1398
    with scopes_disabled():
        stored = list(invoice.lines.order_by("position").values_list("amount", "tax_amount"))
    assert stored == [(5997, 898), (10000, 500), (2500, 0)]
    assert invoice.number == 1 and len(invoice.token) == 43


def test_deposit_percent_rounds_half_up_to_the_cent_and_an_amount_never_exceeds_the_total():
    assert deposit_for(total=10001, kind=DepositKind.PERCENT, value=Decimal(30)) == 3000  # 3000,3
    assert deposit_for(total=10005, kind=DepositKind.PERCENT, value=Decimal(30)) == 3002  # 3001,5
    assert deposit_for(total=10000, kind=DepositKind.PERCENT, value=Decimal("33.3")) == 3330
    assert deposit_for(total=5000, kind=DepositKind.AMOUNT, value=9000) == 5000
    assert deposit_for(total=5000, kind=DepositKind.NONE, value=9000) == 0
    priced = invoice_price(lines=[LineInput(description="x", quantity=2, unit_amount=0)], rates=[])
    assert priced.total == 0


def test_numbers_follow_per_studio_and_bad_invoices_are_refused(studio, other_studio, payer):
    first = make_invoice(studio, payer)
    second = make_invoice(studio, payer)
    with scopes_disabled():
        stranger = ClientFactory(studio=other_studio)
    other = make_invoice(other_studio, stranger)
    assert (first.number, second.number, other.number) == (1, 2, 1)
    with pytest.raises(ValidationError):
        make_invoice(studio, stranger)  # another studio's client
    with pytest.raises(ValidationError):
        make_invoice(studio, payer, due_in=-1)
    with pytest.raises(ValidationError):
        make_invoice(studio, payer, due_in=800)
    with pytest.raises(ValidationError):
        make_invoice(studio, payer, deposit_kind=DepositKind.AMOUNT, deposit_value=10000)  # the whole
    with pytest.raises(ValidationError):
        make_invoice(studio, payer, lines=[LineInput(description="Free", quantity=1, unit_amount=0)])


# --- paying in parts -------------------------------------------------------------------------------


def test_deposit_then_balance_makes_the_invoice_paid_in_full(sandbox, accounts, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)  # 100,00 $, 30 % deposit
    assert invoice.deposit_amount == 3000 and invoice.deposit_due == 3000

    deposit = _start(studio, invoice, 3000)
    assert confirm_card(sandbox, deposit) == "succeeded"
    invoice = _settle(studio, deposit)
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (3000, 7000, InvoiceStatus.OPEN)
    assert invoice.deposit_due == 0

    balance = _start(studio, invoice, 7000)
    assert confirm_card(sandbox, balance) == "succeeded"
    invoice = _settle(studio, balance)
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (10000, 0, InvoiceStatus.PAID)
    assert invoice.paid_at is not None
    with scopes_disabled():
        payments = list(Payment.objects.filter(studio=studio, source_type="invoice").order_by("id"))
    # Each part is its own ledger payment, keyed by its part, routed by PAY-3 rule 3 (Laval home).
    assert [p.amount for p in payments] == [3000, 7000]
    assert [p.status for p in payments] == [Payment.Status.SUCCEEDED] * 2
    assert [p.idempotency_key for p in payments] == [
        f"invoice_payment:{deposit.pk}",
        f"invoice_payment:{balance.pk}",
    ]
    assert {p.routing_rule for p in payments} == {"client_home_location"}
    assert {p.stripe_account_id for p in payments} == {accounts["laval"].stripe_account_id}
    assert all(p.stripe_charge_id and p.card_last4 == "4242" for p in payments)
    with pytest.raises(ValidationError) as refused:
        _start(studio, invoice, 1)
    assert refused.value.code == "paid"


def test_3d_secure_then_return_counts_the_part(sandbox, accounts, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)
    part = _start(studio, invoice, 2500)
    assert confirm_card(sandbox, part, pm="pm_card_authenticationRequired") == "authenticated"
    assert _settle(studio, part).amount_paid == 2500


def test_overpayment_is_refused_with_the_balance_in_the_message(
    sandbox, accounts, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        _start(studio, invoice, 10001)
    assert refused.value.code == "overpaid"
    assert "100,00" in refused.value.messages[0]  # worded in the payer's language
    with pytest.raises(ValidationError):
        _start(studio, invoice, 0)
    with scopes_disabled():
        assert not InvoicePayment.objects.filter(studio=studio).exists()
        assert not Payment.objects.filter(studio=studio).exists()


def test_a_part_in_progress_holds_its_share_and_the_same_form_twice_is_one_part(
    sandbox, accounts, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)
    token = pay_token()
    first = _start(studio, invoice, 6000, token=token)
    again = _start(studio, invoice, 6000, token=token)  # a double click, a reload
    assert first.pk == again.pk
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        _start(studio, invoice, 5000)  # 40,00 $ left while 60,00 $ is being paid
    assert refused.value.code == "overpaid" and "40,00" in refused.value.messages[0]
    assert _start(studio, invoice, 4000).amount == 4000
    with scopes_disabled():
        assert Payment.objects.filter(studio=studio).count() == 2


def test_a_declined_card_frees_its_share(sandbox, accounts, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)
    part = _start(studio, invoice, 10000)
    with pytest.raises(Exception):  # noqa: B017 - the SDK raises the sandbox's card error
        confirm_card(sandbox, part, pm="pm_card_chargeDeclinedInsufficientFunds")
    invoice = _settle(studio, part)
    assert invoice.amount_paid == 0
    with scopes_disabled():
        assert Payment.objects.get(pk=part.payment_id).status == Payment.Status.FAILED
    assert _start(studio, invoice, 10000).amount == 10000  # the whole may be tried again


def test_an_abandoned_card_page_stops_holding_the_balance(sandbox, accounts, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)
    _start(studio, invoice, 10000)
    with pytest.raises(ValidationError):
        _start(studio, invoice, 100)
    later = timezone.now() + dt.timedelta(hours=1)
    with scope(studio=studio):
        part = services.invoice_pay_start(
            studio=studio, invoice=invoice, amount=10000, pay_token=pay_token(), now=later
        )
    assert part.amount == 10000
    with scopes_disabled():
        statuses = sorted(Payment.objects.filter(studio=studio).values_list("status", flat=True))
    assert statuses == [Payment.Status.CANCELED, Payment.Status.PENDING]


@pytest.mark.django_db(transaction=True)
def test_two_payers_at_once_never_overpay(sandbox, accounts, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)  # 100,00 $
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def pay(_n):
        try:
            start.wait(timeout=30)
            _start(studio, invoice, 7000)
            results.append("started")
        except ValidationError as exc:
            results.append(exc.code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == ["overpaid", "started"]
    with scopes_disabled():
        assert list(
            InvoicePayment.objects.filter(invoice_id=invoice.pk).values_list("amount", flat=True)
        ) == [7000]


# --- refusals: void, expired -----------------------------------------------------------------------


def test_a_voided_invoice_refuses_payment(sandbox, accounts, studio, other_studio, payer, staff_actor):
    invoice = make_invoice(studio, payer)
    with scope(studio=studio):
        services.invoice_void(studio=studio, actor=staff_actor, invoice=invoice, reason="mistake")
    with pytest.raises(ValidationError) as refused:
        _start(studio, invoice, 100)
    assert refused.value.code == "void"
    assert _fresh(invoice).void_reason == "mistake"


def test_void_is_refused_once_paid_in_part_or_while_a_payment_is_in_progress(
    sandbox, accounts, studio, other_studio, payer, staff_actor
):
    invoice = make_invoice(studio, payer)
    part = _start(studio, invoice, 1000)
    with scope(studio=studio), pytest.raises(ValidationError) as pending:
        services.invoice_void(studio=studio, actor=staff_actor, invoice=invoice, reason="mistake")
    assert pending.value.code == "in_progress"
    confirm_card(sandbox, part)
    _settle(studio, part)
    with scope(studio=studio), pytest.raises(ValidationError) as paid:
        services.invoice_void(studio=studio, actor=staff_actor, invoice=invoice, reason="mistake")
    assert paid.value.code == "paid"
    assert _fresh(invoice).status == InvoiceStatus.OPEN


def test_an_expired_link_refuses_payment(sandbox, accounts, studio, other_studio, payer):
    invoice = make_invoice(studio, payer)
    after = invoice.link_expires_at + dt.timedelta(seconds=1)
    with scope(studio=studio):
        assert services.invoice_link_state(invoice=invoice, now=after) == "expired"
        with pytest.raises(ValidationError) as refused:
            services.invoice_pay_start(
                studio=studio, invoice=invoice, amount=100, pay_token=pay_token(), now=after
            )
    assert refused.value.code == "expired"
    # Due date + 30 days, to the end of the studio's day.
    assert (
        timezone.localtime(invoice.link_expires_at, timezone.get_fixed_timezone(0)).date() >= invoice.due_date
    )


# --- exactly once: the hook and the return --------------------------------------------------------


def test_the_outcome_heard_twice_and_the_return_count_a_part_once(
    sandbox, accounts, studio, other_studio, payer
):
    invoice = make_invoice(studio, payer)
    part = _start(studio, invoice, 3000)
    confirm_card(sandbox, part)
    _settle(studio, part)
    _settle(studio, part)  # a reload of the return page
    assert deliver_outcomes(studio) == 1
    assert deliver_outcomes(studio) == 0  # redelivered: nothing new
    with scope(studio=studio):
        payment = Payment.objects.get(pk=part.payment_id)
        from payments.services.charges import payment_reconcile

        payment_reconcile(payment=payment)  # the reconcile task or a webhook reading it again
    deliver_outcomes(studio)
    assert _fresh(invoice).amount_paid == 3000
    with scopes_disabled():
        confirmations = Message.objects.filter(studio=studio, template=services.TEMPLATE_PAID)
        assert confirmations.count() == 1
        assert confirmations.get().to_email == "lea@example.com"


def test_the_webhook_alone_updates_the_invoice(
    sandbox, accounts, studio, other_studio, payer, webhooks_to_app
):
    from payments.tests.conftest import process_inbox

    invoice = make_invoice(studio, payer)
    part = _start(studio, invoice, 3000)
    confirm_card(sandbox, part)  # the client closed the tab: no return
    sandbox.deliver_pending()
    process_inbox()
    sandbox.deliver_pending()
    process_inbox()  # the same events again change nothing
    deliver_outcomes(studio)
    assert _fresh(invoice).amount_paid == 3000


def test_a_partial_refund_reduces_what_was_paid_and_reopens_a_paid_invoice(
    sandbox, accounts, studio, other_studio, payer, staff_actor
):
    from payments.services.refunds import refund_create

    invoice = make_invoice(studio, payer)
    part = _start(studio, invoice, 10000)
    confirm_card(sandbox, part)
    assert _settle(studio, part).status == InvoiceStatus.PAID
    deliver_outcomes(studio)
    with scope(studio=studio):
        refund_create(
            studio=studio,
            actor=staff_actor,
            payment=Payment.objects.get(pk=part.payment_id),
            amount=2500,
            destination="original",
        )
    deliver_outcomes(studio)
    invoice = _fresh(invoice)
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (7500, 2500, InvoiceStatus.OPEN)
    assert invoice.paid_at is None


# --- routing ---------------------------------------------------------------------------------------


def test_an_invoice_billed_at_a_location_is_paid_to_its_account(
    sandbox, accounts, studio, other_studio, payer, location
):
    invoice = make_invoice(studio, payer, location=location)  # the payer lives in Laval
    part = _start(studio, invoice, 1000)
    with scopes_disabled():
        payment = Payment.objects.get(pk=part.payment_id)
    assert payment.routing_rule == "item_location"
    assert payment.routing_params["location_name"] == "Plateau"
    assert payment.stripe_account_id == accounts["plateau"].stripe_account_id
    assert payment.item_kind == "other" and payment.channel == "online" and payment.location_id == location.pk


def test_a_client_without_home_location_pays_the_default_account(sandbox, accounts, studio, other_studio):
    nomad = ClientFactory(studio=studio, home_location=None, email="n@example.com")
    part = _start(studio, make_invoice(studio, nomad), 1000)
    with scopes_disabled():
        payment = Payment.objects.get(pk=part.payment_id)
    assert payment.routing_rule == "default"
    assert payment.stripe_account_id == accounts["plateau"].stripe_account_id


def test_the_card_fee_is_on_the_amount_paid_when_passed_on(sandbox, accounts, studio, other_studio, payer):
    from payments.models import PaymentSettings

    with scopes_disabled():
        PaymentSettings.objects.update_or_create(
            studio=studio,
            defaults={"card_fee_mode": "pass_on", "card_fee_percent": Decimal("2.9"), "card_fee_fixed": 30},
        )
    invoice = make_invoice(studio, payer)
    part = _start(studio, invoice, 3000)
    with scopes_disabled():
        payment = Payment.objects.get(pk=part.payment_id)
    assert part.card_fee == 87 + 30 and payment.amount == 3000 + 117 and payment.card_fee_amount == 117
    confirm_card(sandbox, part)
    assert _settle(studio, part).amount_paid == 3000  # the fee pays nothing of the balance


# --- sending and reminders -------------------------------------------------------------------------


def test_sending_emails_the_link_and_refuses_a_client_without_address(
    sandbox, studio, other_studio, payer, staff_actor
):
    invoice = make_invoice(studio, payer)
    with scope(studio=studio):
        assert services.invoice_send(studio=studio, actor=staff_actor, invoice=invoice) == 1
        message = Message.objects.get(studio=studio, template=services.TEMPLATE_LINK)
    assert services.invoice_pay_url(invoice=invoice) in message.body_text
    assert message.language == "fr"
    silent = ClientFactory(studio=studio, email="")
    mute = make_invoice(studio, silent)
    with scope(studio=studio), pytest.raises(ValidationError) as refused:
        services.invoice_send(studio=studio, actor=staff_actor, invoice=mute)
    assert refused.value.code == "no_address"
    assert _fresh(mute).sent_at is None


@pytest.mark.parametrize("language", ["fr", "en"])
def test_reminders_go_before_the_due_date_and_on_it_once_each(studio, other_studio, laval, language):
    client = ClientFactory(studio=studio, email="r@example.com", language=language, home_location=laval)
    invoice = make_invoice(studio, client, due_in=10)
    due_noon = timezone.make_aware(
        dt.datetime.combine(invoice.due_date, dt.time(12)), timezone.get_fixed_timezone(-300)
    )

    def run(at):
        with scope(studio=studio):
            return services.invoice_reminders_send(studio=studio, now=at)

    assert run(due_noon - dt.timedelta(days=4)) == 0  # too early
    assert run(due_noon - dt.timedelta(days=3)) == 1
    assert run(due_noon - dt.timedelta(days=2)) == 0  # once
    assert run(due_noon) == 1
    assert run(due_noon + dt.timedelta(hours=1)) == 0
    with scopes_disabled():
        sent = list(Message.objects.filter(studio=studio, template=services.TEMPLATE_REMINDER).order_by("id"))
    assert [m.language for m in sent] == [language, language]
    assert all(services.invoice_pay_url(invoice=invoice) in m.body_text for m in sent)
    month = {
        "fr": "décembre janvier février mars avril mai juin juillet août septembre octobre novembre",
        "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    }[language].split()
    assert any(word in sent[0].subject for word in month)  # the date is written in the client's language


def test_a_paid_or_cancelled_invoice_gets_no_reminder(studio, other_studio, payer, staff_actor):
    invoice = make_invoice(studio, payer, due_in=1)
    with scope(studio=studio):
        services.invoice_void(studio=studio, actor=staff_actor, invoice=invoice, reason="replaced")
        assert services.invoice_reminders_send(studio=studio) == 0


def test_the_reminder_sweep_is_on_the_beat_and_fans_out_per_studio(studio, other_studio, payer, monkeypatch):
    from payments.tasks import invoices as tasks
    from studio import beat

    assert beat.entries()["payments-invoice-reminders"]["task"] == "payments.invoice_reminders_sweep"
    sent = []
    monkeypatch.setattr(tasks.invoice_reminders_studio, "delay", lambda studio_id: sent.append(studio_id))
    assert tasks.invoice_reminders_sweep() >= 2
    assert {studio.pk, other_studio.pk} <= set(sent)


def test_the_system_actor_may_create_an_invoice_and_the_audit_names_it(studio, other_studio, payer):
    from studio.models import AuditLog

    invoice = make_invoice(studio, payer, actor=SYSTEM)
    with scopes_disabled():
        entry = AuditLog.objects.get(studio=studio, action="invoice.created")
    assert entry.object_id == str(invoice.pk) and entry.changes["invoice_number"] == invoice.number


def test_no_before_reminder_right_after_the_link_was_emailed(studio, other_studio, payer, staff_actor):
    invoice = make_invoice(studio, payer, due_in=2)  # already inside the "3 days before" window
    with scope(studio=studio):
        services.invoice_send(studio=studio, actor=staff_actor, invoice=invoice)
        assert services.invoice_reminders_send(studio=studio) == 0
        assert (
            services.invoice_reminders_send(studio=studio, now=timezone.now() + dt.timedelta(days=1, hours=1))
            == 1
        )


def test_the_demo_invoice_has_a_30_percent_deposit_and_is_seeded_once(studio, other_studio, laval):
    from payments.demo_invoices import DEMO_CLIENT_EMAIL, seed_invoice

    ClientFactory(studio=studio, email=DEMO_CLIENT_EMAIL, home_location=laval)
    first = seed_invoice(studio=studio)
    again = seed_invoice(studio=studio)
    assert first.pk == again.pk and first.status == InvoiceStatus.OPEN
    assert first.deposit_kind == DepositKind.PERCENT and first.deposit_amount == deposit_for(
        total=first.total, kind=DepositKind.PERCENT, value=Decimal(30)
    )
    with scopes_disabled():
        assert Invoice.objects.filter(studio=studio).count() == 1
    assert seed_invoice(studio=other_studio) is None  # no demo client there
