"""Class templates, recurring series and sessions (SCH-1, SCH-2).

Generation is idempotent: a session is identified by (series, occurrence_date), unique in the
database, and every generator creates only the dates that are missing, under the series' row
lock. Running the beat task twice, or two workers at once, never duplicates a session.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from scheduling import signals
from scheduling.models import (
    ACTIVE_STATUSES,
    OCCUPYING_STATUSES,
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CancelReason,
    ClassSeries,
    ClassSession,
    ClassTemplate,
    SessionStatus,
)
from scheduling.timeutils import local_datetime, local_today
from studio.models import Studio
from studio.services import Actor, audit_record, field_changes, snapshot

from .bookings import waitlist_promote
from .common import BookingError, local_date_label, local_when_label, notify_booking, send_event

TEMPLATE_FIELDS = [
    "name",
    "description",
    "default_duration_minutes",
    "capacity",
    "colour",
    "online_allowed",
    "drop_in_price",
]
SERIES_FIELDS = [
    "weekdays",
    "start_time",
    "duration_minutes",
    "capacity",
    "teacher",
    "location",
    "room",
    "online_url",
    "starts_on",
    "ends_on",
    "weeks_ahead",
]
# What the new half of a split series takes from the edited one.
SPLIT_FIELDS = [
    "weekdays",
    "start_time",
    "duration_minutes",
    "capacity",
    "teacher_id",
    "location_id",
    "room_id",
    "online_url",
    "ends_on",
    "weeks_ahead",
]
SESSION_FIELDS = ["starts_at", "ends_at", "teacher", "location", "room", "online_url", "capacity"]


def _check_place(obj, *, online_allowed: bool) -> None:
    """A room sits in the chosen location; a class without a location is online and has a link."""
    if obj.room_id and obj.room.location_id != obj.location_id:
        raise ValidationError({"room": _("Choose a room of the selected location.")})
    if not obj.location_id:
        if not obj.online_url:
            raise ValidationError({"location": _("Choose a location, or give an online link.")})
        if not online_allowed:
            raise ValidationError({"online_url": _("This class template is not taught online.")})


def _refuse_clashes(sessions: QuerySet[ClassSession], *, now: datetime) -> None:
    """Refuse (ValidationError) when one of `sessions` overlaps another scheduled class in the same
    room or with the same teacher, or one of the teacher's appointments.

    Called inside the writing transaction, after the sessions are saved: raising rolls the whole
    change back, and the check sees exactly what would be committed.
    """
    overlapping = ClassSession.objects.filter(
        status=SessionStatus.SCHEDULED,
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
    ).exclude(pk=OuterRef("pk"))
    same_room = overlapping.filter(room_id=OuterRef("room_id"))
    same_teacher = overlapping.filter(teacher_id=OuterRef("teacher_id"))
    appointments = Appointment.objects.filter(
        calendar__teacher_id=OuterRef("teacher_id"),
        starts_at__lt=OuterRef("ends_at"),
        ends_at__gt=OuterRef("starts_at"),
        status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
    )
    clash = (
        sessions.filter(status=SessionStatus.SCHEDULED, ends_at__gt=now)
        .annotate(
            room_clash=Subquery(same_room.order_by("starts_at").values("pk")[:1]),
            teacher_clash=Subquery(same_teacher.order_by("starts_at").values("pk")[:1]),
            busy_teacher=Exists(appointments),
        )
        .filter(Q(room_clash__isnull=False) | Q(teacher_clash__isnull=False) | Q(busy_teacher=True))
        .select_related("template", "teacher__user", "location", "room", "studio")
        .order_by("starts_at")
        .first()
    )
    if clash is None:
        return
    when = local_when_label(clash.starts_at, clash.time_zone)
    # When the other class starts at another time (a long class running into the next one), its
    # own time is said too: "taken on 2 December 17:30" alone pointed at the class being edited.
    if clash.room_clash is not None:
        other = ClassSession.objects.select_related("template", "location", "studio").get(pk=clash.room_clash)
        params = {
            "room": clash.room.name,
            "when": when,
            "other": other.template.name,
            "other_when": local_when_label(other.starts_at, other.time_zone),
        }
        if other.starts_at == clash.starts_at:
            message = _("%(room)s is taken on %(when)s by “%(other)s”. Choose another room or another time.")
        else:
            message = _(
                "%(room)s is taken on %(other_when)s by “%(other)s”, which overlaps this class "
                "(%(when)s). Choose another room or another time."
            )
        raise ValidationError(message % params, code="room_taken")
    if clash.teacher_clash is not None:
        other = ClassSession.objects.select_related("template", "location", "studio").get(
            pk=clash.teacher_clash
        )
        params = {
            "teacher": clash.teacher,
            "when": when,
            "other": other.template.name,
            "other_when": local_when_label(other.starts_at, other.time_zone),
        }
        if other.starts_at == clash.starts_at:
            message = _(
                "%(teacher)s already teaches “%(other)s” on %(when)s. Choose another teacher or another time."
            )
        else:
            message = _(
                "%(teacher)s already teaches “%(other)s” on %(other_when)s, which overlaps this class "
                "(%(when)s). Choose another teacher or another time."
            )
        raise ValidationError(message % params, code="teacher_taken")
    raise ValidationError(
        _("%(teacher)s has an appointment on %(when)s. Choose another teacher or another time.")
        % {"teacher": clash.teacher, "when": when},
        code="teacher_taken",
    )


def _refuse_below_bookings(sessions: QuerySet[ClassSession], *, now: datetime) -> None:
    """Refuse (ValidationError) when an edit of a series or template lowered one of `sessions`
    (those whose capacity it lowered) below its bookings; like `_refuse_clashes`, run after saving.
    A class overbooked on purpose elsewhere does not block the edit."""
    crowded = (
        sessions.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
        .annotate(occupied=Count("bookings", filter=Q(bookings__status__in=OCCUPYING_STATUSES)))
        .filter(occupied__gt=F("capacity"))
        .select_related("location", "studio")
        .order_by("starts_at")
        .first()
    )
    if crowded is None:
        return
    raise ValidationError(
        {
            "capacity": ngettext(
                "The class of %(when)s already has %(n)s booking: keep a capacity of %(n)s or more, or cancel bookings "
                "first.",
                "The class of %(when)s already has %(n)s bookings: keep a capacity of %(n)s or more, or cancel bookings "
                "first.",
                crowded.occupied,
            )
            % {"when": local_when_label(crowded.starts_at, crowded.time_zone), "n": crowded.occupied}
        }
    )


# --- templates ------------------------------------------------------------------------------


def class_template_save(
    *, studio: Studio, actor: Actor, template: ClassTemplate, now: datetime | None = None
) -> ClassTemplate:
    """Create or edit a class template. An edit reaches every future session of its series
    that follows the template (capacity and length not set on the series or the session)."""
    creating = template.pk is None
    template.studio = studio
    with transaction.atomic():
        before = (
            {}
            if creating
            else snapshot(ClassTemplate.objects.select_for_update().get(pk=template.pk), TEMPLATE_FIELDS)
        )
        template.save()
        changes = {} if creating else field_changes(template, TEMPLATE_FIELDS, before)
        if creating or changes:
            audit_record(
                studio=studio,
                actor=actor,
                obj=template,
                changes=changes,
                action="class_template.created" if creating else "class_template.changed",
            )
        if {"capacity", "default_duration_minutes"} & changes.keys():
            now = now or timezone.now()
            lowered = []
            for series in ClassSeries.objects.filter(template=template).select_related(
                "template", "location", "studio"
            ):
                lowered += _resync(series, from_date=local_today(series.time_zone, now), now=now)
            _refuse_below_bookings(ClassSession.objects.filter(pk__in=lowered), now=now)
    return template


def class_template_archive(
    *, studio: Studio, actor: Actor, template: ClassTemplate, archived: bool = True
) -> ClassTemplate:
    """Archive (or restore) a template: it leaves the pickers; its series keep running."""
    with transaction.atomic():
        template.archived_at = timezone.now() if archived else None
        template.save(update_fields=["archived_at"])
        audit_record(
            studio=studio,
            actor=actor,
            obj=template,
            action="class_template.archived" if archived else "class_template.restored",
        )
    return template


# --- series and generation ------------------------------------------------------------------


def _horizon(series: ClassSeries, today: date) -> date:
    return today + timedelta(weeks=series.weeks_ahead)


def _generate(series: ClassSeries, *, first: date, last: date) -> int:
    """Create the series' missing sessions dated in [first, last]. The caller holds the series lock."""
    dates = series.occurrence_dates(first, last)
    if not dates:
        return 0
    existing = set(
        ClassSession.objects.filter(series=series, occurrence_date__in=dates).values_list(
            "occurrence_date", flat=True
        )
    )
    duration = timedelta(minutes=series.effective_duration)
    tz = series.time_zone
    rows = []
    for day in dates:
        if day in existing:
            continue
        starts = local_datetime(day, series.start_time, tz)
        rows.append(
            ClassSession(
                studio_id=series.studio_id,
                template_id=series.template_id,
                series=series,
                occurrence_date=day,
                starts_at=starts,
                ends_at=starts + duration,
                teacher_id=series.teacher_id,
                location_id=series.location_id,
                room_id=series.room_id,
                online_url=series.online_url,
                capacity=series.effective_capacity,
            )
        )
    # The unique (series, occurrence_date) constraint is the last word should anything race us.
    ClassSession.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _locked_series(series: ClassSeries) -> ClassSeries:
    return (
        ClassSeries.objects.select_for_update(of=("self",))
        .select_related("template", "location", "studio")
        .get(pk=series.pk)
    )


