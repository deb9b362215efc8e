"""The POS settings form (POS-3): tips on the reader, and the three percentages it offers."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pos.models import PosSettings
from pos.services.settings import TIP_MAX, TIP_MIN, tip_percentages_validate
from studio.forms import SafeTextInputsMixin
from studio.money import PercentField


class WholePercentField(PercentField):
    """A percentage typed in the active language ("15", "15 %", "15,0"), cleaned to an int."""

    def __init__(self, **kwargs):
        super().__init__(min_value=TIP_MIN, max_value=TIP_MAX, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "maxlength": "6", "size": "4"})

    def to_python(self, value):
        number = super().to_python(value)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise ValidationError(_("Enter a whole percentage, without decimals."), code="whole_percent")
        return number

    def clean(self, value):
        number = super().clean(value)
        return int(number) if isinstance(number, Decimal) else number


class PosSettingsForm(SafeTextInputsMixin, forms.Form):
    tips_enabled = forms.BooleanField(label=_("Ask for a tip on the card reader"), required=False)
    tip_1 = WholePercentField(label=_("First tip choice (%)"))
    tip_2 = WholePercentField(label=_("Second tip choice (%)"))
    tip_3 = WholePercentField(label=_("Third tip choice (%)"))

    def __init__(self, *args, settings: PosSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("tips_enabled", settings.tips_enabled)
        for i, percent in enumerate(list(settings.tip_percentages)[:3], start=1):
            self.initial.setdefault(f"tip_{i}", percent)
        self.fields["tip_3"].help_text = _(
            "Three different whole percentages between 1 and 100. The client also sees “Custom” and “No tip”."
        )

    def clean(self):
        data = super().clean()
        typed = [data.get(f"tip_{i}") for i in (1, 2, 3)]
        if all(isinstance(p, int) for p in typed):
            try:
                data["tip_percentages"] = tip_percentages_validate(typed)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data

    def service_kwargs(self) -> dict:
        return {
            "tips_enabled": bool(self.cleaned_data["tips_enabled"]),
            "tip_percentages": self.cleaned_data["tip_percentages"],
        }
