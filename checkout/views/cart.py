"""The cart pages (CHK-2): the cart, "add to cart" from the public pages, a line's quantity.

Public pages (no sign-in needed: the cart of an anonymous visitor lives in their session); the
order is only ever the visitor's own (`order_for_request`). Each view renders the full page or,
under htmx, the cart fragment; without JavaScript a form posts and is redirected back.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from checkout.forms.cart import CartAddForm, CartLineForm
from checkout.models import OrderLine, OrderLineKind
from checkout.selectors.cart import order_for_page
from checkout.services import cart as cart_services
from memberships.models import Plan
from memberships.selectors.penalties import amounts_owed_for
from pos.models import Product
from scheduling.models import AppointmentCalendar, AppointmentService, ClassSession
from studio.models import Location

COUNT_KEY = "checkout_count"  # what the header's cart badge shows, without a query of its own


def remember_count(request, count: int) -> None:
    """Keep the number of items for the header's badge (only written when it changes)."""
    if request.session.get(COUNT_KEY, 0) != count:
        request.session[COUNT_KEY] = count


def _count_of(order) -> int:
    return sum(OrderLine.objects.filter(order=order).values_list("quantity", flat=True))


def _cart_url(request) -> str:
    return reverse("checkout-cart", kwargs={"studio_slug": request.studio.slug})


def review_url(request) -> str:
    """Where "Continue to payment" goes: pay's review page."""
    return reverse("checkout-review", kwargs={"studio_slug": request.studio.slug})


def continue_url(request) -> str:
    """The review page; an anonymous visitor signs in (or up) first and comes back to it."""
    target = review_url(request)
    if request.client_profile is not None:
        return target
    login = reverse("account-login", kwargs={"studio_slug": request.studio.slug})
    return f"{login}?{urlencode({'next': target})}"


def _safe_next(request, value: str) -> str:
    prefix = f"/{request.studio.slug}/"
    if (
        value
        and value.startswith(prefix)
        and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()})
    ):
        return value
    return _cart_url(request)


def cart_context(request, order=None) -> dict:
    """What the cart page and its fragment show (the order read once, lines prefetched)."""
    if order is None:
        order = cart_services.order_for_request(request, for_page=True)
    else:  # changed by this request: read again with its lines
        order = order_for_page(studio=request.studio, token=order.token)
    lines = list(order.lines.all()) if order is not None else []
    conflicts = cart_services.order_route_conflicts(order=order) if lines else []
    remember_count(request, sum(line.quantity for line in lines))
    owed = []
    if request.client_profile is not None:
        # What the client owes (failed fees, past-due renewals) can be paid with the cart.
        in_cart = {(line.owed_kind, line.owed_id) for line in lines if line.kind == OrderLineKind.OWED}
        owed = [o for o in amounts_owed_for(client=request.client_profile) if (o.kind, o.id) not in in_cart]
    return {
        "owed": owed,
        "order": order,
        "lines": lines,
        "conflict_ids": {line.pk for line in conflicts},
        "conflicts": conflicts,
        "continue_url": continue_url(request),
        "max_quantity": cart_services.MAX_QUANTITY,
    }


def _render_cart(request, order=None, *, error: str = "", status: int = 200):
    context = {**cart_context(request, order), "error": error}
    template = "checkout/cart/_cart.html" if request.htmx else "checkout/cart/cart.html"
    return render(request, template, context, status=status)


@require_GET
def cart_page(request):
    """The visitor's cart: lines, taxes per tax, total, and the way to pay."""
    return _render_cart(request)


def _found(model, pk):
    """The studio's row `pk` of `model` (the request's scope), None when no id was given;
    another studio's id or a wrong one is not found (404), never a hint that it exists."""
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _refused(request, message: str, *, back: str):
    if request.htmx:
        return _render_cart(request, error=message, status=400)
    messages.error(request, message)
    return redirect(back)


