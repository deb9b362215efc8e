"""Forms of the penalty pages (POL-4) and the late-cancel / no-show report (REP-3)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from memberships.models import PenaltyTrigger
from memberships.selectors.penalties import FEE_STATE_LABELS, FEE_STATES
from memberships.services.penalties import WAIVE_REASON_MAX
from studio.inputs import BoundedDateField, BoundedInputsMixin, SafeCharField

# The report reads at most this span at once (a year and a bit): a bounded query, a readable page.
REPORT_MAX_DAYS = 400
REPORT_DEFAULT_DAYS = 30


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PenaltyWaiveForm(BoundedInputsMixin, forms.Form):
    reason = SafeCharField(
        label=_("Why is the fee waived?"),
        max_length=WAIVE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": WAIVE_REASON_MAX}),
        help_text=_("Kept in the audit log with your name."),
    )

    def clean_reason(self):
        reason = (self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise ValidationError(_("Say why the fee is waived."), code="required")
        return reason


class PenaltyReportForm(BoundedInputsMixin, forms.Form):
    date_from = BoundedDateField(label=_("From"), required=False, widget=_DateInput())
    date_to = BoundedDateField(label=_("To"), required=False, widget=_DateInput())
    trigger = forms.ChoiceField(label=_("Event"), required=False)
    status = forms.ChoiceField(label=_("Fee"), required=False)
    q = SafeCharField(label=_("Client"), required=False, max_length=100)

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["trigger"].choices = [("", _("Late cancels and no-shows")), *PenaltyTrigger.choices]
        self.fields["status"].choices = [("", _("Every fee state"))] + [
            (state, FEE_STATE_LABELS[state]) for state in FEE_STATES
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            raise ValidationError(_("The start date is after the end date."), code="range")
        if since and until and (until - since).days > REPORT_MAX_DAYS:
            raise ValidationError(
                _("Choose at most %(days)s days at once.") % {"days": REPORT_MAX_DAYS}, code="range"
            )
        return data

    def values(self) -> dict:
        """The filters to apply: the last 30 days by default, and on an invalid form."""
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("date_to") or self.today
        since = data.get("date_from") or (until - dt.timedelta(days=REPORT_DEFAULT_DAYS - 1))
        if since > until or (until - since).days > REPORT_MAX_DAYS:
            until, since = self.today, self.today - dt.timedelta(days=REPORT_DEFAULT_DAYS - 1)
        return {
            "since": since,
            "until": until,
            "trigger": data.get("trigger") or None,
            "status": data.get("status") or None,
            "search": (data.get("q") or "").strip(),
        }
