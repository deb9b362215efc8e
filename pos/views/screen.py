"""The POS screen (POS-1, POS-6): the selling location, "New sale", and the sale's one screen —
catalogue, cart, client zone and the tender panel (helper tender's `pos/tender/panel.html`).

Thin views: a form reads the input, one cart service decides. Every cart change is one POST; under
htmx it answers the cart fragment with the parts that change out of band (the messages, the client
zone, the amounts owed, the tender panel) — one round trip; without JavaScript the same forms post
and redirect back (PRG), and a refusal renders the page with the error beside its cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pos.device import remember_location, selling_location
from pos.forms.screen import (
    AddToCartForm,
    CartClientForm,
    CartDiscountForm,
    CartLineForm,
    CatalogueSearchForm,
    ClientSearchForm,
    NewSaleForm,
    QuickClientForm,
    SellingLocationForm,
)
from pos.models import LineKind, Sale, SaleStatus
from pos.selectors import cart as cart_selectors
from pos.services import cart as cart_services
from pos.services import checkout
from pos.services.tills import till_current
from studio.access import staff_required
from studio.permissions import Perm
from studio.services import Actor

TENDER_PANEL = "pos/tender/panel.html"
TABS = ("products", "plans", "classes", "owed", "credit")


def _errors_of(exc: ValidationError) -> list[str]:
    return list(exc.messages)


@dataclass
class Refusals:
    """What a service refused, by the zone that caused it (shown next to it)."""

    catalogue: list[str] = field(default_factory=list)
    cart: list[str] = field(default_factory=list)
    discount: list[str] = field(default_factory=list)
    client: list[str] = field(default_factory=list)
    lines: dict[int, list[str]] = field(default_factory=dict)
    # Not refusals: what a change did besides what was asked (e.g. lines removed with the client).
    notices: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.catalogue or self.cart or self.discount or self.client or self.lines)


# --- the location and "New sale" --------------------------------------------------------------


def _open_sales(*, studio, location) -> list[Sale]:
    return list(
        Sale.objects.filter(
            studio=studio, location=location, status__in=[SaleStatus.OPEN, SaleStatus.TENDERING]
        )
        .select_related("client")
        .order_by("-created_at", "-id")[:50]
    )


def _home(request, *, location_form=None, status=200):
    studio = request.studio
    location = selling_location(request)
    choosing = location is None or request.GET.get("change") == "1" or location_form is not None
    context = {"location": location, "choosing": choosing}
    if choosing:
        form = location_form or SellingLocationForm(
            studio=studio, initial={"location": location.pk if location else None}
        )
        context["location_form"] = form
        context["no_locations"] = not form.fields["location"].queryset.exists()
    if location is not None:
        till = till_current(studio=studio, location=location)
        context.update(
            till=till,
            till_open_url=reverse("pos-till-open", kwargs={"studio_slug": studio.slug})
            if _routed("pos-till-open")
            else "",
            new_sale_form=NewSaleForm() if till is not None else None,
            till_close_url=reverse("pos-till-close", kwargs={"studio_slug": studio.slug, "pk": till.pk})
            if till is not None and _routed("pos-till-close", pk=1)
            else "",
            sales_url=reverse("pos-sales", kwargs={"studio_slug": studio.slug})
            if _routed("pos-sales")
            else "",
            open_sales=_open_sales(studio=studio, location=location),
        )
    return render(request, "pos/screen/home.html", context, status=status)


@staff_required(Perm.SELL_POS)
def pos_home(request):
    """Pick the selling location; then "New sale" (when the till is open) and the sales to resume."""
    return _home(request)


@staff_required(Perm.SELL_POS)
@require_POST
def pos_location(request):
    """Remember the selling location on this device: only a home, non-archived location of this studio."""
    form = SellingLocationForm(request.POST, studio=request.studio)
    if not form.is_valid():
        return _home(request, location_form=form, status=400)
    location = form.cleaned_data["location"]
    response = redirect("pos-home", studio_slug=request.studio.slug)
    return remember_location(response, location, studio=request.studio)


@staff_required(Perm.SELL_POS)
@require_POST
def pos_sale_new(request):
    """Open a sale at this device's location: the form's one-time token makes a double click one sale."""
    studio = request.studio
    location = selling_location(request)
    home = reverse("pos-home", kwargs={"studio_slug": studio.slug})
    if location is None:
        messages.error(request, _("Choose the selling location first."))
        return redirect(home)
    if till_current(studio=studio, location=location) is None:
        messages.error(request, _("Open the till before selling."))
        return redirect(home)
    form = NewSaleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This form has expired: open it again."))
        return redirect(home)
    try:
        sale = cart_services.sale_open(
            studio=studio,
            actor=Actor.from_request(request),
            location=location,
            token=form.cleaned_data["token"],
        )
    except ValidationError as exc:
        for message in _errors_of(exc):
            messages.error(request, message)
        return redirect(home)
    return redirect("pos-sale", studio_slug=studio.slug, pk=sale.pk)


# --- the sale's screen ----------------------------------------------------------------------


def _sale(request, pk) -> Sale:
    try:
        return cart_selectors.sale_for_screen(studio=request.studio, pk=pk)
    except Sale.DoesNotExist as exc:
        raise Http404 from exc


def _tab(request, client) -> str:
    # A cart change posts the tab the catalogue shows (its answer keeps it).
    tab = request.POST.get("tab") or request.GET.get("tab", "")
    if tab not in TABS or (tab == "owed" and client is None):
        return "products"
    return tab


def _client_facts(*, client) -> dict:
    """The client zone's facts: studio credit and saved cards (a fixed number of queries)."""
    if client is None:
        return {}
    from payments.services.credit import credit_balance
    from payments.services.saved_methods import saved_methods_for_client

    return {
        "credit_balance": credit_balance(client=client),
        "saved_cards": len(saved_methods_for_client(client=client)),
    }


