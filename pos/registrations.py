"""Where the point of sale plugs into the platform's seams: one function per helper's part,
called from `ready()`. Each part registers its navigation entries, source kinds, webhook
handlers, beat entries, audit labels and profile panels in its own function."""

from __future__ import annotations


def register_all() -> None:
    _products()  # prod
    _cart()  # cart
    _screen()  # screen
    _tenders()  # tender
    _tills()  # till
    _readers()  # rdr


def _products() -> None:  # prod: navigation "Products", audit of products and stock
    from django.utils.translation import gettext_lazy as _

    from payments.services.routing import ItemKind
    from pos.models import StockMovement
    from studio import navigation
    from studio.models import Location
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit

    navigation.add_manage(NavEntry(_("Products"), "product-list", perm=Perm.MANAGE_PRODUCTS, order=30))
    audit.register_actions(
        {
            "product.created": _("Product created"),
            "product.changed": _("Product changed"),
            "product.archived": _("Product archived"),
            "product.restored": _("Product restored"),
            "product.stock_changed": _("Stock count changed"),
        }
    )

    def location_name(value, ctx) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            found = ctx.lookups.get(Location, value)
            return found.name if found is not None else str(_("a deleted location"))
        return audit.plain(value, ctx)

    def labelled(labels):
        return lambda value, ctx: str(labels[value]) if value in labels else audit.plain(value, ctx)

    def counts(value, ctx) -> str:
        # {location id: {"from", "to"}}: "Laval: 3 → 5, Montréal: 0 → 12".
        if not isinstance(value, dict):
            return audit.plain(value, ctx)
        parts = []
        for key, pair in value.items():
            name = location_name(int(key), ctx) if str(key).isdigit() else str(key)
            if isinstance(pair, dict) and set(pair) == {"from", "to"}:
                parts.append(f"{name}: {audit.plain(pair['from'], ctx)} → {audit.plain(pair['to'], ctx)}")
            else:
                parts.append(f"{name}: {audit.plain(pair, ctx)}")
        return ", ".join(parts)

    audit.register_fields(
        {
            "stock_location": audit.Field(_("Location"), location_name),
            "stock_delta": audit.Field(_("Change in units")),
            "stock_after": audit.Field(_("Units in stock after")),
            "stock_reason": audit.Field(_("Why"), labelled(dict(StockMovement.Reason.choices))),
            "stock_counts": audit.Field(_("Stock counted"), counts),
            "tax_kind": audit.Field(_("Tax kind"), labelled(dict(ItemKind.choices))),
        }
    )


def _cart() -> None:  # cart: audit of discounts and removed lines
    from django.utils.translation import gettext_lazy as _

    from pos.models import DiscountKind
    from studio.registries import audit

    def discount_kind(value, ctx) -> str:
        return str(dict(DiscountKind.choices).get(value, value)) if value is not None else "—"

    def percent(value, ctx) -> str:
        from studio.money import format_rate

        return format_rate(value) if value not in (None, "") else "—"

    audit.register_actions(
        {
            "pos_sale.discounted": _("Discount on a sale's cart"),
            "pos_sale.line_discounted": _("Discount on a line of a sale"),
            "pos_sale.line_removed": _("Line removed from a sale's cart"),
        }
    )
    audit.register_fields(
        {
            "line_description": audit.Field(_("Line")),
            "line_total": audit.Field(_("Line total"), audit.money),
            "discount_kind": audit.Field(_("Discount"), discount_kind),
            "discount_amount": audit.Field(_("Amount off"), audit.money),
            "discount_percent": audit.Field(_("Percent off"), percent),
            "discount_given": audit.Field(_("Discount given"), audit.money),
        }
    )


def _screen() -> None:  # screen: navigation "Point of sale"
    from django.utils.translation import gettext_lazy as _

    from studio import navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm

    navigation.add_manage(NavEntry(_("Point of sale"), "pos-home", perm=Perm.SELL_POS, order=5))


