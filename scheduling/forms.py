from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from scheduling import selectors
from scheduling.models import (
    AppointmentCalendar,
    AppointmentService,
    Availability,
    AvailabilityException,
    ClassSeries,
    ClassSession,
    ClassTemplate,
)
from scheduling.models.classes import MAX_CAPACITY, MAX_DURATION_MINUTES, WEEKDAYS
from scheduling.timeutils import local_datetime
from studio.formats import date_format  # French: "1er décembre"
from studio.forms import TenantModelForm
from studio.inputs import (
    MAX_DATE,
    MIN_DATE,
    BoundedDateField,
    BoundedEmailField,
    BoundedInputsMixin,
    parse_date_param,
)
from studio.models import Client, Location, Studio
from studio.money import MoneyField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ClassTemplateForm(BoundedInputsMixin, forms.ModelForm):
    # Typed in the reader's language ("12,50" in French), kept in minor units.
    drop_in_price = MoneyField(label=_("Drop-in price"), required=False, allow_zero=True)

    class Meta:
        model = ClassTemplate
        fields = [
            "name",
            "description",
            "default_duration_minutes",
            "capacity",
            "colour",
            "online_allowed",
            "drop_in_price",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "colour": forms.TextInput(attrs={"type": "color"}),
        }

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        state_bounds(self, duration="default_duration_minutes")
        # The studio's currency is known only here: the declared field is remade with it.
        self.fields["drop_in_price"] = MoneyField(
            label=_("Drop-in price"),
            required=False,
            allow_zero=True,
            currency=studio.currency,
            initial=self.initial.get("drop_in_price"),
            help_text=_(
                "In %(currency)s. 0 makes the class free; otherwise a booking is paid with a "
                "membership or class pack that covers it, or a drop-in payment."
            )
            % {"currency": studio.currency},
        )

    def clean_drop_in_price(self):
        # Left empty: free, like 0.
        return self.cleaned_data.get("drop_in_price") or 0

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = ClassTemplate.objects.filter(studio=self.studio, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise ValidationError(_("Another class template already has this name."))
        return name


def state_bounds(form: forms.Form, *, duration: str = "duration_minutes", capacity: str = "capacity") -> None:
    """Give the duration and capacity inputs their limits, and say them in the help text.

    A form field builds its validators from min_value/max_value when it is created: setting the
    attributes afterwards changed nothing but the help text, and a session's duration (a form
    field with no model field behind it) took 1440 minutes. The bounds are enforced here, in
    place of whatever the field was built with.
    """
    bounds = [
        (duration, 5, MAX_DURATION_MINUTES, _("From 5 to %(max)s minutes.")),
        (capacity, 1, MAX_CAPACITY, _("From 1 to %(max)s people.")),
    ]
    for name, low, high, help_text in bounds:
        if name not in form.fields:
            continue
        field = form.fields[name]
        field.min_value, field.max_value = low, high
        field.validators = [
            v for v in field.validators if not isinstance(v, (MinValueValidator, MaxValueValidator))
        ]
        field.validators += [MinValueValidator(low), MaxValueValidator(high)]
        field.widget.attrs.update(min=low, max=high)
        field.help_text = " ".join(filter(None, [str(field.help_text or ""), str(help_text % {"max": high})]))


def confirm_over_room_field() -> forms.BooleanField:
    """Hidden until the capacity is above the room's: then the person ticks it to go ahead."""
    return forms.BooleanField(
        label=_("Yes, take more people than the room holds"), required=False, widget=forms.HiddenInput
    )


def online_url_field() -> forms.URLField:
    return forms.URLField(
        label=_("Online link"),
        required=False,
        assume_scheme="https",
        help_text=_("For a class taught online (no location needed)."),
    )


class PlaceMixin:
    """Teacher, location, room and online link pickers limited to the studio's own, checked together."""

    def _set_place_querysets(self, studio: Studio) -> None:
        self.fields["teacher"].queryset = selectors.teachers(studio=studio)
        self.fields["location"].queryset = selectors.active_locations(studio=studio)
        self.fields["room"].queryset = selectors.active_rooms(studio=studio)
        self.fields["room"].label_from_instance = lambda room: f"{room.location.name} · {room.name}"
        self.fields["location"].required = False
        self.fields["location"].empty_label = _("Online (no location)")

    def _warn_over_room(self, data: dict, capacity: int | None) -> None:
        """A capacity above the room's is a warning the person confirms, not a refusal (a studio
        may know its room better than the number we hold)."""
        room = data.get("room")
        if not (room is not None and room.capacity and capacity and capacity > room.capacity):
            return
        if data.get("confirm_over_room"):
            return
        self.fields["confirm_over_room"].widget = forms.CheckboxInput()
        self.add_error(
            "confirm_over_room",
            _(
                "%(room)s holds %(room_capacity)s people and this class takes %(capacity)s. Tick the box to confirm, "
                "or lower the capacity."
            )
            % {"room": room.name, "room_capacity": room.capacity, "capacity": capacity},
        )

    def _clean_place(self, data: dict, template: ClassTemplate | None) -> None:
        location, room, online = data.get("location"), data.get("room"), data.get("online_url")
        if room is not None and room.location_id != getattr(location, "pk", None):
            self.add_error("room", _("Choose a room of the selected location."))
        if location is None and not online:
            self.add_error("location", _("Choose a location, or give an online link."))
        if online and template is not None and not template.online_allowed:
            self.add_error("online_url", _("This class template is not taught online."))


class ClassSeriesForm(PlaceMixin, TenantModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days of the week"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    online_url = online_url_field()
    starts_on = BoundedDateField(label=_("First date"), widget=DATE)
    ends_on = BoundedDateField(
        label=_("Last date"), widget=DATE, required=False, help_text=_("Leave empty to keep it going.")
    )
    confirm_over_room = confirm_over_room_field()

    class Meta(TenantModelForm.Meta):
        model = ClassSeries
        fields = [
            "template",
            "weekdays",
            "start_time",
            "duration_minutes",
            "teacher",
            "location",
            "room",
            "online_url",
            "capacity",
            "confirm_over_room",
            "starts_on",
            "ends_on",
            "weeks_ahead",
        ]
        widgets = {"start_time": TIME}

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        # The template of an existing series is fixed (SeriesEditForm has no such field).
        if "template" in self.fields:
            self.fields["template"].queryset = selectors.active_templates(studio=studio)
        self._set_place_querysets(studio)
        state_bounds(self)

    def clean(self):
        data = super().clean()
        template = data.get("template") or (self.instance.template if self.instance.pk else None)
        self._clean_place(data, template)
        starts_on = data.get("starts_on", getattr(self.instance, "starts_on", None))
        if starts_on and data.get("ends_on") and data["ends_on"] < starts_on:
            self.add_error(
                "ends_on",
                _("The last date comes after the first (%(date)s).")
                % {"date": date_format(starts_on, "DATE_FORMAT")},
            )
        self._warn_over_room(data, data.get("capacity") or (template.capacity if template else None))
        return data


class SeriesEditForm(ClassSeriesForm):
    """Edit a series from one date on ("this and following")."""

    apply_from = BoundedDateField(
        label=_("Apply to sessions from"),
        widget=DATE,
        help_text=_("Earlier sessions keep their current details."),
    )
    starts_on = None  # the first date of an existing series does not change

    class Meta(ClassSeriesForm.Meta):
        fields = [
            "weekdays",
            "start_time",
            "duration_minutes",
            "teacher",
            "location",
            "room",
            "online_url",
            "capacity",
            "confirm_over_room",
            "ends_on",
            "weeks_ahead",
        ]


class SeriesEndForm(forms.Form):
    last_date = BoundedDateField(label=_("Last class on"), widget=DATE)


class SessionForm(PlaceMixin, TenantModelForm):
    """One session: a single class, or one date of a series changed on its own."""

    date = BoundedDateField(label=_("Date"), widget=DATE)
    start_time = forms.TimeField(label=_("Start time"), widget=TIME)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, help_text=_("Leave empty to use the template's.")
    )
    online_url = online_url_field()
    confirm_over_room = confirm_over_room_field()

    class Meta(TenantModelForm.Meta):
        model = ClassSession
        fields = ["template", "teacher", "location", "room", "online_url", "capacity"]

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["template"].queryset = selectors.active_templates(studio=studio)
        self._set_place_querysets(studio)
        self.fields["capacity"].required = False
        self.fields["capacity"].help_text = _("Leave empty to use the template's.")
        if self.instance.pk:
            del self.fields["template"]
            local = self.instance.local_start
            self.initial.update(
                date=local.date(),
                start_time=local.time().replace(second=0, microsecond=0),
                duration_minutes=self.instance.duration_minutes,
            )
            self.fields["duration_minutes"].required = True
            self.fields["duration_minutes"].help_text = ""
        state_bounds(self)
        # Fields in the order a person fills them.
        order = [
            "template",
            "date",
            "start_time",
            "duration_minutes",
            "teacher",
            "location",
            "room",
            "online_url",
            "capacity",
            "confirm_over_room",
        ]
        self.order_fields([f for f in order if f in self.fields])

    def clean(self):
        data = super().clean()
        template = data.get("template") or (self.instance.template if self.instance.pk else None)
        self._clean_place(data, template)
        if template is not None and not data.get("capacity") and "capacity" not in self.errors:
            data["capacity"] = template.capacity
        if (
            template is not None
            and not data.get("duration_minutes")
            and "duration_minutes" not in self.errors
        ):
            data["duration_minutes"] = template.default_duration_minutes
        self._warn_over_room(data, data.get("capacity"))
        return data

    def save(self, commit: bool = False) -> ClassSession:
        session = super().save(commit=False)
        data = self.cleaned_data
        tz = data["location"].time_zone if data.get("location") else self.studio.time_zone
        session.starts_at = local_datetime(data["date"], data["start_time"], tz)
        session.ends_at = session.starts_at + timedelta(minutes=data["duration_minutes"])
        session.capacity = data["capacity"]
        return session


class SessionCancelForm(forms.Form):
    note = forms.CharField(
        label=_("Message to the booked clients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class StaffBookingForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=None)

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(studio=studio, archived_at__isnull=True)


class FamilyBookingForm(forms.Form):
    """A client books for themselves or one of their dependants."""

    client = forms.ModelChoiceField(
        label=_("Who is coming?"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )

    def __init__(self, *args, family: list[Client], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(pk__in=[c.pk for c in family]).order_by("pk")
        self.fields["client"].label_from_instance = lambda c: c.full_name
        self.initial.setdefault("client", family[0].pk)


# --- appointments ---------------------------------------------------------------------------


class AppointmentServiceForm(BoundedInputsMixin, forms.ModelForm):
    price_amount = MoneyField(label=_("Price"), required=False, allow_zero=True)

    class Meta:
        model = AppointmentService
        fields = [
            "name",
            "description",
            "duration_minutes",
            "price_amount",
            "buffer_before_minutes",
            "buffer_after_minutes",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["price_amount"] = MoneyField(
            label=_("Price"),
            required=False,
            allow_zero=True,
            currency=studio.currency,
            initial=self.initial.get("price_amount"),
        )
        self.fields["price_amount"].help_text = _("In %(currency)s.") % {"currency": studio.currency}
        # The model refuses what is out of these bounds; the form says them before anyone tries.
        for name, low, high in (
            ("duration_minutes", 5, 8 * 60),
            ("buffer_before_minutes", 0, 240),
            ("buffer_after_minutes", 0, 240),
        ):
            field = self.fields[name]
            field.widget.attrs.update(min=low, max=high)
            field.help_text = _("From %(min)s to %(max)s minutes.") % {"min": low, "max": high}

    def clean_price_amount(self):
        return self.cleaned_data.get("price_amount") or 0  # empty means free

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = AppointmentService.objects.filter(studio=self.studio, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise ValidationError(_("Another service already has this name."))
        return name


class AppointmentCalendarForm(TenantModelForm):
    services = forms.ModelMultipleChoiceField(
        label=_("Services offered"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta(TenantModelForm.Meta):
        model = AppointmentCalendar
        fields = ["teacher", "location"]

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        self.fields["teacher"].queryset = selectors.teachers(studio=studio)
        self.fields["location"].queryset = selectors.active_locations(studio=studio)
        self.fields["services"].queryset = selectors.service_list(studio=studio)
        if self.instance.pk:
            self.initial["services"] = list(self.instance.services.values_list("pk", flat=True))

    def clean(self):
        data = super().clean()
        teacher, location = data.get("teacher"), data.get("location")
        if teacher and location:
            clash = AppointmentCalendar.objects.filter(studio=self.studio, teacher=teacher, location=location)
            if clash.exclude(pk=self.instance.pk).exists():
                raise ValidationError(_("This teacher already has a calendar at this location."))
        return data


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = Availability
        fields = ["weekday", "start_time", "end_time"]
        widgets = {"start_time": TIME, "end_time": TIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The calendar page shows these three inputs on one line, without visible labels: each
        # names itself to screen readers (an unnamed select is a critical accessibility fault).
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = str(field.label)

    def clean(self):
        data = super().clean()
        if data.get("start_time") and data.get("end_time") and data["end_time"] <= data["start_time"]:
            self.add_error("end_time", _("The end comes after the start."))
        return data


class AvailabilityExceptionForm(forms.ModelForm):
    class Meta:
        model = AvailabilityException
        fields = ["date", "start_time", "end_time", "is_available", "note"]
        widgets = {"date": DATE, "start_time": TIME, "end_time": TIME}
        field_classes = {"date": BoundedDateField}

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if (start is None) != (end is None):
            self.add_error("end_time", _("Give both times, or neither for the whole day."))
        elif start and end and end <= start:
            self.add_error("end_time", _("The end comes after the start."))
        if data.get("is_available") and start is None:
            self.add_error("start_time", _("Extra hours need a start and an end."))
        return data


class SlotSearchForm(forms.Form):
    """Which service, with whom, on which day: the slots page's filters (GET)."""

    service = forms.ModelChoiceField(label=_("Service"), queryset=None)
    calendar = forms.ModelChoiceField(label=_("With"), queryset=None)
    day = BoundedDateField(label=_("Day"), widget=DATE)

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = selectors.service_list(studio=studio)
        self.fields["calendar"].queryset = selectors.calendar_list(studio=studio)


# --- kiosk ----------------------------------------------------------------------------------


class KioskOpenForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Location of this kiosk"), queryset=None, empty_label=None)

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(studio=studio, archived_at__isnull=True)


class KioskExitForm(forms.Form):
    email = BoundedEmailField(label=_("Staff email"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "off"}))


def parse_day(value: str | None, default: date) -> date:
    """A ?date=YYYY-MM-DD parameter within the studio calendar, or `default` when missing,
    malformed or out of range."""
    return parse_date_param(value, default)


def day_refused_notice(value: str | None) -> str:
    """Why a given ?date= was not shown ("" when none was given or it was shown): a calendar
    that silently showed today for 9999-12-31 left the person guessing. The input itself is not
    repeated (it may be anything)."""
    if not value or parse_date_param(value, None) is not None:
        return ""
    return str(
        _("That date cannot be shown: the calendar runs from %(min)s to %(max)s. Here is today.")
        % {"min": date_format(MIN_DATE, "DATE_FORMAT"), "max": date_format(MAX_DATE, "DATE_FORMAT")}
    )
