"""Back office: the schedule calendar, class templates, series and sessions."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from scheduling import selectors, services
from scheduling.forms import (
    ClassSeriesForm,
    ClassTemplateForm,
    SeriesEditForm,
    SeriesEndForm,
    SessionCancelForm,
    SessionForm,
    day_refused_notice,
    parse_day,
)
from scheduling.models import ClassSeries, ClassSession, ClassTemplate
from scheduling.timeutils import local_date_label, local_today, week_start
from scheduling.views.common import error_text
from studio.access import staff_required
from studio.inputs import parse_int_param
from studio.permissions import Perm
from studio.services import Actor


@staff_required()
def calendar(request):
    """Day or week calendar of classes, per location and room; teachers find their own here too."""
    studio = request.studio
    mode = "day" if request.GET.get("view") == "day" else "week"
    location_id = parse_int_param(request.GET.get("location"))
    room_id = parse_int_param(request.GET.get("room"))
    teacher_id = parse_int_param(request.GET.get("teacher"))
    locations = list(selectors.active_locations(studio=studio))
    location = next((loc for loc in locations if loc.pk == location_id), None)
    tz = location.time_zone if location else studio.time_zone
    today = local_today(tz)
    day = parse_day(request.GET.get("date"), today)
    first = week_start(day) if mode == "week" else day
    last = first + timedelta(days=6 if mode == "week" else 0)
    days = selectors.sessions_between(
        studio=studio, first=first, last=last, location_id=location_id, room_id=room_id, teacher_id=teacher_id
    )
    selectors.label_start_times(days)
    step = timedelta(days=7 if mode == "week" else 1)
    rooms = list(selectors.active_rooms(studio=studio, location_id=location_id)) if location_id else []
    filters = {"view": mode, "location": location_id, "room": room_id, "teacher": teacher_id}
    context = {
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "mode": mode,
        "days": days,
        "today": today,
        "day": day,
        "first": first,
        "last": last,
        "previous": first - step,
        "next": first + step,
        "locations": locations,
        "location": location,
        "rooms": rooms,
        "room_id": room_id,
        "teachers": selectors.teachers(studio=studio),
        "teacher_id": teacher_id,
        "columns": _room_columns(days[0].sessions, rooms) if mode == "day" else None,
        "session_count": sum(len(d.sessions) for d in days),
        "session_url": session_url_prefix("class-session-detail", studio),
        "date_notice": day_refused_notice(request.GET.get("date")),
    }
    template = "scheduling/_calendar_grid.html" if request.htmx else "scheduling/calendar.html"
    return render(request, template, context)


def _room_columns(
    sessions: list[selectors.SessionCard], rooms
) -> list[tuple[str, list[selectors.SessionCard]]]:
    """A day's sessions side by side: one column per room (or per place when no location is chosen)."""
    columns: dict[str, list[selectors.SessionCard]] = {room.name: [] for room in rooms}
    for session in sessions:
        key = session.room if (rooms and session.room) else (session.place or _("Other"))
        columns.setdefault(key, []).append(session)
    return list(columns.items())


def session_url_prefix(name: str, studio) -> str:
    """The URL of `name` for pk 0, minus the 0: a week's page links hundreds of sessions, and one
    reverse() per link was a third of its rendering time."""
    return reverse(name, kwargs={"studio_slug": studio.slug, "pk": 0}).removesuffix("0/")


# --- templates ------------------------------------------------------------------------------


@staff_required(Perm.MANAGE_SCHEDULE)
def template_list(request):
    show_archived = request.GET.get("archived") == "1"
    templates = selectors.class_template_list(studio=request.studio, include_archived=show_archived)
    return render(
        request, "scheduling/template_list.html", {"templates": templates, "show_archived": show_archived}
    )


@staff_required(Perm.MANAGE_SCHEDULE)
def template_detail(request, pk):
    template = get_object_or_404(ClassTemplate, pk=pk)
    return render(
        request,
        "scheduling/template_detail.html",
        {
            "template": template,
            "series_list": selectors.series_for_template(template=template),
            "today": local_today(request.studio.time_zone),
        },
    )


