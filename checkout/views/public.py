"""The studio's public pages (CHK-1): the home page, the plans and the shop.

Open to anyone (no guard: what a studio sells is public). Every "Buy", "Add to cart" and
"Pay and book" button is a form posting to the cart's `checkout-cart-add` with the contract's
fields (`kind` and the ids, `go=checkout` to go straight to paying).
"""

from __future__ import annotations

from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from checkout.selectors import public as selectors
from studio import navigation
from studio.navigation import NavEntry

# The studio's font choice (Studio.brand_font codes) as a CSS font stack.
FONT_STACKS = {
    "system": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    "serif": 'Georgia, "Times New Roman", serif',
    "rounded": '"Nunito", "Varela Round", ui-rounded, system-ui, sans-serif',
    "mono": 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
}


def register() -> None:
    """The hosted pages' menu gains the plans and the shop (beside scheduling's entries) and the
    cart's badge; a class's page offers its drop-in, paid online."""
    from studio.registries.class_page_actions import register_class_page_action

    navigation.add_public(NavEntry(_("Memberships"), "public-plans", order=20))
    navigation.add_public(NavEntry(_("Shop"), "public-shop", order=21))
    register_class_page_action(drop_in_action)
    navigation.add_public_header("checkout/cart/_badge.html")


def drop_in_action(request, session) -> SafeString:
    """ "Pay the drop-in (X $) and book" on scheduling's class page, where nothing the visitor
    holds pays for the class (nothing when the class is free or full)."""
    return render_to_string("checkout/public/_drop_in.html", {"session": session}, request=request)


def _cart_add_url(studio) -> str:
    """The cart's add endpoint, where every "Buy" and "Add to cart" button posts."""
    return reverse("checkout-cart-add", kwargs={"studio_slug": studio.slug})


def _context(request, **extra) -> dict:
    studio = request.studio
    return {
        "cart_add_url": _cart_add_url(studio),
        "brand_font_stack": FONT_STACKS.get(studio.brand_font, FONT_STACKS["system"]),
        **extra,
    }


# --- markup built in Python ---------------------------------------------------------------------
# The home page lists up to 56 classes and the shop every product, each with its form: built here
# in one call each rather than from a dozen template nodes apiece, which is most of what keeps
# these pages near a bare page of the same size (bench/public_pages.py).


def _hidden(name: str, value) -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', name, value)


def _csrf_input(request) -> SafeString:
    return _hidden("csrfmiddlewaretoken", get_token(request))


def _week_html(request, home, *, session_url: str, cart_add_url: str, now) -> None:
    """Each day of the home page's week gets `html`: its classes as list items. Every value is
    escaped here (`escape`); the constant parts are built once per page, not once per class."""
    started = f'<span class="muted">{escape(gettext("Started"))}</span>'
    full = f'<span class="badge warn">{escape(gettext("Full — waitlist"))}</span>'
    waitlist, book = escape(gettext("Waitlist")), escape(gettext("Book"))
    pay_head = pay_tail = ""
    if cart_add_url and not home.has_plan:
        # The "Pay and book" form around the class's id.
        pay_head = (
            f'<form method="post" action="{escape(cart_add_url)}">{_csrf_input(request)}'
            f'{_hidden("kind", "drop_in")}{_hidden("go", "checkout")}<input type="hidden" name="session" value="'
        )
        pay_tail = f'"><button type="submit" class="button primary small">{escape(gettext("Pay and book"))}</button></form>'
    spots: dict[int, str] = {}
    for day in home.week:
        rows = []
        for s in day.sessions:
            href = f"{escape(session_url)}{s.pk}/"
            if s.starts_at <= now:
                state, action = started, ""
            elif not s.spots_left:
                state, action = full, f'<a class="button small" href="{href}">{waitlist}</a>'
            else:
                state = spots.get(s.spots_left)
                if state is None:
                    left = ngettext("%(n)s spot left", "%(n)s spots left", s.spots_left) % {"n": s.spots_left}
                    state = spots[s.spots_left] = f'<span class="muted">{escape(left)}</span>'
                if s.drop_in_price and pay_head:
                    action = f"{pay_head}{s.pk}{pay_tail}"
                else:
                    action = f'<a class="button primary small" href="{href}">{book}</a>'
            meta = s.teacher + (f" · {s.place}" if s.place else "")
            if s.price_label:
                meta += " · " + gettext("drop-in %(price)s") % {"price": s.price_label}
            zone = f' <small class="zone">({escape(s.zone)})</small>' if s.zone else ""
            rows.append(
                f'<li class="pub-session" style="--c:{escape(s.colour)}"><span class="time">'
                f'{escape(s.start_label)}{zone}</span><span class="what"><a href="{href}">{escape(s.name)}</a>'
                f'<small>{escape(meta)}</small><span class="state">{state}</span></span>'
                f'<span class="act">{action}</span></li>'
            )
        day.html = mark_safe("".join(rows))  # noqa: S308 - every value escaped above


