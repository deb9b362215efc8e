"""The renewal engine's query budget (H9): a night's run costs queries per batch, not per membership,
and one attempt stays within a stated number of queries."""

# ruff: noqa: F811 - pytest fixtures imported from the payments suite are parameters here

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from memberships.models import Renewal, RenewalStatus
from memberships.services import renewals as engine
from memberships.services.settings import membership_settings_for
from memberships.tests.factories import PlanFactory
from memberships.tests.renewal_helpers import (  # noqa: F401 - fixtures
    at,
    due_membership,
    enabled,
    make_account,
    plateau,
    sandbox,
    save_method,
)
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

JAN_31 = dt.date(2027, 1, 31)
FEB_28 = dt.date(2027, 2, 28)

#: renewals_run_due for one studio whose due memberships fit in one batch (`RUN_BATCH`), whatever
#: their number: the settings, the expiry sweep, the due ids, the batch (read, one insert, read
#: back), the retrying and the abandoned renewals — savepoints included.
RUN_DUE_QUERIES_MAX = 8
#: One successful renewal_attempt, reads and writes (SELECT/INSERT/UPDATE), transaction statements
#: not counted: the renewal locked and marked, the payment (looked up by key, routed, priced, its
#: method, created with its history and audit, recorded with its outcome), the renewal and its
#: membership locked together, the period opened, the audit entry and the receipt email (with the
#: studio's own version of it looked up, CHK-3).
ATTEMPT_QUERIES_MAX = 23


def _data_statements(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if q["sql"].lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}
    ]


@pytest.fixture
def enqueued(monkeypatch):
    """The attempt tasks the run asks for, instead of sending them to a broker."""
    calls: list[tuple] = []
    monkeypatch.setattr(engine, "enqueue_by_name", lambda name, *args: calls.append((name, *args)))
    return calls


def _run_counted(studio, now) -> int:
    with scope(studio=studio), CaptureQueriesContext(connection) as captured:
        engine.renewals_run_due(studio=studio, now=now)
    return len(captured.captured_queries)


def test_the_run_costs_the_same_queries_for_one_and_fifty_due_memberships(
    studio, location, other_studio, enqueued
):
    plan = PlanFactory(studio=studio, credits_per_period=8)
    with scope(studio=studio):
        membership_settings_for(studio=studio)  # created on first read: not part of a night's run
    first = due_membership(ClientFactory(studio=studio, home_location=location), started=JAN_31, plan=plan)
    # Another studio's due membership is never part of this studio's run.
    due_membership(ClientFactory(studio=other_studio), started=JAN_31)
    now = at(FEB_28)

    one = _run_counted(studio, now)
    assert [call[2] for call in enqueued] == [_renewal_id(first)]
    for _ in range(49):
        due_membership(ClientFactory(studio=studio, home_location=location), started=JAN_31, plan=plan)
    enqueued.clear()
    fifty = _run_counted(studio, now)

    assert one == fifty <= RUN_DUE_QUERIES_MAX
    with scopes_disabled():
        rows = list(Renewal.objects.filter(studio=studio))
        assert not Renewal.objects.filter(studio=other_studio).exists()
    assert len(rows) == 50 and all(r.status == RenewalStatus.DUE and r.period_start == FEB_28 for r in rows)
    # Each due renewal once; the one already there (from the first run) is not made again.
    assert sorted(call[2] for call in enqueued) == sorted(r.pk for r in rows)
    assert _renewal_id(first) in {call[2] for call in enqueued}

    enqueued.clear()
    assert _run_counted(studio, now) == fifty  # a second run at once: no new row, the same attempts
    with scopes_disabled():
        assert Renewal.objects.filter(studio=studio).count() == 50
    assert sorted(call[2] for call in enqueued) == sorted(r.pk for r in rows)


def _renewal_id(membership) -> int:
    with scopes_disabled():
        return Renewal.objects.get(membership=membership).pk


def test_one_attempt_stays_within_its_query_budget(sandbox, studio, a_client, plateau, enabled, enqueued):
    save_method(sandbox, studio, a_client)
    membership = due_membership(a_client, started=JAN_31)
    now = at(FEB_28)
    with scope(studio=studio):
        engine.renewals_run_due(studio=studio, now=now)
        [(_name, _studio_id, renewal_id)] = enqueued
        with CaptureQueriesContext(connection) as captured:
            renewal = engine.renewal_attempt(renewal_id=renewal_id, now=now)

    assert renewal.status == RenewalStatus.SUCCEEDED
    statements = _data_statements(captured.captured_queries)
    assert len(statements) <= ATTEMPT_QUERIES_MAX, "\n".join(s[:120] for s in statements)
    membership.refresh_from_db()
    assert membership.current_period_start == FEB_28 and membership.periods_paid == 2