def _card_fee(*, studio, total: int) -> int:
    from payments.services.fees import payment_settings_for
    from pos.pricing import card_fee_for

    if total <= 0:
        return 0
    return card_fee_for(amount=total, settings=payment_settings_for(studio=studio))


def _tender_panel(request, sale) -> dict:
    """Helper tender's panel (`pos/tender/panel.html`) and what it needs."""
    from pos.views.tender import panel_context

    return {"tender_panel": TENDER_PANEL, **panel_context(request, sale)}


# The zones of the screen a cart answer may re-render out of band, and what each needs read. A cart
# change answers only the zones it changed (`_answer`), so it reads only theirs: a line's quantity
# does not re-read the catalogue, the client search or the client's credit. "client" is the client
# zone but its "New client" form ("client_new"); "tabs" the catalogue's tabs alone ("catalogue":
# its tabs and the items of the tab shown).


def _screen_context(
    request, sale, *, refusals=None, q=None, forms=None, tab=None, zones=None, lines=None
) -> dict:
    """What the screen's templates need. `zones`: only what these out-of-band zones (and the cart,
    total and waits, always answered) show; None: the whole screen. `lines`: the cart as a change
    just left it (else the sale's prefetched lines)."""
    studio = request.studio
    staff = request.staff
    lines = list(sale.lines.all()) if lines is None else lines
    client = sale.client
    if client is not None:
        client.studio = studio  # the selectors below read the client's studio: spare the query
    search = CatalogueSearchForm(request.GET or None)
    if q is None:
        q = search.cleaned_data["q"] if search.is_valid() else ""
    tab = tab if tab in TABS else _tab(request, client)
    with_catalogue = zones is None or "catalogue" in zones
    with_tabs = with_catalogue or "tabs" in zones
    with_client = zones is None or "client" in zones
    with_client_new = zones is None or "client_new" in zones
    catalogue = (
        cart_selectors.pos_catalogue(studio=studio, location=sale.location, query=q, sections={tab})
        if with_catalogue
        else None
    )
    owed = list(cart_selectors.owed_for_client(client=client)) if client is not None and with_tabs else []
    forms = forms or {}
    client_q = ""
    # On the sale's page the client search is `client_q` (`q` is the catalogue's search).
    client_search = ClientSearchForm({"q": request.GET.get("client_q", "")})
    if with_client and client_search.is_valid():
        client_q = client_search.cleaned_data["q"] or ""
    client_results = (
        list(cart_selectors.client_search(studio=studio, query=client_q))
        if client_q and len(client_q) >= 2
        else []
    )
    can_create = staff.has_perm(Perm.MANAGE_CLIENTS)
    waivers = cart_selectors.cart_waivers_missing(studio=studio, sale=sale, lines=lines)
    refusals = refusals if refusals is not None else Refusals()
    for line in lines:
        line.errors = refusals.lines.get(line.pk, [])
    return {
        "sale": sale,
        "location": sale.location,
        "lines": lines,
        "client": client,
        "is_open": sale.status == SaleStatus.OPEN,
        "currency": sale.currency,
        "catalogue": catalogue,
        "owed": owed,
        "q": q,
        "tab": tab,
        "topup_form": forms.get("topup") or AddToCartForm(initial={"kind": LineKind.CREDIT_TOPUP}),
        "discount_form": forms.get("discount")
        or CartDiscountForm(
            currency=sale.currency,
            initial={
                "discount_kind": sale.discount_kind,
                "discount_amount": sale.discount_amount or None,
                "discount_percent": sale.discount_percent,
            },
        ),
        "client_q": client_q,
        "client_results": client_results,
        "client_form": forms.get("client")
        or (
            QuickClientForm(studio=studio, initial={"home_location": sale.location_id})
            if can_create and with_client_new
            else None
        ),
        "client_facts": _client_facts(client=client) if with_client else {},
        "can_discount": staff.has_perm(Perm.DISCOUNT_POS),
        "can_create_client": can_create,
        "waivers": waivers,
        # Once tenders were taken, the fee a card would add is on what is left to pay.
        "card_fee": _card_fee(
            studio=studio,
            total=checkout.sale_balance(sale=sale) if sale.status == SaleStatus.TENDERING else sale.total,
        ),
        "refusals": refusals,
        **(_tender_panel(request, sale) if zones is None or "tender" in zones else {}),
    }


