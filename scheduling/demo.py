"""Demo schedule for `make run`: a realistic week across the demo studio's locations, with
bookings, a full class with its waitlist, three weeks of attendance history, and appointments.

Idempotent: a studio that already has class templates is left as it is (the beat task keeps
its series scheduled ahead). Series are made by the services (so generation is the real one);
bookings are written directly, with the statuses they would have, so the seed sends no email.
"""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from scheduling import selectors, services
from scheduling.models import (
    AppointmentCalendar,
    AppointmentService,
    Availability,
    AvailabilityException,
    BookedBy,
    Booking,
    BookingStatus,
    CancelReason,
    ClassSeries,
    ClassSession,
    ClassTemplate,
)
from scheduling.timeutils import local_today
from studio.models import Client, FamilyLink, Location, Room, StaffMember, Studio
from studio.services import SYSTEM

TEMPLATES = [
    (
        "Vinyasa",
        "Un enchaînement fluide de postures, synchronisé avec la respiration.",
        60,
        20,
        "#1f6f5c",
        True,
    ),
    (
        "Hatha doux",
        "Postures tenues, respiration et relaxation : idéal pour débuter.",
        75,
        12,
        "#e0a43a",
        True,
    ),
    (
        "Danse contemporaine",
        "Technique, improvisation et courte chorégraphie, tous niveaux.",
        90,
        16,
        "#b83280",
        False,
    ),
    ("Pilates mat", "Renforcement du centre au tapis, en petit groupe.", 55, 10, "#3b5bdb", False),
]

# (template, weekdays, start, teacher email, location, room or None, online link)
SERIES = [
    ("Vinyasa", [0, 2, 4], time(7, 0), "teacher@demo.atelier.test", "Montréal", "Grande salle", ""),
    ("Vinyasa", [1, 3], time(18, 0), "teacher@demo.atelier.test", "Laval", "Studio A", ""),
    ("Hatha doux", [1, 3], time(10, 0), "manager@demo.atelier.test", "Montréal", "Petite salle", ""),
    ("Hatha doux", [5], time(9, 30), "teacher@demo.atelier.test", "Montréal", "Grande salle", ""),
    (
        "Hatha doux",
        [6],
        time(19, 0),
        "teacher@demo.atelier.test",
        None,
        None,
        "https://meet.example.test/hatha",
    ),
    ("Danse contemporaine", [0, 2], time(19, 30), "admin@demo.atelier.test", "Laval", "Studio A", ""),
    ("Danse contemporaine", [5], time(11, 0), "admin@demo.atelier.test", "Montréal", "Grande salle", ""),
    ("Pilates mat", [0, 2, 4], time(12, 15), "manager@demo.atelier.test", "Montréal", "Petite salle", ""),
    ("Pilates mat", [6], time(10, 0), "manager@demo.atelier.test", "Laval", "Studio A", ""),
    ("Vinyasa", [5, 6], time(8, 30), "teacher@demo.atelier.test", "Laval", "Studio A", ""),
    ("Vinyasa", [1, 3], time(12, 0), "teacher@demo.atelier.test", "Montréal", "Grande salle", ""),
    ("Pilates mat", [1, 3], time(7, 0), "manager@demo.atelier.test", "Laval", "Studio A", ""),
    ("Pilates mat", [4], time(17, 0), "manager@demo.atelier.test", "Montréal", "Petite salle", ""),
    ("Hatha doux", [0, 2], time(17, 30), "teacher@demo.atelier.test", "Montréal", "Petite salle", ""),
    ("Danse contemporaine", [4], time(18, 0), "admin@demo.atelier.test", "Laval", "Studio A", ""),
]

HISTORY_WEEKS = 3


def seed(*, studio: Studio, second_studio: Studio) -> None:
    with scope(studio=studio):
        if not ClassTemplate.objects.filter(studio=studio).exists():
            _seed_demo(studio)
    with scope(studio=second_studio):
        if not ClassTemplate.objects.filter(studio=second_studio).exists():
            _seed_second(second_studio)


def _staff(studio: Studio, email: str) -> StaffMember:
    return StaffMember.objects.select_related("user").get(studio=studio, user__email=email)


def _seed_demo(studio: Studio) -> None:
    rng = random.Random(2026)  # the same demo every time
    now = timezone.now()
    history_start = now - timedelta(weeks=HISTORY_WEEKS)
    with transaction.atomic():
        templates = {}
        for name, description, minutes, capacity, colour, online in TEMPLATES:
            templates[name] = services.class_template_save(
                studio=studio,
                actor=SYSTEM,
                template=ClassTemplate(
                    name=name,
                    description=description,
                    default_duration_minutes=minutes,
                    capacity=capacity,
                    colour=colour,
                    online_allowed=online,
                ),
            )
        locations = {loc.name: loc for loc in Location.objects.filter(studio=studio)}
        rooms = {
            (r.location.name, r.name): r
            for r in Room.objects.filter(studio=studio).select_related("location")
        }
        for name, weekdays, start, teacher, location, room, online in SERIES:
            place = rooms.get((location, room))
            # A class never takes more people than its room holds (a 12-place class in a room of 10
            # is what the staff form would warn about).
            too_big = place is not None and place.capacity and place.capacity < templates[name].capacity
            series = services.series_create(
                studio=studio,
                actor=SYSTEM,
                now=history_start,
                series=ClassSeries(
                    template=templates[name],
                    weekdays=weekdays,
                    start_time=start,
                    teacher=_staff(studio, teacher),
                    location=locations.get(location),
                    room=place,
                    online_url=online,
                    capacity=place.capacity if too_big else None,
                    starts_on=local_today(studio.time_zone, history_start),
                    weeks_ahead=4,
                ),
            )
            services.series_extend(series=series, now=now)
        _seed_bookings(studio, rng, now)
        _seed_appointments(studio, locations["Montréal"], now)