def series_create(
    *, studio: Studio, actor: Actor, series: ClassSeries, now: datetime | None = None
) -> ClassSeries:
    """Create a recurring series from a template and schedule its first weeks.

    Refused when no date of the rule lies ahead (a series entirely in the past, or weekdays
    that never fall between its dates), and when one of its sessions would take a room or a
    teacher already taken at that time.
    """
    series.studio = studio
    _check_place(series, online_allowed=series.template.online_allowed)
    now = now or timezone.now()
    today = local_today(series.time_zone, now)
    first = max(today, series.starts_on)
    if series.ends_on is not None and series.ends_on < today:
        raise ValidationError(
            {
                "ends_on": _(
                    "The series would end on %(date)s, before today: nothing would be "
                    "scheduled. Choose a last date from today on, or leave it empty."
                )
                % {"date": local_date_label(series.ends_on)}
            }
        )
    # Without a last date every weekday comes within a week.
    last = series.ends_on or first + timedelta(days=6)
    if not series.occurrence_dates(first, last):
        raise ValidationError(
            {
                "weekdays": _(
                    "None of the chosen days falls between %(first)s and %(last)s. Choose "
                    "other days or other dates."
                )
                % {"first": local_date_label(first), "last": local_date_label(last)}
            }
        )
    with transaction.atomic():
        series.save()
        created = _generate(series, first=today, last=_horizon(series, today))
        _refuse_clashes(ClassSession.objects.filter(series=series), now=now)
        audit_record(
            studio=studio,
            actor=actor,
            action="class_series.created",
            obj=series,
            changes={"sessions": created},
        )
    return series


