"""Panels payments hangs on the client profile, the client's account page and the location page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import MAX_SAVED_METHODS
from payments.services import saved_methods as svc
from studio.permissions import Perm
from studio.profile_sections import Section


def _bank_kind(studio) -> str | None:
    return {"CA": "acss_debit", "US": "us_bank_account"}.get(studio.country)


def _methods_context(request, client, *, can_add: bool, can_edit: bool, staff: bool) -> dict:
    today = timezone.localdate()
    methods = svc.saved_methods_for_client(client=client, today=today)
    for method in methods:
        method.expired = method.is_expired(today)
    slug = request.studio.slug
    bank_kind = _bank_kind(request.studio)
    if staff:
        def add(kind):
            return reverse("payments-staff-method-add", kwargs={"studio_slug": slug, "pk": client.pk, "kind": kind})
    else:
        def add(kind):
            return reverse("payments-client-method-add", kwargs={"studio_slug": slug, "kind": kind})
    return {
        "client": client, "methods": methods, "can_add": can_add, "can_edit": can_edit,
        "room_left": len(methods) < MAX_SAVED_METHODS, "add_card_url": add("card"),
        "add_bank_url": add(bank_kind) if bank_kind and client.email else None,
        "default_url": "payments-staff-method-default" if staff else "payments-client-method-default",
        "delete_url": "payments-staff-method-delete" if staff else "payments-client-method-delete",
    }


def staff_saved_methods(request, client) -> Section | None:
    staff = getattr(request, "staff", None)
    if staff is None or not svc.saved_methods_enabled(studio=request.studio):
        return None
    context = _methods_context(request, client, can_add=staff.has_perm(Perm.ADD_SAVED_PAYMENT_METHOD),
                               can_edit=staff.has_perm(Perm.EDIT_SAVED_PAYMENT_METHOD), staff=True)
    return Section(title=_("Saved payment methods"), template="payments/_saved_methods_panel.html",
                   context=context, order=20)


def staff_money(request, client) -> Section | None:
    """Payments, refunds and studio credit of the client (PAY-4, PAY-7)."""
    from payments.selectors import client_money_context

    staff = getattr(request, "staff", None)
    if staff is None:
        return None
    return Section(title=_("Payments and credit"), template="payments/_client_money.html",
                   context=client_money_context(client=client), order=50)


def client_saved_methods(request, client) -> Section | None:
    if not svc.saved_methods_enabled(studio=request.studio):
        return None
    context = _methods_context(request, client, can_add=True, can_edit=True, staff=False)
    return Section(title=_("My payment methods"), template="payments/_saved_methods_panel.html", context=context,
                   order=20)


def home_change_check(client, new_location) -> list[str]:
    methods = svc.home_location_change_impact(client=client, new_location=new_location)
    return [_("%(label)s •••• %(last4)s is saved on “%(account)s” and will no longer be offered for this "
              "client's online purchases and renewals.") % {"label": m.label, "last4": m.last4,
                                                            "account": m.account.display_name}
            for m in methods]


SAVED_METHODS_TAB = gettext_lazy("Saved payment methods")
