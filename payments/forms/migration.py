"""The upload form of the migration import (PAY-10)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.models import ConnectedAccount


class MigrationUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Mapping file (CSV)"),
        help_text=_(
            "The file Stripe lets you download once it has copied your customers to the new account "
            "(old and new customer ids, old and new payment method ids)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    target_account = forms.ModelChoiceField(
        label=_("New Stripe account"),
        queryset=ConnectedAccount.objects.none(),
        help_text=_(
            "The account Stripe copied the customers to. Only accounts that can take payments are listed."
        ),
    )

    def __init__(self, *args, studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_account"].queryset = ConnectedAccount.objects.filter(
            studio=studio, charges_enabled=True
        ).exclude(stripe_account_id="")