def series_extend(*, series: ClassSeries, now: datetime | None = None) -> int:
    """Keep one series scheduled `weeks_ahead` weeks ahead; returns how many sessions it added."""
    now = now or timezone.now()
    with transaction.atomic():
        series = _locked_series(series)
        today = local_today(series.time_zone, now)
        return _generate(series, first=today, last=_horizon(series, today))


def series_extend_all(*, studio: Studio, now: datetime | None = None) -> int:
    """The beat task's work for one studio: extend every series that has not ended."""
    now = now or timezone.now()
    yesterday = (now - timedelta(days=1)).date()  # any zone's "today" is at least this
    running = ClassSeries.objects.filter(studio=studio).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=yesterday)
    )
    return sum(series_extend(series=series, now=now) for series in running.only("pk"))


def _apply_series(session: ClassSession, series: ClassSeries) -> list[str]:
    """Give a session its series' current values, except those changed on the session alone."""
    changed: list[str] = []

    def put(field: str, value) -> None:
        if getattr(session, field) != value:
            setattr(session, field, value)
            changed.append(field)

    if "time" not in session.overrides:
        starts = local_datetime(session.occurrence_date, series.start_time, series.time_zone)
        put("starts_at", starts)
        put("ends_at", starts + timedelta(minutes=series.effective_duration))
    if "teacher" not in session.overrides:
        put("teacher_id", series.teacher_id)
    if "place" not in session.overrides:
        put("location_id", series.location_id)
        put("room_id", series.room_id)
        put("online_url", series.online_url)
    if "capacity" not in session.overrides:
        put("capacity", series.effective_capacity)
    session.series = series
    return changed


