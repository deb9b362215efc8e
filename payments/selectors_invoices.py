"""Reading invoices (PAY-11): the staff list, one invoice with its lines and parts, the hosted
page's invoice by token, and the client profile's "Invoices" panel."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy

from payments.models import Invoice, InvoiceLine, InvoicePayment
from payments.models.invoices import TOKEN_MAX_LENGTH, InvoiceStatus
from studio.compiled_sql import compiled_rows
from studio.models import Studio
from studio.permissions import Perm
from studio.registries.profile_panels import ProfilePanel, choice_labels, row_url

PANEL_ROWS = 5


def invoice_list(*, studio: Studio, status: str = "", client_query: str = "") -> QuerySet[Invoice]:
    """The studio's invoices, newest first, with their client (one query per page)."""
    invoices = Invoice.objects.filter(studio=studio).select_related("client")
    if status in InvoiceStatus.values:
        invoices = invoices.filter(status=status)
    for word in client_query.split()[:3]:
        invoices = invoices.filter(
            Q(client__first_name__icontains=word)
            | Q(client__last_name__icontains=word)
            | Q(client__email__icontains=word)
        )
    return invoices.order_by("-number")


def invoice_for_staff(*, studio: Studio, pk: int) -> Invoice:
    """One invoice of the studio (404 otherwise), with its client and location."""
    invoice = (
        Invoice.objects.filter(studio=studio, pk=pk)
        .select_related("client", "location", "created_by", "studio")
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_by_token(*, studio: Studio, token: str) -> Invoice:
    """The invoice whose link holds `token` in this studio (404 for another studio's or none)."""
    if not token or len(token) > TOKEN_MAX_LENGTH or not token.isascii():
        raise Http404
    invoice = (
        Invoice.objects.filter(studio=studio, token=token)
        .select_related("client", "location", "studio")
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_lines(*, invoice: Invoice) -> list[InvoiceLine]:
    return list(
        InvoiceLine.objects.filter(studio_id=invoice.studio_id, invoice=invoice).order_by("position", "id")
    )


def invoice_parts(*, invoice: Invoice) -> list[InvoicePayment]:
    """The parts paid or tried on the link, oldest first, each with its ledger payment."""
    return list(
        InvoicePayment.objects.filter(studio_id=invoice.studio_id, invoice=invoice)
        .select_related("payment")
        .order_by("created_at", "id")
    )


def _panel_query(*, studio_id: int, client_id: int):
    return (
        Invoice.objects.filter(studio_id=studio_id, client_id=client_id)
        .order_by("-number")
        .values_list("pk", "number", "status", "total", "amount_paid", "due_date", "currency")[:PANEL_ROWS]
    )


def _panel_load(*, request, client) -> dict | None:
    rows = compiled_rows("profile-invoices", _panel_query, client_id=client.pk)
    labels = choice_labels(InvoiceStatus.choices)
    url = row_url("invoice-detail", studio_slug=request.studio.slug)
    return {
        "client": client,
        "invoices": [
            {
                "url": url(pk),
                "number": number,
                "status": status,
                "status_label": labels.get(status, status),
                "total": total,
                "balance": max(0, total - paid),
                "due_date": due,
                "currency": currency,
            }
            for pk, number, status, total, paid, due, currency in rows
        ],
    }


INVOICES_PANEL = ProfilePanel(
    key="invoices",
    title=gettext_lazy("Invoices"),
    template="payments/invoices/_client_panel.html",
    perms=frozenset({Perm.BILL_CLIENTS}),
    load=_panel_load,
    order=55,
)
