"""The return form (PAY-7 at the counter): how many units of each line go back, where the money
goes, whether the products go back on the shelf, and why."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pos.models import LineKind, Sale, SaleLine
from pos.services.returns import DESTINATION_CREDIT, DESTINATION_ORIGINAL, RETURNABLE_KINDS
from studio.inputs import BoundedInputsMixin, SafeCharField

MAX_CHOICES = 200  # the select offers up to 200 units at once; a bigger line is returned in several goes


def returnable_lines(lines: list[SaleLine]) -> list[SaleLine]:
    return [
        line for line in lines if line.kind in RETURNABLE_KINDS and line.quantity > line.returned_quantity
    ]


class ReturnForm(BoundedInputsMixin, forms.Form):
    destination = forms.ChoiceField(label=_("Give the money back"), widget=forms.RadioSelect)
    restock = forms.BooleanField(
        label=_("Put the products back in stock (untick for damaged goods)"), required=False, initial=True
    )
    reason = SafeCharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, sale: Sale, lines: list[SaleLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.sale = sale
        self.lines = returnable_lines(lines)
        choices = [(DESTINATION_ORIGINAL, _("To the original payment (card, cash or credit)"))]
        if sale.client_id:
            choices.append((DESTINATION_CREDIT, _("As studio credit for the client")))
        self.fields["destination"].choices = choices
        self.fields["destination"].initial = DESTINATION_ORIGINAL
        if not any(line.kind == LineKind.PRODUCT for line in self.lines):
            del self.fields["restock"]
        self.fields["reason"].widget.attrs["maxlength"] = "200"
        # One select per line (0…units left): no free-typed number ever reaches int().
        for line in self.lines:
            left = min(line.quantity - line.returned_quantity, MAX_CHOICES)
            self.fields[f"qty_{line.pk}"] = forms.TypedChoiceField(
                label=line.description,
                choices=[(str(n), str(n)) for n in range(left + 1)],
                coerce=int,
                initial=str(left),
            )
        self.order_fields([f"qty_{line.pk}" for line in self.lines] + ["destination", "restock", "reason"])

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"qty_{line.pk}") or 0 for line in self.lines}
