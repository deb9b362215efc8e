"""Reads of the scheduling app. Keyword-only, no side effects, a fixed number of queries each:
pages that show many sessions or bookings cost the same at 5 rows as at 300 (Q-3)."""

from __future__ import annotations

import unicodedata
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django_scopes import scope

from scheduling import slots as slotting
from scheduling.models import (
    ACTIVE_STATUSES,
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentCalendar,
    AppointmentService,
    AppointmentStatus,
    Availability,
    AvailabilityException,
    Booking,
    BookingStatus,
    CalendarService,
    ClassSeries,
    ClassSession,
    ClassTemplate,
    SessionStatus,
)
from scheduling.models.classes import place_label
from scheduling.timeutils import local_day_bounds
from studio.compiled_sql import compiled_instance, compiled_models, compiled_rows, model_columns
from studio.models import Client, FamilyLink, Location, Room, StaffMember, Studio, User
from studio.permissions import RoleKind


def _with_counts(qs: QuerySet[ClassSession]) -> QuerySet[ClassSession]:
    return qs.annotate(
        booked_count=Count("bookings", filter=Q(bookings__status__in=OCCUPYING_STATUSES)),
        waitlist_count=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITLISTED)),
    )


def _sessions(studio_id: int) -> QuerySet[ClassSession]:
    return ClassSession.objects.filter(studio_id=studio_id).select_related(
        "template", "teacher__user", "location", "room", "studio"
    )


@dataclass(slots=True)
class SessionCard:
    """What a calendar shows of one session: plain values, built without model instances.

    A busy week has hundreds of sessions; building a model tree (session, template, teacher,
    location, room) for each was most of what a week's page cost.
    """

    pk: int
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime
    name: str
    colour: str
    teacher: str
    place: str
    room: str
    capacity: int
    booked_count: int
    waitlist_count: int
    is_cancelled: bool
    my_bookings: list = field(default_factory=list)  # the signed-in client's family's, on hosted pages
    start_label: str = ""  # the local start time as the page's language writes it (see label_start_times)
    # The city of the location's zone when it is not the studio's: a week mixing zones lists
    # classes in time order, and "10:00" after "12:15" needs its "(Vancouver)".
    zone: str = ""

    @property
    def spots_left(self) -> int:
        return max(self.capacity - self.booked_count, 0)


@dataclass
class Day:
    date: date
    sessions: list[SessionCard] = field(default_factory=list)


def sessions_between(
    *,
    studio: Studio,
    first: date,
    last: date,
    location_id: int | None = None,
    room_id: int | None = None,
    teacher_id: int | None = None,
    template_id: int | None = None,
    include_cancelled: bool = True,
) -> list[Day]:
    """Sessions dated first…last (each by its own location's calendar) as cards grouped by day,
    with booked and waitlist counts. Two queries, however many sessions."""
    # A day in any zone lies within ±14 h of the same UTC day; trim precisely below.
    start, _end = local_day_bounds(first, "UTC")
    _start, end = local_day_bounds(last, "UTC")
    filters = {
        name: value
        for name, value in (
            ("location_id", location_id),
            ("room_id", room_id),
            ("teacher_id", teacher_id),
            ("template_id", template_id),
        )
        if value
    }

    def week(*, studio_id, since, until, **chosen):
        qs = _with_counts(ClassSession.objects.filter(starts_at__gte=since, starts_at__lt=until, **chosen))
        if not include_cancelled:
            qs = qs.exclude(status=SessionStatus.CANCELLED)
        return qs.order_by("starts_at", "id").values_list(*_CARD_COLUMNS)

    # Names come with the rows (joined columns, not model instances), from SQL compiled once per
    # shape (a week is read on every schedule page); teachers' display names follow
    # StaffMember.__str__, so they come from one query of their own.
    with scope(studio=studio):
        rows = compiled_rows(
            ("sessions-between", tuple(sorted(filters)), include_cancelled),
            week,
            since=start - timedelta(hours=14),
            until=end + timedelta(hours=14),
            **filters,
        )
        teachers = staff_names(studio=studio) if rows else {}
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    days = {first + timedelta(days=i): Day(first + timedelta(days=i)) for i in range((last - first).days + 1)}
    for (
        pk,
        starts,
        ends,
        name,
        colour,
        teacher_id,
        location,
        tz,
        room,
        online,
        capacity,
        status,
        booked,
        waiting,
    ) in rows:
        tz = tz or studio.time_zone
        zone = zones.get(tz) or zones.setdefault(tz, zoneinfo.ZoneInfo(tz))
        local_start = starts.astimezone(zone)
        day = days.get(local_start.date())
        if day is None:
            continue
        day.sessions.append(
            SessionCard(
                pk=pk,
                starts_at=starts,
                ends_at=ends,
                local_start=local_start,
                local_end=ends.astimezone(zone),
                name=name,
                colour=colour,
                teacher=teachers[teacher_id],
                place=place_label(location or "", room or "", online),
                room=room or "",
                capacity=capacity,
                booked_count=booked,
                waitlist_count=waiting,
                is_cancelled=status == SessionStatus.CANCELLED,
                zone="" if tz == studio.time_zone else tz.rsplit("/", 1)[-1].replace("_", " "),
            )
        )
    return list(days.values())