def _tenders() -> None:  # tender: source kind "pos_tender" and its outcome hook, beat sweeps
    from django.utils.translation import gettext_lazy as _

    from payments.services.sources import source_kind_register
    from pos.services.tenders import SOURCE_KIND, tender_on_payment_outcome
    from studio import beat
    from studio.registries import audit

    # Each tender's payment names its tender; the hook settles the tender (webhook, reconcile).
    source_kind_register(SOURCE_KIND, on_outcome=tender_on_payment_outcome)
    # Every 15 minutes: sales left half paid for 12 hours are voided, day-old empty carts go.
    beat.register("pos-sweep-sales", task="pos.sweep_sales_all_studios", schedule=900.0)
    audit.register_actions(
        {
            "pos.sale_locked": _("Sale frozen for payment"),
            "pos.tender_taken": _("Payment taken at the point of sale"),
            "pos.tender_cancelled": _("Card payment cancelled at the point of sale"),
            "pos.sale_completed": _("Sale completed"),
            "pos.sale_voided": _("Sale abandoned"),
            "pos.line_unfulfilled": _("Sale line could not be fulfilled"),
        }
    )
    audit.register_fields(
        {
            "tender_kind": audit.Field(_("Paid by"), _tender_kind_label),
            "paid": audit.Field(_("Paid"), audit.money),
            "line": audit.Field(_("Sale line")),
            "error": audit.Field(_("Error")),
        }
    )


def _tender_kind_label(value, ctx) -> str:
    from pos.models import TenderKind

    return str(dict(TenderKind.choices).get(value, value))


def _tills() -> None:  # till: audit of cash sessions and returns, the client-profile panel "Purchases"
    from django.utils.translation import gettext_lazy as _

    import pos.emails  # noqa: F401 - the receipt's mail template registers on import
    from pos import panels
    from studio.registries import audit, profile_panels

    profile_panels.register_profile_panel(panels.PURCHASES_PANEL)
    audit.register_actions(
        {
            "till.opened": _("Till opened"),
            "till.closed": _("Till closed"),
            "pos_sale.returned": _("Point-of-sale return"),
            "pos_sale.receipt_emailed": _("Point-of-sale receipt emailed"),
        }
    )
    audit.register_fields(
        {
            "opening_float": audit.Field(_("Float at opening"), audit.money),
            "counted_cash": audit.Field(_("Cash counted"), audit.money),
            "expected_cash": audit.Field(_("Cash expected"), audit.money),
            "over_short": audit.Field(_("Over (+) or short (−)"), audit.money),
            "restock": audit.Field(_("Back in stock")),
            "recipients": audit.Field(_("Recipients")),
            "lines": audit.Field(_("Units returned per line")),
            "destination": audit.Field(_("Money goes back"), _destination_words),
            "location": audit.Field(_("Location"), _location_words),
        }
    )


def _destination_words(value, ctx) -> str:  # till: "original" / "credit", as refunds store them
    from payments.models import Refund

    return str(dict(Refund.Destination.choices).get(value, value))


def _location_words(value, ctx) -> str:  # till: a location's id, read once per page of entries
    from studio.models import Location

    location = ctx.lookups.get(Location, value) if isinstance(value, int) else None
    return location.name if location is not None else str(value)


def _readers() -> None:  # rdr: navigation "Card readers", audit of readers and POS settings
    from django.utils.translation import gettext_lazy as _

    from studio import navigation
    from studio.navigation import NavEntry
    from studio.permissions import Perm
    from studio.registries import audit

    navigation.add_manage(NavEntry(_("Card readers"), "reader-list", perm=Perm.MANAGE_CARD_READERS, order=47))
    # Settings › Point of sale: tips on the reader, beside the studio's other settings.
    navigation.add_settings_tab(
        NavEntry(_("Point of sale"), "pos-settings", perm=Perm.MANAGE_SETTINGS, settings_tab="pos-settings")
    )
    audit.register_actions({"pos.settings_updated": _("Point-of-sale settings changed")})
    audit.register_fields(
        {
            "tips_enabled": audit.Field(_("Tips on the card reader")),
            "tip_percentages": audit.Field(_("Tip percentages")),
        }
    )
