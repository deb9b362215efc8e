"""Shared set-up of the penalty tests (POL-4, REP-3): a client with a card, a rule, no-shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from memberships.models import Penalty, PenaltyStatus
from memberships.services import penalties as engine
from memberships.tests.factories import PenaltyRuleFactory
from memberships.tests.renewal_helpers import (  # noqa: F401 - fixtures for importers
    enabled,
    make_account,
    plateau,
    sandbox,
    save_method,
)
from scheduling.models import BookingStatus
from scheduling.tests.factories import BookingFactory, ClassSessionFactory, ClassTemplateFactory

# A class that ended two days ago: its fee's grace delay (24 h) is over.
NOW = timezone.now().replace(microsecond=0)


def class_event(client, *, status=BookingStatus.NO_SHOW, starts_at=None, template=None, location=None):
    """A booking of `client` in a class that started at `starts_at` (default: two days ago)."""
    starts_at = starts_at or NOW - dt.timedelta(days=2)
    template = template or _hatha(client.studio)
    extra = {"location": location} if location is not None else {}
    session = ClassSessionFactory(
        template=template, starts_at=starts_at, occurrence_date=starts_at.date(), **extra
    )
    return BookingFactory(session=session, client=client, status=status)


def _hatha(studio):
    from scheduling.models import ClassTemplate

    with scopes_disabled():
        found = ClassTemplate.objects.filter(studio=studio, name="Hatha").first()
    return found or ClassTemplateFactory(studio=studio, name="Hatha")


def rule(studio, **kwargs):
    return PenaltyRuleFactory(studio=studio, **kwargs)


def assess(studio, booking, now=None):
    with scope(studio=studio):
        return engine.penalties_assess(studio=studio, event_kind="class", event_id=booking.pk, now=now)


def charge_due(studio, now=None):
    with scope(studio=studio):
        return engine.penalties_charge_due(studio=studio, now=now or NOW)


def fresh(penalty: Penalty) -> Penalty:
    with scopes_disabled():
        return Penalty.objects.select_related("payment").get(pk=penalty.pk)


def penalties_of(studio) -> list[Penalty]:
    with scopes_disabled():
        return list(Penalty.objects.filter(studio=studio).order_by("id"))


def failed_penalty(client, *, amount=1000) -> Penalty:
    """A fee whose charge failed (no method), made directly (views and isolation cases)."""
    booking = class_event(client)
    the_rule = rule(client.studio, fee_amount=amount)
    with scopes_disabled():
        return Penalty.objects.create(
            studio=client.studio,
            client=client,
            rule=the_rule,
            trigger="no_show",
            event_kind="class",
            event_id=booking.pk,
            occurred_at=booking.session.starts_at,
            amount=amount,
            currency=the_rule.currency,
            status=PenaltyStatus.FAILED,
            due_at=booking.session.ends_at,
            idempotency_key=engine.penalty_base_key(
                event_kind="class", event_id=booking.pk, rule_id=the_rule.pk
            ),
            attempts=1,
            failure_code="no_method",
        )


@pytest.fixture
def enqueued(monkeypatch):
    """Tasks the services ask for by name, instead of a broker."""
    import studio.tasking as tasking

    calls: list[tuple] = []

    def record(name, *args):
        calls.append((name, *args))

    monkeypatch.setattr(tasking, "enqueue_by_name", record)
    monkeypatch.setattr(engine, "enqueue_by_name", record)  # the services module's own binding
    return calls