def _go_to_payment(request, order=None):
    target = continue_url(request)
    if request.htmx:  # htmx would swap the next page into the cart: the browser goes there
        response = _render_cart(request, order)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@require_POST
def cart_add(request):
    """Add one item (the public pages' "Add to cart" / "Buy now" buttons) to the visitor's cart."""
    form = CartAddForm(request.POST)
    back = _safe_next(
        request, request.POST.get("next", "") if isinstance(request.POST.get("next"), str) else ""
    )
    if not form.is_valid():
        return _refused(
            request, _("This item could not be added: check the choice and try again."), back=back
        )
    data = form.cleaned_data
    items = {
        "plan": _found(Plan, data["plan"]),
        "session": _found(ClassSession, data["session"]),
        "product": _found(Product, data["product"]),
        "location": _found(Location, data["location"]),
        "appointment_service": _found(AppointmentService, data["service"]),
        "appointment_calendar": _found(AppointmentCalendar, data["calendar"]),
    }
    kept_token = request.session.get(cart_services.SESSION_KEY)
    try:
        # One transaction: a refused item leaves no empty cart behind.
        with transaction.atomic():
            order = cart_services.order_for_request(request, create=True)
            cart_services.order_line_add(
                studio=request.studio,
                order=order,
                kind=data["kind"],
                quantity=data["quantity"],
                starts_at=data["starts_at"],
                owed_kind=data["owed_kind"],
                owed_id=data["owed_id"],
                client=request.client_profile,
                **items,
            )
    except ValidationError as error:
        if kept_token is None:
            request.session.pop(cart_services.SESSION_KEY, None)
        else:
            request.session[cart_services.SESSION_KEY] = kept_token
        errors = (
            [e for errs in error.error_dict.values() for e in errs]
            if hasattr(error, "error_dict")
            else error.error_list
        )
        already = all(e.code == "duplicate" for e in errors)
        if data["go"] == "checkout" and already:
            # "Buy now" on what the cart already holds: on to paying for it, nothing to add.
            return _go_to_payment(request)
        return _refused(request, " ".join(error.messages), back=back)
    if not request.htmx:  # under htmx the cart is drawn, and its badge counted, from the order
        remember_count(request, _count_of(order))
    if data["go"] == "checkout":
        return _go_to_payment(request, order)
    if request.htmx:
        return _render_cart(request, order)
    messages.success(request, _("Added to your cart."))
    return redirect(back)


@require_POST
def cart_line(request, line_pk: int):
    """Change a line of the visitor's cart: − / + / a quantity for a product, or remove it."""
    order = cart_services.order_for_request(request)
    if order is None:
        raise Http404
    line = OrderLine.objects.filter(order=order, pk=line_pk).first()
    if line is None:
        raise Http404
    form = CartLineForm(request.POST)
    back = _cart_url(request)
    if not form.is_valid():
        return _refused(
            request, _("Enter a quantity from 1 to %(max)s.") % {"max": cart_services.MAX_QUANTITY}, back=back
        )
    action, quantity = form.cleaned_data["action"], form.cleaned_data["quantity"]
    try:
        if action == "remove":
            cart_services.order_line_remove(order=order, line=line)
        elif line.kind == OrderLineKind.PRODUCT and action in ("more", "less", "set", ""):
            if action == "more":
                quantity = line.quantity + 1
            elif action == "less":
                quantity = max(line.quantity - 1, 1)
            if quantity is None:
                raise ValidationError(
                    _("Enter a quantity from 1 to %(max)s.") % {"max": cart_services.MAX_QUANTITY}
                )
            cart_services.order_line_set_quantity(order=order, line=line, quantity=quantity)
        else:
            raise ValidationError(_("Only a product's quantity can change."))
    except ValidationError as error:
        return _refused(request, " ".join(error.messages), back=back)
    if request.htmx:
        return _render_cart(request, order)
    remember_count(request, _count_of(order))
    return redirect(back)
