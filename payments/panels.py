"""Panels payments hangs on the client profile, the client's account page and the location page.

The profile panels follow studio/registries/profile_panels.py: each declares the permissions
that open it and reads its lists in bounded queries whose cost does not grow with the history;
the money panel's totals and balance ride on its lists as window sums (see `client_money_recent`).
"""

from __future__ import annotations

from django.db.models import BigIntegerField, CharField, Exists, OuterRef, Q, Sum, Value, Window
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import (
    MAX_SAVED_METHODS,
    CreditEntry,
    Payment,
    PaymentSettings,
    Refund,
    SavedPaymentMethod,
)
from payments.services import saved_methods as svc
from studio.compiled_sql import compiled_rows
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, Section, choice_labels, row_url

RECENT = 10  # rows of each list on the profile; the full history is one link away


def _bank_kind(studio) -> str | None:
    return {"CA": "acss_debit", "US": "us_bank_account"}.get(studio.country)


# The columns a saved method's row shows, read as tuples: the panel lists at most five.
_METHOD_COLUMNS = (
    "id",
    "kind",
    "brand",
    "bank_name",
    "last4",
    "exp_month",
    "exp_year",
    "account_holder",
    "is_default",
    "account__display_name",
)


def _methods_query(*, studio_id: int, client_id: int):
    return (
        SavedPaymentMethod.objects.filter(studio_id=studio_id, client_id=client_id)
        .order_by("-is_default", "-created_at", "-id")
        .values_list(*_METHOD_COLUMNS)
    )


def client_methods_shown(*, client, today, row_urls: tuple | None = None) -> list[dict]:
    """The client's saved methods as the panels list them, in one query: the default first, then
    newest to oldest, expired ones last (SPM-5, as `saved_methods_for_client` orders them).

    Rows are plain values; the label and the expiry come from the model's own rules, asked of an
    unsaved instance holding the row's columns. `row_urls`: (make default, delete) `id -> URL`."""
    rows = []
    for pk, kind, brand, bank_name, last4, month, year, holder, is_default, account in compiled_rows(
        "profile-saved-methods", _methods_query, client_id=client.pk
    ):
        method = SavedPaymentMethod(
            kind=kind, brand=brand, bank_name=bank_name, exp_month=month, exp_year=year
        )
        rows.append(
            {
                "pk": pk,
                "kind": kind,
                "label": method.label,
                "last4": last4,
                "exp_month": month,
                "exp_year": year,
                "account_holder": holder,
                "is_default": is_default,
                "expired": method.is_expired(today),
                "account_name": account,
                "default_url": row_urls[0](pk) if row_urls else None,
                "delete_url": row_urls[1](pk) if row_urls else None,
            }
        )
    return sorted(rows, key=lambda row: row["expired"])  # stable: keeps the order within each group


def _methods_context(request, client, *, can_add: bool, can_edit: bool, staff: bool) -> dict:
    slug = request.studio.slug
    side = "staff" if staff else "client"
    row_urls = (
        (
            row_url(f"payments-{side}-method-default", studio_slug=slug),
            row_url(f"payments-{side}-method-delete", studio_slug=slug),
        )
        if can_edit
        else None
    )
    methods = client_methods_shown(client=client, today=timezone.localdate(), row_urls=row_urls)
    bank_kind = _bank_kind(request.studio)
    if staff:

        def add(kind):
            return reverse(
                "payments-staff-method-add", kwargs={"studio_slug": slug, "pk": client.pk, "kind": kind}
            )
    else:

        def add(kind):
            return reverse("payments-client-method-add", kwargs={"studio_slug": slug, "kind": kind})

    return {
        "client": client,
        "methods": methods,
        "can_add": can_add,
        "can_edit": can_edit,
        "room_left": len(methods) < MAX_SAVED_METHODS,
        "add_card_url": add("card") if can_add else None,
        "add_bank_url": add(bank_kind) if can_add and bank_kind and client.email else None,
    }


# --- staff profile: saved payment methods (SPM) --------------------------------------------------


def _saved_methods_annotations() -> dict:
    return {
        "pay_saved_methods_on": Exists(
            PaymentSettings.objects.filter(studio_id=OuterRef("studio_id"), saved_methods_enabled=True)
        )
    }