def _resync(series: ClassSeries, *, from_date: date, now: datetime) -> list[int]:
    """Bring the series' sessions from `from_date` in line with the series, then fill the gaps.

    Sessions that have started are history and stay as they are. A date the series no longer
    produces loses its session: deleted when nobody ever booked it, otherwise cancelled with
    the clients told. Returns the ids of sessions whose capacity went down (for the caller's
    check against their bookings).
    """
    lowered: list[int] = []
    sessions = list(
        ClassSession.objects.select_for_update()
        .filter(
            series=series,
            occurrence_date__gte=from_date,
            status=SessionStatus.SCHEDULED,
            starts_at__gt=now,
        )
        .order_by("id")
    )
    if sessions:
        last = max(s.occurrence_date for s in sessions)
        wanted = set(series.occurrence_dates(from_date, last))
        ids = [s.pk for s in sessions]
        with_bookings = set(Booking.objects.filter(session_id__in=ids).values_list("session_id", flat=True))
        active = set(
            Booking.objects.filter(session_id__in=ids, status__in=ACTIVE_STATUSES).values_list(
                "session_id", flat=True
            )
        )
        orphans = []
        for session in sessions:
            if session.occurrence_date not in wanted:
                if session.pk in with_bookings:
                    _cancel_locked(session, note="", now=now)
                else:
                    orphans.append(session.pk)
                continue
            old_capacity = session.capacity
            changed = _apply_series(session, series)
            if not changed:
                continue
            session.save(update_fields=[f.removesuffix("_id") for f in changed])
            if session.capacity > old_capacity:
                waitlist_promote(session=session, now=now)
            elif session.capacity < old_capacity:
                lowered.append(session.pk)
            if session.pk in active and {"starts_at", "location_id", "room_id", "online_url"} & set(changed):
                _notify_change(session)
        ClassSession.objects.filter(pk__in=orphans).delete()
    today = local_today(series.time_zone, now)
    _generate(series, first=max(from_date, today), last=_horizon(series, today))
    return lowered


