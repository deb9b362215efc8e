"""The "where is this waiver required" form (WAI-5): fields follow the waiver's kind."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from studio.models import Studio
from studio.registries import requirement_targets
from waivers.models import RequirementScope, Waiver, WaiverKind

# Where each kind is asked, for the page (WAI-5; seed « Où les clients peuvent-ils accepter… »).
KIND_WHERE = {
    WaiverKind.MEMBERSHIP: _(
        "Asked when a membership is bought: the client ticks it at their own checkout; at the front "
        "desk staff have it signed in person or send the link. Until it is signed, the sale is refused."
    ),
    WaiverKind.CLIENT: _(
        "Asked when a client books a class or an appointment: from their account (a checkbox or a "
        "drawn signature), in person at the front desk, or by an emailed link. Until it is signed, "
        "the booking is refused."
    ),
    WaiverKind.CHILD: _(
        "Asked when a dependant is booked (by their guardian, or by staff): a guardian signs it at the "
        "child's name. Until it is signed, the dependant's booking is refused. Dependants are asked "
        "for child waivers instead of client waivers."
    ),
    WaiverKind.CUSTOM: _(
        "Never required: a custom waiver is signed from the client's profile, in person or by an "
        "emailed link."
    ),
}

STUDIO_WIDE_LABEL = {
    WaiverKind.MEMBERSHIP: _("Required for every purchase of a membership"),
    WaiverKind.CLIENT: _("Required for every booking"),
    WaiverKind.CHILD: _("Required for every booking of a dependant"),
}

# The form field of each target scope, and the kinds it applies to.
TARGET_FIELDS = {
    RequirementScope.PLAN: ("plan_ids", (WaiverKind.MEMBERSHIP,)),
    RequirementScope.CLASS_TEMPLATE: ("class_template_ids", (WaiverKind.CLIENT, WaiverKind.CHILD)),
    RequirementScope.SERVICE: ("service_ids", (WaiverKind.CLIENT, WaiverKind.CHILD)),
}


class WaiverRequirementsForm(forms.Form):
    """Built for one waiver: "every purchase/booking" and a checkbox list per target the
    registered apps offer for its kind (plans; classes and appointment services)."""

    def __init__(self, *args, studio: Studio, waiver: Waiver, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiver = waiver
        if waiver.kind in STUDIO_WIDE_LABEL:
            self.fields["studio_wide"] = forms.BooleanField(
                label=STUDIO_WIDE_LABEL[waiver.kind], required=False
            )
        self.groups = []
        for scope, (name, kinds) in TARGET_FIELDS.items():
            target = requirement_targets.requirement_target(scope)
            if waiver.kind not in kinds or target is None:
                continue
            self.fields[name] = forms.TypedMultipleChoiceField(
                label=target.label,
                choices=target.choices(studio),
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.groups.append(self[name])

    def ids(self, name: str) -> list[int]:
        return list(self.cleaned_data.get(name) or [])
