"""The membership settings form: the retry schedule typed as a list of days, and the studio's choices."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from memberships.models import AfterLastRetry, MembershipSettings, PastDueBookings, Proration
from memberships.services.settings import retry_days_validate
from studio.forms import SafeTextInputsMixin
from studio.inputs import SafeCharField

# Separators people type between the days, in either language: "1, 3, 5", "1; 3; 5", "1 3 5",
# "1, 3 et 5", "1, 3 and 5". French writes "1 ; 3" with a (non-breaking) space before the semicolon.
_SEPARATORS = re.compile(r"(?:\s*[,;]\s*|\s+(?:et|and)\s+|\s+)", re.IGNORECASE)
_ASCII_DAY = re.compile(r"[0-9]{1,3}")
RETRY_TEXT_MAX_LENGTH = 100


def parse_retry_days(text: str) -> list[int]:
    """ "1, 3, 5" → [1, 3, 5]. ASCII digits only ("²" and "٣" are refused, not read as numbers);
    the bounds and the order are the service's to check (`retry_days_validate`)."""
    text = (text or "").replace("\u00a0", " ").replace("\u202f", " ").strip()
    if not text:
        return []
    days = []
    for token in _SEPARATORS.split(text):
        if not token:
            continue
        if not _ASCII_DAY.fullmatch(token):
            raise ValidationError(
                _("“%(token)s” is not a number of days. Type the days separated by commas, e.g. 1, 3, 5."),
                params={"token": token[:20]},
                code="retry_days_token",
            )
        days.append(int(token))
    return days


class RetryDaysField(SafeCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=RETRY_TEXT_MAX_LENGTH, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(str(day) for day in value)
        return value

    def clean(self, value):
        text = super().clean(value)
        return retry_days_validate(parse_retry_days(text))


class MembershipSettingsForm(SafeTextInputsMixin, forms.Form):
    retry_days = RetryDaysField(
        label=_("Retry a failed renewal after (days)"),
        required=False,
        help_text=_(
            "Days after the first failure, in order, separated by commas (e.g. 1, 3, 5): between 1 and "
            "60, at most 10. Leave empty for no retry."
        ),
    )
    after_last_retry = forms.ChoiceField(
        label=_("After the last retry"), choices=AfterLastRetry.choices, widget=forms.RadioSelect
    )
    past_due_bookings = forms.ChoiceField(
        label=_("Bookings while past due"), choices=PastDueBookings.choices, widget=forms.RadioSelect
    )
    cancel_proration = forms.ChoiceField(
        label=_("When a membership is cancelled now"), choices=Proration.choices, widget=forms.RadioSelect
    )
    renewal_hour = forms.TypedChoiceField(
        label=_("Renewals run at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        help_text=_("The studio's local time, each night."),
    )

    def __init__(self, *args, settings: MembershipSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["retry_days"].widget.attrs["autocomplete"] = "off"
        for name in (
            "retry_days",
            "after_last_retry",
            "past_due_bookings",
            "cancel_proration",
            "renewal_hour",
        ):
            self.initial.setdefault(name, getattr(settings, name))
