"""Hosted pages: the public schedule, booking, the client's own bookings, calendars (SCH-6)."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scheduling import ics, selectors, services
from scheduling.forms import FamilyBookingForm, day_refused_notice, parse_day
from scheduling.models import (
    Appointment,
    AppointmentCalendar,
    AppointmentService,
    BookedBy,
    Booking,
    BookingStatus,
    CalendarFeed,
    ClassSession,
)
from scheduling.timeutils import local_today, local_when_label
from scheduling.views.classes import session_url_prefix
from scheduling.views.common import error_text, instant_param
from studio.access import client_required
from studio.confirm import confirm_page, is_confirmed
from studio.inputs import parse_int_param
from studio.money import format_money
from studio.registries.class_page_actions import class_page_actions_for
from studio.services import Actor


def _host(request) -> str:
    return request.get_host().split(":")[0] or "atelier"


def schedule(request):
    """The week's classes, filterable by location, teacher and class."""
    studio = request.studio
    location_id = parse_int_param(request.GET.get("location"))
    teacher_id = parse_int_param(request.GET.get("teacher"))
    template_id = parse_int_param(request.GET.get("class"))
    today = local_today(studio.time_zone)
    # Seven days from today (or from ?week=): on a Sunday, next week's classes are what matter.
    first = max(parse_day(request.GET.get("week"), today), today)
    days = selectors.sessions_between(
        studio=studio,
        first=first,
        last=first + timedelta(days=6),
        location_id=location_id,
        teacher_id=teacher_id,
        template_id=template_id,
    )
    selectors.label_start_times(days)
    if request.client_profile is not None:
        family = selectors.family_of(client=request.client_profile)
        mine = selectors.bookings_by_session(
            clients=family, session_ids=[s.pk for d in days for s in d.sessions]
        )
        for day in days:
            for session in day.sessions:
                session.my_bookings = mine.get(session.pk, [])
    context = {
        "days": days,
        "first": first,
        "last": first + timedelta(days=6),
        "previous": max(first - timedelta(days=7), today),
        "next": first + timedelta(days=7),
        "today": today,
        "now": timezone.now(),
        "show_previous": first > today,
        "session_url": session_url_prefix("public-session", studio),
        "locations": selectors.active_locations(studio=studio),
        "teachers": selectors.teaching_staff(studio=studio),
        "templates": selectors.active_templates(studio=studio),
        "location_id": location_id,
        "teacher_id": teacher_id,
        "template_id": template_id,
        "date_notice": day_refused_notice(request.GET.get("week")),
    }
    template = "scheduling/public/_week.html" if request.htmx else "scheduling/public/schedule.html"
    return render(request, template, context)


def _public_session(pk: int) -> ClassSession:
    try:
        return selectors.session_detail(session_id=pk)
    except ClassSession.DoesNotExist as exc:
        raise Http404 from exc


def session(request, pk):
    session = _public_session(pk)
    context = {"session": session, "now": timezone.now()}
    if request.client_profile is not None:
        family = selectors.family_of(client=request.client_profile)
        context["my_bookings"] = selectors.bookings_by_session(clients=family, session_ids=[session.pk])[
            session.pk
        ]
        booked_ids = {b.client_id for b in context["my_bookings"]}
        free = [c for c in family if c.pk not in booked_ids]
        context["form"] = FamilyBookingForm(family=free) if free else None
        # One person of a family left to book: the button says who, or it reads as booking the
        # person just booked again.
        context["only_free"] = free[0] if len(free) == 1 and len(family) > 1 else None
        # What would pay for each of them (their membership or pack), or why nothing does.
        context["payments"] = _payment_lines(request, session, free)
        refused = [line for line in context["payments"] if line[2]]
        context["all_refused"] = bool(free) and len(refused) == len(free)
    if request.client_profile is None or context["all_refused"]:
        # Nothing the visitor holds books it: what other apps offer instead (paying online).
        context["other_ways"] = class_page_actions_for(request=request, session=session)
    return render(request, "scheduling/public/session.html", context)


def _payment_lines(request, session: ClassSession, clients: list) -> list[tuple]:
    """(client, what pays, refusal) for each person who could book; empty for a free class."""
    if session.template.drop_in_price <= 0 or session.is_cancelled:
        return []
    lines = []
    for client in clients:
        decision = services.booking_payment_preview(
            studio=request.studio,
            session=session,
            client=client,
            booked_by=BookedBy.CLIENT,
            booker=request.client_profile,
        )
        if isinstance(decision, services.BookingPayment):
            lines.append((client, decision.label, ""))
        elif decision:
            lines.append((client, "", decision))
    return lines