def series_update(
    *, studio: Studio, actor: Actor, series: ClassSeries, from_date: date, now: datetime | None = None
) -> ClassSeries:
    """Edit a series for "this and following" sessions, from `from_date` on.

    When sessions of the series exist before that date, the series is split: the old rule
    ends the day before and a new series carries the new rule (and the later sessions), so the
    past keeps saying what was true then. Sessions from `from_date` follow the new rule, except
    for what was changed on one session alone.
    """
    now = now or timezone.now()
    _check_place(series, online_allowed=series.template.online_allowed)
    with transaction.atomic():
        current = _locked_series(series)
        changes = field_changes(series, SERIES_FIELDS, snapshot(current, SERIES_FIELDS))
        if not changes:
            return current
        earlier = ClassSession.objects.filter(series=current, occurrence_date__lt=from_date).exists()
        if earlier:
            target = ClassSeries(
                studio=studio,
                template_id=current.template_id,
                starts_on=max(from_date, series.starts_on),
                **{name: getattr(series, name) for name in SPLIT_FIELDS},
            )
            target.save()
            current.ends_on = from_date - timedelta(days=1)
            current.save(update_fields=["ends_on"])
            ClassSession.objects.filter(series=current, occurrence_date__gte=from_date).update(series=target)
        else:
            target = series
            target.save()
        lowered = _resync(target, from_date=from_date, now=now)
        _refuse_clashes(ClassSession.objects.filter(series=target, occurrence_date__gte=from_date), now=now)
        _refuse_below_bookings(ClassSession.objects.filter(pk__in=lowered), now=now)
        audit_record(
            studio=studio,
            actor=actor,
            action="class_series.changed",
            obj=target,
            changes={**changes, "from": str(from_date), "split_from": current.pk if earlier else None},
        )
    return target


def series_end(
    *, studio: Studio, actor: Actor, series: ClassSeries, last_date: date, now: datetime | None = None
) -> ClassSeries:
    """Stop a series after `last_date`; its later sessions go (cancelled, clients told, when booked)."""
    now = now or timezone.now()
    with transaction.atomic():
        series = _locked_series(series)
        if last_date < series.starts_on:
            raise ValidationError(
                {
                    "last_date": _("The series starts on %(date)s; end it on that day or later.")
                    % {"date": local_date_label(series.starts_on)}
                }
            )
        series.ends_on = last_date
        series.save(update_fields=["ends_on"])
        after = last_date + timedelta(days=1)
        for session in ClassSession.objects.select_for_update().filter(
            series=series, occurrence_date__gte=after, status=SessionStatus.SCHEDULED, starts_at__gt=now
        ):
            if Booking.objects.filter(session=session).exists():
                _cancel_locked(session, note="", now=now)
            else:
                session.delete()
        audit_record(
            studio=studio,
            actor=actor,
            action="class_series.ended",
            obj=series,
            changes={"last_date": str(last_date)},
        )
    return series


# --- sessions -------------------------------------------------------------------------------


def session_create(
    *, studio: Studio, actor: Actor, session: ClassSession, now: datetime | None = None
) -> ClassSession:
    """Schedule a single session (not part of a series), from now on, in a free room with a free
    teacher."""
    now = now or timezone.now()
    session.studio = studio
    session.series = None
    _check_place(session, online_allowed=session.template.online_allowed)
    if session.starts_at <= now:
        raise ValidationError(
            {
                "date": _(
                    "This class would start in the past (%(when)s). Choose a date and time from now on."
                )
                % {"when": local_when_label(session.starts_at, session.time_zone)}
            }
        )
    session.occurrence_date = session.local_start.date()
    with transaction.atomic():
        session.save()
        _refuse_clashes(ClassSession.objects.filter(pk=session.pk), now=now)
        audit_record(studio=studio, actor=actor, action="class_session.created", obj=session)
    return session


