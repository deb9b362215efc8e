"""Panels payments hangs on the client profile, the client's account page and the location page.

The profile panels follow studio/registries/profile_panels.py: each declares the permissions
that open it, puts its single values (totals, balance, recent refunds and credit movements) on
the one query that reads the client, and reads each list in one bounded query.
"""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, F, IntegerField, JSONField, Model, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, JSONObject
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import MAX_SAVED_METHODS, CreditEntry, Payment, PaymentSettings, Refund
from payments.services import saved_methods as svc
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section

RECENT = 10  # rows of each list on the profile; the full history is one link away


def _bank_kind(studio) -> str | None:
    return {"CA": "acss_debit", "US": "us_bank_account"}.get(studio.country)


def _methods_context(request, client, *, can_add: bool, can_edit: bool, staff: bool) -> dict:
    today = timezone.localdate()
    methods = svc.saved_methods_for_client(client=client, today=today)  # one query, at most 5 rows
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


# --- staff profile: saved payment methods (SPM) --------------------------------------------------


def _saved_methods_annotations() -> dict:
    return {"pay_saved_methods_on": Exists(PaymentSettings.objects.filter(studio_id=OuterRef("studio_id"),
                                                                          saved_methods_enabled=True))}


def _saved_methods_load(*, request, client) -> dict | None:
    if not client.pay_saved_methods_on:
        return None
    staff = request.staff
    return _methods_context(request, client, can_add=staff.has_perm(Perm.ADD_SAVED_PAYMENT_METHOD),
                            can_edit=staff.has_perm(Perm.EDIT_SAVED_PAYMENT_METHOD), staff=True)


SAVED_METHODS_PANEL = ProfilePanel(
    key="saved-methods", title=gettext_lazy("Saved payment methods"), template="payments/_saved_methods_panel.html",
    perms=frozenset({Perm.ADD_SAVED_PAYMENT_METHOD, Perm.EDIT_SAVED_PAYMENT_METHOD, Perm.USE_SAVED_PAYMENT_METHOD}),
    annotations=_saved_methods_annotations, load=_saved_methods_load, order=20)


# --- staff profile: payments, refunds and studio credit (PAY-4, PAY-7) ----------------------------


def _sum_of(queryset, column: str):
    """A correlated SUM as a single value of the client's row (0 when there is nothing)."""
    total = queryset.order_by().values("client_id").annotate(total=Sum(column)).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def _recent_json(queryset, **fields):
    """The newest rows of a child list, as JSON objects on the client's row (one query for all)."""
    return ArraySubquery(queryset.order_by("-created_at", "-id").values(row=JSONObject(**fields))[:RECENT])


def _hydrate(model: type[Model], rows: list[dict]) -> list[Model]:
    """Model instances (unsaved, read-only) from the JSON rows, so templates keep `get_…_display`."""
    out = []
    for row in rows or []:
        values = {name: model._meta.get_field(name).to_python(value) for name, value in row.items()
                  if not name.startswith("x_")}
        instance = model(**values)
        instance.extra = {name[2:]: value for name, value in row.items() if name.startswith("x_")}
        out.append(instance)
    return out


def _money_annotations() -> dict:
    mine = {"studio_id": OuterRef("studio_id"), "client_id": OuterRef("pk")}
    totals = (Payment.objects.filter(**mine, status=Payment.Status.SUCCEEDED).order_by().values("client_id")
              .annotate(totals=JSONObject(paid=Sum("amount"), refunded=Sum("amount_refunded"))).values("totals"))
    return {
        "pay_totals": Subquery(totals, output_field=JSONField()),
        "pay_credit_balance": _sum_of(CreditEntry.objects.filter(**mine), "amount"),
        "pay_recent_refunds": _recent_json(
            Refund.objects.filter(studio_id=OuterRef("studio_id"), payment__client_id=OuterRef("pk")),
            id="id", amount="amount", destination="destination", status="status", created_at="created_at",
            x_description=F("payment__description"), x_currency=F("payment__currency")),
        "pay_recent_credit": _recent_json(
            CreditEntry.objects.filter(**mine), id="id", amount="amount", currency="currency", kind="kind",
            note="note", created_at="created_at"),
    }


def _money_load(*, request, client) -> dict:
    payments = list(Payment.objects.filter(studio_id=client.studio_id, client_id=client.pk)
                    .order_by("-created_at", "-id")[:RECENT])
    return {
        "client": client,
        "can_open_payment": request.staff.has_perm(Perm.VIEW_REPORTS),  # the payment page's permission
        "currency": request.studio.currency,
        "payments": payments,
        "refunds": _hydrate(Refund, client.pay_recent_refunds),
        "credit_entries": _hydrate(CreditEntry, client.pay_recent_credit),
        "credit_balance": client.pay_credit_balance,
        "total_paid": int((client.pay_totals or {}).get("paid") or 0),
        "total_refunded": int((client.pay_totals or {}).get("refunded") or 0),
    }


# Selling, refunding and reporting are the payments jobs: a teacher holds none and sees no money.
MONEY_PANEL = ProfilePanel(
    key="money", title=gettext_lazy("Payments and credit"), template="payments/_client_money.html",
    perms=frozenset({Perm.VIEW_REPORTS, Perm.REFUND, Perm.SELL_POS}), annotations=_money_annotations,
    load=_money_load, order=50)


# --- the client's own account page ----------------------------------------------------------------


def client_saved_methods(request, client) -> Section | None:
    if not svc.saved_methods_enabled(studio=request.studio):
        return None
    context = _methods_context(request, client, can_add=True, can_edit=True, staff=False)
    return Section(title=_("My payment methods"), template="payments/_saved_methods_panel.html", context=context,
                   order=20, key="saved-methods")


def home_change_check(client, new_location) -> list[str]:
    methods = svc.home_location_change_impact(client=client, new_location=new_location)
    return [_("%(label)s •••• %(last4)s is saved on “%(account)s” and will no longer be offered for this "
              "client's online purchases and renewals.") % {"label": m.label, "last4": m.last4,
                                                            "account": m.account.display_name}
            for m in methods]