_CARD_COLUMNS = (
    "id",
    "starts_at",
    "ends_at",
    "template__name",
    "template__colour",
    "teacher_id",
    "location__name",
    "location__time_zone",
    "room__name",
    "online_url",
    "capacity",
    "status",
    "booked_count",
    "waitlist_count",
)


def _staff_query(*, studio_id):
    return StaffMember.objects.values_list(
        *model_columns(StaffMember), *(f"user__{column}" for column in model_columns(User))
    )


def staff_names(*, studio: Studio) -> dict[int, str]:
    """Every staff member's name as `str(member)` writes it, by id (one query compiled once: the
    calendars name the teacher of every class they show)."""
    names = {}
    with scope(studio=studio):
        rows = compiled_rows("staff-names", _staff_query)
    for row in rows:
        member, end = compiled_instance(StaffMember, row)
        if member.user_id is not None:
            member.user = compiled_instance(User, row, end)[0]
        names[member.pk] = str(member)
    return names


def label_start_times(days: list[Day]) -> None:
    """Write each card's local start time in the active language's format, once per distinct time:
    a week repeats a few dozen start times over hundreds of cards."""
    labels: dict[time, str] = {}
    for day in days:
        for card in day.sessions:
            at = card.local_start.time()
            label = labels.get(at)
            if label is None:
                label = labels[at] = formats.time_format(at, "TIME_FORMAT")
            card.start_label = label


def session_detail(*, session_id: int) -> ClassSession:
    """One session with its counts (raises DoesNotExist outside the studio's scope)."""
    return _with_counts(
        ClassSession.objects.select_related(
            "template", "series", "teacher__user", "location", "room", "studio"
        )
    ).get(pk=session_id)


def name_sort_key(name: str) -> tuple[str, str]:
    """A name as a roster sorts it: accents aside first ("Bélanger" before "Bergeron", where code
    points put "é" after "z"), then with them, so "Côté" and "Cote" keep one order."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c)), name.casefold()


def session_roster(*, session: ClassSession) -> dict[str, list[Booking]]:
    """The session's bookings: who is in the class, the waitlist in order, and the cancelled."""
    rows = list(
        Booking.objects.filter(session=session)
        .select_related("client", "booked_by")
        .order_by("waitlisted_at", "created_at", "id")
    )
    return {
        "in_class": sorted(
            (b for b in rows if b.status in OCCUPYING_STATUSES),
            key=lambda b: (name_sort_key(b.client.last_name), name_sort_key(b.client.first_name), b.pk),
        ),
        "waitlist": [b for b in rows if b.status == BookingStatus.WAITLISTED],
        "cancelled": [b for b in rows if b.status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED)],
    }


def class_template_list(*, studio: Studio, include_archived: bool = False) -> QuerySet[ClassTemplate]:
    qs = ClassTemplate.objects.filter(studio=studio).annotate(series_count=Count("series", distinct=True))
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("archived_at", "name")


def series_for_template(*, template: ClassTemplate) -> QuerySet[ClassSeries]:
    return (
        ClassSeries.objects.filter(template=template)
        .select_related("template", "teacher__user", "location", "room", "studio")
        .order_by("-ends_on", "start_time", "id")
    )


def series_upcoming_sessions(*, series: ClassSeries, now: datetime, limit: int = 12) -> list[ClassSession]:
    qs = _with_counts(_sessions(series.studio_id).filter(series=series, ends_at__gt=now)).order_by(
        "starts_at"
    )
    return list(qs[:limit])