def _plan_html(request, cards, *, cart_add_url: str) -> None:
    """Each plan card gets `html`: the card as a list item, its "Buy" form included."""
    csrf = _csrf_input(request) if cart_add_url else ""
    featured, buy = gettext("Featured"), gettext("Buy")
    for card in cards:
        plan = card.plan
        form = ""
        if cart_add_url:
            form = format_html(
                '<form method="post" action="{}" class="pub-buy">{}{}{}{}<button type="submit" '
                'class="button primary">{}<span class="visually-hidden"> — {}</span></button></form>',
                cart_add_url,
                csrf,
                _hidden("kind", "plan"),
                _hidden("plan", plan.pk),
                _hidden("go", "checkout"),
                buy,
                plan.name,
            )
        card.html = format_html(
            '<li class="pub-card plan-card{}" data-plan="{}"><p class="pub-kind">{}{}</p><h3>{}</h3>'
            '<p class="pub-price">{}</p><ul class="pub-facts">{}</ul>{}<p class="muted">{}</p>{}</li>',
            " featured" if plan.featured else "",
            plan.pk,
            card.kind_label,
            format_html(' <span class="badge pub-featured">{}</span>', featured) if plan.featured else "",
            plan.name,
            card.price_label,
            format_html_join("", "<li>{}</li>", ((fact,) for fact in card.facts)),
            format_html('<p class="pub-desc">{}</p>', linebreaksbr(plan.description, autoescape=True))
            if plan.description
            else "",
            card.taxes_note,
            form,
        )


def _product_html(request, cards, *, cart_add_url: str) -> None:
    """Each product card gets `html`: the card, with where to pick it up, how many, "Add to cart"."""
    csrf = _csrf_input(request) if cart_add_url else ""
    pick_label, qty_label, add = gettext("Pick up at"), gettext("Quantity"), gettext("Add to cart")
    for card in cards:
        product = card.product
        form = ""
        if cart_add_url:
            if len(card.pickups) == 1:
                where = format_html(
                    '{}<p class="muted">{}</p>',
                    _hidden("location", card.pickups[0].location.pk),
                    gettext("Pick up at %(place)s") % {"place": card.pickups[0].location.name},
                )
            else:
                options = format_html_join(
                    "",
                    '<option value="{}">{}</option>',
                    (
                        (
                            p.location.pk,
                            p.location.name
                            if p.quantity is None
                            else f"{p.location.name} ("
                            + ngettext("%(n)s in stock", "%(n)s in stock", p.quantity) % {"n": p.quantity}
                            + ")",
                        )
                        for p in card.pickups
                    ),
                )
                where = format_html(
                    '<label for="pickup-{}">{}</label><select name="location" id="pickup-{}">{}</select>',
                    product.pk,
                    pick_label,
                    product.pk,
                    options,
                )
            form = format_html(
                '<form method="post" action="{}" class="pub-add">{}{}{}{}{}'
                # A text input with the numeric keypad, as every whole-number field (studio.inputs): a
                # number input would drop what the server must refuse with a message ("²", "1,5").
                '<label for="qty-{}">{}</label><input type="text" name="quantity" id="qty-{}" value="1" '
                'maxlength="2" data-max="{}" inputmode="numeric" pattern="[0-9]*" autocomplete="off" '
                'class="pub-qty">'
                '<button type="submit" class="button primary">{}<span class="visually-hidden"> — {}</span>'
                "</button></form>",
                cart_add_url,
                csrf,
                _hidden("kind", "product"),
                _hidden("product", product.pk),
                _hidden("next", request.path),
                where,
                product.pk,
                qty_label,
                product.pk,
                card.max_quantity,
                add,
                product.name,
            )
        card.html = format_html(
            '<li class="pub-card product-card" data-product="{}"><h3>{}</h3><p class="pub-price">{}</p>'
            '{}<p class="muted">{}</p>{}</li>',
            product.pk,
            product.name,
            card.price_label,
            format_html('<p class="pub-desc">{}</p>', linebreaksbr(product.description, autoescape=True))
            if product.description
            else "",
            card.taxes_note,
            form,
        )


# --- pages -------------------------------------------------------------------------------------


def studio_home(request):
    """The studio's front page: bio, the week's classes, plans, products, appointments, places."""
    now = timezone.now()
    home = selectors.public_home(studio=request.studio, now=now, client=request.client_profile)
    # The class page's address without its id: each row appends its own (no `{% url %}` per row).
    session_url = reverse("public-session", kwargs={"studio_slug": request.studio.slug, "pk": 0})[:-2]
    context = _context(request, home=home, now=now, session_url=session_url)
    _week_html(request, home, session_url=session_url, cart_add_url=context["cart_add_url"], now=now)
    _plan_html(request, home.plans, cart_add_url=context["cart_add_url"])
    return render(request, "checkout/public/home.html", context)


def plans(request):
    """Every plan sold online, featured first, each with a "Buy" button."""
    cards = selectors.public_plans(studio=request.studio)
    context = _context(request, plans=cards)
    _plan_html(request, cards, cart_add_url=context["cart_add_url"])
    return render(request, "checkout/public/plans.html", context)


def shop(request):
    """The products in stock at a pickup place: where to pick up, how many, "Add to cart"."""
    places = selectors.public_places(studio=request.studio)
    products = selectors.public_products(
        studio=request.studio, locations=selectors.pickup_locations(places=places)
    )
    context = _context(request, products=products)
    _product_html(request, products, cart_add_url=context["cart_add_url"])
    return render(request, "checkout/public/shop.html", context)
