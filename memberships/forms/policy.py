"""Forms of the cancellation policy page and of a penalty rule (POL-1 … POL-3)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from memberships.models import (
    CreditReturn,
    PenaltyFrequency,
    PenaltyRule,
    PenaltyTrigger,
    PenaltyWindow,
    Plan,
    PolicySettings,
    RulesMatch,
)
from memberships.policy_engine import RuleTerms
from memberships.policy_wording import OPTION_HELP
from memberships.services.policy import (
    COUNT_MAX,
    CUTOFF_HOURS_MAX,
    FEE_MAX,
    GRACE_HOURS_MAX,
    LATE_CANCEL_WINDOW_MAX_MINUTES,
    WINDOW_LENGTH_MAX,
)
from studio.forms import SafeTextInputsMixin
from studio.inputs import WholeNumberField
from studio.models import Studio
from studio.money import MoneyField


def _hours(label, maximum: int, help_text=""):
    return WholeNumberField(label=label, min_value=0, max_value=maximum, help_text=help_text)


class PolicySettingsForm(SafeTextInputsMixin, forms.Form):
    class_credit_return = forms.ChoiceField(
        label=_("When a client cancels a class"), choices=CreditReturn.choices, widget=forms.RadioSelect
    )
    class_cutoff_hours = _hours(
        _("Cancellation credit cut-off for classes (hours)"),
        CUTOFF_HOURS_MAX,
        _(
            "Cancelling at least this long before the class gives back what the policy says: the "
            "pack or membership credit, or studio credit in money for a class paid by card."
        ),
    )
    appointment_credit_return = forms.ChoiceField(
        label=_("When a client cancels an appointment"),
        choices=CreditReturn.choices,
        widget=forms.RadioSelect,
    )
    appointment_cutoff_hours = _hours(
        _("Cancellation credit cut-off for appointments (hours)"), CUTOFF_HOURS_MAX
    )
    late_cancel_window_minutes = WholeNumberField(
        label=_("Late-cancel window (minutes)"),
        min_value=0,
        max_value=LATE_CANCEL_WINDOW_MAX_MINUTES,
        help_text=_(
            "A cancel this close to the start is a late cancel: reports show it and rules may charge it."
        ),
    )
    grace_hours = _hours(
        _("Grace delay before a fee is charged (hours)"),
        GRACE_HOURS_MAX,
        _("Counted from the end of the class: staff may waive the fee meanwhile."),
    )
    rules_match = forms.ChoiceField(
        label=_("When several rules match"), choices=RulesMatch.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, policy: PolicySettings, studio: Studio, **kwargs):
        initial = {name: getattr(policy, name) for name in self.base_fields if hasattr(policy, name)}
        initial["late_cancel_window_minutes"] = studio.late_cancel_window_minutes
        super().__init__(*args, initial=initial, **kwargs)


WHO_ALL, WHO_PLANS = "all", "plans"
# The words of seed 001's form (« Chaque », « Minimum », « Exactement »; « Absence »), in their
# own context: the models' labels are shared with other pages ("Every" is also « Tous les »).
TRIGGER_CHOICES = [
    (PenaltyTrigger.LATE_CANCEL, pgettext_lazy("penalty trigger", "Late cancel")),
    (PenaltyTrigger.NO_SHOW, pgettext_lazy("penalty trigger", "No-show")),
]
FREQUENCY_CHOICES = [
    (PenaltyFrequency.EVERY, pgettext_lazy("penalty frequency", "Every")),
    (PenaltyFrequency.AT_LEAST, pgettext_lazy("penalty frequency", "At least")),
    (PenaltyFrequency.EXACTLY, pgettext_lazy("penalty frequency", "Exactly")),
]


class PenaltyRuleForm(SafeTextInputsMixin, forms.Form):
    trigger = forms.ChoiceField(
        label=_("The fee is for"),
        choices=TRIGGER_CHOICES,
        widget=forms.RadioSelect,
        help_text=OPTION_HELP["trigger"],
    )
    who = forms.ChoiceField(
        label=_("Applies to"),
        choices=[(WHO_ALL, _("Everyone")), (WHO_PLANS, _("Members of these plans"))],
        widget=forms.RadioSelect,
        help_text=OPTION_HELP["plans"],
    )
    plans = forms.ModelMultipleChoiceField(
        label=_("Plans"), queryset=Plan.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    frequency = forms.ChoiceField(
        label=pgettext_lazy("penalty rule", "When"), choices=FREQUENCY_CHOICES, widget=forms.RadioSelect
    )
    count = WholeNumberField(
        label=_("Number of times"), min_value=1, max_value=COUNT_MAX, help_text=OPTION_HELP["count"]
    )
    window_unit = forms.ChoiceField(
        label=_("Counted over"),
        choices=[
            (PenaltyWindow.DAYS, _("the last days")),
            (PenaltyWindow.WEEKS, _("the last weeks")),
            (PenaltyWindow.MONTHS, _("the last months")),
            (PenaltyWindow.RENEWAL_PERIOD, _("the current renewal period")),
        ],
        help_text=OPTION_HELP["window"],
    )
    window_length = WholeNumberField(
        label=_("How many days, weeks or months"), min_value=1, max_value=WINDOW_LENGTH_MAX, required=False
    )
    fee_amount = MoneyField(label=_("Fee"), max_amount=FEE_MAX, help_text=OPTION_HELP["fee"])

    def __init__(self, *args, studio: Studio, rule: PenaltyRule | None = None, **kwargs):
        initial = {
            "trigger": PenaltyTrigger.NO_SHOW,
            "who": WHO_ALL,
            "frequency": PenaltyFrequency.EVERY,
            "count": 1,
            "window_unit": PenaltyWindow.MONTHS,
            "window_length": 1,
        }
        if rule is not None and rule.pk:
            initial.update(
                trigger=rule.trigger,
                who=WHO_ALL if rule.all_plans else WHO_PLANS,
                plans=list(getattr(rule, "plan_ids", [])),
                frequency=rule.frequency,
                count=rule.count,
                window_unit=rule.window_unit,
                window_length=rule.window_length,
                fee_amount=rule.fee_amount,
            )
        super().__init__(*args, initial=initial, **kwargs)
        self.studio = studio
        # Plans on sale, and those the rule already names (archived since).
        kept = list(getattr(rule, "plan_ids", []) or [])
        self.fields["plans"].queryset = (
            Plan.objects.filter(studio=studio)
            .filter(Q(archived_at__isnull=True) | Q(pk__in=kept))
            .order_by("name")
        )
        self.fields["fee_amount"] = MoneyField(
            currency=studio.currency, label=_("Fee"), max_amount=FEE_MAX, help_text=OPTION_HELP["fee"]
        )
        self.frequency_help = {key: OPTION_HELP[key] for key in ("every", "at_least", "exactly")}
        self.renewal_help = OPTION_HELP["renewal_period"]

    def clean(self):
        data = super().clean()
        if data.get("who") == WHO_PLANS and not data.get("plans") and "plans" not in self.errors:
            self.add_error("plans", _("Choose at least one plan, or everyone."))
        if data.get("window_unit") == PenaltyWindow.RENEWAL_PERIOD:
            data["window_length"] = 1
        elif data.get("window_length") is None and "window_length" not in self.errors:
            self.add_error("window_length", _("How many days, weeks or months back?"))
        return data

    def rule(self, rule: PenaltyRule | None = None) -> PenaltyRule:
        """The rule the valid form describes, on `rule` (edited) or a new one (unsaved)."""
        data = self.cleaned_data
        rule = rule or PenaltyRule(studio=self.studio)
        rule.trigger = data["trigger"]
        rule.all_plans = data["who"] == WHO_ALL
        rule.frequency = data["frequency"]
        rule.count = data["count"]
        rule.window_unit = data["window_unit"]
        rule.window_length = data["window_length"]
        rule.fee_amount = data["fee_amount"]
        rule.currency = self.studio.currency
        return rule

    def plan_ids(self) -> list[int]:
        if self.cleaned_data.get("who") != WHO_PLANS:
            return []
        return [plan.pk for plan in self.cleaned_data.get("plans") or []]

    def terms(self) -> RuleTerms | None:
        """The terms as typed so far, for the live sentence and the preview; None while a field
        the sentence needs is invalid."""
        if not self.is_valid():
            return None
        return RuleTerms.of(self.rule(), self.plan_ids())
