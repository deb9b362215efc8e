"""Classes: templates, the recurring series built from them, and the sessions clients book.

A template holds what a class *is* (name, description, colour, default capacity and length).
A series is a rule — weekdays, a local start time, a teacher and a place — over a date range;
it materialises one ClassSession per matching date, a few weeks ahead. Sessions carry their own
copy of the values that can differ per date (time, teacher, room, capacity), so that past
sessions keep what really happened and one session can be changed on its own.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from scheduling.timeutils import weekday_label
from studio.models.studios import hex_colour
from studio.tenancy import TenantModel

# Upper bounds a person would expect, stated by the forms: no room holds more, no class lasts longer.
MAX_CAPACITY = 500
MAX_DURATION_MINUTES = 12 * 60
# Check-in (roster and kiosk) opens this long before a class starts; "absent" at the start.
CHECK_IN_OPENS_BEFORE = timedelta(minutes=60)

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class ClassTemplate(TenantModel):
    """What a class is; every series and session made from it shows its name and colour."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    default_duration_minutes = models.PositiveSmallIntegerField(
        _("default duration (minutes)"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(MAX_DURATION_MINUTES)],
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), default=20, validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    colour = models.CharField(_("colour"), max_length=7, default="#1f6f5c", validators=[hex_colour])
    online_allowed = models.BooleanField(
        _("can be taught online"),
        default=False,
        help_text=_("Sessions may have an online link instead of a room."),
    )
    # Integer minor units in the studio's currency. 0: the class is free (booked as
    # complimentary, no credit used); above 0 a booking needs a membership or pack that covers
    # it (SCH-4), or a drop-in payment at the front desk.
    drop_in_price = models.BigIntegerField(_("drop-in price"), default=0, validators=[MinValueValidator(0)])
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("class template")
        verbose_name_plural = _("class templates")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["studio", "name"], name="class_template_name_unique")]

    def __str__(self) -> str:
        return self.name


class ClassSeries(TenantModel):
    """A recurring class: the rule that generates sessions.

    `duration_minutes` and `capacity` left empty follow the template, so that editing the
    template reaches every future session of the series.
    """

    template = models.ForeignKey(
        ClassTemplate, on_delete=models.PROTECT, related_name="series", verbose_name=_("class template")
    )
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=WEEKDAYS), verbose_name=_("days of the week")
    )
    start_time = models.TimeField(_("start time"), help_text=_("Local time at the location."))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(MAX_DURATION_MINUTES)],
        help_text=_("Leave empty to use the template's."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)],
        help_text=_("Leave empty to use the template's."),
    )
    teacher = models.ForeignKey(
        "studio.StaffMember", on_delete=models.PROTECT, related_name="+", verbose_name=_("teacher")
    )
    location = models.ForeignKey(
        "studio.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    room = models.ForeignKey(
        "studio.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    online_url = models.URLField(_("online link"), blank=True)
    starts_on = models.DateField(_("first date"))
    ends_on = models.DateField(
        _("last date"), null=True, blank=True, help_text=_("Leave empty to keep it going.")
    )
    weeks_ahead = models.PositiveSmallIntegerField(
        _("weeks to schedule ahead"), default=8, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("class series")
        verbose_name_plural = _("class series")
        ordering = ["template__name", "start_time", "id"]
        indexes = [models.Index(fields=["studio", "template"], name="class_series_template_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="class_series_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} · {self.weekday_labels} {self.start_time:%H:%M}"

    @property
    def weekday_labels(self) -> str:
        """The days as the date filter abbreviates them ("Mon", "lun."): cutting the full names to
        three letters gave "Lun" in French, capitalised and without its period."""
        return ", ".join(weekday_label(d, short=True) for d in sorted(self.weekdays))

    @property
    def time_zone(self) -> str:
        """Sessions are generated in the location's zone; an online class uses the studio's."""
        return self.location.time_zone if self.location_id else self.studio.time_zone

    @property
    def effective_duration(self) -> int:
        return self.duration_minutes or self.template.default_duration_minutes

    @property
    def effective_capacity(self) -> int:
        return self.capacity or self.template.capacity

    def occurrence_dates(self, first: date, last: date) -> list[date]:
        """The dates in [first, last] on which this series has a session."""
        first = max(first, self.starts_on)
        if self.ends_on is not None:
            last = min(last, self.ends_on)
        days = set(self.weekdays)
        out, day = [], first
        while day <= last:
            if day.weekday() in days:
                out.append(day)
            day += timedelta(days=1)
        return out


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class ClassSession(TenantModel):
    """One class on one date: what clients book and staff take attendance for."""

    template = models.ForeignKey(
        ClassTemplate, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("class")
    )
    series = models.ForeignKey(
        ClassSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("series"),
    )
    # The series date this session stands for, in the series' local time; it identifies the
    # occurrence even when the session is moved, so regeneration never duplicates it.
    occurrence_date = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    teacher = models.ForeignKey(
        "studio.StaffMember", on_delete=models.PROTECT, related_name="+", verbose_name=_("teacher")
    )
    location = models.ForeignKey(
        "studio.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    room = models.ForeignKey(
        "studio.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_note = models.TextField(_("message to clients"), blank=True)
    # What staff changed on this session alone ("time", "teacher", "place", "capacity"): series
    # and template edits leave those fields be.
    overrides = ArrayField(models.CharField(max_length=12), default=list, blank=True)
    # When the no-show sweep reported this ended class as taught (`session_taught`): once only.
    taught_reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("class session")
        verbose_name_plural = _("class sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["studio", "series", "occurrence_date"],
                condition=models.Q(series__isnull=False),
                name="one_session_per_series_date",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["studio", "starts_at"], name="session_studio_start_idx"),
            models.Index(fields=["studio", "location", "starts_at"], name="session_location_start_idx"),
            models.Index(fields=["studio", "teacher", "starts_at"], name="session_teacher_start_idx"),
            models.Index(fields=["studio", "series", "occurrence_date"], name="session_series_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} · {self.local_start:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def time_zone(self) -> str:
        return self.location.time_zone if self.location_id else self.studio.time_zone

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(zoneinfo.ZoneInfo(self.time_zone))

    @property
    def check_in_opens_at(self) -> datetime:
        return self.starts_at - CHECK_IN_OPENS_BEFORE

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def place(self) -> str:
        return place_label(
            self.location.name if self.location_id else "",
            self.room.name if self.room_id else "",
            self.online_url,
        )


def place_label(location: str, room: str, online_url: str) -> str:
    """Where a class happens, as people say it: "Plateau · Grande salle", or "Online"."""
    if location and room:
        return f"{location} · {room}"
    if location or room:
        return location or room
    return str(_("Online")) if online_url else ""
