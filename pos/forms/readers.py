"""Card reader forms (POS-2): pair a new reader, rename one."""

from __future__ import annotations

import re
import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from pos.device import sellable_locations
from studio.forms import SafeTextInputsMixin
from studio.inputs import SafeCharField
from studio.models import Studio

LABEL_MAX_LENGTH = 60  # CardReader.label
CODE_MAX_LENGTH = 64
# What a reader shows: words of letters and digits joined by hyphens ("apple-grape-orange"), and
# the sandbox's "simulated-wpe". Typed with spaces between the words, they are joined back.
_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def new_request_token() -> str:
    """A one-time token for one rendering of the form: one pairing, however often it is sent."""
    return secrets.token_urlsafe(24)


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class RegistrationCodeField(SafeCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=CODE_MAX_LENGTH, **kwargs)

    def clean(self, value):
        code = super().clean(value)
        # Readers show the code in lower case; people type it as they read it.
        code = re.sub(r"\s*-\s*|\s+", "-", code.strip().lower())
        if not code.isascii() or not _CODE.fullmatch(code):
            raise ValidationError(
                _(
                    "Type the code exactly as the reader shows it: words of letters and digits joined "
                    "by hyphens, e.g. apple-grape-orange."
                ),
                code="registration_code",
            )
        return code


class ReaderLabelField(SafeCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=LABEL_MAX_LENGTH, **kwargs)

    def clean(self, value):
        label = super().clean(value).strip()
        if not label:
            raise ValidationError(_("Give the reader a name."), code="required")
        return label


class ReaderCreateForm(SafeTextInputsMixin, forms.Form):
    location = LocationChoiceField(label=_("Location"), queryset=None, empty_label=None)
    label = ReaderLabelField(
        label=_("Name"), help_text=_("What the front desk will see, e.g. “Front desk” or “Studio A”.")
    )
    registration_code = RegistrationCodeField(label=_("Registration code"))
    request_token = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", _("This form has expired: open it again."))],
    )

    def __init__(self, *args, studio: Studio, sandbox: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = sellable_locations(studio=studio)
        code = self.fields["registration_code"]
        code.widget.attrs.update({"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
        if sandbox:
            code.help_text = _("This is the Stripe sandbox: type simulated-wpe to pair a simulated reader.")
        if not self.is_bound:
            self.initial.setdefault("request_token", new_request_token())


class ReaderRenameForm(SafeTextInputsMixin, forms.Form):
    label = ReaderLabelField(label=_("Name"))
