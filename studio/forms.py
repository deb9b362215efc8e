from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from studio.inputs import (
    EMAIL_MAX_LENGTH,
    BoundedDateField,
    BoundedEmailField,
    BoundedInputsMixin,
)
from studio.models import Client, FamilyLink, Location, Role, Room, StaffMember, Studio, User
from studio.models.studios import RESERVED_SLUGS, Currency
from studio.permissions import Perm, RoleKind
from studio.services import STUDIO_SETTINGS_FIELDS
from studio.tenancy import tenant_formfield_callback

TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz]
LANGUAGE_CHOICES = [("fr", _("French")), ("en", _("English"))]
PASSWORD_MAX_LENGTH = 256  # generous for password managers, small enough that hashing stays cheap
BIRTHDAY_MIN = dt.date(1900, 1, 1)


ROOM_MAX_CAPACITY = 1000  # a room holding more is a typo; the scheduling app bounds classes too
LATE_CANCEL_WINDOW_MAX_MINUTES = 7 * 24 * 60  # a week


def _bound_integer(field: forms.IntegerField, maximum: int) -> None:
    """A sane maximum on an integer field the model leaves open, said in the form and the input."""
    from django.core.validators import MaxValueValidator

    field.max_value = maximum
    field.validators.append(MaxValueValidator(maximum))
    field.widget.attrs["max"] = str(maximum)


def country_code(value: str) -> str:
    """An ISO 3166 two-letter country code, upper-cased."""
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValidationError(_("Use the two-letter country code, e.g. CA."))
    return value


# Text-direction overrides and isolates (U+202A-U+202E, U+2066-U+2069) are invisible and turn
# the text after them around: a name "Zoé" + U+202E reads backwards in every message quoting
# it, and can disguise what a staff member sees. No name, label or address needs one.
_DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def refuse_direction_controls(value) -> None:
    """Refuse one-line text carrying an invisible text-direction control character."""
    if isinstance(value, str) and _DIRECTION_CONTROLS.search(value):
        raise ValidationError(
            _("Remove the invisible text-direction character from this text."), code="direction_control"
        )


