"""The self check-in kiosk (SCH-5) and clients' calendar feeds (SCH-6)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling.models import Booking, CalendarFeed, KioskSession
from scheduling.models.kiosk import new_token
from studio.models import Client, Location, Studio
from studio.services import SYSTEM, Actor, audit_record

from .bookings import booking_check_in
from .common import BookingError


def kiosk_open(*, studio: Studio, actor: Actor, location: Location) -> tuple[KioskSession, str]:
    """Turn this device into the kiosk of `location`. Returns the kiosk and the token for its cookie."""
    token, digest = new_token()
    with transaction.atomic():
        kiosk = KioskSession.objects.create(
            studio=studio, location=location, token_digest=digest, opened_by=actor.user
        )
        audit_record(
            studio=studio, actor=actor, action="kiosk.opened", obj=kiosk, changes={"location": location.name}
        )
    return kiosk, token


def kiosk_close(*, studio: Studio, actor: Actor, kiosk: KioskSession) -> KioskSession:
    """Staff (who signed in again on the kiosk) close it."""
    with transaction.atomic():
        kiosk.closed_at = timezone.now()
        kiosk.closed_by = actor.user
        kiosk.save(update_fields=["closed_at", "closed_by"])
        audit_record(studio=studio, actor=actor, action="kiosk.closed", obj=kiosk)
    return kiosk


def kiosk_check_in(
    *, studio: Studio, kiosk: KioskSession, booking: Booking, now: datetime | None = None
) -> Booking:
    """A client taps their name: only bookings of this kiosk's location, while check-in is open."""
    if booking.session.location_id != kiosk.location_id:
        raise BookingError(_("This class is not at this location."))
    return booking_check_in(studio=studio, actor=SYSTEM, booking=booking, via="kiosk", now=now)


def calendar_feed_for(*, studio: Studio, client: Client, reset: bool = False) -> CalendarFeed:
    """The client's private calendar feed; `reset` gives it a new address (the old one stops working)."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(client=client).first()
        if feed is None:
            return CalendarFeed.objects.create(studio=studio, client=client, token=secrets.token_urlsafe(24))
        if reset:
            feed.token = secrets.token_urlsafe(24)
            feed.save(update_fields=["token"])
    return feed
