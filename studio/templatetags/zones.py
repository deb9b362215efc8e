"""Times in the zone of the place they belong to (DESIGN.md, Time).

Every page under /<studio_slug>/ already renders in the studio's zone (StudioTenantMiddleware
activates it). Where a thing belongs to a location in another zone, say so in the template:

    {% load zones %}
    {{ session.starts_at|localtime_at:session.location|date:"H:i" }}

`localtime_at` takes a Location, a Studio (anything with `time_zone`) or a zone name; the value
it returns keeps its zone through Django's `date`/`time` filters.
"""

from __future__ import annotations

import zoneinfo

from django import template
from django.templatetags.tz import do_timezone

register = template.Library()


def zone_of(where) -> zoneinfo.ZoneInfo | None:
    """The ZoneInfo of a Location/Studio/zone name, or None when it has no valid zone."""
    name = getattr(where, "time_zone", where)
    if not isinstance(name, str) or not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@register.filter
def localtime_at(value, where):
    """`value` (an aware datetime) as wall time in the zone of `where`; unchanged when either is missing."""
    zone = zone_of(where)
    if zone is None or value in (None, ""):
        return value
    return do_timezone(value, zone)


@register.filter
def zone_abbreviation(value, where=None):
    """The zone's short name at that instant ("HAE"/"EDT" are not translated by Python: "UTC−04:00")."""
    zone = zone_of(where) if where is not None else None
    if value in (None, ""):
        return ""
    local = do_timezone(value, zone) if zone is not None else value
    offset = local.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
