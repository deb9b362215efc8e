"""The plan form (MEM-1): one form for the four kinds; each kind's fields live in their own
fieldset, which the page's CSS hides for the other kinds (every fieldset shows without it).

Fields a kind does not use are ignored, errors included, and reset by `plan_save`.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from memberships.models import IntervalUnit, PassStart, Plan, PlanKind
from memberships.selectors.plans import plan_has_members, plan_links
from memberships.services.plans import PLAN_TAX_KINDS
from payments.models import Payment
from scheduling.models import AppointmentService, ClassTemplate
from studio.forms import TenantModelForm
from studio.inputs import BoundedDateField, SafeCharField
from studio.models import Location, Studio
from studio.money import MoneyField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PACK_EXPIRY_MAX_DAYS = 3650  # ten years: anything longer is a typo for "never"
COMMITMENT_MAX_PERIODS = 120
MAX_CREDITS = 1000


class PassMode:
    DATES = "dates"
    DURATION = "duration"
    CHOICES = [(DATES, _("Fixed dates (e.g. 1 January – 31 March)")), (DURATION, _("A duration"))]


# Which fields each kind uses (the others' values and errors are ignored).
KIND_FIELDS = {
    PlanKind.SUBSCRIPTION: {
        "interval_count",
        "interval_unit",
        "commitment_periods",
        "signup_fee_amount",
        "period_limit",
    },
    PlanKind.PASS: {
        "pass_mode",
        "pass_starts_on",
        "pass_ends_on",
        "interval_count",
        "interval_unit",
        "pass_start",
        "period_limit",
    },
    PlanKind.PACK: {"pack_size", "pack_expires_after_days"},
    PlanKind.PAYMENT_PLAN: {
        "interval_count",
        "interval_unit",
        "instalment_count",
        "location",
        "period_limit",
    },
}
PASS_DATE_FIELDS = {"pass_starts_on", "pass_ends_on"}
PASS_DURATION_FIELDS = {"interval_count", "interval_unit", "pass_start"}
KIND_SPECIFIC = set().union(*KIND_FIELDS.values())
# The model's names of the form fields named apart.
FORM_NAMES = {"pack_credits": "pack_size", "credits_per_period": "period_limit"}
# What a field the chosen kind does not use is saved as (the model's defaults).
UNUSED_VALUES = {
    "interval_count": 1,
    "interval_unit": IntervalUnit.MONTH,
    "commitment_periods": 0,
    "signup_fee_amount": 0,
    "pass_starts_on": None,
    "pass_ends_on": None,
    "pass_start": PassStart.PURCHASE,
    "pack_size": None,
    "pack_expires_after_days": None,
    "period_limit": None,
    "instalment_count": None,
    "location": None,
}


def tax_kind_choices() -> list[tuple[str, str]]:
    """The payment purposes a plan may be taxed as, with the ledger's own labels."""
    labels = dict(Payment._meta.get_field("item_kind").choices)
    return [(code, labels.get(code, code)) for code in PLAN_TAX_KINDS]


