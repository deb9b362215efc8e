"""What scheduling contributes to pages of the studio app: the dashboard checklist step and
the bookings panels of a client's profile (staff side) and account (client side)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple, TypedDict

from django.db.models import BigIntegerField, CharField, Count, F, IntegerField, Q, Value, Window
from django.db.models.functions import Coalesce, NullIf
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
from scheduling.models.classes import place_label
from studio.compiled_sql import compiled_rows
from studio.models import Studio
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section, choice_labels, row_url

COUNTED = (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW, BookingStatus.LATE_CANCELLED)


def classes_step_done(studio: Studio) -> bool:
    return (
        ClassSeries.objects.filter(studio=studio).exists()
        or ClassSession.objects.filter(studio=studio).exists()
    )


# The columns a booking row of the profile shows, read as tuples: no model instance per row.
_BOOKING_COLUMNS = (
    "id",
    "status",
    "session_id",
    "session__starts_at",
    "session__online_url",
    "session__location_id",
    "session__template__name",
    "session__location__name",
    "session__location__time_zone",
    "session__room__name",
)


class BookingRow(TypedDict):
    """One booking as the profile lists it: plain values, worded and zoned once. A dict, as the
    template engine reads a key at its first try (an object's attribute only after a failed one)."""

    id: int
    session_id: int
    name: str
    start: datetime  # in the location's zone (the studio's for an online class)
    place: str
    status: str
    status_label: str
    badge: str
    url: str | None


class AppointmentRow(TypedDict):
    id: int
    name: str
    start: datetime  # in the calendar's location zone
    teacher: str
    url: str | None


class RecentBookings(NamedTuple):
    upcoming: list[BookingRow]
    history: list[BookingRow]
    counts: dict[str, int]  # attended / no-show / late-cancel counts over every booking of the client
    appointments: list[AppointmentRow]


# Which select of the UNION a row comes from.
_UPCOMING, _HISTORY, _APPOINTMENT = 0, 1, 2


def _appointments_next(*, studio_id: int, client_id: int, now: datetime, limit: int):
    """The client's next booked appointments, soonest first, in the columns of a booking row
    (`_BOOKING_COLUMNS`): the service's name as the name, the teacher as StaffMember.__str__
    names them (the shown name, else the login's name or email) in the location's place."""
    none = {
        name: Value(None, output_field=field)
        for name, field in (
            ("no_status", CharField()),
            ("no_session", BigIntegerField()),
            ("no_url", CharField()),
            ("no_location", BigIntegerField()),
            ("no_room", CharField()),
            *((f"n_{status}", IntegerField()) for status in COUNTED),
        )
    }
    teacher = Coalesce(
        NullIf(F("calendar__teacher__display_name"), Value("")),
        NullIf(F("calendar__teacher__user__full_name"), Value("")),
        F("calendar__teacher__user__email"),
        output_field=CharField(),
    )
    return (
        Appointment.objects.filter(
            studio_id=studio_id, client_id=client_id, ends_at__gt=now, status=AppointmentStatus.BOOKED
        )
        .annotate(part=Value(_APPOINTMENT), teacher=teacher, **none)
        .order_by("starts_at", "id")
        .values_list(
            "part",
            "id",
            "no_status",
            "no_session",
            "starts_at",
            "no_url",
            "no_location",
            "service__name",
            "teacher",
            "calendar__location__time_zone",
            "no_room",
            *(f"n_{status}" for status in COUNTED),
        )[:limit]
    )


def bookings_query(*, upcoming: int, history: int, appointments: int):
    """`build(studio_id=, client_id=, now=)`: the UNION `client_bookings_recent` reads (its columns:
    "part", `_BOOKING_COLUMNS`, the window counts), compiled once per process (`compiled_rows`)."""

    def build(*, studio_id: int, client_id: int, now: datetime):
        ahead = Q(session__ends_at__gt=now, status__in=ACTIVE_STATUSES)
        mine = Booking.objects.filter(studio_id=studio_id, client_id=client_id)
        counted = {f"n_{status}": Window(Count("id", filter=Q(status=status))) for status in COUNTED}
        soonest = (
            mine.filter(ahead)
            .annotate(part=Value(_UPCOMING), **counted)
            .order_by("session__starts_at", "id")
            .values_list("part", *_BOOKING_COLUMNS, *counted)[:upcoming]
        )
        newest = (
            mine.filter(~ahead)
            .annotate(part=Value(_HISTORY), **counted)
            .order_by("-session__starts_at", "-id")
            .values_list("part", *_BOOKING_COLUMNS, *counted)[:history]
        )
        booked = _appointments_next(studio_id=studio_id, client_id=client_id, now=now, limit=appointments)
        return soonest.union(newest, booked, all=True)

    return build


def client_bookings_recent(
    *,
    client,
    now: datetime,
    upcoming: int = 10,
    history: int = 15,
    appointments: int = 10,
    url: Callable[[int], str] | None = None,
    appointment_url: Callable[[int], str] | None = None,
) -> RecentBookings:
    """The client's next `upcoming` active bookings (soonest first), last `history` others
    (newest first), attendance counts and next `appointments` booked appointments, in one query:
    three cut, ordered selects joined by UNION ALL.

    Each booking select counts the statuses of all the rows its WHERE keeps, as window counts
    computed before its LIMIT; the two groups split every booking of the client, so their counts
    add up to the client's (a group that returns no row has none to count). A correlated subquery
    on the client's row said the same for three times the Python it took to build. The
    appointments ride on the same query (their own select, padded to a booking row's columns):
    a second query cost more than the select. `url(session_id)` / `appointment_url(id)` make a
    row's link (None: rows carry none). Rows are read as tuples: ORM instances with three related
    objects each cost more than the query; the UNION is compiled once per process
    (`bookings_query`): building and compiling it cost six times what PostgreSQL takes to run it."""
    labels, studio_zone = choice_labels(BookingStatus.choices), client.studio.time_zone
    # The badge each status wears, from the model's own rule, asked once per status.
    badges = {status: Booking(status=status).status_badge for status in BookingStatus.values}
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    soon, past, booked = [], [], []
    group_counts: dict[int, tuple[int, ...]] = {}
    for (
        part,
        pk,
        status,
        session_id,
        starts_at,
        online_url,
        location_id,
        name,
        location,
        zone,
        room,
        *row_counts,
    ) in compiled_rows(
        ("profile-bookings", upcoming, history, appointments),
        bookings_query(upcoming=upcoming, history=history, appointments=appointments),
        client_id=client.pk,
        now=now,
    ):
        if part == _APPOINTMENT:
            tz = zones.get(zone) or zones.setdefault(zone, zoneinfo.ZoneInfo(zone))
            booked.append(
                AppointmentRow(
                    id=pk,
                    name=name,
                    start=starts_at.astimezone(tz),
                    teacher=location or "",  # the teacher, in the place column (`_appointments_next`)
                    url=appointment_url(pk) if appointment_url else None,
                )
            )
            continue
        group_counts[part] = row_counts
        zone = zone if location_id else studio_zone  # an online class shows in the studio's zone
        tz = zones.get(zone) or zones.setdefault(zone, zoneinfo.ZoneInfo(zone))
        row = BookingRow(
            id=pk,
            session_id=session_id,
            name=name,
            start=starts_at.astimezone(tz),
            place=place_label(location or "", room or "", online_url),
            status=status,
            status_label=labels.get(status, status),
            badge=badges.get(status, ""),
            url=url(session_id) if url else None,
        )
        (soon if part == _UPCOMING else past).append(row)
    # UNION ALL keeps no order of its own: each group is put back in the order its select cut it.
    soon.sort(key=lambda r: (r["start"], r["id"]))
    past.sort(key=lambda r: (r["start"], r["id"]), reverse=True)
    booked.sort(key=lambda r: (r["start"], r["id"]))
    counts = {
        status.value: sum(group[i] for group in group_counts.values()) for i, status in enumerate(COUNTED)
    }
    return RecentBookings(soon, past, counts, booked)


def _client_bookings_load(*, request, client) -> dict:
    now = timezone.now()
    can_open = request.staff.has_perm(Perm.CHECK_IN)  # once, not per row: the links need CHECK_IN
    session_url = row_url("class-session-detail", studio_slug=request.studio.slug) if can_open else None
    appointment_url = row_url("appointment-detail", studio_slug=request.studio.slug) if can_open else None
    recent = client_bookings_recent(client=client, now=now, url=session_url, appointment_url=appointment_url)
    return {
        "upcoming": recent.upcoming,
        "history": recent.history,
        "counts": recent.counts,
        "appointments": recent.appointments,
    }


# Whoever may open a profile may see the client's classes: attendance is the studio's daily work.
BOOKINGS_PANEL = ProfilePanel(
    key="bookings",
    title=_("Classes and appointments"),
    template="scheduling/panels/client_bookings.html",
    perms=frozenset({Perm.VIEW_CLIENTS}),
    load=_client_bookings_load,
    order=20,
)


def account_bookings_panel(request, client) -> Section:
    now = timezone.now()
    family = selectors.family_of(client=client)
    feed = CalendarFeed.objects.filter(client=client).first()
    return Section(
        title=_("My bookings"),
        template="scheduling/panels/account_bookings.html",
        order=10,
        context={
            "upcoming": selectors.client_bookings(clients=family, upcoming=True, now=now),
            "history": selectors.client_bookings(clients=family, upcoming=False, now=now, limit=10),
            "appointments": selectors.client_appointments(clients=family, upcoming=True, now=now),
            "feed": feed,
            "now": now,
            "family_size": len(family),
        },
        key="bookings",
    )
