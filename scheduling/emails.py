"""Booking and appointment emails (CHK-3), through the one mail path (`notification_send`).

Called by the tasks in `scheduling.tasks`, never inside a request. Who receives a dependant's
mail (their guardians) and in which language is decided by `studio.notifications`, not here.
Each kind of message has its own template name (what the outbox shows and what a studio will
one day override); the kinds of a family share their files and tell themselves apart by `kind`.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scheduling.models import Appointment, Booking
from studio.models import Client
from studio.notifications import placeholders as ph
from studio.notifications.registry import MailTemplate, register
from studio.notifications.services import ReaderDate, notification_send

_BOOKING_VARIABLES = ("kind", "booking", "session", "client", "what", "when", "account_url")
_APPOINTMENT_VARIABLES = ("kind", "appointment", "client", "what", "when", "account_url")
# What a studio's own version may say (CHK-3, docs/emails.md).
_SHARED_PLACEHOLDERS = (
    ph.client_first_name(),
    ph.client_name(),
    ph.when("starts_at", _("Date and time"), key="when"),
    ph.link("link", _("Link to the client's bookings"), key="account_url", required=False),
)
_BOOKING_PLACEHOLDERS = (
    ph.value("class_name", _("Class name"), key="what", sample=_("Morning flow")),
    *_SHARED_PLACEHOLDERS,
    ph.Placeholder(
        name="teacher",
        label=_("Teacher"),
        read=lambda c: str(c["session"].teacher) if c["session"].teacher_id else "",
        sample=_("Léa Martin"),
    ),
)
_APPOINTMENT_PLACEHOLDERS = (
    ph.value("service_name", _("Service"), key="what", sample=_("Private lesson")),
    *_SHARED_PLACEHOLDERS,
)

BOOKING_KINDS = {
    "confirmed": _("Booking confirmed"),
    "waitlisted": _("Added to the waitlist"),
    "promoted": _("Promoted from the waitlist"),
    "cancelled": _("Booking cancelled"),
    "session_cancelled": _("Class cancelled"),
    "session_changed": _("Class changed"),
}
APPOINTMENT_KINDS = {
    "appointment_confirmed": _("Appointment confirmed"),
    "appointment_cancelled": _("Appointment cancelled"),
}

for _kind, _label in BOOKING_KINDS.items():
    register(
        MailTemplate(
            name=f"scheduling/booking_{_kind}",
            label=_label,
            files="scheduling/email/booking",
            variables=_BOOKING_VARIABLES,
            placeholders=_BOOKING_PLACEHOLDERS,
        )
    )
for _kind, _label in APPOINTMENT_KINDS.items():
    register(
        MailTemplate(
            name=f"scheduling/{_kind}",
            label=_label,
            files="scheduling/email/appointment",
            variables=_APPOINTMENT_VARIABLES,
            placeholders=_APPOINTMENT_PLACEHOLDERS,
        )
    )


def _account_url(studio) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("account-home", kwargs={"studio_slug": studio.slug})


def _send(*, template: str, kind: str, client: Client, studio, what: str, start, context: dict) -> int:
    messages = notification_send(
        studio=studio,
        recipient=client,
        template=template,
        context={
            **context,
            "kind": kind,
            "client": client,
            "what": what,
            "when": ReaderDate(start),
            "account_url": _account_url(studio),
        },
    )
    return len(messages)


def send_booking_email(*, booking: Booking, kind: str) -> int:
    """Write to the booked client (or their guardians) about `kind`; the number of messages."""
    if kind not in BOOKING_KINDS:
        raise ValueError(f"unknown booking email kind {kind!r}")
    session = booking.session
    return _send(
        template=f"scheduling/booking_{kind}",
        kind=kind,
        client=booking.client,
        studio=booking.studio,
        what=session.template.name,
        start=session.local_start,
        context={"booking": booking, "session": session},
    )


def send_appointment_email(*, appointment: Appointment, kind: str) -> int:
    """Write to the client (or their guardians) about an appointment; the number of messages."""
    if kind not in APPOINTMENT_KINDS:
        raise ValueError(f"unknown appointment email kind {kind!r}")
    return _send(
        template=f"scheduling/{kind}",
        kind=kind,
        client=appointment.client,
        studio=appointment.studio,
        what=appointment.service.name,
        start=appointment.local_start,
        context={"appointment": appointment},
    )
