"""Forms of the waiver pages (WAI-1, WAI-2): create, edit the text, publish, settings.

The bodies are rich text from the Trix editor (or plain textareas without it); they are bounded
here and sanitised by the services, which every other caller goes through too.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from studio.forms import SafeTextInputsMixin
from studio.inputs import SafeCharField, WholeNumberField
from waivers.models import WaiverKind
from waivers.services.templates import (
    BODY_MAX_LENGTH,
    LINK_VALID_DAYS_MAX,
    LINK_VALID_DAYS_MIN,
    NAME_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)

# What each kind is for, beside its choice.
KIND_HELP = {
    WaiverKind.MEMBERSHIP: _("Shown when a client buys a membership."),
    WaiverKind.CLIENT: _("Shown when a client books a class."),
    WaiverKind.CHILD: _("Shown to a parent or guardian booking for their child."),
    WaiverKind.CUSTOM: _("Signed from the client's profile, in person or by an emailed link."),
}


class WaiverCreateForm(SafeTextInputsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=WaiverKind.choices,
        widget=forms.RadioSelect,
        initial=WaiverKind.CLIENT,
    )
    name = SafeCharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("For your staff; signers see the waiver's title."),
    )


class BodyField(SafeCharField):
    """A rich-text body: a textarea the page upgrades to the Trix editor when it is loaded."""

    def __init__(self, *, language: str, **kwargs):
        widget = forms.Textarea(
            attrs={"rows": 18, "class": "waiver-body", "data-editor": "trix", "lang": language}
        )
        super().__init__(max_length=BODY_MAX_LENGTH, required=False, widget=widget, **kwargs)


class WaiverEditForm(SafeTextInputsMixin, forms.Form):
    name = SafeCharField(
        label=_("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=_("For your staff; signers see the title."),
    )
    title_fr = SafeCharField(label=_("Title in French"), max_length=TITLE_MAX_LENGTH, required=False)
    body_fr = BodyField(label=_("Text in French"), language="fr")
    title_en = SafeCharField(label=_("Title in English"), max_length=TITLE_MAX_LENGTH, required=False)
    body_en = BodyField(label=_("Text in English"), language="en")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title_fr"].widget.attrs["lang"] = "fr"
        self.fields["title_en"].widget.attrs["lang"] = "en"

    def clean(self):
        cleaned = super().clean()
        empty = not (cleaned.get("body_fr") or "").strip() and not (cleaned.get("body_en") or "").strip()
        if empty and "body_fr" not in self.errors and "body_en" not in self.errors:
            self.add_error(
                "body_fr", _("Write the waiver's text in French, in English, or in both languages.")
            )
        return cleaned


class WaiverPublishForm(forms.Form):
    resign_required = forms.BooleanField(
        label=_("Ask everyone who signed an earlier version to sign again?"),
        required=False,
        initial=False,
        help_text=_(
            "Tick this when the change matters to what clients agree to (a new risk, a new rule): "
            "everyone who signed an earlier version is asked to sign this one at their next booking "
            "or purchase. Leave it unticked for a correction (a typo, a clearer sentence): their "
            "signatures still count."
        ),
    )


_ASCII_DAYS = re.compile(r"[0-9]{1,3}")


class DaysField(WholeNumberField):
    """A number of days: one to three ASCII digits, with a message that says so."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
            if value and not _ASCII_DAYS.fullmatch(value):
                raise ValidationError(_("Enter a whole number of days, e.g. 7."), code="invalid")
        return super().to_python(value)


class WaiverSettingsForm(forms.Form):
    link_valid_days = DaysField(
        label=_("Signing links expire after (days)"),
        min_value=LINK_VALID_DAYS_MIN,
        max_value=LINK_VALID_DAYS_MAX,
        help_text=_(
            "How long a link emailed to sign a waiver stays valid: between 1 and 90 days. Links "
            "already sent keep their expiry."
        ),
    )
