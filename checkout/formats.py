"""How the checkout writes a moment for its reader (a line's class or appointment time)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import formats

from studio import formats as studio_formats


def moment_label(moment: dt.datetime, zone_name: str) -> str:
    """`moment` in `zone_name`, as the active language writes a short date and a time."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return f"{studio_formats.date_format(local.date(), 'SHORT_DATE_FORMAT')} {formats.time_format(local, 'TIME_FORMAT')}"