def session_update(
    *, studio: Studio, actor: Actor, session: ClassSession, notify: bool = True, now: datetime | None = None
) -> ClassSession:
    """Change one session alone: substitute teacher, other room, time, capacity.

    What changes here is remembered as the session's own, so later edits of its series or
    template leave it alone. More capacity lets the waitlist in; booked clients hear of a new
    time or place.
    """
    now = now or timezone.now()
    _check_place(session, online_allowed=session.template.online_allowed)
    with transaction.atomic():
        current = ClassSession.objects.select_for_update().get(pk=session.pk)
        if current.is_cancelled:
            raise BookingError(_("This class is cancelled."))
        changes = field_changes(session, SESSION_FIELDS, snapshot(current, SESSION_FIELDS))
        if not changes:
            return current
        # A class that has ended keeps its record (attendance, and pay to come, rest on it): a
        # 700-minute duration typed on last week's class turned it into one still running. The
        # teacher stays correctable, for the substitute nobody recorded.
        if current.ends_at <= now and changes.keys() - {"teacher"}:
            raise ValidationError(
                _(
                    "This class has ended: its time, place and capacity can no longer change. "
                    "Only its teacher can still be corrected."
                )
            )
        if "starts_at" in changes and session.starts_at <= now:
            raise ValidationError(
                {
                    "date": _("The new time (%(when)s) is in the past. Choose a date and time from now on.")
                    % {"when": local_when_label(session.starts_at, session.time_zone)}
                }
            )
        if "capacity" in changes:
            booked = Booking.objects.filter(session=current, status__in=OCCUPYING_STATUSES).count()
            if session.capacity < booked:
                raise ValidationError(
                    {
                        "capacity": ngettext(
                            "%(n)s client is booked in this class: the capacity cannot be lower than %(n)s. Cancel "
                            "bookings first, or keep a capacity of %(n)s or more.",
                            "%(n)s clients are booked in this class: the capacity cannot be lower than %(n)s. Cancel "
                            "bookings first, or keep a capacity of %(n)s or more.",
                            booked,
                        )
                        % {"n": booked}
                    }
                )
        own = set(current.overrides)
        if {"starts_at", "ends_at"} & changes.keys():
            own.add("time")
        if "teacher" in changes:
            own.add("teacher")
        if {"location", "room", "online_url"} & changes.keys():
            own.add("place")
        if "capacity" in changes:
            own.add("capacity")
        session.overrides = sorted(own)
        session.save()
        if {"starts_at", "ends_at", "teacher", "room"} & changes.keys():
            _refuse_clashes(ClassSession.objects.filter(pk=session.pk), now=now)
        if session.capacity > current.capacity:
            waitlist_promote(session=session, now=now)
        if notify and {"starts_at", "location", "room", "online_url"} & changes.keys():
            _notify_change(session)
        audit_record(studio=studio, actor=actor, action="class_session.changed", obj=session, changes=changes)
    return session


def _notify_change(session: ClassSession) -> None:
    for booking in Booking.objects.filter(session=session, status__in=ACTIVE_STATUSES):
        notify_booking(booking, "session_changed")


def _cancel_locked(session: ClassSession, *, note: str, now: datetime) -> list[Booking]:
    """Cancel a session whose row the caller has locked; its active bookings end, clients are told."""
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = now
    session.cancel_note = note
    session.save(update_fields=["status", "cancelled_at", "cancel_note"])
    bookings = list(Booking.objects.select_for_update().filter(session=session, status__in=ACTIVE_STATUSES))
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        status=BookingStatus.CANCELLED, cancelled_at=now, cancel_reason=CancelReason.SESSION_CANCELLED
    )
    for booking in bookings:
        notify_booking(booking, "session_cancelled")
    send_event(
        signals.session_cancelled,
        ClassSession,
        studio_id=session.studio_id,
        session_id=session.pk,
        booking_ids=[b.pk for b in bookings],
    )
    return bookings


def session_cancel(
    *, studio: Studio, actor: Actor, session: ClassSession, note: str = "", now: datetime | None = None
) -> ClassSession:
    """Cancel one session. Booked and waitlisted clients are emailed; nobody is promoted into it."""
    now = now or timezone.now()
    with transaction.atomic():
        session = ClassSession.objects.select_for_update().get(pk=session.pk)
        if session.is_cancelled:
            return session
        if session.ends_at <= now:
            raise BookingError(_("This class has already ended."))
        bookings = _cancel_locked(session, note=note, now=now)
        audit_record(
            studio=studio,
            actor=actor,
            action="class_session.cancelled",
            obj=session,
            changes={"bookings": len(bookings), "note": note},
        )
    return session
