"""Forms for pausing, cancelling and changing a client's membership (MEM-4).

Every date is bounded (studio.inputs); the pause's rules are the service's own
(`pause_check_dates`), run here too so the person sees them on the fields before confirming.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from memberships.models import Membership, Proration
from memberships.services.lifecycle import (
    WHEN_NOW,
    WHEN_PERIOD_END,
    change_plan_choices,
    pause_check_dates,
)
from studio.inputs import BoundedDateField, BoundedInputsMixin


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PauseForm(BoundedInputsMixin, forms.Form):
    paused_from = BoundedDateField(label=_("Paused from"), widget=_DateInput())
    paused_until = BoundedDateField(
        label=_("Back on"), widget=_DateInput(), help_text=_("The first day the membership is used again.")
    )

    def __init__(self, *args, membership: Membership, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.today = today
        self.fields["paused_from"].initial = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("paused_from"), cleaned.get("paused_until")
        if start is not None and end is not None:
            try:
                pause_check_dates(
                    membership=self.membership, paused_from=start, paused_until=end, today=self.today
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
        return cleaned


WHEN_CHOICES = [
    (WHEN_PERIOD_END, _("At the end of the current period (no more renewals)")),
    (WHEN_NOW, _("Now (ends today)")),
]


class CancelForm(BoundedInputsMixin, forms.Form):
    when = forms.ChoiceField(label=_("When"), choices=WHEN_CHOICES, widget=forms.RadioSelect)
    proration = forms.ChoiceField(
        label=_("When cancelling now, the unused days"),
        choices=Proration.choices,
        required=False,
        help_text=_("Counted in days of the current period, of what was paid for it."),
    )
    waive_commitment = forms.BooleanField(
        label=_("Waive the minimum commitment"),
        required=False,
        help_text=_("Only when the studio agrees to end the commitment early (a move, an injury…)."),
    )

    def __init__(self, *args, renews: bool, default_proration: str, may_refund: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not renews:
            self.fields["when"].choices = [c for c in WHEN_CHOICES if c[0] == WHEN_NOW]
        self.fields["when"].initial = self.fields["when"].choices[0][0]
        choices = list(Proration.choices)
        if not may_refund:  # money back needs Perm.REFUND; the choice is not offered without it
            choices = [c for c in choices if c[0] == Proration.NONE]
        self.fields["proration"].choices = choices
        self.fields["proration"].initial = default_proration if may_refund else Proration.NONE

    def clean_proration(self):
        return self.cleaned_data.get("proration") or Proration.NONE


class ChangePlanForm(BoundedInputsMixin, forms.Form):
    plan = forms.ModelChoiceField(label=_("New plan, from the next renewal"), queryset=None)

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = change_plan_choices(membership=membership).order_by("name")
