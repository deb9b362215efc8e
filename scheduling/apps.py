from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.schedules import crontab

        # The mail templates register when their module is imported: only the worker imported
        # it (through the tasks), so the web's outbox showed template codes instead of names.
        import scheduling.emails  # noqa: F401 - registers the mail templates
        from scheduling import panels
        from studio import beat, checklist, navigation
        from studio.navigation import NavEntry
        from studio.permissions import Perm
        from studio.registries import profile_panels

        navigation.add_manage(NavEntry(_("Schedule"), "schedule-calendar", order=10))
        navigation.add_manage(
            NavEntry(_("Classes"), "class-template-list", perm=Perm.MANAGE_SCHEDULE, order=11)
        )
        navigation.add_manage(NavEntry(_("Appointments"), "appointment-overview", order=12))
        navigation.add_manage(NavEntry(_("Kiosk"), "kiosk", perm=Perm.CHECK_IN, order=13))
        navigation.add_public(NavEntry(_("Schedule"), "public-schedule", order=10))
        navigation.add_public(NavEntry(_("Appointments"), "public-appointments", order=11))
        checklist.CHECKS["classes"] = panels.classes_step_done
        profile_panels.register_profile_panel(panels.BOOKINGS_PANEL)
        profile_panels.register_account_panel(panels.account_bookings_panel)
        _register_audit_terms()
        _register_requirement_targets()
        # Hourly: cheap when nothing is due, and a new day's sessions appear soon after midnight
        # in every time zone.
        beat.register(
            "scheduling-extend-series",
            task="scheduling.extend_series_all_studios",
            schedule=crontab(minute=7),
        )
        beat.register("scheduling-mark-no-shows", task="scheduling.mark_no_shows_all_studios", schedule=300.0)


def _register_requirement_targets() -> None:
    """Classes and appointment services a waiver can be required for (waivers' requirements page)."""
    from studio.registries import requirement_targets

    def class_templates(studio) -> list[tuple[int, str]]:
        from scheduling.selectors import active_templates

        return [(t.pk, t.name) for t in active_templates(studio=studio)]

    def services(studio) -> list[tuple[int, str]]:
        from scheduling.selectors import service_list

        return [(s.pk, s.name) for s in service_list(studio=studio)]

    requirement_targets.register_requirement_target(
        "class_template", label=_("Classes"), choices=class_templates, order=20
    )
    requirement_targets.register_requirement_target(
        "service", label=_("Appointment services"), choices=services, order=30
    )


def _register_audit_terms() -> None:
    """How scheduling's audit codes read in the audit log (studio.registries.audit)."""
    from studio.registries import audit

    audit.register_actions(
        {
            "booking.booked": _("Client booked into a class"),
            "booking.waitlisted": _("Client put on a class waitlist"),
            "booking.cancelled": _("Class booking cancelled"),
            "booking.late_cancelled": _("Class booking cancelled late"),
            "booking.checked_in": _("Client checked in to a class"),
            "booking.no_show": _("Client marked absent from a class"),
            "booking.attendance_changed": _("Class attendance corrected"),
            "appointment.booked": _("Appointment booked"),
            "appointment.cancelled": _("Appointment cancelled"),
            "appointment.late_cancelled": _("Appointment cancelled late"),
            "appointment.checked_in": _("Client checked in to an appointment"),
            "appointment.no_show": _("Client marked absent from an appointment"),
            "class_template.created": _("Class created"),
            "class_template.changed": _("Class changed"),
            "class_template.archived": _("Class archived"),
            "class_template.restored": _("Class restored"),
            "class_series.created": _("Recurring series scheduled"),
            "class_series.changed": _("Recurring series changed"),
            "class_series.ended": _("Recurring series ended"),
            "class_session.created": _("Single class scheduled"),
            "class_session.changed": _("Class session changed"),
            "class_session.cancelled": _("Class session cancelled"),
            "appointment_service.created": _("Appointment type created"),
            "appointment_service.changed": _("Appointment type changed"),
            "appointment_calendar.created": _("Appointment calendar created"),
            "appointment_calendar.changed": _("Appointment calendar changed"),
            "availability.added": _("Availability added"),
            "availability.removed": _("Availability removed"),
            "availability.exception_added": _("Time off added"),
            "availability.exception_removed": _("Time off removed"),
            "kiosk.opened": _("Kiosk opened"),
            "kiosk.closed": _("Kiosk closed"),
        }
    )
    audit.register_record("classsession", _session_label)
    audit.register_fields(
        {
            "bookings": audit.Field(_("Bookings affected")),
            "sessions": audit.Field(_("Sessions")),
            "session": audit.Field(_("Session")),
            "services": audit.Field(_("Appointment types")),
            "locations": audit.Field(_("Locations")),
            "split_from": audit.Field(_("Split from series")),
            "last_date": audit.Field(_("Last date")),
            "available": audit.Field(_("Available")),
            "by": audit.Field(_("Booked by"), _booked_by),
            "paid": audit.Field(_("Paid with"), _paid_with),
            "via": audit.Field(_("Checked in via"), _booked_by),
            "from": audit.Field(_("From")),
            "until": audit.Field(_("Until")),
        }
    )


def _booked_by(value, ctx) -> str:
    """ "client", "staff" or "kiosk" as the reader says it."""
    from scheduling.models import BookedBy
    from studio.registries import audit

    labels = {**dict(BookedBy.choices), "kiosk": _("Kiosk")}
    return str(labels[value]) if isinstance(value, str) and value in labels else audit.plain(value, ctx)


def _paid_with(value, ctx) -> str:
    """A booking's payment kind code ("membership", "class_pack"…) as the reader says it."""
    from scheduling.models import PaymentKind
    from studio.registries import audit

    labels = dict(PaymentKind.choices)
    return str(labels[value]) if isinstance(value, str) and value in labels else audit.plain(value, ctx)


def _session_label(entry) -> str | None:
    """A session's stored name ("Hatha · 2026-12-04 10:00", its local wall time) with the date as
    the reader writes it ("Hatha · ven. 4 déc. 10:00"); read from the entry alone, no query."""
    import datetime as dt
    import re

    from studio.formats import date_format

    match = re.fullmatch(r"(.*) · (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})", entry.object_repr or "")
    if match is None:
        return None
    name, day, time = match.groups()
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        return None
    return f"{name} · {date_format(when, 'D j M')} {time}"