class SafeTextInputsMixin(BoundedInputsMixin):
    """The product's input bounds, and no direction controls in any one-line text field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if (
                isinstance(field, forms.CharField)
                and not isinstance(field.widget, (forms.Textarea, forms.PasswordInput))
                and refuse_direction_controls not in field.validators
            ):
                field.validators.append(refuse_direction_controls)


class TenantModelForm(SafeTextInputsMixin, forms.ModelForm):
    """ModelForm whose relations to tenant models are filled in by `__init__`, per studio."""

    class Meta:
        formfield_callback = tenant_formfield_callback


class EmailAuthenticationForm(AuthenticationForm):
    # Bounded before authenticate() runs: axes records the username in a 255-character column.
    username = BoundedEmailField(
        label=_("Email"),
        widget=forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "maxlength": EMAIL_MAX_LENGTH}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    # Django's message says both fields are case-sensitive; emails here are not (they are
    # matched case-insensitively), so a person would retype the right email in vain.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "This email and password do not match. Check the password (capitals count), "
            "or reset it with “Forgot your password?”."
        ),
    }


class OwnerSignupForm(SafeTextInputsMixin, forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = BoundedEmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    studio_name = forms.CharField(label=_("Studio name"), max_length=120)
    slug = forms.SlugField(
        label=_("Web address"),
        max_length=50,
        required=False,
        help_text=_("Your public pages will be at /<address>/. Leave empty to derive it."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="CAD")
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="America/Toronto")
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, initial="fr")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email already exists. Log in instead."))
        return email

    def clean(self):
        data = super().clean()
        slug = data.get("slug") or slugify(data.get("studio_name", ""))[:50]
        if not slug:
            self.add_error("slug", _("Choose a web address."))
        elif slug in RESERVED_SLUGS:
            self.add_error("slug", _("This web address is reserved; choose another."))
        elif Studio.objects.filter(slug=slug).exists():
            self.add_error("slug", _("This web address is taken; choose another."))
        data["slug"] = slug
        if data.get("password"):
            try:
                password_validation.validate_password(data["password"], User(email=data.get("email", "")))
            except ValidationError as exc:
                self.add_error("password", exc)
        return data

    def service_kwargs(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in (
                "full_name",
                "email",
                "password",
                "studio_name",
                "slug",
                "currency",
                "time_zone",
                "language",
            )
        }


class StudioSettingsForm(SafeTextInputsMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)

    class Meta:
        model = Studio
        fields = STUDIO_SETTINGS_FIELDS  # what studio_update may change
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bound_integer(self.fields["late_cancel_window_minutes"], LATE_CANCEL_WINDOW_MAX_MINUTES)

    def clean_country(self):
        return country_code(self.cleaned_data["country"])


class BrandingForm(SafeTextInputsMixin, forms.ModelForm):
    class Meta:
        model = Studio
        fields = ["logo", "brand_primary", "brand_accent", "brand_font", "checkout_text"]
        widgets = {
            "brand_primary": forms.TextInput(attrs={"type": "color"}),
            "brand_accent": forms.TextInput(attrs={"type": "color"}),
            "checkout_text": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > settings.LOGO_MAX_BYTES:
            raise ValidationError(_("The logo must be under 2 MB."))
        return logo


class LocationForm(SafeTextInputsMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)

    class Meta:
        model = Location
        fields = [
            "name",
            "address_line",
            "city",
            "region",
            "postal_code",
            "country",
            "time_zone",
            "is_home_location",
        ]

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        if not self.instance.pk:
            self.initial.setdefault("time_zone", studio.time_zone)
            self.initial.setdefault("country", studio.country)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Location.objects.filter(studio=self.studio, name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Another location already has this name."))
        return name

    def clean_country(self):
        return country_code(self.cleaned_data["country"])


class RoomForm(SafeTextInputsMixin, forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "capacity"]

    def __init__(self, *args, location: Location, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = location
        _bound_integer(self.fields["capacity"], ROOM_MAX_CAPACITY)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Room.objects.filter(location=self.location, name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("This location already has a room with this name."))
        return name


class ClientForm(TenantModelForm):
    # A birthday lies before the studio calendar: it keeps its own range (clean_birthday).
    bound_inputs_skip = ("birthday",)

    class Meta(TenantModelForm.Meta):
        model = Client
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "birthday",
            "language",
            "home_location",
            "notes",
        ]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        homes = Location.objects.filter(studio=studio, is_home_location=True, archived_at__isnull=True)
        if self.instance.home_location_id:
            homes = homes | Location.objects.filter(pk=self.instance.home_location_id)
        self.fields["home_location"].queryset = homes.order_by("name")
        self.fields["home_location"].required = studio.require_home_location

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and sum(ch.isdigit() for ch in phone) < 7:
            raise ValidationError(_("Enter a phone number with at least 7 digits."))
        return phone

    def clean_birthday(self):
        from django.utils import timezone

        birthday = self.cleaned_data.get("birthday")
        if birthday and birthday > timezone.localdate():
            raise ValidationError(_("A birthday cannot be in the future."))
        if birthday and birthday < BIRTHDAY_MIN:
            raise ValidationError(_("Enter a birthday after 1900."))
        return birthday


class FamilyLinkForm(SafeTextInputsMixin, forms.Form):
    dependant = forms.ModelChoiceField(label=_("Dependant"), queryset=None)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=FamilyLink.Relationship.choices)

    def __init__(self, *args, studio: Studio, guardian: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dependant"].queryset = (
            Client.objects.filter(studio=studio, archived_at__isnull=True)
            .exclude(pk=guardian.pk)
            .order_by("last_name", "first_name")
        )


class RoleForm(SafeTextInputsMixin, forms.ModelForm):
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"), choices=Perm.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Role
        fields = ["name", "permissions"]

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        if self.instance.pk and self.instance.kind != RoleKind.CUSTOM:
            self.fields["name"].disabled = True

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Role.objects.filter(studio=self.studio, name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(_("Another role already has this name."))
        return name


class InviteStaffForm(SafeTextInputsMixin, forms.Form):
    email = BoundedEmailField(label=_("Email"))
    role = forms.ModelChoiceField(label=_("Role"), queryset=None)

    def __init__(self, *args, studio: Studio, can_grant_owner: bool, **kwargs):
        super().__init__(*args, **kwargs)
        roles = Role.objects.filter(studio=studio).order_by("id")
        if not can_grant_owner:
            roles = roles.exclude(kind=RoleKind.OWNER)
        self.fields["role"].queryset = roles


class StaffEditForm(TenantModelForm):
    class Meta(TenantModelForm.Meta):
        model = StaffMember
        fields = ["display_name", "role", "is_active"]

    def __init__(self, *args, studio: Studio, can_grant_owner: bool, **kwargs):
        super().__init__(*args, **kwargs)
        roles = Role.objects.filter(studio=studio).order_by("id")
        if not can_grant_owner:
            roles = roles.exclude(kind=RoleKind.OWNER)
        self.fields["role"].queryset = roles


class PersonSignupForm(SafeTextInputsMixin, forms.Form):
    """Name + email + password for someone joining (invited staff, or a studio's client)."""

    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    email = BoundedEmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email already exists. Log in instead."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("password"):
            try:
                password_validation.validate_password(data["password"], User(email=data.get("email", "")))
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class ClientSignupForm(PersonSignupForm):
    home_location = forms.ModelChoiceField(
        label=_("Home location"),
        queryset=None,
        required=False,
        help_text=_("The location you mostly attend."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_location"].queryset = Location.objects.filter(
            studio=studio, is_home_location=True, archived_at__isnull=True
        ).order_by("name")
        self.fields["home_location"].required = studio.require_home_location
        # A client reads the empty choice: "---------" says nothing to them.
        self.fields["home_location"].empty_label = (
            _("Choose a location") if studio.require_home_location else _("Not sure yet")
        )
        self.initial.setdefault("language", studio.language)


class AuditFilterForm(SafeTextInputsMixin, forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.ModelChoiceField(label=_("By"), queryset=None, required=False, empty_label=_("Anyone"))
    date_from = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, studio: Studio, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        from studio.registries.audit import action_sentence

        in_words = sorted(((a, action_sentence(a)) for a in actions), key=lambda choice: choice[1])
        self.fields["action"].choices = [("", _("All actions")), *in_words]
        self.fields["actor"].queryset = (
            User.objects.filter(staff_memberships__studio=studio).order_by("full_name").distinct()
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Choose an end date on or after the start date."))
        return cleaned

    def valid_filters(self) -> dict:
        """The filters that passed: one wrong field (said above the table) drops only itself."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return dict(self.cleaned_data)
