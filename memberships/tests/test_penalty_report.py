"""The late-cancel and no-show report (REP-3): rows by date, class and client with the fee and its
state, filters, the studio's calendar, a fixed query count at 1 and 200 rows, the CSV in the
reader's language with amounts a spreadsheet reads."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from memberships.models import Penalty, PenaltyStatus
from memberships.selectors.penalties import penalty_report, report_totals
from memberships.tests.penalty_helpers import assess, class_event, rule
from scheduling.models import BookingStatus
from scheduling.tests.factories import AppointmentFactory
from tests.factories import ClientFactory, StaffFactory

pytestmark = pytest.mark.django_db

# The studio is in Toronto: 1 March 2027 01:30 UTC is still 28 February there.
LATE_FEB = dt.datetime(2027, 3, 1, 1, 30, tzinfo=dt.UTC)
MARCH_3 = dt.datetime(2027, 3, 3, 15, 0, tzinfo=dt.UTC)


def report(studio, since, until, **kwargs):
    with scope(studio=studio):
        return penalty_report(studio=studio, since=since, until=until, **kwargs)


def set_status(penalty, status):
    with scopes_disabled():
        Penalty.objects.filter(pk=penalty.pk).update(status=status)


@pytest.fixture
def events(studio, other_studio, a_client):
    """A no-show with a fee (late February, local), a late cancel without one (3 March), an
    appointment no-show with a waived fee (3 March), and another studio's no-show."""
    rule(studio, fee_amount=1000)  # no-shows only
    no_show = class_event(a_client, starts_at=LATE_FEB)
    [fee] = assess(studio, no_show)
    late = class_event(
        ClientFactory(studio=studio, first_name="Zoé", last_name="Late"),
        status=BookingStatus.LATE_CANCELLED,
        starts_at=MARCH_3,
    )
    appointment = AppointmentFactory(
        calendar__location__studio=studio,
        client=ClientFactory(studio=studio, first_name="Appo", last_name="Client"),
        starts_at=MARCH_3,
        ends_at=MARCH_3 + dt.timedelta(hours=1),
        status="no_show",
    )
    with scope(studio=studio):
        from memberships.services.penalties import penalties_assess

        [appointment_fee] = penalties_assess(studio=studio, event_kind="appointment", event_id=appointment.pk)
    set_status(appointment_fee, PenaltyStatus.WAIVED)
    class_event(ClientFactory(studio=other_studio, first_name="Secret"), starts_at=MARCH_3)
    return {
        "no_show": no_show,
        "fee": fee,
        "late": late,
        "appointment": appointment,
        "appointment_fee": appointment_fee,
    }


def test_rows_by_date_with_each_fee_state(studio, events):
    rows = report(studio, dt.date(2027, 2, 28), dt.date(2027, 3, 3))
    assert [(r.event_kind, r.event_id, r.fee_state) for r in rows] == [
        ("class", events["no_show"].pk, "pending"),
        ("appointment", events["appointment"].pk, "waived"),
        ("class", events["late"].pk, "none"),
    ] or [(r.event_kind, r.event_id, r.fee_state) for r in rows] == [
        ("class", events["no_show"].pk, "pending"),
        ("class", events["late"].pk, "none"),
        ("appointment", events["appointment"].pk, "waived"),
    ]
    first = rows[0]
    assert first.starts_at.date() == dt.date(2027, 2, 28)  # the local date, not UTC's 1 March
    assert first.name == "Hatha" and first.client_name == "Camille Tremblay" and first.amount == 1000
    assert not [r for r in rows if r.client_name.startswith("Secret")]
    totals = report_totals(rows)
    assert (totals.events, totals.late_cancels, totals.no_shows) == (3, 1, 2)
    assert totals.by_state["pending"] == (1, 1000)


def test_the_range_is_the_studios_calendar(studio, events):
    assert [r.event_id for r in report(studio, dt.date(2027, 3, 1), dt.date(2027, 3, 1))] == []
    assert [r.event_id for r in report(studio, dt.date(2027, 2, 28), dt.date(2027, 2, 28))] == [
        events["no_show"].pk
    ]


