"""Back office: appointment services, calendars and availability, booking and follow-up (SCH-3)."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from scheduling import selectors, services
from scheduling.forms import (
    AppointmentCalendarForm,
    AppointmentServiceForm,
    AvailabilityExceptionForm,
    AvailabilityForm,
    SlotSearchForm,
)
from scheduling.models import (
    Appointment,
    AppointmentCalendar,
    AppointmentService,
    Availability,
    AvailabilityException,
    BookedBy,
)
from scheduling.timeutils import local_day_bounds, local_today, local_when_label
from scheduling.views.common import error_text, instant_param, text_param
from studio import selectors as studio_selectors
from studio.access import staff_required
from studio.confirm import confirm_page, is_confirmed
from studio.inputs import parse_int_param
from studio.models import Client
from studio.permissions import Perm
from studio.services import Actor

UPCOMING_DAYS = 14


@staff_required()
def overview(request):
    studio = request.studio
    today = local_today(studio.time_zone)
    start, _end = local_day_bounds(today, studio.time_zone)
    appointments = selectors.appointments_between(
        studio=studio, start=start, end=start + timedelta(days=UPCOMING_DAYS)
    )
    return render(
        request,
        "scheduling/appointments/overview.html",
        {
            "appointments": appointments,
            "calendars": selectors.calendar_list(studio=studio),
            "services": selectors.service_list(studio=studio),
            "days": UPCOMING_DAYS,
        },
    )


@staff_required(Perm.CHECK_IN)
def book(request):
    """Pick service, calendar and day; pick a free slot; find the client; book."""
    if request.method == "POST":
        return _book_post(request)
    studio = request.studio
    form = SlotSearchForm(request.GET or None, studio=studio)
    context = {"form": form}
    if form.is_valid():
        service, calendar, day = (form.cleaned_data[k] for k in ("service", "calendar", "day"))
        zone = zoneinfo.ZoneInfo(calendar.location.time_zone)
        slots = [
            s.astimezone(zone)
            for s in selectors.appointment_slots(calendar=calendar, service=service, day=day)
        ]
        context.update(
            service=service,
            calendar=calendar,
            day=day,
            slots=slots,
            offered=calendar.services.filter(pk=service.pk).exists(),
        )
        chosen = instant_param(request.GET.get("at"))
        context["chosen"] = next((s for s in slots if s == chosen), None)
        query = text_param(request.GET.get("q"))
        context["q"] = query
        if context["chosen"] and query:
            context["clients"] = list(studio_selectors.client_list(studio=studio, search=query)[:8])
    return render(request, "scheduling/appointments/book.html", context)


def _book_post(request):
    studio = request.studio
    service = get_object_or_404(AppointmentService, pk=parse_int_param(request.POST.get("service")) or 0)
    calendar = get_object_or_404(
        AppointmentCalendar.objects.select_related("location"),
        pk=parse_int_param(request.POST.get("calendar")) or 0,
    )
    client = get_object_or_404(
        Client, pk=parse_int_param(request.POST.get("client")) or 0, archived_at__isnull=True
    )
    starts_at = instant_param(request.POST.get("starts_at"))
    if starts_at is None:
        messages.error(request, _("Choose a time."))
    else:
        try:
            appointment = services.appointment_book(
                studio=studio,
                actor=Actor.from_request(request),
                calendar=calendar,
                service=service,
                client=client,
                starts_at=starts_at,
                booked_by=BookedBy.STAFF,
                notes=text_param(request.POST.get("notes"), max_length=2000),
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Appointment booked for %(name)s.") % {"name": client.full_name})
            return redirect("appointment-detail", studio_slug=studio.slug, pk=appointment.pk)
    return redirect(
        reverse("appointment-book", kwargs={"studio_slug": studio.slug}) + "?" + request.GET.urlencode()
    )


@staff_required(Perm.CHECK_IN)
def detail(request, pk):
    appointment = get_object_or_404(
        Appointment.objects.select_related(
            "client", "service", "calendar__teacher__user", "calendar__location", "booked_by"
        ),
        pk=pk,
    )
    return render(
        request, "scheduling/appointments/detail.html", {"appointment": appointment, "now": timezone.now()}
    )


@staff_required(Perm.CHECK_IN)
def cancel(request, pk):
    appointment = get_object_or_404(
        Appointment.objects.select_related("client", "service", "calendar__location"), pk=pk
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back = reverse("appointment-detail", kwargs={"studio_slug": request.studio.slug, "pk": appointment.pk})
    if not is_confirmed(request):
        return confirm_page(
            request,
            base="manage_base.html",
            danger=True,
            title=_("Cancel this appointment?"),
            lines=[
                f"{appointment.service.name}, "
                f"{local_when_label(appointment.starts_at, appointment.calendar.location.time_zone)}",
                _("%(name)s is emailed that it is cancelled.") % {"name": appointment.client.full_name},
                # What the client gets back under the cancellation policy, before confirming.
                *services.cancel_outcomes_describe(appointment=appointment, now=timezone.now(), by="staff"),
            ],
            confirm_label=_("Cancel the appointment"),
            back_url=back,
            back_label=_("Keep it"),
        )
    try:
        services.appointment_cancel(
            studio=request.studio, actor=Actor.from_request(request), appointment=appointment, by_staff=True
        )
        messages.success(request, _("Appointment cancelled; the client is being emailed."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect(back)


@staff_required(Perm.CHECK_IN)
def check_in(request, pk):
    appointment = get_object_or_404(Appointment, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.appointment_check_in(
            studio=request.studio, actor=Actor.from_request(request), appointment=appointment
        )
        messages.success(request, _("Checked in."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("appointment-detail", studio_slug=request.studio.slug, pk=appointment.pk)


# --- services -------------------------------------------------------------------------------


@staff_required(Perm.MANAGE_SCHEDULE)
def service_list(request):
    return render(
        request,
        "scheduling/appointments/service_list.html",
        {"services": selectors.service_list(studio=request.studio)},
    )


def _service_form(request, service: AppointmentService | None):
    form = AppointmentServiceForm(request.POST or None, instance=service, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        saved = services.appointment_service_save(
            studio=request.studio, actor=Actor.from_request(request), service=form.save(commit=False)
        )
        messages.success(request, _("Service “%(name)s” saved.") % {"name": saved.name})
        return redirect("appointment-service-list", studio_slug=request.studio.slug)
    return render(request, "scheduling/appointments/service_form.html", {"form": form, "service": service})


@staff_required(Perm.MANAGE_SCHEDULE)
def service_create(request):
    return _service_form(request, None)


@staff_required(Perm.MANAGE_SCHEDULE)
def service_edit(request, pk):
    return _service_form(request, get_object_or_404(AppointmentService, pk=pk))


# --- calendars and availability -------------------------------------------------------------


def _save_calendar(request, form: AppointmentCalendarForm):
    try:
        return services.appointment_calendar_save(
            studio=request.studio,
            actor=Actor.from_request(request),
            calendar=form.save(commit=False),
            services=list(form.cleaned_data["services"]),
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@staff_required(Perm.MANAGE_SCHEDULE)
def calendar_create(request):
    form = AppointmentCalendarForm(request.POST or None, studio=request.studio)
    if request.method == "POST" and form.is_valid() and (calendar := _save_calendar(request, form)):
        messages.success(request, _("Calendar created. Now add its weekly availability."))
        return redirect("appointment-calendar-detail", studio_slug=request.studio.slug, pk=calendar.pk)
    return render(request, "scheduling/appointments/calendar_form.html", {"form": form})


@staff_required(Perm.MANAGE_SCHEDULE)
def calendar_detail(request, pk):
    calendar = get_object_or_404(
        AppointmentCalendar.objects.select_related("teacher__user", "location"), pk=pk
    )
    form = AppointmentCalendarForm(request.POST or None, instance=calendar, studio=request.studio)
    if request.method == "POST" and form.is_valid() and _save_calendar(request, form):
        messages.success(request, _("Calendar saved."))
        return redirect("appointment-calendar-detail", studio_slug=request.studio.slug, pk=calendar.pk)
    return render(
        request,
        "scheduling/appointments/calendar_detail.html",
        {
            "calendar": calendar,
            "form": form,
            "availability": Availability.objects.filter(calendar=calendar).order_by("weekday", "start_time"),
            "exceptions": AvailabilityException.objects.filter(
                calendar=calendar, date__gte=local_today(calendar.location.time_zone)
            ).order_by("date", "start_time"),
            "availability_form": AvailabilityForm(),
            "exception_form": AvailabilityExceptionForm(),
        },
    )


def _calendar_redirect(request, calendar_id: int):
    return redirect("appointment-calendar-detail", studio_slug=request.studio.slug, pk=calendar_id)


@staff_required(Perm.MANAGE_SCHEDULE)
def availability_add(request, pk):
    calendar = get_object_or_404(AppointmentCalendar, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        availability = form.save(commit=False)
        availability.calendar = calendar
        try:
            services.availability_add(
                studio=request.studio, actor=Actor.from_request(request), availability=availability
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Availability added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _calendar_redirect(request, calendar.pk)


@staff_required(Perm.MANAGE_SCHEDULE)
def availability_remove(request, pk):
    availability = get_object_or_404(Availability, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.availability_remove(
        studio=request.studio, actor=Actor.from_request(request), availability=availability
    )
    messages.success(request, _("Availability removed."))
    return _calendar_redirect(request, availability.calendar_id)


@staff_required(Perm.MANAGE_SCHEDULE)
def exception_add(request, pk):
    calendar = get_object_or_404(AppointmentCalendar, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AvailabilityExceptionForm(request.POST)
    if form.is_valid():
        exception = form.save(commit=False)
        exception.calendar = calendar
        try:
            services.availability_exception_add(
                studio=request.studio, actor=Actor.from_request(request), exception=exception
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Exception added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _calendar_redirect(request, calendar.pk)


@staff_required(Perm.MANAGE_SCHEDULE)
def exception_remove(request, pk):
    exception = get_object_or_404(AvailabilityException, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.availability_exception_remove(
        studio=request.studio, actor=Actor.from_request(request), exception=exception
    )
    messages.success(request, _("Exception removed."))
    return _calendar_redirect(request, exception.calendar_id)