def _template_form(request, template: ClassTemplate | None):
    form = ClassTemplateForm(request.POST or None, instance=template, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.class_template_save(
                studio=request.studio, actor=Actor.from_request(request), template=form.save(commit=False)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Class template “%(name)s” saved.") % {"name": saved.name})
            return redirect("class-template-detail", studio_slug=request.studio.slug, pk=saved.pk)
    return render(request, "scheduling/template_form.html", {"form": form, "template": template})


@staff_required(Perm.MANAGE_SCHEDULE)
def template_create(request):
    return _template_form(request, None)


@staff_required(Perm.MANAGE_SCHEDULE)
def template_edit(request, pk):
    return _template_form(request, get_object_or_404(ClassTemplate, pk=pk))


@staff_required(Perm.MANAGE_SCHEDULE)
def template_archive(request, pk):
    template = get_object_or_404(ClassTemplate, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    archive = request.POST.get("restore") != "1"
    services.class_template_archive(
        studio=request.studio, actor=Actor.from_request(request), template=template, archived=archive
    )
    messages.success(request, _("Class template archived.") if archive else _("Class template restored."))
    return redirect("class-template-list", studio_slug=request.studio.slug)


# --- series ---------------------------------------------------------------------------------


@staff_required(Perm.MANAGE_SCHEDULE)
def series_create(request):
    studio = request.studio
    template = None
    template_id = parse_int_param(request.GET.get("template"))
    if template_id:
        template = get_object_or_404(ClassTemplate, pk=template_id)
    initial = {"starts_on": local_today(studio.time_zone), "weeks_ahead": 8}
    if template is not None:
        initial["template"] = template.pk
    form = ClassSeriesForm(request.POST or None, initial=initial, studio=studio)
    if request.method == "POST" and form.is_valid():
        try:
            series = services.series_create(
                studio=studio, actor=Actor.from_request(request), series=form.save(commit=False)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Series created; its sessions are on the schedule."))
            return redirect("class-series-detail", studio_slug=studio.slug, pk=series.pk)
    return render(request, "scheduling/series_form.html", {"form": form, "template": template})


@staff_required(Perm.MANAGE_SCHEDULE)
def series_detail(request, pk):
    series = get_object_or_404(
        ClassSeries.objects.select_related("template", "teacher__user", "location", "room"), pk=pk
    )
    sessions = selectors.series_upcoming_sessions(series=series, now=timezone.now())
    return render(
        request,
        "scheduling/series_detail.html",
        {
            # A series is ended on a date it runs: not before its first date, nor (usually) in the past.
            "series": series,
            "sessions": sessions,
            "end_form": SeriesEndForm(
                initial={"last_date": max(local_today(series.time_zone), series.starts_on)}
            ),
        },
    )


@staff_required(Perm.MANAGE_SCHEDULE)
def series_edit(request, pk):
    """Edit a series "for this and the following sessions", from the date in ?from=."""
    series = get_object_or_404(ClassSeries.objects.select_related("template", "location"), pk=pk)
    from_date = parse_day(request.GET.get("from"), max(series.starts_on, local_today(series.time_zone)))
    form = SeriesEditForm(
        request.POST or None, instance=series, studio=request.studio, initial={"apply_from": from_date}
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.series_update(
                studio=request.studio,
                actor=Actor.from_request(request),
                series=form.save(commit=False),
                from_date=form.cleaned_data["apply_from"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Series updated from %(date)s on.")
                % {"date": local_date_label(form.cleaned_data["apply_from"])},
            )
            return redirect("class-series-detail", studio_slug=request.studio.slug, pk=saved.pk)
    return render(
        request, "scheduling/series_form.html", {"form": form, "series": series, "template": series.template}
    )


@staff_required(Perm.MANAGE_SCHEDULE)
def series_end(request, pk):
    series = get_object_or_404(ClassSeries, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SeriesEndForm(request.POST)
    if form.is_valid():
        try:
            services.series_end(
                studio=request.studio,
                actor=Actor.from_request(request),
                series=series,
                last_date=form.cleaned_data["last_date"],
            )
            messages.success(
                request,
                _("The series ends on %(date)s.")
                % {"date": local_date_label(form.cleaned_data["last_date"])},
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    else:
        messages.error(
            request,
            " ".join([str(_("Choose the date of the last class.")), *form.errors.get("last_date", [])]),
        )
    return redirect("class-series-detail", studio_slug=request.studio.slug, pk=series.pk)


# --- sessions -------------------------------------------------------------------------------


def _session_or_404(pk: int) -> ClassSession:
    try:
        return selectors.session_detail(session_id=pk)
    except ClassSession.DoesNotExist as exc:
        raise Http404 from exc


@staff_required(Perm.CHECK_IN)
def session_detail(request, pk):
    """The roster: who is booked, the waitlist, check-in; and the session's own actions."""
    session = _session_or_404(pk)
    roster = selectors.session_roster(session=session)
    now = timezone.now()
    return render(
        request,
        "scheduling/session_detail.html",
        {
            "session": session,
            "roster": roster,
            "now": now,
            "started": session.starts_at <= now,
            "ended": session.ends_at <= now,
            "check_in_open": now >= session.check_in_opens_at,
        },
    )


@staff_required(Perm.MANAGE_SCHEDULE)
def session_create(request):
    studio = request.studio
    initial = {"date": parse_day(request.GET.get("date"), local_today(studio.time_zone))}
    form = SessionForm(request.POST or None, studio=studio, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(
                studio=studio, actor=Actor.from_request(request), session=form.save()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Class scheduled."))
            return redirect("class-session-detail", studio_slug=studio.slug, pk=session.pk)
    return render(request, "scheduling/session_form.html", {"form": form, "session": None})


@staff_required(Perm.MANAGE_SCHEDULE)
def session_edit(request, pk):
    """This session only: substitute teacher, other room, time or capacity."""
    session = _session_or_404(pk)
    form = SessionForm(request.POST or None, instance=session, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(
                studio=request.studio, actor=Actor.from_request(request), session=form.save()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Session updated."))
            return redirect("class-session-detail", studio_slug=request.studio.slug, pk=session.pk)
    return render(request, "scheduling/session_form.html", {"form": form, "session": session})


@staff_required(Perm.MANAGE_SCHEDULE)
def session_cancel(request, pk):
    session = _session_or_404(pk)
    form = SessionCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(
                studio=request.studio,
                actor=Actor.from_request(request),
                session=session,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Class cancelled; booked clients are being emailed."))
        return redirect("class-session-detail", studio_slug=request.studio.slug, pk=session.pk)
    return render(request, "scheduling/session_cancel.html", {"session": session, "form": form})
