from django import forms
from django.utils.translation import gettext_lazy as _

from studio.models import Location, Studio


class ConnectedAccountForm(forms.Form):
    display_name = forms.CharField(
        label=_("Name of this account"),
        max_length=120,
        help_text=_("For you, e.g. the legal entity or the bank account it pays into."),
    )
    locations = forms.ModelMultipleChoiceField(
        label=_("Home locations it serves"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Payments for these locations (and their clients' memberships) go to this account."),
    )

    def __init__(self, *args, studio: Studio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = Location.objects.filter(
            studio=studio, is_home_location=True, archived_at__isnull=True
        ).order_by("name")


class ConnectedAccountEditForm(ConnectedAccountForm):
    is_default = forms.BooleanField(
        label=_("Default account"),
        required=False,
        help_text=_("Takes every payment no other rule sends elsewhere."),
    )
