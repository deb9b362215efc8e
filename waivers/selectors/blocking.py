"""What stops a booking or a purchase while a waiver is missing (WAI-5), in words.

- `booking_waivers_check(attempt)`: the booking check "waivers" registered with scheduling
  (waivers.registrations): None, or the refusal naming the waiver(s) in the active language.
  A client booking on the hosted pages is told where to sign, with a link to the signing page
  of their account that brings them back to the class or the appointment page (the refusal is
  then safe HTML whose every part is escaped); staff are told to sign in person or send the link.
- `purchase_refusal(studio=, client=, plan_ids=)`: the sentence membership sales (and later
  the POS and checkout) show while a membership waiver is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from studio.models import Client, Studio
from waivers.models import Waiver, WaiverKind
from waivers.selectors.status import waivers_missing

CHECK_KEY = "waivers"


def quoted_names(waivers: Sequence[Waiver]) -> str:
    """“A”, “B” in English, « A », « B » in French."""
    return ", ".join(_("“%(name)s”") % {"name": w.name} for w in waivers)


def account_sign_url(
    *, studio: Studio, waiver: Waiver, for_client: Client | None, next_url: str
) -> str | None:
    """The client's own signing page for `waiver` (as guardian when `for_client` is a dependant),
    coming back to `next_url`; None while the signing pages are not installed."""
    try:
        url = reverse("account-waiver-sign", kwargs={"studio_slug": studio.slug, "waiver_pk": waiver.pk})
    except NoReverseMatch:
        return None
    query = {"for": for_client.pk} if for_client is not None else {}
    query["next"] = next_url
    return f"{url}?{urlencode(query)}"


def _back_url(attempt) -> str:
    """Where the client was booking: the class's page, or the service's appointment page."""
    slug = attempt.studio.slug
    if attempt.session is not None:
        return reverse("public-session", kwargs={"studio_slug": slug, "pk": attempt.session.pk})
    url = reverse("public-appointments", kwargs={"studio_slug": slug})
    query = {"service": attempt.service_id or ""}
    if attempt.calendar is not None:
        query["calendar"] = attempt.calendar.pk
    return f"{url}?{urlencode(query)}"


def booking_waivers_check(attempt) -> str | None:
    """Scheduling's booking check: refuse while a waiver this class or appointment requires is
    not signed (`waivers_missing(booking=True)`); a guardian booking for a dependant signs the
    child waiver. Reads only (a fixed number of queries), writes nothing."""
    client = attempt.client
    booker = attempt.booker
    signer = booker if booker is not None and booker.pk != client.pk else None
    missing = waivers_missing(
        studio=attempt.studio,
        client=client,
        signer=signer,
        class_template_ids=[attempt.template_id] if attempt.template_id else (),
        service_ids=[attempt.service_id] if attempt.service_id else (),
        booking=True,
    )
    if not missing:
        return None
    names = quoted_names(missing)
    count = len(missing)
    if not (attempt.by_client and booker is not None):
        return ngettext(
            "%(client)s must sign the waiver %(names)s before booking: sign it in person or send "
            "the link from their profile.",
            "%(client)s must sign the waivers %(names)s before booking: sign them in person or send "
            "the link from their profile.",
            count,
        ) % {"client": client.full_name, "names": names}
    if signer is None and missing[0].kind == WaiverKind.CHILD:
        # A dependant booking for themself: only a guardian can sign a child waiver.
        return ngettext(
            "One of your guardians must sign the waiver %(names)s before you book.",
            "One of your guardians must sign the waivers %(names)s before you book.",
            count,
        ) % {"names": names}
    if signer is not None:
        sentence = ngettext(
            "Sign the waiver %(names)s for %(client)s before booking: it is on your account's Waivers page.",
            "Sign the waivers %(names)s for %(client)s before booking: they are on your account's "
            "Waivers page.",
            count,
        ) % {"names": names, "client": client.first_name}
    else:
        sentence = ngettext(
            "Sign the waiver %(names)s before booking: it is on your account's Waivers page.",
            "Sign the waivers %(names)s before booking: they are on your account's Waivers page.",
            count,
        ) % {"names": names}
    link = account_sign_url(
        studio=attempt.studio, waiver=missing[0], for_client=signer and client, next_url=_back_url(attempt)
    )
    if link is None:
        return sentence
    # Safe HTML, every part escaped: the booking pages show the refusal with its link.
    return format_html('{} <a href="{}">{}</a>', sentence, link, _("Sign now"))


def purchase_refusal(*, studio: Studio, client: Client, plan_ids: Sequence[int]) -> str | None:
    """Why `client` cannot buy these plans yet (a membership waiver to sign), or None."""
    missing = waivers_missing(studio=studio, client=client, plan_ids=plan_ids, purchase=True)
    if not missing:
        return None
    return ngettext(
        "%(client)s must sign the waiver %(names)s before buying this plan.",
        "%(client)s must sign the waivers %(names)s before buying this plan.",
        len(missing),
    ) % {"client": client.full_name, "names": quoted_names(missing)}