@staff_required(Perm.SELL_POS)
def pos_sale(request, pk):
    """The sale's one screen. Under htmx, a search in the catalogue answers only its items."""
    sale = _sale(request, pk)
    if sale.status == SaleStatus.COMPLETED and _routed("pos-sale-receipt", pk=1):
        return redirect("pos-sale-receipt", studio_slug=request.studio.slug, pk=sale.pk)
    context = _screen_context(request, sale)
    if request.htmx and request.htmx.target == "pos-catalogue-items":
        return render(request, "pos/screen/_catalogue_items.html", context)
    if request.htmx and request.htmx.target == "pos-client-results":
        return render(request, "pos/screen/_client_results.html", context)
    if request.htmx and request.htmx.target == "pos-cart":
        # The tender panel changed the sale (its first tender froze the cart): the cart again.
        context["oob"] = {"client", "client_new", "catalogue"}
        return render(request, "pos/screen/_cart_response.html", context)
    return render(request, "pos/screen/sale.html", context)


def _routed(name: str, **kwargs) -> bool:
    """Whether another helper's page is routed yet (the screen links to it only then)."""
    try:
        reverse(name, kwargs={"studio_slug": "x", **kwargs})
    except NoReverseMatch:
        return False
    return True


def _sale_url(request, sale, **query) -> str:
    url = reverse("pos-sale", kwargs={"studio_slug": request.studio.slug, "pk": sale.pk})
    query = {k: v for k, v in query.items() if v}
    return f"{url}?{urlencode(query)}" if query else url


