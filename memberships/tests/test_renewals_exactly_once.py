"""Exactly one successful charge per membership and period, whatever happens (MEM-3).

With the sandbox's faults on (lost responses, timeouts, 500s, 429s), two beat runs at once, the
attempts of both run concurrently, and a worker "killed" after Stripe answered but before the
renewal was written: in the end every due membership is renewed, and the sandbox holds exactly
one succeeded payment intent per renewal.
"""

# ruff: noqa: F811 - pytest fixtures imported from the payments suite are parameters here

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled

from memberships.models import Membership, MembershipStatus, Renewal, RenewalStatus
from memberships.services import renewals as engine
from memberships.tests.renewal_helpers import (  # noqa: F401 - fixtures
    at,
    deliver_webhooks_and_outcomes,
    due_membership,
    enabled,
    make_account,
    plateau,
    sandbox,
    save_method,
    succeeded_charges_per_renewal,
)
from payments.models import Payment
from payments.services.charges import payment_reconcile, payments_needing_reconcile
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)

JAN_31 = dt.date(2027, 1, 31)
FEB_28 = dt.date(2027, 2, 28)
MEMBERS = 6


class Killed(Exception):
    """The worker died: Stripe has answered, our row was not written."""


def _in_threads(studio, jobs) -> list:
    """Run each job in its own thread (its own database connection) at the same moment."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            with scope(studio=studio):
                results[index] = job()
        except Exception as exc:  # collected: a killed worker is part of the scenario
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_every_due_membership_is_charged_exactly_once_per_period(
    sandbox, studio, location, plateau, enabled, monkeypatch
):
    memberships = []
    for n in range(MEMBERS):
        person = ClientFactory(studio=studio, home_location=location, first_name=f"Member{n}")
        save_method(sandbox, studio, person)
        memberships.append(due_membership(person, started=JAN_31))

    enqueued: list[int] = []
    lock = threading.Lock()

    def collect(name, studio_id, renewal_id):
        with lock:
            enqueued.append(renewal_id)

    monkeypatch.setattr(engine, "enqueue_by_name", collect)
    now = at(FEB_28)

    # Two beat runs at once: one Renewal row per membership and period, whatever the interleaving.
    _in_threads(studio, [lambda: engine.renewals_run_due(studio=studio, now=now)] * 2)
    with scopes_disabled():
        renewals = list(Renewal.objects.filter(studio=studio))
    assert len(renewals) == MEMBERS and len({r.membership_id for r in renewals}) == MEMBERS
    assert set(enqueued) == {r.pk for r in renewals}

    # Stripe misbehaves on the way…
    for kind in ("lost_response", "timeout", "server_error", "rate_limit"):
        sandbox.faults.next(kind, "/v1/payment_intents", method="POST")
    # …and one worker dies after Stripe answered, before the renewal is written.
    victim = renewals[0].pk
    real_record = engine.renewal_record
    killed = []
    dying = threading.Event()
    dying.set()

    def record_or_die(**kwargs):
        # Every worker that reaches the victim's answer in this round dies (both runs enqueued it).
        if kwargs["renewal_id"] == victim and dying.is_set():
            killed.append(kwargs["key"])
            raise Killed
        return real_record(**kwargs)

    monkeypatch.setattr(engine, "renewal_record", record_or_die)
    attempts = [(lambda rid=rid: engine.renewal_attempt(renewal_id=rid, now=now)) for rid in enqueued]
    results = _in_threads(studio, attempts)
    assert killed and any(isinstance(r, Killed) for r in results)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, Killed)], results

    dying.clear()
    with scopes_disabled():
        assert Renewal.objects.get(pk=victim).status == RenewalStatus.DUE  # charged, not recorded
    # The next beat run picks up what is unfinished; the killed attempt is charged under its key again.
    enqueued.clear()
    with scope(studio=studio):
        engine.renewals_run_due(studio=studio, now=now + dt.timedelta(minutes=15))
    assert victim in enqueued
    _in_threads(
        studio, [(lambda rid=rid: engine.renewal_attempt(renewal_id=rid, now=now)) for rid in enqueued]
    )

    # Answers lost to the faults are settled by the payments reconcile task and the outcome hooks.
    with scope(studio=studio):
        for payment in payments_needing_reconcile(studio=studio, older_than=dt.timedelta(0)):
            payment_reconcile(payment=payment)
    deliver_webhooks_and_outcomes(sandbox, studio)

    with scopes_disabled():
        renewals = list(Renewal.objects.filter(studio=studio))
        statuses = {r.pk: r.status for r in renewals}
        members = list(Membership.objects.filter(pk__in=[m.pk for m in memberships]))
        payments_per_renewal = {
            r.pk: Payment.objects.filter(source_id=str(r.pk), status=Payment.Status.SUCCEEDED).count()
            for r in renewals
        }
    assert set(statuses.values()) == {RenewalStatus.SUCCEEDED}, statuses
    assert all(m.current_period_start == FEB_28 and m.status == MembershipStatus.ACTIVE for m in members)
    assert set(payments_per_renewal.values()) == {1}
    charges = succeeded_charges_per_renewal(sandbox, plateau)
    assert charges == {r.pk: 1 for r in renewals}
    assert sandbox.faults.fired  # the faults really happened
