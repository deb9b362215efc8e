"""Returns at the counter: a line or the whole sale, to the original tenders (a card through the
Stripe sandbox, cash back from the drawer) or as studio credit; products restocked unless damaged;
a plan line cancels its unused membership and refuses a used one; nothing returned twice, also
when two clerks return the last unit at once; the page's confirm step and hostile input."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from payments import gateway
from payments.models import (
    ConnectedAccount,
    ConnectedAccountLocation,
    CreditEntry,
    Payment,
    Refund,
    StripeAccountDirectory,
)
from payments.models.settings import Channel, ItemKind
from payments.services.charges import ChargeTarget, payment_create, payment_submit
from payments.services.credit import credit_balance
from pos.models import ProductStock, SaleLine, StockMovement
from pos.services.returns import MembershipInUse, line_value, sale_return
from pos.tests.factories import completed_sale, product
from stripe_sandbox import Sandbox
from stripe_sandbox.transport import SandboxHTTPClient
from studio.permissions import RoleKind
from studio.services import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    sb = Sandbox(seed=4321, delivery="queued")
    with gateway.use_http_client(SandboxHTTPClient(sb)):
        yield sb


@pytest.fixture
def account(sandbox, studio, location):
    created = gateway.account_create(
        idempotency_key=f"till-returns:{studio.pk}",
        country="CA",
        email=None,
        business_name="Plateau",
        metadata={},
    )
    sandbox.complete_onboarding(created.id)
    with scopes_disabled():
        account = ConnectedAccount.objects.create(
            studio=studio,
            display_name="Plateau inc.",
            stripe_account_id=created.id,
            creation_key="till-returns",
            is_default=True,
            charges_enabled=True,
            payouts_enabled=True,
            details_submitted=True,
            state=ConnectedAccount.State.READY,
        )
        ConnectedAccountLocation.objects.create(studio=studio, account=account, location=location)
        StripeAccountDirectory.objects.create(stripe_account_id=created.id, studio_id=studio.pk)
    return account


def _card_payment(studio, location, client, amount):
    with scope(studio=studio):
        payment = payment_create(
            studio=studio,
            actor=Actor(user=None),
            client=client,
            subtotal=amount,
            item_kind=ItemKind.POS_SALE,
            channel=Channel.POS,
            description="POS sale",
            method=Payment.Method.CARD,
            pos_location=location,
            target=ChargeTarget(payment_method_id="pm_card_visa"),
        )
        payment = payment_submit(payment=payment)
    assert payment.status == Payment.Status.SUCCEEDED, payment.failure_message
    return payment


@pytest.fixture
def clerk(owner):
    return Actor(user=owner.user)


def _return(studio, clerk, sale, quantities=None, destination="original", restock=True):
    with scope(studio=studio):
        return sale_return(
            studio=studio,
            actor=clerk,
            sale=sale,
            quantities=quantities,
            destination=destination,
            restock=restock,
        )


def _stock(item, location) -> int:
    with scopes_disabled():
        return ProductStock.objects.get(product=item, location=location).quantity


def _line(sale, n=0) -> SaleLine:
    with scopes_disabled():
        return list(SaleLine.objects.filter(sale=sale).order_by("position"))[n]


def test_a_units_value_is_its_cumulative_share_of_the_line_total():
    line = SaleLine(quantity=3, line_total=1000)
    values = [line_value(line=line, returned_before=n, quantity=1) for n in range(3)]
    assert values == [333, 334, 333] and sum(values) == 1000
    assert line_value(line=line, returned_before=0, quantity=3) == 1000


def test_a_line_returned_to_cash_restocks_and_never_twice(studio, location, a_client, clerk):
    bottle = product(studio, stock={location: 5}, name="Water bottle")
    sale = completed_sale(
        studio,
        location,
        a_client,
        tax_rate="10",
        lines=[{"description": "Water bottle", "unit_amount": 1000, "quantity": 2, "product": bottle}],
    )
    line = _line(sale)
    result = _return(studio, clerk, sale, {line.pk: 1})
    assert result.plan.amount == 1100 and not result.errors
    assert [(r.destination, r.amount, r.status) for r in result.refunds] == [("original", 1100, "succeeded")]
    assert _stock(bottle, location) == 6
    with scopes_disabled():
        assert StockMovement.objects.filter(product=bottle, reason="return", sale=sale).count() == 1
    line.refresh_from_db()
    assert (line.returned_quantity, line.refunded_amount) == (1, 1100)
    with pytest.raises(ValidationError):
        _return(studio, clerk, sale, {line.pk: 2})  # one unit is left
    _return(studio, clerk, sale, None)  # the rest of the sale: the last unit
    line.refresh_from_db()
    assert (line.returned_quantity, line.refunded_amount) == (2, 2200)
    with translation.override("en"), pytest.raises(ValidationError) as again:
        _return(studio, clerk, sale, None)
    assert "already been returned" in again.value.messages[0]
    with scopes_disabled():
        assert sale.tenders.get().payment.amount_refunded == 2200


def test_damaged_goods_are_not_restocked(studio, location, a_client, clerk):
    bottle = product(studio, stock={location: 5})
    sale = completed_sale(studio, location, a_client, lines=[{"unit_amount": 1000, "product": bottle}])
    _return(studio, clerk, sale, None, restock=False)
    assert _stock(bottle, location) == 5


def test_the_whole_sale_back_to_the_card_through_stripe(sandbox, account, studio, location, a_client, clerk):
    payment = _card_payment(studio, location, a_client, 3000)
    sale = completed_sale(
        studio,
        location,
        a_client,
        lines=[{"unit_amount": payment.amount, "description": "Mat"}],
        tenders=[{"kind": "manual_card", "amount": payment.amount, "payment": payment}],
    )
    result = _return(studio, clerk, sale, None)
    assert not result.errors
    [refund] = result.refunds
    assert refund.status == Refund.Status.SUCCEEDED and refund.stripe_refund_id.startswith("re_")
    remote = sandbox.objects("refund", account=account.stripe_account_id)
    assert [r["amount"] for r in remote] == [payment.amount]


def test_a_split_sale_refunds_the_last_tender_first(sandbox, account, studio, location, a_client, clerk):
    card = _card_payment(studio, location, a_client, 2000)
    sale = completed_sale(
        studio,
        location,
        a_client,
        lines=[
            {"unit_amount": 1000, "description": "Bottle"},
            {"unit_amount": 1000 + card.amount, "description": "Pack"},
        ],
        tenders=[
            {"kind": "cash", "amount": 2000},
            {"kind": "reader", "amount": card.amount, "payment": card},
        ],
    )
    result = _return(studio, clerk, sale, {_line(sale, 0).pk: 1})
    assert [(r.payment_id, r.amount) for r in result.refunds] == [(card.pk, 1000)]
    everything = _return(studio, clerk, sale, None)
    with scopes_disabled():
        cash = sale.tenders.get(kind="cash").payment
    assert sorted((r.payment_id, r.amount) for r in everything.refunds) == sorted(
        [(card.pk, card.amount - 1000), (cash.pk, 2000)]
    )


def test_a_return_as_studio_credit(studio, location, a_client, clerk):
    sale = completed_sale(studio, location, a_client, lines=[{"unit_amount": 2500}])
    _return(studio, clerk, sale, None, destination="credit")
    with scope(studio=studio):
        assert credit_balance(client=a_client) == 2500
    with scopes_disabled():
        assert CreditEntry.objects.get(client=a_client).kind == CreditEntry.Kind.REFUND


def test_credit_needs_a_client_and_a_teacher_cannot_return(studio, location, staff_factory, clerk):
    walk_in = completed_sale(studio, location, None)
    with pytest.raises(ValidationError):
        _return(studio, clerk, walk_in, None, destination="credit")
    teacher = Actor(user=staff_factory(RoleKind.TEACHER).user)
    with pytest.raises(PermissionDenied):
        _return(studio, teacher, walk_in, None)


def test_a_plan_line_cancels_an_unused_membership_and_refuses_a_used_one(studio, location, a_client, clerk):
    from memberships.models import CreditUse, MembershipStatus
    from memberships.tests.factories import MembershipFactory

    unused = MembershipFactory(client=a_client)
    used = MembershipFactory(client=a_client)
    with scopes_disabled():
        CreditUse.objects.create(
            studio=studio,
            membership=used,
            booking_kind="class",
            booking_id=999_999,
            credits=1,
            used_at=timezone.now(),
        )
    sale = completed_sale(
        studio,
        location,
        a_client,
        lines=[
            {
                "kind": "plan",
                "plan": unused.plan,
                "unit_amount": 2000,
                "fulfilment_ref": f"membership:{unused.pk}",
            },
            {
                "kind": "plan",
                "plan": used.plan,
                "unit_amount": 2000,
                "fulfilment_ref": f"membership:{used.pk}",
            },
        ],
    )
    with pytest.raises(MembershipInUse) as refused:
        _return(studio, clerk, sale, {_line(sale, 1).pk: 1})
    assert refused.value.membership.pk == used.pk
    _return(studio, clerk, sale, {_line(sale, 0).pk: 1})
    with scopes_disabled():
        unused.refresh_from_db()
        used.refresh_from_db()
    assert unused.status == MembershipStatus.CANCELLED and used.status == MembershipStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_two_clerks_returning_the_last_unit_at_once_return_it_once(studio, location, a_client, clerk):
    bottle = product(studio, stock={location: 0})
    sale = completed_sale(studio, location, a_client, lines=[{"unit_amount": 1500, "product": bottle}])
    line = _line(sale)
    workers = 3
    barrier = threading.Barrier(workers)
    outcomes: list = [None] * workers

    def run(i):
        try:
            barrier.wait(timeout=10)
            outcomes[i] = _return(studio, clerk, sale, {line.pk: 1})
        except Exception as exc:  # the outcome is what the test inspects
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == workers - 1, outcomes
    line.refresh_from_db()
    assert (line.returned_quantity, line.refunded_amount) == (1, 1500)
    assert _stock(bottle, location) == 1
    with scopes_disabled():
        assert Refund.objects.filter(payment__in=[t.payment_id for t in sale.tenders.all()]).count() == 1


# --- the page ----------------------------------------------------------------------------------


def test_return_page_confirms_the_amounts_then_returns(owner_client, studio, location, a_client):
    bottle = product(studio, stock={location: 1})
    sale = completed_sale(
        studio, location, a_client, lines=[{"unit_amount": 1250, "quantity": 2, "product": bottle}]
    )
    line = _line(sale)
    url = reverse("pos-sale-return", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    with translation.override("en"):
        page = owner_client.get(url).content.decode()
    assert f'name="qty_{line.pk}"' in page and 'name="restock"' in page
    data = {f"qty_{line.pk}": "1", "destination": "original", "restock": "on", "reason": "Wrong size"}
    confirm = owner_client.post(url, data).content.decode()
    assert "$12.50" in confirm and 'name="confirmed"' in confirm and "back in stock" in confirm
    line.refresh_from_db()
    assert line.returned_quantity == 0
    done = owner_client.post(url, {**data, "confirmed": "1"})
    assert done.status_code == 302
    line.refresh_from_db()
    assert (line.returned_quantity, line.refunded_amount) == (1, 1250)
    assert _stock(bottle, location) == 2


def test_return_page_refuses_hostile_values_and_saves_nothing(owner_client, studio, location, a_client):
    sale = completed_sale(studio, location, a_client, lines=[{"unit_amount": 1000, "quantity": 2}])
    line = _line(sale)
    url = reverse("pos-sale-return", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    for qty in ("²", "-1", "3", "99999999999999999999", "٣", "abc", "0"):
        for destination in ("original", "credit", "²", "x" * 300):
            data = {f"qty_{line.pk}": qty, "destination": destination, "reason": "x" * 300, "confirmed": "1"}
            assert owner_client.post(url, data).status_code == 200
    assert owner_client.post(url, {f"qty_{line.pk}": "1\x00", "destination": "original"}).status_code == 400
    line.refresh_from_db()
    assert line.returned_quantity == 0
    with scopes_disabled():
        assert not Refund.objects.exists()


def test_other_forms_refuse_hostile_values(owner_client, studio, location, a_client):
    from pos.models import CashSession
    from pos.tests.factories import till

    owner_client.cookies["atelier_pos_location"] = str(location.pk)
    open_url = reverse("pos-till-open", kwargs={"studio_slug": studio.slug})
    for value in ("²", "-1", "x" * 10_000, "9999-12-31", "99999999999999999999", "1,2,3"):
        response = owner_client.post(open_url, {"opening_float": value})
        assert response.status_code == 200 and b"error" in response.content
    assert owner_client.post(open_url, {"opening_float": "1\x00"}).status_code == 400
    with scopes_disabled():
        assert not CashSession.objects.exists()
    session = till(studio, location)
    close_url = reverse("pos-till-close", kwargs={"studio_slug": studio.slug, "pk": session.pk})
    for value in ("²", "-1", "x" * 10_000, "99999999999999999999"):
        response = owner_client.post(close_url, {"counted_cash": value, "note": "x" * 600, "confirmed": "1"})
        assert response.status_code == 200 and b"error" in response.content
    with scopes_disabled():
        assert CashSession.objects.get(pk=session.pk).closed_at is None
    sale = completed_sale(studio, location, a_client)
    email_url = reverse("pos-sale-receipt-email", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
    for value in ("a" * 288 + "@example.com", "²@example.com", "abc"):
        assert owner_client.post(email_url, {"email": value}).status_code == 302
    from studio.notifications.models import Message

    with scopes_disabled():
        assert not Message.objects.exists()


def test_a_drop_in_line_cancels_its_booking_and_credit_goes_back_to_credit(studio, location, a_client, clerk):
    from scheduling.models import Booking, BookingStatus
    from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory

    session = ClassSessionFactory(template=ClassTemplateFactory(studio=studio), location=location)
    booking = BookingFactory(session=session, client=a_client)
    sale = completed_sale(
        studio,
        location,
        a_client,
        lines=[
            {
                "kind": "drop_in",
                "session": session,
                "unit_amount": 1800,
                "fulfilment_ref": f"booking:{booking.pk}",
            }
        ],
        tenders=[{"kind": "credit", "amount": 1800}],
    )
    result = _return(studio, clerk, sale, None)
    assert not result.errors, result.errors
    with scopes_disabled():
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
        entry = CreditEntry.objects.get(client=a_client)
    assert (entry.amount, entry.kind) == (1800, CreditEntry.Kind.REFUND)


def test_the_receipt_page_reads_the_same_queries_for_one_line_or_many(
    owner_client, studio, location, a_client
):
    from django.test.utils import CaptureQueriesContext

    def count(sale):
        url = reverse("pos-sale-receipt", kwargs={"studio_slug": studio.slug, "pk": sale.pk})
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = completed_sale(studio, location, a_client)
    many = completed_sale(
        studio,
        location,
        a_client,
        lines=[{"unit_amount": 100 + n} for n in range(12)],
        tenders=[{"kind": "cash", "amount": 600}, {"kind": "credit", "amount": 666}],
    )
    assert count(one) == count(many)