def _answer(
    request, sale: Sale, *, refusals: Refusals, changed=(), q=None, forms=None, trigger=None, tab=None
):
    """The one answer of every cart change: under htmx the cart fragment (and, out of band, what
    else changed); otherwise back to the screen (PRG), or the screen with the refusal beside its cause.

    `sale` is the view's instance, passed to the change: a change that went through left it in step
    with the row and the cart it repriced under the sale's lock (`repriced_lines`), and the answer
    is drawn from those rows instead of reading the sale and its lines again."""
    if not request.htmx and not refusals and not forms:
        return redirect(_sale_url(request, sale, q=q, tab=tab))
    lines = cart_services.repriced_lines(sale)
    if lines is None:
        sale = _sale(request, sale.pk)
    if not request.htmx:
        context = _screen_context(request, sale, refusals=refusals, q=q, forms=forms, tab=tab, lines=lines)
        return render(request, "pos/screen/sale.html", context, status=400)
    changed = set(changed)
    # A refusal shows beside its cause: the zone that shows it answers too.
    if refusals.catalogue or "topup" in (forms or {}):
        changed.add("catalogue")
    if refusals.client or "client" in (forms or {}):
        changed.add("client")
    if "client" in (forms or {}):
        changed.add("client_new")
    if "catalogue" not in changed and changed & {"client", "owed"}:
        # A new client changes the catalogue's tabs (theirs: what they owe) and the tabs whose items
        # are for a client (plans, classes, owed, credit); the products shown stay as they are.
        shown = request.POST.get("tab") or "products"
        now = tab if tab in TABS else _tab(request, sale.client)
        changed.add("tabs" if shown == now == "products" else "catalogue")
    # The tender panel is drawn again only when more than its balance may have moved (a new client,
    # a sale no longer open, something to pay where there was nothing or the reverse); else the
    # answer carries the balance and the forms' amounts only (`pos.views.tender.panel_kinds_unchanged`).
    from pos.views.tender import balance_context, panel_kinds_unchanged

    kinds = (
        None if "client" in changed else panel_kinds_unchanged(sale=sale, posted=request.POST.get("panel"))
    )
    oob = changed | {"messages", "tender" if kinds is None else "balance"}
    context = _screen_context(
        request, sale, refusals=refusals, q=q, forms=forms, tab=tab, zones=oob, lines=lines
    )
    if kinds is not None:
        context.update(balance_context(sale=sale, kinds=kinds))
    context["oob"] = oob
    response = render(request, "pos/screen/_cart_response.html", context)
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def _open_sale_or_404(request, pk) -> Sale:
    # A light read for the POST views: the screen's full read happens once, when answering.
    sale = cart_selectors.sale_with_parties(studio=request.studio, pk=pk)
    if sale is None:
        raise Http404
    return sale


def _actor(request) -> Actor:
    return Actor.from_request(request)


