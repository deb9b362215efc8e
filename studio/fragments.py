"""Markup that is the same on every request but for a few values, drawn by the template engine once.

Some fragments are drawn on nearly every request of a busy screen with the same markup except a
handful of values: the POS tender panel's forms (each form's amounts, its one-time token, the CSRF
token) on every cart change that makes something to pay. Drawing them through templates, form
fields and widgets each time was a third of such a request (issue #14). `filled` draws a fragment
once per `key` with a marker in place of each value, keeps the text, and afterwards only puts each
request's values, escaped, where the markers were.

`key` must name everything else the markup depends on (the language, the currency, the choices of
a select, which fields there are…): the caller's test holds the filled fragment to a direct
drawing for each case it uses. Only markup is kept, never a value: nothing shown can be stale.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Mapping

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

_MAX = 512  # fragments per process: a bound, not a working limit
_cache: dict[Hashable, tuple[str, ...]] = {}
_lock = threading.Lock()


def _mark(name: str) -> str:
    # Letters and digits only: they come out of escaping, `stringformat` and a widget unchanged.
    return f"0FRAGMENT{name.upper().replace('_', 'X')}MARK0"


def filled(
    key: Hashable, draw: Callable[[Mapping[str, str]], str], values: Mapping[str, object]
) -> SafeString:
    """`draw(marks)` — the fragment drawn with `marks[name]` where each value goes — once per
    `key`; then that markup with `values` (escaped unless already safe) in place of the marks.

    Each mark must appear in the drawn markup (at least once, every place is filled)."""
    parts = _cache.get(key)
    if parts is None:
        marks = {_mark(name): name for name in values}
        markup = str(draw({name: mark for mark, name in marks.items()}))
        missing = [name for mark, name in marks.items() if mark not in markup]
        if missing:
            raise ValueError(f"fragment {key!r}: {missing} not in the markup")
        # Text and marks alternate: ("text", mark, "text", …, "text"); the marks become names.
        pieces = re.split("(" + "|".join(map(re.escape, marks)) + ")", markup)
        parts = tuple(marks[piece] if index % 2 else piece for index, piece in enumerate(pieces))
        with _lock:
            if len(_cache) >= _MAX:
                _cache.clear()
            _cache[key] = parts
    return SafeString(
        "".join(
            str(conditional_escape(values[piece])) if index % 2 else piece
            for index, piece in enumerate(parts)
        )
    )


def cache_clear() -> None:
    """Forget every drawn fragment (tests)."""
    with _lock:
        _cache.clear()