class PlanForm(TenantModelForm):
    name = SafeCharField(label=_("Name"), max_length=120)
    pass_mode = forms.ChoiceField(
        label=_("The pass is valid"),
        choices=PassMode.CHOICES,
        widget=forms.RadioSelect,
        initial=PassMode.DURATION,
        required=False,
    )
    # Counts of classes, not money: named apart from the model's `*_credits*` fields, which the
    # project's money-input convention (tests/test_decimals.py) reads as amounts.
    pack_size = forms.IntegerField(
        label=_("Credits in the pack"), required=False, min_value=1, max_value=MAX_CREDITS
    )
    period_limit = forms.IntegerField(
        label=_("Credits per period"),
        required=False,
        min_value=1,
        max_value=MAX_CREDITS,
        help_text=_(
            "Classes or appointments each period pays for, reset at each renewal. Leave empty for unlimited."
        ),
    )
    # Replaced in __init__ by the same fields in the studio's currency.
    price_amount = MoneyField(allow_zero=True, label=_("Price"))
    signup_fee_amount = MoneyField(allow_zero=True, required=False, label=_("Sign-up fee"))
    pass_starts_on = BoundedDateField(label=_("First day"), widget=DATE, required=False)
    pass_ends_on = BoundedDateField(label=_("Last day"), widget=DATE, required=False)
    class_templates = forms.ModelMultipleChoiceField(
        label=_("Classes it pays for"),
        queryset=ClassTemplate.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Appointment types it pays for"),
        queryset=AppointmentService.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    locations = forms.ModelMultipleChoiceField(
        label=_("Locations that sell it"),
        queryset=Location.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta(TenantModelForm.Meta):
        model = Plan
        fields = [
            "name",
            "kind",
            "description",
            "price_amount",
            "tax_kind",
            "featured",
            "interval_count",
            "interval_unit",
            "commitment_periods",
            "signup_fee_amount",
            "pass_starts_on",
            "pass_ends_on",
            "pass_start",
            "pack_expires_after_days",
            "instalment_count",
            "location",
            "all_classes",
            "all_services",
            "sold_everywhere",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 3}),
            "pass_start": forms.RadioSelect,
        }
        labels = {"kind": _("Kind of plan"), "interval_count": _("Every"), "interval_unit": _("Unit")}

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.studio = studio
        plan = self.instance
        self.has_members = plan_has_members(plan=plan)
        links = plan_links(plan=plan)
        currency = studio.currency
        fields = self.fields
        fields["kind"].choices = PlanKind.choices
        if self.has_members:
            fields["kind"].help_text = _(
                "Clients hold this plan: its kind cannot change. Archive it and create a new plan instead."
            )
        fields["price_amount"] = MoneyField(
            currency=currency,
            allow_zero=True,
            label=_("Price"),
            help_text=_(
                "Charged each period for a subscription, at each instalment for a payment plan, once "
                "otherwise. A new price applies to new sales only: current members keep the price they "
                "bought at."
            ),
        )
        fields["signup_fee_amount"] = MoneyField(
            currency=currency,
            allow_zero=True,
            required=False,
            label=_("Sign-up fee"),
            help_text=_("Charged once, with the first period. Leave empty for none."),
        )
        fields["tax_kind"] = forms.ChoiceField(
            label=_("Tax kind"),
            choices=tax_kind_choices(),
            help_text=_("Decides the taxes charged and which payment account receives the money."),
        )
        # Required only by the kinds that use it (checked in `clean`, with its own message).
        fields["interval_count"].required = False
        _bound(fields["interval_count"], 1, 366)
        fields["interval_unit"].choices = IntervalUnit.choices
        fields["interval_count"].help_text = _(
            "A subscription renews, and a payment plan charges, once per interval; a pass of a "
            "duration lasts one interval."
        )
        _bound(fields["commitment_periods"], 0, COMMITMENT_MAX_PERIODS)
        fields["commitment_periods"].required = False
        fields["commitment_periods"].label = _("Minimum commitment (periods)")
        fields["commitment_periods"].help_text = _("The client cannot cancel before. Leave empty for none.")
        _bound(fields["pack_expires_after_days"], 1, PACK_EXPIRY_MAX_DAYS)
        fields["pack_expires_after_days"].help_text = _(
            "Counted from the purchase. Leave empty: the credits never expire."
        )
        fields["instalment_count"].label = _("Number of instalments")
        _bound(fields["instalment_count"], 2, 60)
        fields["location"].label = _("Home location where the course is held")
        fields["location"].queryset = Location.objects.filter(
            Q(is_home_location=True, archived_at__isnull=True) | Q(pk=plan.location_id or 0), studio=studio
        ).order_by("name")
        fields["location"].help_text = _("Its instalments are paid to this location's account.")
        fields["location"].empty_label = _("Choose a location")
        fields["pass_start"].label = _("The duration counts")
        fields["all_classes"].label = _("All classes")
        fields["all_services"].label = _("All appointment types")
        fields["sold_everywhere"].label = _("Sold at every location")
        fields["featured"].help_text = _("Offered first at checkout and at the point of sale.")
        fields["class_templates"].queryset = ClassTemplate.objects.filter(
            Q(archived_at__isnull=True) | Q(pk__in=links["class_templates"]), studio=studio
        ).order_by("name")
        fields["class_templates"].help_text = _("Used when “All classes” is off.")
        fields["services"].queryset = AppointmentService.objects.filter(
            Q(archived_at__isnull=True) | Q(pk__in=links["services"]), studio=studio
        ).order_by("name")
        fields["services"].help_text = _("Used when “All appointment types” is off.")
        fields["locations"].queryset = Location.objects.filter(
            Q(archived_at__isnull=True) | Q(pk__in=links["locations"]), studio=studio
        ).order_by("name")
        fields["locations"].help_text = _("Used when “Sold at every location” is off.")
        if not self.is_bound:
            self.initial.setdefault("pack_size", plan.pack_credits)
            self.initial.setdefault("period_limit", plan.credits_per_period)
            self.initial.update(
                class_templates=links["class_templates"],
                services=links["services"],
                locations=links["locations"],
            )
            if plan.pk is not None:
                self.initial["pass_mode"] = PassMode.DATES if plan.pass_starts_on else PassMode.DURATION

    # --- rendering ---------------------------------------------------------------------------

    def fieldsets(self) -> list[dict]:
        """The form's groups, each with the kinds it is for (None: every kind)."""
        groups = [
            (None, _("The plan"), ["name", "kind", "description"], ""),
            (None, _("Price"), ["price_amount", "tax_kind", "featured"], ""),
            (
                ["subscription", "pass", "payment_plan"],
                _("Interval"),
                ["interval_count", "interval_unit"],
                "plan-interval",
            ),
            (["subscription"], _("Subscription"), ["commitment_periods", "signup_fee_amount"], ""),
            (["pass"], _("Pass"), ["pass_mode", "pass_starts_on", "pass_ends_on", "pass_start"], ""),
            (["pack"], _("Class pack"), ["pack_size", "pack_expires_after_days"], ""),
            (["payment_plan"], _("Payment plan"), ["instalment_count", "location"], ""),
            (["subscription", "pass", "payment_plan"], _("Credits"), ["period_limit"], ""),
            (None, _("What it pays for"), ["all_classes", "class_templates", "all_services", "services"], ""),
            (None, _("Where it is sold"), ["sold_everywhere", "locations"], ""),
        ]
        out = []
        for kinds, legend, names, css in groups:
            classes = ["plan-part", css]
            if kinds:
                classes += ["for-kind", *(f"kind-{k}" for k in kinds)]
            out.append(
                {
                    "legend": legend,
                    "classes": " ".join(filter(None, classes)),
                    "fields": [self[n] for n in names],
                }
            )
        return out

    # --- checks ------------------------------------------------------------------------------

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if self.has_members and kind != self.instance.kind:
            raise forms.ValidationError(
                _(
                    "Clients hold this plan, so its kind cannot change. Archive it and create a new plan instead."
                )
            )
        return kind

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the plan a name."))
        clash = Plan.objects.filter(studio=self.studio, archived_at__isnull=True, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError(_("Another plan on sale already has this name."))
        return name

    def _used_fields(self, kind: str | None) -> set[str]:
        used = set(KIND_FIELDS.get(kind, set()))
        if kind == PlanKind.PASS:
            mode = self.cleaned_data.get("pass_mode") or PassMode.DURATION
            used -= PASS_DURATION_FIELDS if mode == PassMode.DATES else PASS_DATE_FIELDS
        return used

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind is None:
            # Without a kind no kind-specific check means anything: say only what is missing.
            for name in KIND_SPECIFIC:
                self._errors.pop(name, None)
            return data
        used = self._used_fields(kind)
        for name in KIND_SPECIFIC - used:
            self._errors.pop(name, None)
            # Put back what the kind does not use, so an edit from one kind (or pass mode) to
            # another keeps nothing stale: the instance takes these values.
            if name in UNUSED_VALUES:
                data[name] = UNUSED_VALUES[name]
        if data.get("commitment_periods") is None:
            data["commitment_periods"] = 0
        if data.get("signup_fee_amount") is None:
            data["signup_fee_amount"] = 0
        self._check_kind(kind, data, used)
        self._check_covers(kind, data)
        # The two fields that are not the model's own (see `pack_size`).
        self.instance.pack_credits = data.get("pack_size")
        self.instance.credits_per_period = data.get("period_limit")
        return data

    def _missing(self, name: str, message) -> None:
        if name not in self._errors:
            self.add_error(name, message)

    def _check_kind(self, kind: str, data: dict, used: set[str]) -> None:
        if "interval_count" in used and not data.get("interval_count"):
            self._missing("interval_count", _("Say how often: every how many days, weeks, months or years."))
        if kind == PlanKind.PASS and "pass_starts_on" in used:
            starts, ends = data.get("pass_starts_on"), data.get("pass_ends_on")
            if starts is None:
                self._missing("pass_starts_on", _("Give the pass's first day."))
            if ends is None:
                self._missing("pass_ends_on", _("Give the pass's last day."))
            if starts and ends and ends < starts:
                self.add_error("pass_ends_on", _("The last day comes before the first day."))
        if kind == PlanKind.PACK and not data.get("pack_size"):
            self._missing("pack_size", _("Say how many classes the pack holds."))
        if kind == PlanKind.PAYMENT_PLAN:
            if not data.get("instalment_count"):
                self._missing("instalment_count", _("Say in how many instalments it is paid (2 or more)."))
            if data.get("location") is None:
                self._missing("location", _("Choose the home location where the course is held."))

    def _check_covers(self, kind: str, data: dict) -> None:
        pays_for_something = (
            data.get("all_classes")
            or data.get("class_templates")
            or data.get("all_services")
            or data.get("services")
        )
        # A payment plan may pay for a course that is not booked class by class.
        if kind != PlanKind.PAYMENT_PLAN and not pays_for_something and "class_templates" not in self._errors:
            self.add_error(
                "class_templates",
                _("Choose what it pays for: all classes, some of them, or appointment types."),
            )
        if not data.get("sold_everywhere") and not data.get("locations") and "locations" not in self._errors:
            self.add_error(
                "locations", _("Choose at least one location that sells it, or “Sold at every location”.")
            )

    def link_ids(self) -> dict[str, list[int]]:
        """The ids for `plan_save`, from the cleaned form."""
        data = self.cleaned_data
        return {
            "class_template_ids": [t.pk for t in data.get("class_templates") or []],
            "service_ids": [s.pk for s in data.get("services") or []],
            "location_ids": [loc.pk for loc in data.get("locations") or []],
        }


def _bound(field: forms.Field, low: int, high: int) -> None:
    """Limits on an integer field, enforced and said in the input (replacing the model's)."""
    field.min_value, field.max_value = low, high
    field.validators = [
        v for v in field.validators if not isinstance(v, (MinValueValidator, MaxValueValidator))
    ]
    field.validators += [MinValueValidator(low), MaxValueValidator(high)]
    field.widget.attrs.update(min=low, max=high)
