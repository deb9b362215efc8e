"""Booking checks: other apps' say on whether a client may take a place in a class.

An app registers a check from its `AppConfig.ready()` — memberships ("has an entitlement"),
waivers ("has signed the current waiver"):

    from scheduling.services import BookingAttempt, booking_check_register

    def has_signed(attempt: BookingAttempt) -> str | None:
        if waiver_signed(client_id=attempt.client.pk, ...):
            return None
        return gettext("Sign the studio's waiver before booking.")

    booking_check_register("waivers.signed", has_signed)

`booking_create` runs every check inside its transaction, after it has locked the session row
and checked its own rules (cancelled, closed, already booked), and before it counts the spots:
a check sees a consistent session and may read or lock rows of its own app. A check returns
None to allow, or the refusal as a sentence in the active language (what is missing and what
to do); the first refusal wins and is raised as a BookingError. A check must not write: when
the booking goes ahead its app records what it used in the same transaction through
`booking_create`'s `payment_kind`/`payment_ref`, or listens to the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from scheduling.models import ClassSession
from studio.models import Client, Studio


@dataclass(frozen=True, slots=True)
class BookingAttempt:
    """What a check is asked about. `session` is the locked row; `booker` is the signed-in
    client booking for `client` (themselves or a dependant), None when staff book."""

    studio: Studio
    session: ClassSession
    client: Client
    booked_by: str
    booker: Client | None
    waitlist: bool  # True when the class is full and the client would join its waitlist
    now: datetime


BookingCheck = Callable[[BookingAttempt], "str | None"]

_CHECKS: dict[str, BookingCheck] = {}


def booking_check_register(key: str, check: BookingCheck) -> None:
    """Add (or replace, under the same key) a check; keys keep registration idempotent when
    `ready()` runs twice."""
    _CHECKS[key] = check


def booking_check_unregister(key: str) -> None:
    """Remove a check (tests; an app turned off)."""
    _CHECKS.pop(key, None)


@contextmanager
def booking_check_registered(key: str, check: BookingCheck) -> Iterator[None]:
    """A check that holds for the `with` block only (tests)."""
    previous = _CHECKS.get(key)
    booking_check_register(key, check)
    try:
        yield
    finally:
        if previous is None:
            booking_check_unregister(key)
        else:
            booking_check_register(key, previous)


def booking_checks_run(attempt: BookingAttempt) -> str | None:
    """The first refusal of the registered checks, in registration order, or None."""
    for check in list(_CHECKS.values()):
        refusal = check(attempt)
        if refusal:
            return str(refusal)
    return None
