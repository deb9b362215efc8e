"""The one sanitiser of a waiver's text (WAI-1): safe formatting only, applied on every save.

A waiver's body is shown on staff pages, on the hosted signing page, in the PDF, and its SHA-256
is the signed record's fingerprint; so what is stored is already clean, and pages render the
stored string as is. nh3 (Rust's ammonia) parses the fragment as a browser would, which is what
defeats the obfuscated payloads (entities, tabs inside `javascript:`, nesting) a regex would miss.

Allowed: what the Trix editor produces and a legal text needs — headings (Trix writes `h1`),
paragraphs and `div` (Trix's paragraphs), line breaks, bold, italic, underline, strike-through,
quotes, lists, and links to http(s) or mailto (nh3 adds `rel="noopener noreferrer"`). No other
attribute survives: no `style`, no `class`, no `on*` handler, no image, no form, no frame.
"""

from __future__ import annotations

import re

import nh3

ALLOWED_TAGS = frozenset(
    {
        "h1",
        "h2",
        "h3",
        "h4",
        "p",
        "div",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "del",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"
# Removed with everything inside them, not just unwrapped: their text is code, not prose.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript", "textarea"})

# NUL and the other C0 controls (PostgreSQL refuses NUL; the rest are invisible), DEL and C1, and
# the invisible text-direction overrides and isolates, which would make a legal text read
# differently from what its characters say.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _only_href(tag: str, attribute: str, value: str) -> str | None:
    # nh3 keeps a few "generic" attributes (title, lang) on every tag whatever `attributes` says;
    # the filter also sees the `rel` nh3 itself sets on links (a typed `rel` never gets this far).
    if tag == "a" and (attribute == "href" or (attribute == "rel" and value == LINK_REL)):
        return value
    return None


def waiver_html_clean(html: str | None) -> str:
    """`html` reduced to the safe formatting above, stripped of control characters and of
    surrounding whitespace. Idempotent: cleaning a cleaned text changes nothing, so saving a
    waiver twice stores the same string (and the same hash)."""
    if not html:
        return ""
    text = _CONTROLS.sub("", str(html))
    cleaned = nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        attribute_filter=_only_href,
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return cleaned.strip()


def waiver_html_is_blank(html: str | None) -> bool:
    """Whether a sanitised text says nothing (only tags, spaces, `&nbsp;`): an empty editor."""
    if not html:
        return True
    words = re.sub(r"<[^>]*>", "", html).replace("&nbsp;", "").replace("\u00a0", "")
    return not words.strip()
