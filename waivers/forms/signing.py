"""The signing forms (WAI-3): the name typed, the drawn signature (pad.js writes the PNG data URL
and the stroke count into hidden inputs) and, where a checkbox is allowed, "I have read and
accept" — which is also what the form falls back to without JavaScript."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from studio.inputs import parse_int_param
from waivers.services.signing import (
    MAX_DATA_URL_LENGTH,
    SIGNER_NAME_MAX,
    signature_png_from_data_url,
    signer_name_clean,
)


class SignatureForm(forms.Form):
    """`checkbox_allowed`: the signer may accept by ticking the box instead of drawing (emailed
    link, own account); otherwise a drawing is required (in person). `cleaned_data["drawn"]` says
    which way it was signed, `cleaned_data["png"]` holds the drawing's bytes."""

    signer_name = forms.CharField(
        label=_("Full name of the person signing"),
        max_length=SIGNER_NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    signature = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        max_length=MAX_DATA_URL_LENGTH,
        error_messages={"max_length": _("This signature is too large: clear the box and sign again.")},
    )
    strokes = forms.CharField(required=False, widget=forms.HiddenInput, max_length=6)
    version = forms.CharField(widget=forms.HiddenInput, max_length=9)
    accept = forms.BooleanField(label=_("I have read and accept this waiver."), required=False)

    def __init__(self, *args, checkbox_allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkbox_allowed = checkbox_allowed
        if not checkbox_allowed:
            del self.fields["accept"]

    def clean_signer_name(self) -> str:
        return signer_name_clean(self.cleaned_data["signer_name"])

    def clean_version(self) -> int:
        number = parse_int_param(self.cleaned_data.get("version"))
        if number is None:
            raise forms.ValidationError(_("This form has expired: open it again."), code="version")
        return number

    def clean(self):
        data = super().clean()
        signature = data.get("signature") or ""
        strokes = parse_int_param(data.get("strokes") or "")
        data["png"] = None
        data["drawn"] = False
        if signature or (strokes and not self.checkbox_allowed):
            try:
                data["png"] = signature_png_from_data_url(
                    signature, strokes=strokes if strokes is not None else 0
                )
            except forms.ValidationError as error:
                self.add_error(None, error)
                return data
            data["drawn"] = True
        elif self.checkbox_allowed:
            if not data.get("accept"):
                self.add_error(
                    None,
                    forms.ValidationError(
                        _("Tick “I have read and accept this waiver”, or sign in the box."), code="accept"
                    ),
                )
        else:
            self.add_error(
                None, forms.ValidationError(_("Sign in the box first: it is empty."), code="empty")
            )
        return data


class GuardianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name


class InPersonSignatureForm(SignatureForm):
    """The staff tablet: a drawing is required; for a child waiver, the guardian who signs."""

    guardian = GuardianChoiceField(
        label=_("Guardian signing"), queryset=None, required=False, empty_label=None
    )

    field_order = ["guardian", "signer_name"]

    def __init__(self, *args, guardians=None, **kwargs):
        super().__init__(*args, checkbox_allowed=False, **kwargs)
        if guardians is None:
            del self.fields["guardian"]
        else:
            from studio.models import Client

            self.fields["guardian"].queryset = Client.objects.filter(pk__in=[g.pk for g in guardians])
            self.fields["guardian"].required = True
            self.order_fields(self.field_order)