def _seed_bookings(studio: Studio, rng: random.Random, now) -> None:
    clients = list(Client.objects.filter(studio=studio, archived_at__isnull=True).order_by("id"))
    camille = next(c for c in clients if c.email == "client@demo.atelier.test")
    child = FamilyLink.objects.filter(guardian=camille).select_related("dependant").first()
    others = [c for c in clients if c.pk not in {camille.pk, child.dependant_id if child else 0}]
    week_ahead = now + timedelta(days=7)
    sessions = list(
        ClassSession.objects.filter(studio=studio, starts_at__lt=week_ahead)
        .select_related("template")
        .order_by("starts_at")
    )
    rows: list[Booking] = []
    full_done = False
    for session in sessions:
        past = session.ends_at <= now
        if past:
            taken = rng.randint(session.capacity // 3, session.capacity)
        elif (
            not full_done
            and session.template.name == "Hatha doux"
            and session.starts_at > now + timedelta(days=1)
        ):
            taken, full_done = session.capacity, True  # the demo's full class, with a waitlist
        else:
            taken = rng.randint(1, max(1, session.capacity * 2 // 3))
        people = rng.sample(others, min(taken, len(others)))
        for person in people:
            booking = Booking(
                studio=studio,
                session=session,
                client=person,
                booked_by_kind=BookedBy.CLIENT,
                status=BookingStatus.BOOKED,
            )
            if past:
                roll = rng.random()
                if roll < 0.8:
                    booking.status, booking.checked_in_at = BookingStatus.CHECKED_IN, session.starts_at
                    booking.checked_in_via = rng.choice(["staff", "kiosk"])
                elif roll < 0.9:
                    booking.status = BookingStatus.NO_SHOW
                else:
                    booking.status, booking.cancelled_at = (
                        BookingStatus.LATE_CANCELLED,
                        session.starts_at - timedelta(minutes=20),
                    )
                    booking.cancel_reason = CancelReason.CLIENT
            rows.append(booking)
        if taken == session.capacity and not past:
            waiting = [*[c for c in others if c not in people][:2], camille]
            for i, person in enumerate(waiting):
                rows.append(
                    Booking(
                        studio=studio,
                        session=session,
                        client=person,
                        booked_by_kind=BookedBy.CLIENT,
                        status=BookingStatus.WAITLISTED,
                        waitlisted_at=now - timedelta(hours=3 - i),
                    )
                )
    Booking.objects.bulk_create(rows)
    # Camille's own week: two classes for her, a dance class for her son.
    upcoming = [s for s in sessions if s.starts_at > now]
    mine = [s for s in upcoming if s.template.name == "Vinyasa"][:1] + [
        s for s in upcoming if s.template.name == "Pilates mat"
    ][:1]
    dance = [s for s in upcoming if s.template.name == "Danse contemporaine"][:1] if child else []
    family = [camille, child.dependant] if child else [camille]
    booked_ids = set(
        Booking.objects.filter(studio=studio, client__in=family).values_list("session_id", "client_id")
    )
    extra = [
        Booking(studio=studio, session=s, client=camille, booked_by_kind=BookedBy.CLIENT)
        for s in mine
        if (s.pk, camille.pk) not in booked_ids
    ]
    extra += [
        Booking(studio=studio, session=s, client=child.dependant, booked_by_kind=BookedBy.CLIENT)
        for s in dance
        if (s.pk, child.dependant_id) not in booked_ids
    ]
    Booking.objects.bulk_create(extra)


def _seed_appointments(studio: Studio, plateau: Location, now) -> None:
    massage = services.appointment_service_save(
        studio=studio,
        actor=SYSTEM,
        service=AppointmentService(
            name="Massage thérapeutique",
            description="Massage suédois, 60 minutes.",
            duration_minutes=60,
            price_amount=9000,
            buffer_after_minutes=15,
        ),
    )
    private = services.appointment_service_save(
        studio=studio,
        actor=SYSTEM,
        service=AppointmentService(
            name="Cours privé de yoga",
            description="Une séance adaptée à vos besoins.",
            duration_minutes=60,
            price_amount=8500,
            buffer_before_minutes=10,
        ),
    )
    calendar = services.appointment_calendar_save(
        studio=studio,
        actor=SYSTEM,
        calendar=AppointmentCalendar(teacher=_staff(studio, "teacher@demo.atelier.test"), location=plateau),
        services=[massage, private],
    )
    for weekday, start, end in ((1, time(13), time(17)), (3, time(13), time(17)), (5, time(13), time(16))):
        Availability.objects.create(
            studio=studio, calendar=calendar, weekday=weekday, start_time=start, end_time=end
        )
    today = local_today(plateau.time_zone, now)
    next_thursday = today + timedelta(days=(3 - today.weekday()) % 7 + 7)
    AvailabilityException.objects.create(
        studio=studio, calendar=calendar, date=next_thursday, note="Formation continue"
    )
    camille = Client.objects.get(studio=studio, email="client@demo.atelier.test")
    day = today + timedelta(days=(1 - today.weekday()) % 7 or 7)  # next Tuesday
    slots = selectors.appointment_slots(calendar=calendar, service=massage, day=day, now=now)
    if slots:
        services.appointment_book(
            studio=studio,
            actor=SYSTEM,
            calendar=calendar,
            service=massage,
            client=camille,
            starts_at=slots[0],
            booked_by=BookedBy.STAFF,
            now=now,
        )


def _seed_second(studio: Studio) -> None:
    """A little schedule in the second studio, so that isolation is visible in the demo."""
    now = timezone.now()
    with transaction.atomic():
        template = services.class_template_save(
            studio=studio,
            actor=SYSTEM,
            template=ClassTemplate(
                name="Yoga flow", description="Evening flow.", capacity=15, colour="#2f9e44"
            ),
        )
        downtown = Location.objects.get(studio=studio, name="Downtown")
        room = Room.objects.filter(studio=studio, location=downtown).first()
        owner = StaffMember.objects.filter(studio=studio).order_by("id").first()
        services.series_create(
            studio=studio,
            actor=SYSTEM,
            now=now,
            series=ClassSeries(
                template=template,
                weekdays=[0, 2],
                start_time=time(18),
                teacher=owner,
                location=downtown,
                room=room,
                starts_on=local_today(studio.time_zone, now),
                weeks_ahead=4,
            ),
        )
        client = Client.objects.filter(studio=studio).first()
        session = ClassSession.objects.filter(studio=studio, starts_at__gt=now).order_by("starts_at").first()
        if client and session:
            Booking.objects.create(
                studio=studio, session=session, client=client, booked_by_kind=BookedBy.CLIENT
            )