def _saved_methods_load(*, request, client) -> dict | None:
    if not client.pay_saved_methods_on:
        return None
    staff = request.staff
    return _methods_context(
        request,
        client,
        can_add=staff.has_perm(Perm.ADD_SAVED_PAYMENT_METHOD),
        can_edit=staff.has_perm(Perm.EDIT_SAVED_PAYMENT_METHOD),
        staff=True,
    )


SAVED_METHODS_PANEL = ProfilePanel(
    key="saved-methods",
    title=gettext_lazy("Saved payment methods"),
    template="payments/_saved_methods_panel.html",
    perms=frozenset(
        {Perm.ADD_SAVED_PAYMENT_METHOD, Perm.EDIT_SAVED_PAYMENT_METHOD, Perm.USE_SAVED_PAYMENT_METHOD}
    ),
    annotations=_saved_methods_annotations,
    load=_saved_methods_load,
    order=20,
)


# --- staff profile: payments, refunds and studio credit (PAY-4, PAY-7) ----------------------------


# The columns a payment row shows; the badge template reads the last five (`_status_state`).
_PAYMENT_COLUMNS = (
    "id",
    "created_at",
    "description",
    "amount",
    "currency",
    "status",
    "amount_refunded",
    "outcome_unknown",
    "is_escrow",
)
_STATUS_COLUMNS = ("status", "amount", "amount_refunded", "outcome_unknown", "is_escrow")
# A refund row and a credit row share these columns in the one query that reads both lists.
_REFUND_COLUMNS = (
    "id",
    "created_at",
    "amount",
    "payment__currency",
    "payment__description",
    "destination",
    "status",
    "balance",
    "is_refund",
)
_CREDIT_COLUMNS = (
    "id",
    "created_at",
    "amount",
    "currency",
    "kind",
    "note",
    "no_status",
    "balance",
    "is_refund",
)


def _payments_query(limit: int):
    def build(*, studio_id: int, client_id: int):
        succeeded = Q(status=Payment.Status.SUCCEEDED)
        return (
            Payment.objects.filter(studio_id=studio_id, client_id=client_id)
            .annotate(
                total_paid=Window(Sum("amount", filter=succeeded)),
                total_refunded=Window(Sum("amount_refunded", filter=succeeded)),
            )
            .order_by("-created_at", "-id")
            .values_list(*_PAYMENT_COLUMNS, "total_paid", "total_refunded")[:limit]
        )

    return build


def _refunds_credit_query(limit: int):
    def build(*, studio_id: int, client_id: int):
        refunds = (
            Refund.objects.filter(studio_id=studio_id, payment__client_id=client_id)
            .annotate(balance=Value(None, output_field=BigIntegerField()), is_refund=Value(True))
            .order_by("-created_at", "-id")
            .values_list(*_REFUND_COLUMNS)[:limit]
        )
        credit = (
            CreditEntry.objects.filter(studio_id=studio_id, client_id=client_id)
            .annotate(
                no_status=Value("", output_field=CharField()),
                balance=Window(Sum("amount")),
                is_refund=Value(False),
            )
            .order_by("-created_at", "-id")
            .values_list(*_CREDIT_COLUMNS)[:limit]
        )
        return refunds.union(credit, all=True)

    return build