@staff_required(Perm.SELL_POS)
@require_POST
def pos_cart_add(request, pk):
    """Add to the cart: a product, a plan, today's class (a drop-in), an amount owed, a credit
    top-up, or a scanned code (an exact barcode/SKU adds it; anything else filters the catalogue)."""
    sale = _open_sale_or_404(request, pk)
    form = AddToCartForm(request.POST, currency=sale.currency)
    refusals = Refusals()
    if not form.is_valid():
        if request.POST.get("kind") == LineKind.CREDIT_TOPUP:
            return _answer(
                request, sale, refusals=Refusals(catalogue=[]), forms={"topup": form}, tab="credit"
            )
        refusals.catalogue = [e for errors in form.errors.values() for e in errors]
        return _answer(request, sale, refusals=refusals)
    data, studio, actor = form.cleaned_data, request.studio, _actor(request)
    kind = data["kind"]
    try:
        if kind == "code":
            line = cart_services.sale_add_by_code(studio=studio, actor=actor, sale=sale, code=data["q"])
            if line is None:  # not a code: the search filters the catalogue instead
                return _answer(request, sale, refusals=refusals, changed={"catalogue"}, q=data["q"])
            return _answer(
                request, sale, refusals=refusals, changed={"catalogue"}, q="", trigger="posCodeAdded"
            )
        if kind == LineKind.PRODUCT:
            product = _get_or_refuse("pos.Product", data["item"])
            cart_services.sale_add_product(studio=studio, actor=actor, sale=sale, product=product)
        elif kind == LineKind.PLAN:
            plan = _get_or_refuse("memberships.Plan", data["item"])
            cart_services.sale_add_plan(studio=studio, actor=actor, sale=sale, plan=plan)
        elif kind == LineKind.DROP_IN:
            session = _get_or_refuse("scheduling.ClassSession", data["item"])
            cart_services.sale_add_drop_in(studio=studio, actor=actor, sale=sale, session=session)
        elif kind == LineKind.OWED:
            cart_services.sale_add_owed(
                studio=studio, actor=actor, sale=sale, owed_kind=data["owed_kind"], owed_id=data["item"]
            )
        elif kind == LineKind.CREDIT_TOPUP:
            cart_services.sale_add_credit_topup(studio=studio, actor=actor, sale=sale, amount=data["amount"])
    except ValidationError as exc:
        if kind == LineKind.CREDIT_TOPUP:
            form.add_error("amount", exc)
            return _answer(request, sale, refusals=refusals, forms={"topup": form}, tab="credit")
        refusals.catalogue = _errors_of(exc)
    if kind == LineKind.CREDIT_TOPUP:
        # The top-up form is drawn again, empty: its amount is in the cart now (a second tap would add it again).
        return _answer(request, sale, refusals=refusals, changed={"catalogue"}, tab="credit")
    changed = {"owed"} if kind == LineKind.OWED else set()
    return _answer(request, sale, refusals=refusals, changed=changed)


def _get_or_refuse(model_label: str, pk: int):
    """The studio's row the button names (the scope keeps other studios' rows out), or a refusal."""
    from django.apps import apps

    row = cart_selectors.studio_row(model=apps.get_model(model_label), pk=pk)
    if row is None:
        raise ValidationError(_("This item is no longer available."))
    return row


@staff_required(Perm.SELL_POS)
@require_POST
def pos_cart_line(request, pk, line_pk):
    """One cart line: one more, one less, a quantity, remove, or its discount (with the permission)."""
    sale = _open_sale_or_404(request, pk)
    line = cart_selectors.sale_line_of(sale=sale, pk=line_pk)
    if line is None:
        raise Http404
    form = CartLineForm(request.POST, currency=sale.currency)
    refusals = Refusals()
    if not form.is_valid():
        refusals.lines[line.pk] = [e for errors in form.errors.values() for e in errors]
        return _answer(request, sale, refusals=refusals)
    data, studio, actor = form.cleaned_data, request.studio, _actor(request)
    action = data["action"]
    try:
        if action == "remove" or (action == "dec" and line.quantity <= 1):
            cart_services.sale_line_remove(studio=studio, actor=actor, line=line)
        elif action in ("inc", "dec", "set"):
            quantity = {"inc": line.quantity + 1, "dec": line.quantity - 1}.get(action, data.get("quantity"))
            cart_services.sale_line_set_quantity(studio=studio, actor=actor, line=line, quantity=quantity)
        elif action == "discount":
            cart_services.sale_line_discount(studio=studio, actor=actor, line=line, **form.discount())
    except ValidationError as exc:
        refusals.lines[line.pk] = _errors_of(exc)
    except PermissionDenied:
        refusals.lines[line.pk] = [_("Only staff allowed to give discounts can change this.")]
    return _answer(request, sale, refusals=refusals)