def teachers(*, studio: Studio) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.filter(studio=studio, is_active=True)
        .select_related("user")
        .order_by("display_name", "id")
    )


def teaching_staff(*, studio: Studio, now: datetime | None = None) -> QuerySet[StaffMember]:
    """Staff who teach: the public schedule's teacher filter. A teacher by role, or anyone with a
    class from today on or a series still running — never the front desk as such. One query."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    teaches = Exists(
        ClassSession.objects.filter(
            teacher_id=OuterRef("pk"), status=SessionStatus.SCHEDULED, ends_at__gte=since
        )
    ) | Exists(
        ClassSeries.objects.filter(teacher_id=OuterRef("pk")).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=since.date())
        )
    )
    return (
        StaffMember.objects.filter(studio=studio, is_active=True)
        .filter(Q(role__kind=RoleKind.TEACHER) | teaches)
        .select_related("user")
        .order_by("display_name", "id")
    )


def active_locations(*, studio: Studio) -> QuerySet[Location]:
    return Location.objects.filter(studio=studio, archived_at__isnull=True).order_by("name")


def active_rooms(*, studio: Studio, location_id: int | None = None) -> QuerySet[Room]:
    qs = Room.objects.filter(studio=studio, archived_at__isnull=True).select_related("location")
    if location_id:
        qs = qs.filter(location_id=location_id)
    return qs.order_by("location__name", "name")


def active_templates(*, studio: Studio) -> QuerySet[ClassTemplate]:
    return ClassTemplate.objects.filter(studio=studio, archived_at__isnull=True).order_by("name")


# --- clients' own bookings ------------------------------------------------------------------


def family_of(*, client: Client) -> list[Client]:
    """The client and their dependants: whom they can book for."""
    dependants = [
        link.dependant
        for link in FamilyLink.objects.filter(guardian=client)
        .select_related("dependant")
        .order_by("dependant__first_name")
    ]
    return [client, *dependants]


def bookings_by_session(*, clients: list[Client], session_ids: list[int]) -> dict[int, list[Booking]]:
    """Active bookings of these clients in these sessions, by session id (one query)."""
    out: dict[int, list[Booking]] = defaultdict(list)
    if not clients or not session_ids:
        return out
    for booking in Booking.objects.filter(
        client__in=clients, session_id__in=session_ids, status__in=ACTIVE_STATUSES
    ).select_related("client"):
        out[booking.session_id].append(booking)
    return out


def client_bookings(
    *, clients: list[Client], upcoming: bool, now: datetime | None = None, limit: int = 50
) -> list[Booking]:
    """Bookings of these clients: upcoming ones (active) soonest first, or past ones newest first."""
    now = now or timezone.now()
    qs = Booking.objects.filter(client__in=clients).select_related(
        "client",
        "session__template",
        "session__location",
        "session__room",
        "session__teacher__user",
        "session__studio",
    )
    if upcoming:
        qs = qs.filter(session__ends_at__gt=now, status__in=ACTIVE_STATUSES).order_by(
            "session__starts_at", "id"
        )
    else:
        qs = qs.filter(Q(session__ends_at__lte=now) | ~Q(status__in=ACTIVE_STATUSES)).order_by(
            "-session__starts_at", "-id"
        )
    return list(qs[:limit])


def client_attendance_counts(*, client: Client) -> dict[str, int]:
    rows = Booking.objects.filter(client=client).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def client_appointments(
    *, clients: list[Client], upcoming: bool, now: datetime | None = None, limit: int = 50
) -> list[Appointment]:
    now = now or timezone.now()
    qs = Appointment.objects.filter(client__in=clients).select_related(
        "client", "service", "calendar__location", "calendar__teacher__user", "studio"
    )
    if upcoming:
        qs = qs.filter(ends_at__gt=now, status=AppointmentStatus.BOOKED).order_by("starts_at")
    else:
        qs = qs.filter(Q(ends_at__lte=now) | ~Q(status=AppointmentStatus.BOOKED)).order_by("-starts_at")
    return list(qs[:limit])


# --- kiosk ----------------------------------------------------------------------------------


def kiosk_sessions(*, location: Location, day: date) -> list[ClassSession]:
    """Today's classes at the kiosk's location, with their counts."""
    start, end = local_day_bounds(day, location.time_zone)
    qs = _with_counts(
        _sessions(location.studio_id).filter(
            location=location, starts_at__gte=start, starts_at__lt=end, status=SessionStatus.SCHEDULED
        )
    )
    return list(qs.order_by("starts_at", "id"))


def kiosk_roster(*, session: ClassSession) -> list[Booking]:
    return list(
        Booking.objects.filter(session=session, status__in=OCCUPYING_STATUSES)
        .select_related("client")
        .order_by("client__first_name", "client__last_name", "id")
    )


# --- appointments ---------------------------------------------------------------------------


def calendar_list(*, studio: Studio) -> QuerySet[AppointmentCalendar]:
    return (
        AppointmentCalendar.objects.filter(studio=studio, archived_at__isnull=True)
        .select_related("teacher__user", "location")
        .prefetch_related(Prefetch("services", queryset=AppointmentService.objects.order_by("name")))
        .order_by("location__name", "teacher__display_name")
    )


def service_list(*, studio: Studio, include_archived: bool = False) -> QuerySet[AppointmentService]:
    qs = AppointmentService.objects.filter(studio=studio)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    return qs.order_by("name")


def _bookable_services(*, studio_id: int):
    return service_list(studio=studio_id)


def bookable_services(*, studio: Studio) -> list[AppointmentService]:
    """The services clients can book (not archived), by name: `service_list` as a list, its SQL
    compiled once (the studio's public page lists them for every visitor)."""
    with scope(studio=studio):
        return compiled_models("bookable-services", _bookable_services, model=AppointmentService)


def calendars_offering(*, service: AppointmentService) -> QuerySet[AppointmentCalendar]:
    ids = CalendarService.objects.filter(service=service).values("calendar_id")
    return (
        AppointmentCalendar.objects.filter(pk__in=ids, archived_at__isnull=True)
        .select_related("teacher__user", "location")
        .order_by("location__name", "teacher__display_name")
    )


def _busy(calendar: AppointmentCalendar, start: datetime, end: datetime) -> list[slotting.Interval]:
    """What the calendar's teacher is already doing around [start, end): appointments (with
    their buffers) on any of their calendars, and the classes they teach."""
    margin = timedelta(hours=5)
    busy = [
        slotting.Interval(
            a.starts_at - timedelta(minutes=a.buffer_before_minutes),
            a.ends_at + timedelta(minutes=a.buffer_after_minutes),
        )
        for a in Appointment.objects.filter(
            calendar__teacher_id=calendar.teacher_id,
            starts_at__lt=end + margin,
            ends_at__gt=start - margin,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        ).only("starts_at", "ends_at", "buffer_before_minutes", "buffer_after_minutes")
    ]
    busy += [
        slotting.Interval(s.starts_at, s.ends_at)
        for s in ClassSession.objects.filter(
            teacher_id=calendar.teacher_id,
            status=SessionStatus.SCHEDULED,
            starts_at__lt=end,
            ends_at__gt=start,
        ).only("starts_at", "ends_at")
    ]
    return busy


def appointment_slots(
    *, calendar: AppointmentCalendar, service: AppointmentService, day: date, now: datetime | None = None
) -> list[datetime]:
    """Bookable start times (UTC) for `service` on `calendar` on the location's local `day`."""
    now = now or timezone.now()
    tz = calendar.location.time_zone
    openings = [
        slotting.Opening(a.weekday, a.start_time, a.end_time)
        for a in Availability.objects.filter(calendar=calendar, weekday=day.weekday())
    ]
    changes = [
        slotting.Change(e.date, e.start_time, e.end_time, e.is_available)
        for e in AvailabilityException.objects.filter(calendar=calendar, date=day)
    ]
    windows = slotting.open_windows(day=day, tz=tz, openings=openings, changes=changes)
    if not windows:
        return []
    return slotting.bookable_slots(
        windows=windows,
        busy=_busy(calendar, windows[0].start, windows[-1].end),
        duration=timedelta(minutes=service.duration_minutes),
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
        not_before=now,
    )


def appointments_between(
    *, studio: Studio, start: datetime, end: datetime, location_id: int | None = None
) -> list[Appointment]:
    qs = Appointment.objects.filter(studio=studio, starts_at__gte=start, starts_at__lt=end).select_related(
        "client", "service", "calendar__teacher__user", "calendar__location"
    )
    if location_id:
        qs = qs.filter(calendar__location_id=location_id)
    return list(qs.order_by("starts_at", "id"))


# --- bookings named for other apps (memberships' credit-use history) ---------------------------


def bookings_described(
    *, class_booking_ids: list[int], appointment_ids: list[int], studio_zone: str
) -> dict[tuple[str, int], tuple[str, datetime]]:
    """{("class"|"appointment", id): (class or service name, local start)}, in one query
    (UNION ALL) whatever the number of ids; an online class starts in the studio's zone."""
    from django.db.models import CharField, Value

    if not class_booking_ids and not appointment_ids:
        return {}
    classes = (
        Booking.objects.filter(pk__in=class_booking_ids or [0])
        .annotate(kind=Value("class", output_field=CharField()))
        .values_list(
            "kind", "id", "session__template__name", "session__starts_at", "session__location__time_zone"
        )
    )
    appointments = (
        Appointment.objects.filter(pk__in=appointment_ids or [0])
        .annotate(kind=Value("appointment", output_field=CharField()))
        .values_list("kind", "id", "service__name", "starts_at", "calendar__location__time_zone")
    )
    out: dict[tuple[str, int], tuple[str, datetime]] = {}
    for kind, pk, name, starts_at, zone in classes.union(appointments, all=True):
        out[(kind, pk)] = (name, starts_at.astimezone(zoneinfo.ZoneInfo(zone or studio_zone)))
    return out


def cancelled_without_penalty(
    *, class_booking_ids: list[int], appointment_ids: list[int]
) -> tuple[set[int], set[int]]:
    """Which of these bookings and appointments were cancelled and not late (a cancel in time,
    a waitlist place left or expired, a class cancelled by the studio): what they used comes
    back. Two queries at most, whatever the number of ids (memberships' credit sweep)."""
    classes = (
        set(
            Booking.objects.filter(pk__in=class_booking_ids, status=BookingStatus.CANCELLED).values_list(
                "pk", flat=True
            )
        )
        if class_booking_ids
        else set()
    )
    appointments = (
        set(
            Appointment.objects.filter(
                pk__in=appointment_ids, status=AppointmentStatus.CANCELLED
            ).values_list("pk", flat=True)
        )
        if appointment_ids
        else set()
    )
    return classes, appointments


# --- the studio's public page (checkout reads the week through these) -------------------------


def public_session_starts(*, studio: Studio, before: datetime, now: datetime):
    """`(id, starts_at, location time zone)` of every class not cancelled and not over that
    starts before `before`, in time order: one query of three columns a class (compiled once), so
    the public page can choose which ones to show (per local day) before reading any detail."""
    with scope(studio=studio):
        return compiled_rows("public-session-starts", _public_starts, before=before, now=now)


def _public_starts(*, studio_id: int, before: datetime, now: datetime):
    return (
        ClassSession.objects.filter(starts_at__lt=before, ends_at__gt=now)
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", "starts_at", "location__time_zone")
    )


def public_session_rows(*, studio: Studio, ids: list[int]):
    """What the public page shows of classes `ids`, one query whatever their number: `(id,
    starts_at, ends_at, capacity, booked, name, colour, drop-in price, teacher's shown name,
    teacher's email, location name, room name, online url)`; `booked` counts the places taken.
    Compiled once per size class (up to 8, 16, 32… ids; the list padded with an id no row has),
    so the page pays no ORM compile however many classes it shows."""
    ids = [int(pk) for pk in ids]
    if not ids:
        return []
    size = 8
    while size < len(ids):
        size *= 2
    padded = {f"id{n:03d}": pk for n, pk in enumerate(ids + [0] * (size - len(ids)))}
    with scope(studio=studio):
        return compiled_rows(("public-session-rows", size), _public_rows, **padded)


_PUBLIC_ROW_COLUMNS = (
    "id",
    "starts_at",
    "ends_at",
    "capacity",
    "booked",
    "template__name",
    "template__colour",
    "template__drop_in_price",
    "teacher__display_name",
    "teacher__user__email",
    "location__name",
    "room__name",
    "online_url",
)


def _public_rows(*, studio_id: int, **ids: int):
    return (
        ClassSession.objects.filter(pk__in=list(ids.values()))
        .annotate(booked=Count("bookings", filter=Q(bookings__status__in=OCCUPYING_STATUSES)))
        .values_list(*_PUBLIC_ROW_COLUMNS)
    )