def client_money_recent(*, client, limit: int = RECENT) -> dict:
    """The money panel's figures and lists, in two queries whatever the history's length.

    - the newest payments, each row carrying the client's totals as window sums over all their
      succeeded payments (computed before the LIMIT, so the totals cover the whole history);
    - the newest refunds and credit movements, one UNION ALL, the credit rows carrying the
      balance as a window sum over every movement.
    Rows are read as tuples into dicts: the panel shows a few columns, and model instances cost
    more than the query. Both queries are compiled once per process (`compiled_rows`)."""
    payments, first = [], None
    for row in compiled_rows(("profile-payments", limit), _payments_query(limit), client_id=client.pk):
        first = first or row
        payments.append(dict(zip(_PAYMENT_COLUMNS, row, strict=False)))
    destinations, refund_statuses = (
        choice_labels(Refund.Destination.choices),
        choice_labels(Refund.Status.choices),
    )
    kinds = choice_labels(CreditEntry.Kind.choices)
    refund_rows, credit_rows, balance = [], [], 0
    for pk, created_at, amount, currency, text, code, status, row_balance, is_refund in compiled_rows(
        ("profile-refunds-credit", limit), _refunds_credit_query(limit), client_id=client.pk
    ):
        if is_refund:
            refund_rows.append(
                {
                    "id": pk,
                    "created_at": created_at,
                    "amount": amount,
                    "currency": currency,
                    "description": text,
                    "destination": destinations.get(code, code),
                    "status": refund_statuses.get(status, status),
                }
            )
        else:
            balance = row_balance
            credit_rows.append(
                {
                    "id": pk,
                    "created_at": created_at,
                    "amount": amount,
                    "currency": currency,
                    "kind": kinds.get(text, text),
                    "note": code,
                }
            )
    # UNION ALL keeps no order of its own: each list is put back newest first.
    refund_rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
    credit_rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
    return {
        "payments": payments,
        "refunds": refund_rows,
        "credit_entries": credit_rows,
        "credit_balance": int(balance or 0),
        "total_paid": int(first[-2] or 0) if first else 0,
        "total_refunded": int(first[-1] or 0) if first else 0,
    }


def _status_state(payment: dict) -> tuple:
    """Everything payments/_payment_status.html reads of a payment (keep the two in step)."""
    refunded = payment["amount_refunded"]
    return (
        payment["status"],
        bool(refunded),
        bool(refunded and refunded >= payment["amount"]),
        payment["outcome_unknown"],
        payment["is_escrow"],
    )


def payment_status_cells(payments: list[dict]) -> None:
    """Set `status_html` on each payment row (`_PAYMENT_COLUMNS`): the ledger's status badges,
    rendered once per state.

    A client's payments share a handful of states (succeeded, partly refunded…); including the
    badge template once per row cost a fifth of the profile's render for identical markup. The
    template reads an unsaved `Payment` holding the state's columns (for its worded status)."""
    template = get_template("payments/_payment_status.html")
    rendered: dict[tuple, str] = {}
    for payment in payments:
        state = _status_state(payment)
        if state not in rendered:
            shown = Payment(**{column: payment[column] for column in _STATUS_COLUMNS})
            rendered[state] = template.render({"payment": shown})
        payment["status_html"] = rendered[state]


def _money_load(*, request, client) -> dict:
    slug = request.studio.slug
    can_open = request.staff.has_perm(Perm.VIEW_REPORTS)  # the payment page's permission
    context = client_money_recent(client=client)
    payment_url = row_url("payments-payment-detail", studio_slug=slug) if can_open else None
    payment_status_cells(context["payments"])
    for payment in context["payments"]:
        payment["url"] = payment_url(payment["id"]) if payment_url else None
    return {**context, "client": client, "currency": request.studio.currency}


# Selling, refunding and reporting are the payments jobs: a teacher holds none and sees no money.
MONEY_PANEL = ProfilePanel(
    key="money",
    title=gettext_lazy("Payments and credit"),
    template="payments/_client_money.html",
    perms=frozenset({Perm.VIEW_REPORTS, Perm.REFUND, Perm.SELL_POS}),
    load=_money_load,
    order=50,
)


# --- the client's own account page ----------------------------------------------------------------


def client_saved_methods(request, client) -> Section | None:
    if not svc.saved_methods_enabled(studio=request.studio):
        return None
    context = _methods_context(request, client, can_add=True, can_edit=True, staff=False)
    return Section(
        title=_("My payment methods"),
        template="payments/_saved_methods_panel.html",
        context=context,
        order=20,
        key="saved-methods",
    )


def home_change_check(client, new_location) -> list[str]:
    methods = svc.home_location_change_impact(client=client, new_location=new_location)
    return [
        _(
            "%(label)s •••• %(last4)s is saved on “%(account)s” and will no longer be offered for this "
            "client's online purchases and renewals."
        )
        % {"label": m.label, "last4": m.last4, "account": m.account.display_name}
        for m in methods
    ]
