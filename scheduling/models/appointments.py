"""Appointments: one-to-one services booked into a teacher's calendar at a location.

A calendar (teacher + location) offers services and has weekly availability with dated
exceptions; `scheduling.slots` turns those, minus existing appointments and their buffers,
into bookable start times.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from studio.tenancy import TenantModel

from .bookings import BookedBy, PaymentKind
from .classes import WEEKDAYS


class AppointmentService(TenantModel):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=60, validators=[MinValueValidator(5), MaxValueValidator(8 * 60)]
    )
    # Integer minor units (cents) in the studio's currency.
    price_amount = models.BigIntegerField(_("price"), default=0, validators=[MinValueValidator(0)])
    buffer_before_minutes = models.PositiveSmallIntegerField(
        _("buffer before (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(240)]
    )
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment service")
        verbose_name_plural = _("appointment services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "name"], name="appointment_service_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class AppointmentCalendar(TenantModel):
    """A teacher's appointment book at one location."""

    teacher = models.ForeignKey(
        "studio.StaffMember", on_delete=models.PROTECT, related_name="+", verbose_name=_("teacher")
    )
    location = models.ForeignKey(
        "studio.Location", on_delete=models.PROTECT, related_name="+", verbose_name=_("location")
    )
    services = models.ManyToManyField(
        AppointmentService, through="CalendarService", related_name="calendars", verbose_name=_("services")
    )
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment calendar")
        verbose_name_plural = _("appointment calendars")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "teacher", "location"], name="one_calendar_per_teacher_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.location}"


class CalendarService(TenantModel):
    calendar = models.ForeignKey(AppointmentCalendar, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(AppointmentService, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["studio", "calendar", "service"], name="calendar_service_unique")
        ]


class Availability(TenantModel):
    """A weekly opening of a calendar, in the location's local time."""

    calendar = models.ForeignKey(AppointmentCalendar, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="availability_ends_after_start"
            )
        ]


class AvailabilityException(TenantModel):
    """A dated change: time off (all day, or between two times), or extra hours."""

    calendar = models.ForeignKey(AppointmentCalendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    is_available = models.BooleanField(
        _("extra availability"),
        default=False,
        help_text=_("Unticked: time off. Ticked: extra hours on that date."),
    )
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        ordering = ["date", "start_time"]
        indexes = [models.Index(fields=["studio", "calendar", "date"], name="avail_exception_date_idx")]

    @property
    def all_day(self) -> bool:
        return self.start_time is None


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    LATE_CANCELLED = "late_cancelled", _("Late cancel")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("No-show")


class Appointment(TenantModel):
    calendar = models.ForeignKey(
        AppointmentCalendar, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("calendar")
    )
    service = models.ForeignKey(
        AppointmentService, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("service")
    )
    client = models.ForeignKey(
        "studio.Client", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("client")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    # Copied from the service when booked: editing the service later does not move existing ones.
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    booked_by_kind = models.CharField(max_length=8, choices=BookedBy.choices)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    price_amount = models.BigIntegerField(_("price"), default=0)
    currency = models.CharField(max_length=3)
    payment_kind = models.CharField(
        max_length=16, choices=PaymentKind.choices, default=PaymentKind.COMPLIMENTARY
    )
    payment_ref = models.CharField(max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            )
        ]
        indexes = [
            models.Index(fields=["studio", "calendar", "starts_at"], name="appointment_calendar_start_idx"),
            models.Index(fields=["studio", "client", "starts_at"], name="appointment_client_start_idx"),
            models.Index(fields=["studio", "status", "ends_at"], name="appointment_status_end_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service} · {self.client}"

    @property
    def is_active(self) -> bool:
        return self.status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(zoneinfo.ZoneInfo(self.calendar.location.time_zone))
