"""What scheduling contributes to pages of the studio app: the dashboard checklist step and
the bookings panels of a client's profile (staff side) and account (client side)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling import selectors
from scheduling.models import CalendarFeed, ClassSeries, ClassSession
from studio.models import Studio
from studio.profile_sections import Section


def classes_step_done(studio: Studio) -> bool:
    return ClassSeries.objects.filter(studio=studio).exists() or ClassSession.objects.filter(studio=studio).exists()


def client_bookings_panel(request, client) -> Section:
    now = timezone.now()
    return Section(title=_("Classes and appointments"), template="scheduling/panels/client_bookings.html", order=20,
                   context={
                       "upcoming": selectors.client_bookings(clients=[client], upcoming=True, now=now, limit=10),
                       "history": selectors.client_bookings(clients=[client], upcoming=False, now=now, limit=15),
                       "appointments": selectors.client_appointments(clients=[client], upcoming=True, now=now),
                       "counts": selectors.client_attendance_counts(client=client),
                   })


def account_bookings_panel(request, client) -> Section:
    now = timezone.now()
    family = selectors.family_of(client=client)
    feed = CalendarFeed.objects.filter(client=client).first()
    return Section(title=_("My bookings"), template="scheduling/panels/account_bookings.html", order=10, context={
        "upcoming": selectors.client_bookings(clients=family, upcoming=True, now=now),
        "history": selectors.client_bookings(clients=family, upcoming=False, now=now, limit=10),
        "appointments": selectors.client_appointments(clients=family, upcoming=True, now=now),
        "feed": feed, "now": now, "family_size": len(family),
    })
