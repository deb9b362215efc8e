"""Reading Stripe's mapping file (PAY-10): its columns, its delimiter, its rows, streamed."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

# --- the file's columns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    required: bool


COLUMNS = (
    Column("customer_old", ("customer_id_old", "old_customer_id", "customer_id", "customer"), True),
    Column("customer_new", ("customer_id_new", "new_customer_id"), False),
    Column(
        "source_old",
        ("source_id_old", "old_source_id", "payment_method_id_old", "old_payment_method_id", "source_id"),
        True,
    ),
    Column(
        "source_new",
        ("source_id_new", "new_source_id", "payment_method_id_new", "new_payment_method_id"),
        True,
    ),
)

CUSTOMER_PREFIXES = ("cus_",)
SOURCE_PREFIXES = ("pm_", "card_", "src_", "ba_")


def column_label(key: str) -> str:
    return {
        "customer_old": _("old customer id"),
        "customer_new": _("new customer id"),
        "source_old": _("old payment method id"),
        "source_new": _("new payment method id"),
    }[key]


def _normalise(name: str) -> str:
    return name.strip().strip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def migration_columns(header: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Map the file's header to our fields: ({our field: the file's column}, [missing fields])."""
    by_name: dict[str, str] = {}
    for name in header:
        by_name.setdefault(_normalise(name), name)
    mapping: dict[str, str] = {}
    for column in COLUMNS:
        for alias in column.aliases:
            if alias in by_name and by_name[alias] not in mapping.values():
                mapping[column.key] = by_name[alias]
                break
    missing = [c.key for c in COLUMNS if c.required and c.key not in mapping]
    return mapping, missing


def _delimiter(first_line: str) -> str:
    """Stripe writes commas; a file re-saved by a spreadsheet may use semicolons or tabs."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _lines(text: str) -> Iterator[str]:
    """The text's lines, one slice at a time (no second copy of the whole file)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end == -1 else end + 1
        yield text[start:end]
        start = end


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip("\r") if "\n" in text[:100_000] else text[:100_000].strip("\r")


def header_of(text: str) -> list[str]:
    first = _first_line(text)
    return next(csv.reader([first], delimiter=_delimiter(first)), [])


def read_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each non-blank record after the header, streamed."""
    reader = csv.reader(_lines(text), delimiter=_delimiter(_first_line(text)))
    next(reader, None)
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells
