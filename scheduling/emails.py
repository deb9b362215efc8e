"""Booking and appointment emails, each in its recipient's language (CHK-3).

Called by the tasks in `scheduling.tasks`, never inside a request. A dependant without an
email address is written to through their guardians.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from scheduling.models import Appointment, Booking
from studio.models import Client, FamilyLink


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    name: str


def recipients_for(client: Client) -> list[Recipient]:
    """The client, or when they have no email (children), each guardian who has one."""
    if client.email:
        return [Recipient(client.email, client.preferred_language, client.first_name)]
    links = FamilyLink.objects.filter(dependant=client).select_related("guardian")
    return [Recipient(link.guardian.email, link.guardian.preferred_language, link.guardian.first_name)
            for link in links if link.guardian.email]


def _subject(kind: str, what: str, when: str) -> str:
    subjects = {
        "confirmed": _("You are booked: %(what)s, %(when)s"),
        "waitlisted": _("You are on the waitlist: %(what)s, %(when)s"),
        "promoted": _("A spot opened up — you are booked: %(what)s, %(when)s"),
        "cancelled": _("Booking cancelled: %(what)s, %(when)s"),
        "session_cancelled": _("Class cancelled: %(what)s, %(when)s"),
        "session_changed": _("Class changed: %(what)s, %(when)s"),
        "appointment_confirmed": _("Appointment confirmed: %(what)s, %(when)s"),
        "appointment_cancelled": _("Appointment cancelled: %(what)s, %(when)s"),
    }
    return subjects[kind] % {"what": what, "when": when}


def _account_url(studio) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("account-home", kwargs={"studio_slug": studio.slug})


def _send(*, kind: str, client: Client, studio, what: str, start, context: dict) -> int:
    sent = 0
    for recipient in recipients_for(client):
        with translation.override(recipient.language):
            when = formats.date_format(start, "DATETIME_FORMAT")
            body = render_to_string("scheduling/email/appointment.txt" if kind.startswith("appointment") else "scheduling/email/booking.txt", {
                **context, "kind": kind, "studio": studio, "client": client, "recipient": recipient,
                "what": what, "when": when, "account_url": _account_url(studio),
            })
            sent += send_mail(_subject(kind, what, when), body, None, [recipient.email])
    return sent


def send_booking_email(*, booking: Booking, kind: str) -> int:
    session = booking.session
    return _send(kind=kind, client=booking.client, studio=booking.studio, what=session.template.name,
                 start=session.local_start, context={"booking": booking, "session": session})


def send_appointment_email(*, appointment: Appointment, kind: str) -> int:
    return _send(kind=kind, client=appointment.client, studio=appointment.studio, what=appointment.service.name,
                 start=appointment.local_start, context={"appointment": appointment})
