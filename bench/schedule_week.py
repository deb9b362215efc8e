"""Benchmark: the week schedule pages of a busy studio, and a booking.

    DJANGO_SETTINGS_MODULE=studio.settings.test .venv/bin/python bench/schedule_week.py

A studio with 3 locations and 300 classes this week (and a studio with 5, for the query
count). Prints p50/p95 server time (in-process test client: middleware, view, template, ORM)
and queries for the staff week calendar and the public week page, beside a bare Django page
of similar size rendered in the same run, and a client's booking POST at one connection.
Targets (issue #6): pages p95 ≤ 2.5× the bare page and < 60 ms; queries equal at 5 and 300;
booking POST p95 < 30 ms.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

SESSIONS = 300
RUNS = 60

# The same card markup as the week calendar (and as many bytes), from plain Python data.
BARE_TEMPLATE = """<!doctype html><html><head><title>Bare</title></head><body><main><h1>{{ title }}</h1>
<div class="week">{% for day in days %}<section class="day" aria-label="{{ day.date|date:'l j F' }}"><h3>{{ day.date|date:"D j" }}</h3>
{% for r in day.rows %}<a class="session" style="--c:{{ r.colour }}" href="/bench/manage/schedule/sessions/{{ r.id }}/"><span class="time">{{ r.start|time:"TIME_FORMAT" }}</span> <strong>{{ r.name }}</strong><span class="meta">{{ r.teacher }} · {{ r.place }}</span><span class="count">{{ r.booked }}/{{ r.capacity }}</span></a>
{% endfor %}</section>{% endfor %}</div></main></body></html>"""


def bare_view(request):
    """A plain Django page: same number of rows and fields, from Python data, no ORM, no tenant."""
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string(BARE_TEMPLATE)
    monday = dt.date(2026, 6, 1)
    days = [
        {
            "date": monday + dt.timedelta(days=d),
            "rows": [
                {
                    "id": d * 100 + i,
                    "colour": "#1f6f5c",
                    "start": dt.time(6 + i % 15, (i * 5) % 60),
                    "name": f"Vinyasa {i % 5}",
                    "teacher": f"Teacher {i % 4}",
                    "place": f"Site {i % 3} · Salle {i % 3}",
                    "booked": 3,
                    "capacity": 20,
                }
                for i in range(SESSIONS // 7 + (1 if d < SESSIONS % 7 else 0))
            ],
        }
        for d in range(7)
    ]
    return HttpResponse(template.render({"title": "Schedule", "days": days}, request))


def build(slug: str, sessions: int, *, from_today: bool = False):
    """A studio, its owner, 3 locations with a room each, 4 teachers, 5 templates, `sessions`
    classes over the week a page shows (3 bookings each), and a client who can log in.

    The staff calendar shows Monday–Sunday; the hosted pages show seven days from today."""
    from django_scopes import scopes_disabled

    from scheduling.models import Booking, ClassSession, ClassTemplate
    from scheduling.timeutils import local_datetime, local_today, week_start
    from studio import services
    from studio.models import Client, Location, Role, Room, StaffMember, User
    from studio.permissions import RoleKind

    owner = User.objects.create_user(email=f"owner@{slug}.test", password="bench-password-123")
    with scopes_disabled():
        studio = services.studio_create(name=f"Bench {slug}", slug=slug, owner=owner, language="en")
        locations = [
            Location.objects.create(studio=studio, name=f"Site {i}", time_zone="America/Toronto")
            for i in range(3)
        ]
        rooms = [
            Room.objects.create(studio=studio, location=loc, name=f"Salle {i}")
            for i, loc in enumerate(locations)
        ]
        role = Role.objects.get(studio=studio, kind=RoleKind.TEACHER)
        teachers = [
            StaffMember.objects.create(
                studio=studio,
                role=role,
                display_name=f"Teacher {i}",
                user=User.objects.create_user(email=f"t{i}@{slug}.test"),
            )
            for i in range(4)
        ]
        templates = [
            ClassTemplate.objects.create(studio=studio, name=f"Vinyasa {i}", capacity=20) for i in range(5)
        ]
        clients = Client.objects.bulk_create(
            [
                Client(studio=studio, first_name=f"Client{i}", last_name="Bench", email=f"c{i}@{slug}.test")
                for i in range(200)
            ]
        )
        booker = clients[0]
        booker.user = User.objects.create_user(email=f"booker@{slug}.test", password="bench-password-123")
        booker.save(update_fields=["user"])
        today = local_today("America/Toronto")
        monday = today if from_today else week_start(today)
        rows = []
        for i in range(sessions):
            day = monday + dt.timedelta(days=i % 7)
            starts = local_datetime(day, dt.time(6 + (i // 7) % 15, (i * 5) % 60), "America/Toronto")
            rows.append(
                ClassSession(
                    studio=studio,
                    template=templates[i % 5],
                    teacher=teachers[i % 4],
                    location=locations[i % 3],
                    room=rooms[i % 3],
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=1),
                    occurrence_date=day,
                    capacity=20,
                )
            )
        created = ClassSession.objects.bulk_create(rows)
        Booking.objects.bulk_create(
            [
                Booking(studio=studio, session=s, client=clients[1 + (n + k) % 199], booked_by_kind="staff")
                for n, s in enumerate(created)
                for k in range(3)
            ]
        )
        # Classes a week ahead for the booking POSTs (one per request: nobody books twice).
        future = ClassSession.objects.bulk_create(
            [
                ClassSession(
                    studio=studio,
                    template=templates[0],
                    teacher=teachers[0],
                    location=locations[0],
                    room=rooms[0],
                    starts_at=(
                        s := local_datetime(today + dt.timedelta(days=8), dt.time(6, 0), "America/Toronto")
                        + dt.timedelta(minutes=n)
                    ),
                    ends_at=s + dt.timedelta(hours=1),
                    occurrence_date=today + dt.timedelta(days=8),
                    capacity=20,
                )
                for n in range(RUNS + 10)
            ]
        )
    return studio, owner, booker, future


def main() -> int:
    harness.start()
    try:
        from django.test import Client
        from django.test.utils import override_settings
        from django.urls import include, path, reverse

        urls = types.ModuleType("bench_schedule_urls")
        urls.urlpatterns = [path("bare/", bare_view), path("", include("studio.urls"))]
        sys.modules[urls.__name__] = urls
        with override_settings(ROOT_URLCONF=urls.__name__):
            return run(Client, reverse)
    finally:
        harness.stop()


def run(Client, reverse) -> int:
    big, big_owner, _booker, _future = build("bench", SESSIONS)
    hosted, _owner, booker, future = build("hosted", SESSIONS, from_today=True)
    small, small_owner, _booker, _future = build("small", 5, from_today=True)
    staff, public, client = Client(), Client(), Client()
    staff.force_login(big_owner, backend="django.contrib.auth.backends.ModelBackend")
    client.force_login(booker.user, backend="django.contrib.auth.backends.ModelBackend")

    def page(name, studio):
        return reverse(name, kwargs={"studio_slug": studio.slug})

    staff_small = Client()
    staff_small.force_login(small_owner, backend="django.contrib.auth.backends.ModelBackend")
    # Hosted pages are asked for in English, as a browser would (no Accept-Language: French).
    pages = harness.measure(
        [
            ("bare Django page (no ORM, no tenant)", lambda: public.get("/bare/"), str(SESSIONS)),
            (
                "staff week calendar /manage/schedule/",
                lambda: staff.get(page("schedule-calendar", big)),
                str(SESSIONS),
            ),
            (
                "public week /schedule/",
                lambda: public.get(page("public-schedule", hosted), HTTP_ACCEPT_LANGUAGE="en"),
                str(SESSIONS),
            ),
            (
                "public week, client signed in",
                lambda: client.get(page("public-schedule", hosted), HTTP_ACCEPT_LANGUAGE="en"),
                str(SESSIONS),
            ),
            (
                "staff week calendar, 5 classes",
                lambda: staff_small.get(page("schedule-calendar", small)),
                "5",
            ),
            (
                "public week, 5 classes",
                lambda: public.get(page("public-schedule", small), HTTP_ACCEPT_LANGUAGE="en"),
                "5",
            ),
        ],
        runs=RUNS,
    )
    harness.print_table(
        f"Week schedule, 3 locations, {SESSIONS} classes (p95 target < 60 ms and ≤ 2.5× bare)",
        pages,
        baseline=pages[0],
    )
    calendar, week, calendar_5, week_5 = pages[1], pages[2], pages[4], pages[5]

    targets = iter(future)

    def book():
        session = next(targets)
        return client.post(
            reverse("public-session-book", kwargs={"studio_slug": hosted.slug, "pk": session.pk}),
            {"client": booker.pk},
        )

    booking = harness.measure([("booking POST (client books a class)", book, "1")], runs=RUNS, warmup=3)
    harness.print_table("Booking, one connection (p95 target < 30 ms)", booking)
    print(
        f"\nqueries at 5 vs {SESSIONS} classes: staff calendar {calendar_5.queries} vs {calendar.queries}, "
        f"public week {week_5.queries} vs {week.queries}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
