"""A studio's own version of a mail template: the restricted format, its checks, its rendering.

Staff write plain text: paragraphs separated by a blank line, `{placeholder}` where a value goes,
and optionally a little markup — bold (`<b>`/`<strong>`), italics (`<i>`/`<em>`), underline,
links (`<a href="…">`, http(s), mailto or a link placeholder) and lists (`<ul>`/`<ol>`/`<li>`).
Never Django template syntax: the body is not a template, it is data, so nothing staff write can
reach the template engine, the context or another studio's objects (docs/emails.md).

Single braces, `{client_first_name}`: what mail tools staff already know use, and any `{{`,
`{%` or `{#` is then plainly foreign and refused rather than half-understood.

Rendering: every placeholder's value is HTML-escaped and put in place, paragraphs become `<p>`,
and the result goes through nh3 (allow-list sanitising) before it is set into the real layout;
the plain-text part is derived from that same HTML, so both parts always say the same thing.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from studio.inputs import has_nul
from studio.notifications.placeholders import placeholders_of
from studio.notifications.registry import MailTemplate

SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10_000

INLINE_TAGS = {"b", "strong", "i", "em", "u", "a"}
BLOCK_TAGS = {"ul", "ol", "li", "p"}
VOID_TAGS = {"br"}
ALLOWED_TAGS = INLINE_TAGS | BLOCK_TAGS | VOID_TAGS
LINK_SCHEMES = ("http://", "https://", "mailto:")

_TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
_BRACED = re.compile(r"\{([^{}]*)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
_LIST_EDGE = re.compile(r"^\s*</?(ul|ol|li)\b", re.I)
_ENDS_LIST_TAG = re.compile(r"</?(ul|ol|li)>\s*$", re.I)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html_fragment: str


def _names(template: MailTemplate) -> list[str]:
    return [p.name for p in placeholders_of(template)]


def _braced(names) -> str:
    return ", ".join("{" + name + "}" for name in names)


def _known_list(template: MailTemplate) -> str:
    return _braced(_names(template))


def _check_text(value: str, *, template: MailTemplate, errors: list[str]) -> set[str]:
    """Template syntax, braces and placeholder names; returns the placeholders used."""
    if has_nul(value) or _CONTROL.search(value):
        errors.append(_("Remove the control characters (such as NUL) from the text."))
        return set()
    if _TEMPLATE_SYNTAX.search(value):
        errors.append(
            _(
                "Template code ({{ … }}, {%% … %%}) is not allowed: write a placeholder as {name}, for example %(example)s."
            )
            % {"example": "{studio_name}"}
        )
        return set()
    known = set(_names(template))
    used: set[str] = set()
    unknown: list[str] = []
    for match in _BRACED.finditer(value):
        name = match.group(1).strip()
        if name in known:
            used.add(name)
        elif name not in unknown:
            unknown.append(name)
    if unknown:
        errors.append(
            _("Unknown placeholder %(names)s. This email knows: %(known)s.")
            % {"names": _braced(unknown), "known": _known_list(template)}
        )
    rest = _BRACED.sub("", value)
    if "{" in rest or "}" in rest:
        errors.append(_("A brace is not closed: a placeholder is written {name}, braces are kept for them."))
    return used


class _MarkupChecker(HTMLParser):
    """Finds markup that is not in the allow-list or would break out of the layout."""

    def __init__(self, *, links: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.links = links
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.refused: set[str] = set()

    def _refuse(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.refused.add(tag)
            self._refuse(
                _("The tag <%(tag)s> is not allowed: only bold, italics, links and lists can be used.")
                % {"tag": tag}
            )
            return
        for name, value in attrs:
            if tag == "a" and name == "href":
                target = (value or "").strip()
                braced = _BRACED.fullmatch(target)
                if not (
                    target.lower().startswith(LINK_SCHEMES)
                    or (braced and braced.group(1).strip() in self.links)
                ):
                    self._refuse(
                        _("A link must start with https://, http:// or mailto:, or be a link placeholder.")
                    )
            else:
                self._refuse(
                    _("The attribute “%(attr)s” of <%(tag)s> is not allowed.") % {"attr": name, "tag": tag}
                )
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        if tag in VOID_TAGS:
            self.handle_starttag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.refused:
            return
        if tag not in ALLOWED_TAGS:
            self._refuse(
                _("The tag </%(tag)s> is not allowed: only bold, italics, links and lists can be used.")
                % {"tag": tag}
            )
            return
        if tag in VOID_TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self._refuse(_("The closing tag </%(tag)s> does not match an open tag.") % {"tag": tag})
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_comment(self, data):
        self._refuse(_("HTML comments are not allowed."))

    def handle_decl(self, decl):
        self._refuse(_("HTML declarations are not allowed."))

    def handle_pi(self, data):
        self._refuse(_("HTML declarations are not allowed."))

    def unknown_decl(self, data):
        self._refuse(_("HTML declarations are not allowed."))


def override_check(*, template: MailTemplate, subject: str, body: str) -> None:
    """Refuse a subject and body that cannot be sent as they are, with sentences naming why.

    Raises ValidationError({"subject": [...], "body": [...]}).
    """
    errors: dict[str, list[str]] = {}
    subject_errors: list[str] = []
    if not subject.strip():
        subject_errors.append(_("Write a subject."))
    elif len(subject) > SUBJECT_MAX_LENGTH:
        subject_errors.append(
            _("The subject is too long (%(max)d characters at most).") % {"max": SUBJECT_MAX_LENGTH}
        )
    elif "\n" in subject or "\r" in subject:
        subject_errors.append(_("The subject is one line."))
    else:
        _check_text(subject, template=template, errors=subject_errors)
    if subject_errors:
        errors["subject"] = subject_errors

    body_errors: list[str] = []
    if not body.strip():
        body_errors.append(_("Write the message."))
    elif len(body) > BODY_MAX_LENGTH:
        body_errors.append(
            _("The message is too long (%(max)d characters at most).") % {"max": BODY_MAX_LENGTH}
        )
    else:
        used = _check_text(body, template=template, errors=body_errors)
        if not body_errors:
            links = {p.name for p in placeholders_of(template) if p.kind == "link"}
            checker = _MarkupChecker(links=links)
            checker.feed(body)
            checker.close()
            body_errors += checker.errors
            for tag in reversed(checker.stack):
                body_errors.append(_("The tag <%(tag)s> is not closed.") % {"tag": tag})
                break
            # A placeholder that is required but absent: the message would be useless without it
            # (the link of an invitation, a reset, a waiver to sign).
            missing = [p.name for p in placeholders_of(template) if p.required and p.name not in used]
            if missing:
                body_errors.append(_("This email must contain %(names)s.") % {"names": _braced(missing)})
    if body_errors:
        errors["body"] = body_errors
    if errors:
        raise ValidationError(errors)


def _substitute(text: str, values: dict, *, escape: bool) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1).strip()
        if name not in values:
            return match.group(0)
        value = str(values[name])
        return html.escape(value) if escape else value

    return _BRACED.sub(one, text)


def _paragraphs(source: str) -> str:
    """Blank lines separate paragraphs; a single line break is a <br> (not next to a list's tags)."""
    blocks = []
    for block in _BLANK_LINES.split(source.replace("\r\n", "\n").replace("\r", "\n").strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        joined = lines[0]
        for previous, line in itertools.pairwise(lines):
            listy = _ENDS_LIST_TAG.search(previous) or _LIST_EDGE.match(line)
            joined += ("\n" if listy else "<br>\n") + line
        starts_block = re.match(r"^\s*<(ul|ol|p)\b", joined, re.I)
        blocks.append(joined if starts_block else f"<p>{joined}</p>")
    return "\n".join(blocks)


def _sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _TextWriter(HTMLParser):
    """The plain-text part from the sanitized HTML: links as "text (url)", list items as "- "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.link_text = []
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in {"ul", "ol", "p"}:
            self.out.append("\n\n")

    def handle_endtag(self, tag):
        if tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            href = self.href
            self.href = None
            if not text or text == href:
                self.out.append(href)
            else:
                self.out.append(f"{text} ({href})")
        elif tag in {"ul", "ol", "p"}:
            self.out.append("\n\n")

    def handle_data(self, data):
        data = data.replace("\n", "")
        if self.href is not None:
            self.link_text.append(data)
        else:
            self.out.append(data)


def html_to_text(fragment: str) -> str:
    writer = _TextWriter()
    writer.feed(fragment)
    writer.close()
    text = "".join(writer.out)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def override_render(*, subject: str, body: str, values: dict) -> Rendered:
    """Subject, plain text and the HTML fragment (to set into the layout) with `values` in place.

    Call inside the addressee's language: values are rendered with `str()` (dates, amounts)."""
    rendered_subject = re.sub(r"[ \t\r\n]+", " ", _substitute(subject, values, escape=False)).strip()
    fragment = _sanitize(_paragraphs(_substitute(body, values, escape=True)))
    return Rendered(subject=rendered_subject[:255], text=html_to_text(fragment), html_fragment=fragment)
