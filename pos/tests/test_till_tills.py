"""Cash sessions (POS-7): one open till per location (also under a race), the drawer's arithmetic,
the end-of-day report against a day of mixed tenders, and the till's pages."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from payments.models import Refund
from payments.services.refunds import refund_create
from pos.models import CashSession
from pos.services.tills import expected_cash_for, till_close, till_current, till_open, till_report
from pos.tests.factories import completed_sale, till
from studio.models import AuditLog
from studio.services import SYSTEM, Actor

pytestmark = pytest.mark.django_db


def _actor(owner):
    return Actor(user=owner.user)


def test_expected_cash_is_float_plus_cash_taken_minus_cash_refunded():
    assert expected_cash_for(opening_float=10000, cash_taken=2500, cash_refunded=500) == 12000
    assert expected_cash_for(opening_float=0, cash_taken=0, cash_refunded=0) == 0


def test_open_then_a_second_open_says_who_opened_it_and_when(studio, other_studio, location, owner):
    with scope(studio=studio):
        session = till_open(studio=studio, actor=_actor(owner), location=location, opening_float=15050)
        assert session.opening_float == 15050 and session.currency == studio.currency
        assert till_current(studio=studio, location=location) == session
        with translation.override("en"), pytest.raises(ValidationError) as refused:
            till_open(studio=studio, actor=_actor(owner), location=location, opening_float=0)
        assert "already open" in refused.value.messages[0]
        assert (owner.user.full_name or owner.user.email) in refused.value.messages[0]
        assert AuditLog.objects.filter(action="till.opened", object_id=str(session.pk)).count() == 1
    with scopes_disabled():
        assert CashSession.objects.filter(location=location).count() == 1


def test_a_non_home_or_foreign_location_cannot_open_a_till(studio, other_studio, owner):
    from tests.factories import LocationFactory

    annex = LocationFactory(studio=studio, is_home_location=False)
    foreign = LocationFactory(studio=other_studio)
    with scope(studio=studio):
        for where in (annex, foreign):
            with pytest.raises(ValidationError):
                till_open(studio=studio, actor=_actor(owner), location=where, opening_float=0)
        with pytest.raises(ValidationError):
            till_open(
                studio=studio, actor=_actor(owner), location=LocationFactory(studio=studio), opening_float=-1
            )


@pytest.mark.django_db(transaction=True)
def test_two_clerks_opening_the_same_till_at_once_open_one(studio, location, owner):
    workers = 4
    barrier = threading.Barrier(workers)
    outcomes: list = [None] * workers

    def run(i):
        try:
            barrier.wait(timeout=10)
            with scope(studio=studio):
                outcomes[i] = till_open(
                    studio=studio, actor=_actor(owner), location=location, opening_float=100 * i
                )
        except Exception as exc:  # the outcome is what the test inspects
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    opened = [o for o in outcomes if isinstance(o, CashSession)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(opened) == 1 and len(refused) == workers - 1, outcomes
    with scopes_disabled():
        assert CashSession.objects.filter(location=location, closed_at__isnull=True).count() == 1


def _mixed_day(studio, location, session, client):
    """A day at the till: cash with change, a reader card with tip and fee, a saved card, a hand-typed
    card, credit, a split sale, a voided sale, and a cash refund of part of the first sale."""
    cash_sale = completed_sale(
        studio,
        location,
        client,
        cash_session=session,
        lines=[{"description": "Water bottle", "unit_amount": 2500}],
        tenders=[{"kind": "cash", "amount": 2500, "cash_received": 3000, "change_due": 500}],
    )
    completed_sale(
        studio,
        location,
        client,
        cash_session=session,
        lines=[{"description": "10-class pack", "unit_amount": 4000}],
        tenders=[
            {
                "kind": "reader",
                "amount": 4000,
                "tip_amount": 600,
                "card_fee_amount": 120,
                "card_brand": "visa",
                "card_last4": "4242",
            }
        ],
    )
    completed_sale(
        studio,
        location,
        client,
        cash_session=session,
        lines=[{"description": "Mat", "unit_amount": 3000}],
        tenders=[{"kind": "saved_card", "amount": 1500}, {"kind": "cash", "amount": 1500}],
    )
    completed_sale(
        studio,
        location,
        client,
        cash_session=session,
        lines=[{"description": "Towel", "unit_amount": 700}],
        tenders=[{"kind": "manual_card", "amount": 500}, {"kind": "credit", "amount": 200}],
    )
    completed_sale(studio, location, client, cash_session=session, status="voided", tenders=[])
    # Another till's sale is not this one's.
    completed_sale(studio, location, client, cash_session=till(studio, opening_float=0), tenders=None)
    with scopes_disabled():
        cash_payment = cash_sale.tenders.get().payment
    with scope(studio=studio):
        refund_create(
            studio=studio,
            actor=SYSTEM,
            payment=cash_payment,
            amount=400,
            destination=Refund.Destination.ORIGINAL,
            reason="test",
        )


def test_report_totals_a_day_of_mixed_tenders(studio, location, owner, a_client):
    session = till(studio, location, opening_float=10000)
    _mixed_day(studio, location, session, a_client)
    with scope(studio=studio):
        report = till_report(session=session)
    kinds = {k.kind: k for k in report.kinds}
    assert report.cash_taken == 2500 + 1500
    assert report.cash_refunded == 400
    assert report.expected_cash == 10000 + 4000 - 400
    assert (kinds["cash"].count, kinds["cash"].amount) == (2, 4000)
    assert (kinds["reader"].amount, kinds["reader"].tip, kinds["reader"].card_fee) == (4000, 600, 120)
    assert kinds["reader"].collected == 4720
    assert kinds["saved_card"].amount == 1500 and kinds["manual_card"].amount == 500
    assert kinds["credit"].amount == 200 and report.credit_total == 200
    assert report.card_total == 4720 + 1500 + 500
    assert report.tips == 600 and report.card_fees == 120
    assert report.sales_count == 4 and report.voided_count == 1 and report.returns_count == 1
    assert report.sales_total == 2500 + 4000 + 3000 + 700
    assert report.refunds_total == 400
    assert report.counted_cash is None and report.over_short is None


def test_close_records_counted_expected_and_over_short_once(studio, location, owner, a_client):
    session = till(studio, location, opening_float=10000)
    _mixed_day(studio, location, session, a_client)
    with scope(studio=studio):
        closed = till_close(
            studio=studio, actor=_actor(owner), session=session, counted_cash=13400, note="Ok"
        )
        assert (closed.counted_cash, closed.expected_cash, closed.over_short) == (13400, 13600, -200)
        with pytest.raises(ValidationError):
            till_close(studio=studio, actor=_actor(owner), session=session, counted_cash=99999)
        report = till_report(session=closed)
        assert report.over_short == -200 and report.difference == 200
        entry = AuditLog.objects.get(action="till.closed", object_id=str(session.pk))
        assert entry.changes["over_short"] == -200
        assert till_current(studio=studio, location=location) is None
    with scopes_disabled():
        assert CashSession.objects.get(pk=session.pk).counted_cash == 13400


# --- pages -------------------------------------------------------------------------------------


def _pos(client, studio, location):
    client.cookies["atelier_pos_location"] = str(location.pk)
    return client


def test_open_page_reads_french_decimals_and_remembers_the_till(owner_client, studio, location):
    _pos(owner_client, studio, location)
    url = reverse("pos-till-open", kwargs={"studio_slug": studio.slug})
    assert owner_client.get(url).status_code == 200
    owner_client.cookies["django_language"] = "fr"
    response = owner_client.post(url, {"opening_float": "150,25"})
    assert response.status_code == 302
    with scopes_disabled():
        session = CashSession.objects.get(location=location)
    assert session.opening_float == 15025
    owner_client.cookies["django_language"] = "en"
    page = owner_client.get(url).content.decode()
    assert (
        "already open" in page
        and reverse("pos-till-close", kwargs={"studio_slug": studio.slug, "pk": session.pk}) in page
    )


def test_open_page_without_a_device_location_asks_for_one(owner_client, studio, location):
    url = reverse("pos-till-open", kwargs={"studio_slug": studio.slug})
    page = owner_client.get(url).content.decode()
    assert 'name="location"' in page
    response = owner_client.post(url, {"opening_float": "10", "location": str(location.pk)})
    assert response.status_code == 302
    assert response.cookies["atelier_pos_location"].value == str(location.pk)


def test_close_page_confirms_with_expected_and_over_short_then_closes(
    owner_client, studio, location, a_client
):
    session = till(studio, location, opening_float=10000)
    _mixed_day(studio, location, session, a_client)
    url = reverse("pos-till-close", kwargs={"studio_slug": studio.slug, "pk": session.pk})
    assert owner_client.get(url).status_code == 200
    confirm = owner_client.post(url, {"counted_cash": "137.00"}).content.decode()
    assert "$136.00" in confirm and "over by $1.00" in confirm and 'name="confirmed"' in confirm
    with scopes_disabled():
        assert CashSession.objects.get(pk=session.pk).closed_at is None
    response = owner_client.post(url, {"counted_cash": "137.00", "confirmed": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        closed = CashSession.objects.get(pk=session.pk)
    assert (closed.counted_cash, closed.expected_cash) == (13700, 13600)
    report = owner_client.get(response["Location"]).content.decode()
    assert "$137.00" in report and "Over" in report


def test_report_page_and_pdf_in_the_location_zone(owner_client, studio, location, a_client):
    import subprocess

    session = till(studio, location, opening_float=10000)
    _mixed_day(studio, location, session, a_client)
    page = owner_client.get(reverse("pos-till-report", kwargs={"studio_slug": studio.slug, "pk": session.pk}))
    html = page.content.decode()
    assert page.status_code == 200 and "$136.00" in html and "Card reader" in html and "$47.20" in html
    pdf = owner_client.get(
        reverse("pos-till-report-pdf", kwargs={"studio_slug": studio.slug, "pk": session.pk})
    )
    assert pdf["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
    text = text.decode()
    assert "$136.00" in text and location.name in text


def test_report_query_count_does_not_grow_with_sales(owner_client, studio, location, a_client):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    def count(session):
        url = reverse("pos-till-report", kwargs={"studio_slug": studio.slug, "pk": session.pk})
        with CaptureQueriesContext(conn) as ctx:
            assert owner_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few, many = till(studio, location), till(studio)
    completed_sale(studio, location, a_client, cash_session=few)
    for _ in range(8):
        completed_sale(studio, many.location, a_client, cash_session=many)
    assert count(few) == count(many)


def test_a_day_without_refunds_reports_them_as_zero_not_minus_zero(owner_client, studio, location):
    session = till(studio, location, opening_float=10000)
    html = owner_client.get(
        reverse("pos-till-report", kwargs={"studio_slug": studio.slug, "pk": session.pk})
    ).content.decode()
    assert "Cash refunded" in html and "−$0.00" not in html