def test_filters_by_fee_state_client_and_trigger(studio, events, a_client):
    since, until = dt.date(2027, 2, 1), dt.date(2027, 3, 31)
    set_status(events["fee"], PenaltyStatus.FAILED)
    assert [r.event_id for r in report(studio, since, until, status="failed")] == [events["no_show"].pk]
    assert [r.fee_state for r in report(studio, since, until, status="none")] == ["none"]
    assert [r.client_id for r in report(studio, since, until, client=a_client)] == [a_client.pk]
    assert [r.event_id for r in report(studio, since, until, search="zoé")] == [events["late"].pk]
    assert [r.trigger for r in report(studio, since, until, trigger="late_cancel")] == ["late_cancel"]
    set_status(events["fee"], PenaltyStatus.CHARGED)
    assert [r.fee_state for r in report(studio, since, until, client=a_client)] == ["charged"]


def test_the_report_reads_the_same_queries_at_1_and_200_rows(studio, a_client):
    rule(studio)
    assess(studio, class_event(a_client, starts_at=MARCH_3))

    def count():
        with scope(studio=studio), CaptureQueriesContext(connection) as ctx:
            rows = penalty_report(studio=studio, since=dt.date(2027, 3, 1), until=dt.date(2027, 3, 31))
        return len(ctx.captured_queries), len(rows)

    few, one = count()
    assert one == 1
    for n in range(199):
        person = ClientFactory(studio=studio, first_name=f"P{n}")
        booking = class_event(person, starts_at=MARCH_3 + dt.timedelta(minutes=n))
        if n % 2:
            assess(studio, booking)
    many, rows = count()
    assert rows == 200 and many == few == 2


def _get(client, studio, name, **params):
    return client.get(reverse(name, kwargs={"studio_slug": studio.slug}), params)


def test_the_page_shows_the_rows_and_refuses_bad_filters_cleanly(owner_client, studio, events):
    page = _get(owner_client, studio, "penalty-report", date_from="2027-02-28", date_to="2027-03-03")
    html = page.content.decode()
    assert page.status_code == 200 and "Camille Tremblay" in html and "Zoé Late" in html
    assert f'data-event="class-{events["no_show"].pk}"' in html and "Secret" not in html
    for bad in (
        {"date_from": "9999-12-31"},
        {"date_from": "2027-03-03", "date_to": "2027-01-01"},
        {"date_from": "²"},
        {"q": "x" * 1000},
        {"status": "bogus"},
    ):
        assert _get(owner_client, studio, "penalty-report", **bad).status_code == 200
    partial = owner_client.get(
        reverse("penalty-report", kwargs={"studio_slug": studio.slug}),
        {"date_from": "2027-02-28", "date_to": "2027-03-03"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert partial.lstrip().startswith('<div id="penalty-report">')


def test_the_report_needs_view_reports(client, login, studio, events):
    login(StaffFactory(studio=studio, kind="teacher").user)
    assert _get(client, studio, "penalty-report").status_code == 403
    assert _get(client, studio, "penalty-report-csv").status_code == 403


def test_the_csv_has_headers_in_the_readers_language_and_decimal_amounts(
    client, login, owner, studio, events
):
    with scopes_disabled():
        # The late cancel's client is named like a spreadsheet formula.
        events["late"].client.__class__.objects.filter(pk=events["late"].client_id).update(
            first_name="=HYPERLINK(1)"
        )
    login(owner.user)
    client.cookies["django_language"] = "fr"
    response = client.get(
        reverse("penalty-report-csv", kwargs={"studio_slug": studio.slug}),
        {"date_from": "2027-02-28", "date_to": "2027-03-03"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    from django.utils import translation

    with translation.override("fr"):
        # Worded through the catalogue in the reader's language (compared with gettext, so the test
        # holds before and after the French catalogue is merged).
        assert lines[0][6] == translation.gettext("Fee") and lines[0][8] == translation.gettext("Fee status")
        pending, none = translation.gettext("Pending"), translation.gettext("No fee")
    by_name = {line[5]: line for line in lines[1:]}
    camille = by_name["Camille Tremblay"]
    assert camille[0] == "2027-02-28" and camille[6] == "10.00" and camille[7] == "CAD"
    assert camille[8] == pending
    formula = next(line for line in lines[1:] if "HYPERLINK" in line[5])
    assert formula[5].startswith("'=")  # never run as a formula by a spreadsheet
    assert formula[6] == "" and formula[8] == none
