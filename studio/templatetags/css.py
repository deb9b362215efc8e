"""`{{ value|css_string }}`: a value written inside a CSS string ("…") of a <style> block.

A <style> element's text is not HTML-decoded, so Django's HTML escaping would print `&amp;` as is,
and `escapejs` writes JavaScript escapes (`\\u0026`) that CSS reads as the letters "u0026". CSS has its
own escape, a backslash, the code point in hex and a space: every character that could end the
string, the rule or the element (quotes, backslash, <, >, &, line breaks, control characters) is
written that way; letters, digits and ordinary punctuation stay as they are.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_PLAIN_PUNCTUATION = frozenset(" -_.,;:!?'()·—–/+=%#@")


@register.filter
def css_string(value) -> SafeString:
    text = "" if value is None else str(value)
    out = []
    for char in text:
        if char.isalnum() or char in _PLAIN_PUNCTUATION:
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return mark_safe("".join(out))  # noqa: S308 - every character that could close the string or the element is escaped
