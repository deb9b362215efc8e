"""Template helpers for scheduling pages."""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

register = template.Library()


# The week pages show hundreds of cards: each is built here in one call rather than from a dozen
# template nodes, which is most of what keeps a 300-class week within the page-time budget.


@register.simple_tag
def staff_card(card, base_url: str, end_label: str = ""):
    """One class on the staff calendar (week or day view)."""
    count = f"{card.booked_count}/{card.capacity}"
    if card.waitlist_count:
        count += f" · +{card.waitlist_count}"
    if card.is_cancelled:
        count += f" · {gettext('Cancelled')}"
    time_label = f"{card.start_label}–{end_label}" if end_label else card.start_label
    return format_html(
        '<a class="session{}" style="--c:{}" href="{}{}/"><span class="time">{}{}</span> <strong>{}</strong>'
        '<span class="meta">{} · {}</span><span class="count">{}</span></a>',
        " cancelled" if card.is_cancelled else "",
        card.colour,
        base_url,
        card.pk,
        time_label,
        zone_note(card),
        card.name,
        card.teacher,
        card.place,
        count,
    )


def zone_note(card) -> str:
    """The zone's city, "(Vancouver)", after the time of a class whose location keeps another
    zone than the studio's; small, so that it fits a week column at 1024 px."""
    return format_html(' <small class="zone">({})</small>', card.zone) if card.zone else ""


@register.simple_tag
def public_card_state(card, now) -> str:
    """The right-hand state of a class on the public week: cancelled, your bookings, spots left."""
    if card.is_cancelled:
        return format_html('<span class="badge bad">{}</span>', gettext("Cancelled"))
    parts = [
        format_html(
            '<span class="badge {}">{}: {}</span> ',
            b.status_badge or "ok",
            b.client.first_name,
            b.get_status_display(),
        )
        for b in card.my_bookings
    ]
    if card.ends_at <= now:
        parts.append(format_html('<span class="muted">{}</span>', gettext("Ended")))
    elif card.starts_at <= now:
        parts.append(format_html('<span class="muted">{}</span>', gettext("Started")))
    elif not card.spots_left:
        parts.append(format_html('<span class="badge warn">{}</span>', gettext("Full — waitlist")))
    else:
        left = ngettext("%(n)s spot left", "%(n)s spots left", card.spots_left) % {"n": card.spots_left}
        parts.append(format_html('<span class="muted">{}</span>', left))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part built by format_html


@register.simple_tag
def public_card(card, base_url: str, now):
    """One class on the public week (`public_cards` of that one class)."""
    return public_cards([card], base_url, now)


@register.simple_tag
def public_cards(cards, base_url: str, now):
    """A day of the public week: every class's card in one call (a week shows hundreds; one
    template node per card was most of the page's time); the values a week repeats (names,
    teachers, places, colours) are escaped once, and a state without personal badges worded once."""
    escaped: dict[str, str] = {}

    def esc(value) -> str:
        text = str(value)
        out = escaped.get(text)
        if out is None:
            out = escaped[text] = escape(text)
        return out

    states: dict[tuple, str] = {}  # a state without personal badges, by (kind, spots left)

    def state(card) -> str:
        if card.my_bookings or card.is_cancelled:
            return public_card_state(card, now)
        key = (
            ("ended",)
            if card.ends_at <= now
            else ("started",)
            if card.starts_at <= now
            else ("open", card.spots_left)
        )
        found = states.get(key)
        if found is None:
            found = states[key] = public_card_state(card, now)
        return found

    base = esc(base_url)
    out = []
    for card in cards:
        out.append(
            f'<li class="public-session{" cancelled" if card.is_cancelled else ""}" style="--c:{esc(card.colour)}">'
            f'<span class="time">{esc(card.start_label)}{zone_note(card) if card.zone else ""}</span>'
            f'<span class="what"><a href="{base}{int(card.pk)}/">{esc(card.name)}</a>'
            f"<small>{esc(card.teacher)} · {esc(card.place)}</small></span>"
            f'<span class="state">{state(card)}</span></li>'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above


@register.filter
def short_name(client) -> str:
    """First name and last initial: all the kiosk may show of a client."""
    initial = f" {client.last_name[:1]}." if client.last_name else ""
    return f"{client.first_name}{initial}"
