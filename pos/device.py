"""The selling location this device (the tablet beside the reader) is set to (POS-1).

The clerk picks a home location once; the choice is remembered in the cookie
`atelier_pos_location` on that browser, scoped to the studio's pages. Every POS view reads it
through `selling_location(request)`, which trusts nothing in the cookie: only a home,
non-archived location of the request's studio is returned, anything else is None (the screen then
asks for a location again).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from studio.models import Location

COOKIE_NAME = "atelier_pos_location"
# A tablet stays at its desk for months; a year keeps the choice without asking again.
COOKIE_MAX_AGE = 365 * 24 * 3600
# Location ids are bigints: more than 19 characters is not an id.
_MAX_ID_CHARS = 19


def _cookie_path(studio) -> str:
    return f"/{studio.slug}/"


def _parse_id(raw: str | None) -> int | None:
    # isdecimal() alone would accept non-ASCII digits ("²" is not, "٣" is): ASCII only.
    if not raw or len(raw) > _MAX_ID_CHARS or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value or None


def sellable_locations(*, studio):
    """The locations a device of `studio` may sell from: home locations that are not archived."""
    return Location.objects.filter(studio=studio, is_home_location=True, archived_at__isnull=True).order_by(
        "name"
    )


def selling_location(request: HttpRequest) -> Location | None:
    """The location this device sells from, or None when none is set or the cookie names a location
    that is not (or no longer) a home, non-archived location of the request's studio."""
    studio = getattr(request, "studio", None)
    if studio is None:
        return None
    cached = getattr(request, "_pos_selling_location", False)
    if cached is not False:
        return cached
    location_id = _parse_id(request.COOKIES.get(COOKIE_NAME))
    location = None
    if location_id is not None:
        location = sellable_locations(studio=studio).filter(pk=location_id).first()
    # One query per request, however many views/templates ask.
    request._pos_selling_location = location
    return location


def remember_location(response: HttpResponse, location: Location, *, studio=None) -> HttpResponse:
    """Remember `location` as this device's selling location (the caller has checked it is a home,
    non-archived location of the studio, e.g. with `sellable_locations`). Pass `studio` to spare
    the query for `location.studio`."""
    response.set_cookie(
        COOKIE_NAME,
        str(location.pk),
        max_age=COOKIE_MAX_AGE,
        path=_cookie_path(studio or location.studio),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def forget_location(response: HttpResponse, *, studio) -> HttpResponse:
    """Forget this device's selling location (the clerk wants to pick another)."""
    response.delete_cookie(COOKIE_NAME, path=_cookie_path(studio), samesite="Lax")
    return response
