"""iCalendar (RFC 5545) for "add to calendar": one booking, or a client's whole feed (SCH-6).

Times are written in UTC (`…Z`), which every calendar application converts to its own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start = [], 0
    while start < len(data):
        end = min(start + (75 if not parts else 74), len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    return "\r\n ".join(parts)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(events: Iterable[Event], *, name: str) -> str:
    now = _stamp(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Atelier//Scheduling//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{now}",
            f"DTSTART:{_stamp(event.start)}",
            f"DTEND:{_stamp(event.end)}",
            f"SUMMARY:{_escape(event.summary)}",
        ]
        if event.location:
            lines.append(f"LOCATION:{_escape(event.location)}")
        if event.description:
            lines.append(f"DESCRIPTION:{_escape(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def booking_event(booking, *, host: str) -> Event:
    session = booking.session
    place = session.place
    if session.location_id and session.location.address_line:
        place = f"{place}, {session.location.address_line}, {session.location.city}".rstrip(", ")
    return Event(
        uid=f"booking-{booking.pk}@{booking.studio.slug}.{host}",
        start=session.starts_at,
        end=session.ends_at,
        summary=f"{session.template.name} · {booking.studio.name}",
        location=place,
        description=str(session.teacher),
        url=session.online_url,
        cancelled=session.is_cancelled or not booking.is_active,
    )


def appointment_event(appointment, *, host: str) -> Event:
    location = appointment.calendar.location
    return Event(
        uid=f"appointment-{appointment.pk}@{appointment.studio.slug}.{host}",
        start=appointment.starts_at,
        end=appointment.ends_at,
        summary=f"{appointment.service.name} · {appointment.studio.name}",
        location=", ".join(p for p in (location.name, location.address_line, location.city) if p),
        description=str(appointment.calendar.teacher),
        cancelled=not appointment.is_active,
    )
