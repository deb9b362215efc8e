"""The tender panel of the sale screen, and the sale's life-cycle pages (tender).

- `pos-tender`: GET the panel (under htmx, only the panel: the screen includes
  `pos/tender/panel.html`, which loads it); POST one tender form (cash, credit, saved card,
  card typed by hand, card reader). A sale paid in full goes to its receipt (`pos-sale-receipt`).
- `pos-tender-status`: a reader tender's live state, polled every second or two into an
  `aria-live` region; once the tender settles the whole panel answers.
- `pos-tender-cancel`: cancel the card in progress. `pos-tender-card`: Stripe's card fields
  for a card typed by hand. `pos-sale-void`: abandon the sale, after a confirm step that says
  what goes back.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payments.models import Payment
from payments.services.credit import credit_balance
from payments.services.routing import route_reason
from pos.forms.tender import FORMS, CreditTenderForm, TenderKindForm, VoidForm
from pos.models import Sale, SaleStatus, SaleTender, TenderKind, TenderStatus
from pos.services import checkout
from studio.access import staff_required
from studio.fragments import filled
from studio.permissions import Perm
from studio.services import Actor
from studio.templatetags.money import major, money

PANEL = "pos/tender/_panel.html"


def _sale(request: HttpRequest, pk: int) -> Sale:
    return get_object_or_404(Sale.objects.select_related("location", "client"), pk=pk)


def _tender(request: HttpRequest, pk: int) -> SaleTender:
    return get_object_or_404(
        SaleTender.objects.select_related("sale__location", "sale__client", "payment", "reader"), pk=pk
    )


def _url(name: str, request: HttpRequest, **kwargs) -> str:
    return reverse(name, kwargs={"studio_slug": request.studio.slug, **kwargs})


def _finish_url(request: HttpRequest, sale: Sale) -> str:
    """Where the clerk lands once the sale is paid: its receipt (till's page), else the sale."""
    try:
        return _url("pos-sale-receipt", request, pk=sale.pk)
    except NoReverseMatch:
        return _url("pos-sale", request, pk=sale.pk)


def _may_save(request: HttpRequest, sale: Sale) -> bool:
    return sale.client_id is not None and request.staff.has_perm(Perm.ADD_SAVED_PAYMENT_METHOD)


def _forms(request: HttpRequest, sale: Sale, balance: int, *, credit: int, bound=None) -> dict:
    """The panel's forms, one per way of paying the clerk may use here (only those): studio credit
    when the client has some, saved cards when the clerk may use them and the client has one here."""
    from payments.selectors import readers_for_location

    currency = sale.currency
    can_saved = request.staff.has_perm(Perm.USE_SAVED_PAYMENT_METHOD)
    cards = checkout.saved_cards_for_sale(sale=sale) if can_saved else []
    readers = readers_for_location(studio=request.studio, location=sale.location)
    may_save = _may_save(request, sale)
    kinds = {
        TenderKind.CASH: {},
        TenderKind.CREDIT: {"credit": credit} if sale.client_id and credit > 0 else None,
        TenderKind.SAVED_CARD: {"cards": cards} if cards else None,
        TenderKind.MANUAL_CARD: {"may_save": may_save},
        TenderKind.READER: {"readers": readers, "may_save": may_save} if readers else None,
    }
    out = {}
    for kind, extra in kinds.items():
        if extra is None:
            continue
        if bound is not None and bound.kind_code == kind:
            out[kind] = bound
        else:
            out[kind] = FORMS[kind](currency=currency, balance=balance, prefix=kind, **extra)
    return out


def panel_context(request: HttpRequest, sale: Sale, *, bound=None, error: str = "") -> dict:
    """What `pos/tender/panel.html` needs (the screen calls this for its own page too)."""
    from payments.services.terminal import reader_payment_describe

    sale.studio = request.studio
    balance = checkout.sale_balance(sale=sale) if sale.status != SaleStatus.OPEN else sale.total
    # An OPEN sale has no tender yet: its first tender freezes it (TENDERING) before the row exists.
    tenders = (
        list(sale.tenders.select_related("payment", "reader").order_by("created_at", "id"))
        if sale.status != SaleStatus.OPEN
        else []
    )
    for row in tenders:
        # Worded now, in the clerk's language, from the payment's stored code (never Stripe's English).
        row.failure_text = (
            reader_payment_describe(payment=row.payment).message
            if row.payment is not None and row.status in (TenderStatus.FAILED, TenderStatus.CANCELED)
            else row.failure_message
        )
    pending = next((t for t in tenders if t.status == TenderStatus.PENDING), None)
    pending_state = None
    if pending is not None and pending.payment is not None:
        pending_state = reader_payment_describe(payment=pending.payment)
    route = checkout.sale_route(sale=sale)
    paying = sale.status in (SaleStatus.OPEN, SaleStatus.TENDERING) and balance > 0
    credit = credit_balance(client=sale.client) if sale.client_id else 0
    forms = _forms(request, sale, balance, credit=credit, bound=bound) if paying and pending is None else {}
    url = _url("pos-tender", request, pk=sale.pk) if forms else ""
    return {
        "sale": sale,
        "tender_state": panel_state(sale=sale, kinds=list(forms)),
        "tender_balance": balance,
        "tender_paid": sale.total - balance if sale.status != SaleStatus.OPEN else 0,
        "tender_rows": tenders,
        "tender_pending": pending,
        "tender_pending_state": pending_state,
        "tender_forms": forms,
        "tender_forms_html": [
            tender_form_html(request, kind=kind, form=form, url=url, credit=credit, currency=sale.currency)
            for kind, form in forms.items()
        ],
        "tender_paying": paying,
        "tender_route_reason": route_reason(rule=route.rule, params=route.params),
        "tender_credit": credit,
        "tender_error": error,
        "tender_can_void": sale.status in (SaleStatus.OPEN, SaleStatus.TENDERING),
        "tender_refunds_due": checkout.sale_refunds_due(sale=sale)
        if sale.status == SaleStatus.TENDERING
        else [],
    }


# --- a cart change answers only the panel's balance when nothing else on it moved -------------------


def panel_state(*, sale: Sale, kinds: list[str]) -> str:
    """What the panel shows that only a new client or a new status can change, as the screen keeps
    it (`#pos-panel-state`, sent back with every cart change): the sale OPEN, its client, and the
    ways of paying offered. "" for a sale no longer OPEN: its panel is always drawn again."""
    if sale.status != SaleStatus.OPEN:
        return ""
    return f"open:{sale.client_id or 0}:{','.join(kinds)}"


def panel_kinds_unchanged(*, sale: Sale, posted: str | None) -> list[str] | None:
    """The ways of paying the screen's panel offers, when a cart change leaves everything on it but
    the balance as it was: the sale still OPEN with the same client, and still something to pay
    (forms shown) or still nothing (none). None otherwise: the panel is drawn again in full.
    `posted` is the screen's `panel` value; anything else than what `panel_state` writes is None."""
    if sale.status != SaleStatus.OPEN or not isinstance(posted, str) or len(posted) > 100:
        return None
    parts = posted.split(":")
    if len(parts) != 3 or parts[0] != "open" or parts[1] != str(sale.client_id or 0):
        return None
    kinds = [kind for kind in parts[2].split(",") if kind]
    if any(kind not in FORMS for kind in kinds) or len(set(kinds)) != len(kinds):
        return None
    if bool(kinds) != (sale.total > 0):
        return None
    return kinds


def balance_context(*, sale: Sale, kinds: list[str]) -> dict:
    """The panel's parts a cart change moves (`pos/tender/_balance_oob.html`): the balance due and
    each form's amounts, prefilled with it as the full panel does — without its other reads."""
    amounts = []
    # Studio credit pays at most what the client has (one read, only when the panel offers it).
    credit = credit_balance(client=sale.client) if TenderKind.CREDIT in kinds and sale.client_id else 0
    for kind in kinds:
        amount = (
            CreditTenderForm.payable(balance=sale.total, credit=credit)
            if kind == TenderKind.CREDIT
            else sale.total
        )
        for name in ("amount", "cash_received"):
            if name in FORMS[kind].base_fields:
                amounts.append(amount_input(kind=kind, name=name, currency=sale.currency, amount=amount))
    return {"sale": sale, "tender_balance": sale.total, "tender_amounts": amounts}


# A tender form's markup is the same for every sale but its values (its amounts, its one-time token,
# the sale's URL, the CSRF token, the credit available): an unbound form is drawn once per way of
# paying, currency, language and choices (`studio.fragments`), then filled — the panel's five forms
# drawn through their template, fields and widgets were a third of a cart change that made
# something to pay. `pos/tests/test_tender_views.py` holds both to a direct drawing.
FORM_TEMPLATE = "pos/tender/_form.html"
_AMOUNTS = ("amount", "cash_received")


def _choices(form) -> tuple:
    return tuple(
        (name, tuple((str(value), str(label)) for value, label in field.choices))
        for name, field in form.fields.items()
        if hasattr(field, "choices")
    )


def tender_form_html(request: HttpRequest, *, kind: str, form, url: str, credit: int, currency: str) -> str:
    """One way of paying on the tender panel (`pos/tender/_form.html`), as the template draws it."""
    shown_credit = money(credit, currency)
    if form.is_bound:  # a refused form: its values and errors as typed, drawn as it is
        context = {"kind": kind, "form": form, "tender_url": url, "tender_credit_shown": shown_credit}
        return render_to_string(FORM_TEMPLATE, context, request)
    amounts = [name for name in _AMOUNTS if name in form.fields]
    values = {
        "url": url,
        "csrf": get_token(request),
        "token": form.initial["token"],
        **({"credit": shown_credit} if kind == TenderKind.CREDIT else {}),
        **{name: form.fields[name].prepare_value(form.initial.get(name)) for name in amounts},
    }
    if any(values[name] in (None, "") for name in amounts):  # no amount to prefill: no value attribute
        return render_to_string(
            FORM_TEMPLATE,
            {"kind": kind, "form": form, "tender_url": url, "tender_credit_shown": shown_credit},
            request,
        )
    key = ("pos-tender-form", kind, currency, get_language(), tuple(form.fields), _choices(form))

    def draw(marks) -> str:
        kept = {name: form.initial.get(name) for name in (*amounts, "token")}
        form.initial.update({name: marks[name] for name in kept})
        try:
            context = {
                "kind": kind,
                "form": form,
                "tender_url": marks["url"],
                "tender_credit_shown": marks.get("credit", ""),
                "csrf_token": marks["csrf"],
            }
            return render_to_string(FORM_TEMPLATE, context)
        finally:
            form.initial.update(kept)
            form._bound_fields_cache.clear()

    return filled(key, draw, values)


def amount_input(*, kind: str, name: str, currency: str, amount: int) -> str:
    """The `name` input of the `kind` tender form prefilled with `amount` (minor units), as
    `form[name].as_widget(attrs={"hx-swap-oob": "true"})` draws it for an unbound form: a cart
    change that moved only the balance redraws them (the same fill as `tender_form_html`; the
    form is built only to draw it, not on every tap)."""

    def draw(marks=None) -> str:
        form = FORMS[kind](currency=currency, balance=amount, prefix=kind)
        if marks is not None:
            form.initial[name] = marks["value"]
        return form[name].as_widget(attrs={"hx-swap-oob": "true"})

    if amount <= 0:  # no prefill: the form shows an empty field
        return draw()
    # What MoneyField shows for minor units (`prepare_value`): the amount in major units.
    value = major(amount, currency)
    return filled(("pos-amount-input", kind, name, currency, get_language()), draw, {"value": value})


def _render_panel(request, sale, *, status: int = 200, **kwargs) -> HttpResponse:
    sale.refresh_from_db()
    if sale.status == SaleStatus.COMPLETED:
        return _go(request, _finish_url(request, sale))
    context = panel_context(request, sale, **kwargs)
    if request.htmx:
        return render(request, PANEL, context, status=status)
    return render(request, "pos/tender/page.html", context, status=status)


def _go(request, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@staff_required(Perm.SELL_POS)
def pos_tender(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the tender panel. POST: take one tender (`kind` names which form was sent)."""
    sale = _sale(request, pk)
    sale.studio = request.studio
    if request.method != "POST":
        return _render_panel(request, sale)
    kind_form = TenderKindForm(request.POST)
    if not kind_form.is_valid():
        return _render_panel(request, sale, status=400, error=_("Choose how the client pays."))
    kind = kind_form.cleaned_data["kind"]
    balance = checkout.sale_balance(sale=sale) if sale.status != SaleStatus.OPEN else sale.total
    extra = {}
    if kind == TenderKind.SAVED_CARD:
        if not request.staff.has_perm(Perm.USE_SAVED_PAYMENT_METHOD):
            raise PermissionDenied(Perm.USE_SAVED_PAYMENT_METHOD)
        extra = {"cards": checkout.saved_cards_for_sale(sale=sale)}
    elif kind == TenderKind.READER:
        from payments.selectors import readers_for_location

        extra = {
            "readers": readers_for_location(studio=request.studio, location=sale.location),
            "may_save": _may_save(request, sale),
        }
    elif kind == TenderKind.MANUAL_CARD:
        extra = {"may_save": _may_save(request, sale)}
    form = FORMS[kind](request.POST, currency=sale.currency, balance=balance, prefix=kind, **extra)
    if not form.is_valid():
        return _render_panel(request, sale, status=400, bound=form)
    try:
        tender = _take(request, sale, kind, form.cleaned_data, extra)
    except ValidationError as exc:
        return _render_panel(request, sale, status=400, bound=form, error=" ".join(exc.messages))
    sale.refresh_from_db()
    if sale.status == SaleStatus.COMPLETED:
        return _go(request, _finish_url(request, sale))
    if tender.kind == TenderKind.MANUAL_CARD and tender.status == TenderStatus.PENDING:
        return _go(request, _url("pos-tender-card", request, pk=tender.pk))
    if tender.status in (TenderStatus.FAILED, TenderStatus.CANCELED) and not request.htmx:
        messages.error(request, tender.failure_message or _("The payment was refused."))
    if not request.htmx:
        return redirect(_url("pos-tender", request, pk=sale.pk))
    return _render_panel(request, sale)


def _take(request, sale: Sale, kind: str, data: dict, extra: dict) -> SaleTender:
    studio, actor = request.studio, Actor.from_request(request)
    common = {
        "studio": studio,
        "actor": actor,
        "sale": sale,
        "amount": data["amount"],
        "token": data["token"],
    }
    if kind == TenderKind.CASH:
        return checkout.tender_cash(**common, cash_received=data["cash_received"])
    if kind == TenderKind.CREDIT:
        return checkout.tender_credit(**common)
    if kind == TenderKind.SAVED_CARD:
        card = next(c for c in extra["cards"] if c.pk == data["saved_method"])
        return checkout.tender_saved_card(**common, saved_method=card)
    save = {"save_card": bool(data.get("save_card")), "consent": bool(data.get("consent"))}
    if kind == TenderKind.MANUAL_CARD:
        return checkout.tender_manual_card_start(**common, **save)
    reader = next(r for r in extra["readers"] if r.pk == data["reader"])
    return checkout.tender_reader_start(**common, reader=reader, **save)


@staff_required(Perm.SELL_POS)
def pos_tender_status(request: HttpRequest, pk: int) -> HttpResponse:
    """One poll of a tender in progress (the screen asks every second or two)."""
    tender = _tender(request, pk)
    sale = tender.sale
    state = None
    if tender.status == TenderStatus.PENDING:
        actor = Actor.from_request(request)
        if tender.kind == TenderKind.READER:
            tender, state = checkout.tender_reader_poll(studio=request.studio, actor=actor, tender=tender)
        else:
            tender = checkout.tender_settle(tender_id=tender.pk)
    if tender.status == TenderStatus.PENDING:
        if state is None:
            from payments.services.terminal import reader_payment_describe

            state = reader_payment_describe(payment=Payment.objects.get(pk=tender.payment_id))
        context = {"sale": sale, "tender": tender, "state": state}
        if request.htmx and request.GET.get("seen") == state.code:
            # Nothing new: the live region stays as it is, so a screen reader does not hear it again.
            return HttpResponse(status=204)
        if request.htmx:
            return render(request, "pos/tender/_status.html", context)
        return render(request, "pos/tender/status.html", context)
    # Settled: the whole panel answers (the balance, the next tender), or the receipt.
    if request.htmx:
        response = _render_panel(request, sale)
        if response.status_code == 200:
            response["HX-Retarget"] = "#pos-tender"
            response["HX-Reswap"] = "innerHTML"
        return response
    sale.refresh_from_db()
    if sale.status == SaleStatus.COMPLETED:
        return redirect(_finish_url(request, sale))
    return redirect(_url("pos-tender", request, pk=sale.pk))


@staff_required(Perm.SELL_POS)
@require_POST
def pos_tender_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the card in progress (on the reader, or the hand-typed card's intent)."""
    tender = _tender(request, pk)
    checkout.tender_reader_cancel(studio=request.studio, actor=Actor.from_request(request), tender=tender)
    return (
        _render_panel(request, tender.sale)
        if request.htmx
        else redirect(_url("pos-tender", request, pk=tender.sale_id))
    )


@staff_required(Perm.SELL_POS)
def pos_tender_card(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: Stripe's card fields for a card typed by hand (nothing typed reaches Atelier).
    POST (after Stripe.js confirmed, or failed): read the payment back and settle the tender."""
    from payments.services.charges import payment_client_secret

    tender = _tender(request, pk)
    sale = tender.sale
    if tender.kind != TenderKind.MANUAL_CARD:
        return redirect(_url("pos-tender", request, pk=sale.pk))
    if request.method == "POST":
        tender = checkout.tender_manual_card_finish(
            studio=request.studio, actor=Actor.from_request(request), tender=tender
        )
        sale.refresh_from_db()
        if sale.status == SaleStatus.COMPLETED:
            url = _finish_url(request, sale)
        else:
            url = _url("pos-sale", request, pk=sale.pk)  # back to the screen, its panel shows the tender
        message = ""
        if tender.status in (TenderStatus.FAILED, TenderStatus.CANCELED) and tender.payment is not None:
            from payments.services.terminal import reader_payment_describe

            # Worded here from the stored code, in the clerk's language (not Stripe's English).
            message = reader_payment_describe(payment=tender.payment).message
        answer = {"status": tender.status, "message": message, "redirect": url}
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse(answer)
        if tender.status == TenderStatus.FAILED:
            messages.error(request, message or _("The payment was refused."))
        return redirect(url)
    if tender.status != TenderStatus.PENDING or tender.payment is None:
        return redirect(_url("pos-tender", request, pk=sale.pk))
    context = {
        "sale": sale,
        "tender": tender,
        "client_secret": payment_client_secret(payment=tender.payment) or "",
        "account": tender.payment.stripe_account_id,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "route_reason": route_reason(rule=tender.payment.routing_rule, params=tender.payment.routing_params),
    }
    return render(request, "pos/tender/card.html", context)


@staff_required(Perm.SELL_POS)
def pos_sale_void(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what abandoning the sale gives back, and the confirm button. POST: abandon it."""
    sale = _sale(request, pk)
    sale.studio = request.studio
    form = VoidForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and sale.status in (SaleStatus.OPEN, SaleStatus.TENDERING)
    ):
        paid = bool(checkout.sale_refunds_due(sale=sale))
        try:
            checkout.sale_void(
                studio=request.studio,
                actor=Actor.from_request(request),
                sale=sale,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_url("pos-sale", request, pk=sale.pk))
        messages.success(
            request,
            _("The sale was abandoned; what was paid was given back.")
            if paid
            else _("The sale was abandoned."),
        )
        return _go(request, _url("pos-home", request))
    context = {
        "sale": sale,
        "form": form,
        "refunds_due": checkout.sale_refunds_due(sale=sale),
        "pending": sale.tenders.filter(status=TenderStatus.PENDING).first(),
        "closed": sale.status not in (SaleStatus.OPEN, SaleStatus.TENDERING),
    }
    return render(request, "pos/tender/void.html", context, status=400 if request.method == "POST" else 200)