@require_POST
@client_required
def book(request, pk):
    session = get_object_or_404(ClassSession, pk=pk)
    family = selectors.family_of(client=request.client_profile)
    form = FamilyBookingForm(request.POST, family=family)
    if form.is_valid():
        client = form.cleaned_data["client"]
        try:
            booking = services.booking_create(
                studio=request.studio,
                actor=Actor.from_request(request),
                session=session,
                client=client,
                booked_by=BookedBy.CLIENT,
                booker=request.client_profile,
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            if booking.status == BookingStatus.WAITLISTED:
                messages.warning(
                    request,
                    _("The class is full: %(name)s is on the waitlist. We will email you if a spot opens up.")
                    % {"name": client.first_name},
                )
            else:
                messages.success(request, _("Booked! See you there, %(name)s.") % {"name": client.first_name})
    else:
        messages.error(request, _("Choose who is coming."))
    return redirect("public-session", studio_slug=request.studio.slug, pk=session.pk)


def _own(request, obj, client_id: int):
    """The signed-in client's own (or their dependant's) record; anyone else's is not found."""
    family_ids = {c.pk for c in selectors.family_of(client=request.client_profile)}
    if client_id not in family_ids:
        raise Http404
    return obj


PUBLIC_BASE = "studio/public/base.html"


@require_POST
@client_required
def booking_cancel(request, pk):
    """The client cancels a booking (or leaves a waitlist), after a page that says what it costs."""
    booking = get_object_or_404(
        Booking.objects.select_related("session__template", "session__location", "session__studio", "client"),
        pk=pk,
    )
    _own(request, booking, booking.client_id)
    account = reverse("account-home", kwargs={"studio_slug": request.studio.slug})
    if not is_confirmed(request):
        session = booking.session
        lines = [f"{session.template.name}, {local_when_label(session.starts_at, session.time_zone)}"]
        window = request.studio.late_cancel_window_minutes
        waitlisted = booking.status == BookingStatus.WAITLISTED
        if not waitlisted and window and timezone.now() > session.starts_at - timedelta(minutes=window):
            lines.append(
                _("The class starts in less than %(window)s: this counts as a late cancel.")
                % {"window": _minutes_label(window)}
            )
        # What comes back under the studio's cancellation policy, before the client confirms.
        lines.extend(services.cancel_outcomes_describe(booking=booking, now=timezone.now(), by="client"))
        return confirm_page(
            request,
            base=PUBLIC_BASE,
            danger=True,
            lines=lines,
            back_url=account,
            back_label=_("Keep it"),
            title=_("Leave the waitlist?") if waitlisted else _("Cancel this booking?"),
            confirm_label=_("Leave the waitlist") if waitlisted else _("Cancel my booking"),
        )
    try:
        cancelled = services.booking_cancel(
            studio=request.studio, actor=Actor.from_request(request), booking=booking, by_staff=False
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if cancelled.status == BookingStatus.LATE_CANCELLED:
            messages.warning(
                request,
                _(
                    "Booking cancelled. It was inside the late-cancellation window, so it "
                    "counts as a late cancel."
                ),
            )
        else:
            messages.success(request, _("Booking cancelled."))
    return redirect(account)


def _minutes_label(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


@client_required
def booking_ics(request, pk):
    booking = get_object_or_404(
        Booking.objects.select_related(
            "studio",
            "session__template",
            "session__location",
            "session__room",
            "session__teacher__user",
            "session__studio",
        ),
        pk=pk,
    )
    _own(request, booking, booking.client_id)
    body = ics.calendar([ics.booking_event(booking, host=_host(request))], name=request.studio.name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.pk}.ics"'
    return response


def feed(request, token):
    """A client's bookings as a calendar subscription; the secret address is the key."""
    feed = get_object_or_404(CalendarFeed.objects.select_related("client"), token=token)
    clients = selectors.family_of(client=feed.client)
    since = timezone.now() - timedelta(days=60)
    bookings = selectors.client_bookings(clients=clients, upcoming=True, limit=500)
    bookings += [
        b
        for b in selectors.client_bookings(clients=clients, upcoming=False, limit=200)
        if b.session.starts_at >= since and b.is_active
    ]
    appointments = selectors.client_appointments(clients=clients, upcoming=True, limit=200)
    host = _host(request)
    events = [ics.booking_event(b, host=host) for b in bookings]
    events += [ics.appointment_event(a, host=host) for a in appointments]
    return HttpResponse(
        ics.calendar(events, name=request.studio.name), content_type="text/calendar; charset=utf-8"
    )


@client_required
def feed_reset(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    had_one = CalendarFeed.objects.filter(client=request.client_profile).exists()
    services.calendar_feed_for(studio=request.studio, client=request.client_profile, reset=had_one)
    messages.success(
        request,
        _("Your calendar address is ready.")
        if not had_one
        else _("Your calendar has a new address; the old one no longer works."),
    )
    return redirect("account-home", studio_slug=request.studio.slug)


# --- appointments ---------------------------------------------------------------------------


def appointments(request):
    """Choose a service, then with whom and when: the free slots of the chosen day."""
    studio = request.studio
    services_qs = list(selectors.service_list(studio=studio))
    service = next((s for s in services_qs if s.pk == parse_int_param(request.GET.get("service"))), None)
    context = {"services": services_qs, "service": service}
    if service is not None:
        calendars = list(selectors.calendars_offering(service=service))
        calendar = next((c for c in calendars if c.pk == parse_int_param(request.GET.get("calendar"))), None)
        calendar = calendar or (calendars[0] if len(calendars) == 1 else None)
        context.update(calendars=calendars, calendar=calendar)
        if calendar is not None:
            today = local_today(calendar.location.time_zone)
            day = max(parse_day(request.GET.get("day"), today), today)
            zone = zoneinfo.ZoneInfo(calendar.location.time_zone)
            context.update(
                day=day,
                today=today,
                previous=day - timedelta(days=1),
                next=day + timedelta(days=1),
                slots=[
                    s.astimezone(zone)
                    for s in selectors.appointment_slots(calendar=calendar, service=service, day=day)
                ],
            )
            if request.client_profile is not None:
                context["family"] = selectors.family_of(client=request.client_profile)
    return render(request, "scheduling/public/appointments.html", context)


@client_required
def appointment_book(request):
    """Book a chosen slot: first a page with the service, the time and the price, then the booking."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    service = get_object_or_404(AppointmentService, pk=parse_int_param(request.POST.get("service")) or 0)
    calendar = get_object_or_404(
        AppointmentCalendar.objects.select_related("location", "teacher__user"),
        pk=parse_int_param(request.POST.get("calendar")) or 0,
    )
    family = selectors.family_of(client=request.client_profile)
    client = next(
        (c for c in family if c.pk == parse_int_param(request.POST.get("client"))), request.client_profile
    )
    back = (
        reverse("public-appointments", kwargs={"studio_slug": request.studio.slug})
        + f"?service={service.pk}&calendar={calendar.pk}"
    )
    starts_at = instant_param(request.POST.get("starts_at"))
    if starts_at is None:
        messages.error(request, _("Choose a time."))
        return redirect(back)
    if not is_confirmed(request):
        price = (
            format_money(service.price_amount, request.studio.currency, language=get_language() or "en")
            if service.price_amount
            else _("Free")
        )
        paid = (
            services.appointment_payment_preview(
                studio=request.studio,
                calendar=calendar,
                service=service,
                client=client,
                starts_at=starts_at,
                booked_by=BookedBy.CLIENT,
                booker=request.client_profile,
            )
            if service.price_amount
            else None
        )
        if isinstance(paid, services.BookingPayment):  # a plan covers it: nothing to pay at the visit
            return confirm_page(
                request,
                base=PUBLIC_BASE,
                title=_("Confirm your appointment"),
                back_url=back,
                back_label=_("Choose another time"),
                confirm_label=_("Book"),
                lines=[
                    _("%(service)s with %(teacher)s, %(location)s")
                    % {
                        "service": service.name,
                        "teacher": calendar.teacher,
                        "location": calendar.location.name,
                    },
                    local_when_label(starts_at, calendar.location.time_zone),
                    _("For %(name)s") % {"name": client.full_name},
                    _("Paid with: %(what)s") % {"what": paid.label},
                ],
            )
        return confirm_page(
            request,
            base=PUBLIC_BASE,
            title=_("Confirm your appointment"),
            back_url=back,
            back_label=_("Choose another time"),
            confirm_label=_("Book for %(price)s") % {"price": price} if service.price_amount else _("Book"),
            lines=[
                _("%(service)s with %(teacher)s, %(location)s")
                % {"service": service.name, "teacher": calendar.teacher, "location": calendar.location.name},
                local_when_label(starts_at, calendar.location.time_zone)
                + " · "
                + ngettext("%(n)s minute", "%(n)s minutes", service.duration_minutes)
                % {"n": service.duration_minutes},
                _("For %(name)s") % {"name": client.full_name},
                _("Price: %(price)s.") % {"price": price},
            ],
        )
    try:
        services.appointment_book(
            studio=request.studio,
            actor=Actor.from_request(request),
            calendar=calendar,
            service=service,
            client=client,
            starts_at=starts_at,
            booked_by=BookedBy.CLIENT,
            booker=request.client_profile,
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(back)
    messages.success(request, _("Appointment booked. A confirmation is on its way by email."))
    return redirect("account-home", studio_slug=request.studio.slug)


@require_POST
@client_required
def appointment_cancel(request, pk):
    appointment = get_object_or_404(
        Appointment.objects.select_related("service", "calendar__location"), pk=pk
    )
    _own(request, appointment, appointment.client_id)
    account = reverse("account-home", kwargs={"studio_slug": request.studio.slug})
    if not is_confirmed(request):
        return confirm_page(
            request,
            base=PUBLIC_BASE,
            danger=True,
            title=_("Cancel this appointment?"),
            back_url=account,
            back_label=_("Keep it"),
            confirm_label=_("Cancel my appointment"),
            lines=[
                f"{appointment.service.name}, "
                f"{local_when_label(appointment.starts_at, appointment.calendar.location.time_zone)}",
                # What comes back under the studio's cancellation policy, before confirming.
                *services.cancel_outcomes_describe(appointment=appointment, now=timezone.now(), by="client"),
            ],
        )
    try:
        services.appointment_cancel(
            studio=request.studio, actor=Actor.from_request(request), appointment=appointment, by_staff=False
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Appointment cancelled."))
    return redirect(account)
