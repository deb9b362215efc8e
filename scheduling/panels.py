"""What scheduling contributes to pages of the studio app: the dashboard checklist step and
the bookings panels of a client's profile (staff side) and account (client side)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Window,
)
from django.db.models.functions import JSONObject, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling import selectors
from scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CalendarFeed,
    ClassSeries,
    ClassSession,
)
from studio.models import Studio
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section

COUNTED = (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW, BookingStatus.LATE_CANCELLED)


def classes_step_done(studio: Studio) -> bool:
    return ClassSeries.objects.filter(studio=studio).exists() or ClassSession.objects.filter(studio=studio).exists()


def _attendance_annotations() -> dict:
    """Attended / no-show / late-cancel counts, on the client's row (no query of their own):
    one correlated subquery returns the three counts as a JSON object."""
    counts = (Booking.objects.filter(studio_id=OuterRef("studio_id"), client_id=OuterRef("pk"), status__in=COUNTED)
              .order_by().values("client_id")
              .annotate(counts=JSONObject(**{status: Count("id", filter=Q(status=status)) for status in COUNTED}))
              .values("counts"))
    return {"sched_attendance": Subquery(counts, output_field=JSONField())}


def client_bookings_recent(*, client, now: datetime, upcoming: int = 10, history: int = 15
                           ) -> tuple[list[Booking], list[Booking]]:
    """The client's next `upcoming` active bookings (soonest first) and last `history` others
    (newest first), in one query: each group is numbered by a window function and cut in SQL."""
    ahead = ExpressionWrapper(Q(session__ends_at__gt=now, status__in=ACTIVE_STATUSES), output_field=BooleanField())
    # Only what the panel shows: the ORM's cost here is in the columns it turns into objects.
    rows = (Booking.objects.filter(studio_id=client.studio_id, client_id=client.pk)
            .select_related("session__template", "session__location", "session__room")
            .only("id", "status", "session_id", "session__starts_at", "session__ends_at", "session__online_url",
                  "session__studio_id", "session__location_id", "session__room_id", "session__template__name",
                  "session__location__name", "session__location__time_zone", "session__room__name")
            .annotate(ahead=ahead,
                      soonest=Window(RowNumber(), partition_by=[ahead],
                                     order_by=[F("session__starts_at").asc(), F("id").asc()]),
                      newest=Window(RowNumber(), partition_by=[ahead],
                                    order_by=[F("session__starts_at").desc(), F("id").desc()]))
            .filter(Q(ahead=True, soonest__lte=upcoming) | Q(ahead=False, newest__lte=history)))
    rows = list(rows)
    for booking in rows:  # an online class shows in the studio's zone: the studio is the client's
        booking.client = client
        booking.session.studio = client.studio
    return (sorted((b for b in rows if b.ahead), key=lambda b: b.soonest),
            sorted((b for b in rows if not b.ahead), key=lambda b: b.newest))


def client_appointments_next(*, client, now: datetime, limit: int = 10) -> list[Appointment]:
    """The client's next booked appointments, soonest first: one query, only the shown columns."""
    return list(Appointment.objects.filter(studio_id=client.studio_id, client_id=client.pk, ends_at__gt=now,
                                           status=AppointmentStatus.BOOKED)
                .select_related("service", "calendar__location", "calendar__teacher")
                .only("id", "starts_at", "calendar_id", "service_id", "service__name", "calendar__location_id",
                      "calendar__teacher_id", "calendar__location__time_zone", "calendar__teacher__display_name")
                .order_by("starts_at", "id")[:limit])


def _client_bookings_load(*, request, client) -> dict:
    now = timezone.now()
    upcoming, history = client_bookings_recent(client=client, now=now)
    return {
        "upcoming": upcoming,
        "history": history,
        "appointments": client_appointments_next(client=client, now=now),
        "counts": client.sched_attendance or {},
        "can_open": request.staff.has_perm(Perm.CHECK_IN),  # once, not per row: the links need CHECK_IN
    }


# Whoever may open a profile may see the client's classes: attendance is the studio's daily work.
BOOKINGS_PANEL = ProfilePanel(
    key="bookings", title=_("Classes and appointments"), template="scheduling/panels/client_bookings.html",
    perms=frozenset({Perm.VIEW_CLIENTS}), annotations=_attendance_annotations, load=_client_bookings_load, order=20)


def account_bookings_panel(request, client) -> Section:
    now = timezone.now()
    family = selectors.family_of(client=client)
    feed = CalendarFeed.objects.filter(client=client).first()
    return Section(title=_("My bookings"), template="scheduling/panels/account_bookings.html", order=10, context={
        "upcoming": selectors.client_bookings(clients=family, upcoming=True, now=now),
        "history": selectors.client_bookings(clients=family, upcoming=False, now=now, limit=10),
        "appointments": selectors.client_appointments(clients=family, upcoming=True, now=now),
        "feed": feed, "now": now, "family_size": len(family),
    }, key="bookings")