@staff_required(Perm.SELL_POS)
@require_POST
def pos_cart_discount(request, pk):
    """The cart's own discount (amount or percent), with the permission to discount (audited)."""
    sale = _open_sale_or_404(request, pk)
    form = CartDiscountForm(request.POST, currency=sale.currency)
    refusals = Refusals()
    if not form.is_valid():
        return _answer(request, sale, refusals=refusals, forms={"discount": form})
    try:
        cart_services.sale_discount(
            studio=request.studio, actor=_actor(request), sale=sale, **form.discount()
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _answer(request, sale, refusals=refusals, forms={"discount": form})
    except PermissionDenied:
        refusals.discount = [_("Only staff allowed to give discounts can change this.")]
    return _answer(request, sale, refusals=refusals)


@staff_required(Perm.SELL_POS)
@require_POST
def pos_cart_client(request, pk):
    """The sale's client (from the search), or none: a walk-in."""
    sale = _open_sale_or_404(request, pk)
    form = CartClientForm(request.POST, studio=request.studio)
    refusals = Refusals()
    if not form.is_valid():
        refusals.client = [e for errors in form.errors.values() for e in errors]
        return _answer(request, sale, refusals=refusals, changed={"client"})
    try:
        change = cart_services.sale_set_client(
            studio=request.studio, actor=_actor(request), sale=sale, client=form.cleaned_data["client"]
        )
    except ValidationError as exc:
        refusals.client = _errors_of(exc)
    else:
        if change.message:
            refusals.notices.append(change.message)
            if not request.htmx:
                messages.info(request, change.message)
    return _answer(request, sale, refusals=refusals, changed={"client", "owed"})


def _sale_from_param(request, value) -> Sale:
    """The sale a client-zone request is for (`sale`), or 404 (another studio's too)."""
    form = ClientSearchForm({"sale": value})
    if not form.is_valid() or form.cleaned_data["sale"] is None:
        raise Http404
    return _open_sale_or_404(request, form.cleaned_data["sale"])


@staff_required(Perm.SELL_POS)
def pos_client_search(request):
    """The client zone's search (name, email, phone) for a sale: under htmx its results only,
    otherwise the sale's screen with the results."""
    if not request.GET.get("sale"):
        return redirect("pos-home", studio_slug=request.studio.slug)  # a search is for a sale
    sale = _sale_from_param(request, request.GET.get("sale"))
    form = ClientSearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    if not request.htmx:
        return redirect(_client_results_url(request, sale, q))
    context = _screen_context(request, _sale(request, sale.pk))
    context["client_q"] = q
    context["client_results"] = (
        list(cart_selectors.client_search(studio=request.studio, query=q)) if len(q) >= 2 else []
    )
    return render(request, "pos/screen/_client_results.html", context)


def _client_results_url(request, sale, q: str) -> str:
    url = reverse("pos-sale", kwargs={"studio_slug": request.studio.slug, "pk": sale.pk})
    return f"{url}?{urlencode({'client_q': q})}#pos-client"


@staff_required(Perm.SELL_POS)
@require_POST
def pos_client_create(request):
    """Quick create at the counter (the studio's client form and `client_save`), set on the sale."""
    sale = _sale_from_param(request, request.POST.get("sale"))
    if not request.staff.has_perm(Perm.MANAGE_CLIENTS):
        raise PermissionDenied(Perm.MANAGE_CLIENTS)
    from studio.services import client_save

    form = QuickClientForm(request.POST, studio=request.studio)
    refusals = Refusals()
    if sale.status != SaleStatus.OPEN:
        # Refused before the client exists: nothing is half-saved when the sale cannot take them.
        form.add_error(None, _("This sale is being paid: its client can no longer change."))
        return _answer(request, sale, refusals=refusals, forms={"client": form}, changed={"client"})
    if not form.is_valid():
        return _answer(request, sale, refusals=refusals, forms={"client": form}, changed={"client"})
    try:
        client = client_save(studio=request.studio, actor=_actor(request), client=form.save(commit=False))
        cart_services.sale_set_client(studio=request.studio, actor=_actor(request), sale=sale, client=client)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _answer(request, sale, refusals=refusals, forms={"client": form}, changed={"client"})
    return _answer(request, sale, refusals=refusals, changed={"client", "client_new", "owed"})
