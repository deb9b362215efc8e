"""The form renderer (settings.FORM_RENDERER): Django's, with its most drawn templates written in Python.

Every widget and every label a form draws goes through the template engine: an `<input>` is three
templates (text.html → input.html → attrs.html) and a context of a dozen keys, about a quarter of a
millisecond each. A page of forms pays that per field: the POS tender panel's five forms drew
~25 widgets and labels on a cart change (issue #14's cart budget is 30 ms for the whole request).
Here the plain input widgets (text, hidden, email, number…, checkbox), the select with its options
and the label write the same markup as Django's own templates with `format_html`, from the same
context Django builds; anything else (another widget, a template an app overrides) is rendered by
the template engine as before. `tests/test_form_renderer.py` holds each to Django's own output.
"""

from __future__ import annotations

from collections.abc import Callable

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

_INPUT_KINDS = (
    "text",
    "hidden",
    "email",
    "number",
    "password",
    "url",
    "tel",
    "search",
    "date",
    "datetime",
    "time",
    "color",
    "checkbox",
)
_OPTION = "django/forms/widgets/select_option.html"


def _shown(value) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape: the value as text, escaped unless safe."""
    return str(conditional_escape(value if isinstance(value, str) else f"{value}"))


def _attrs(attrs) -> str:
    """Django's attrs.html: ` name="value"` per attribute, ` name` for True, nothing for False."""
    if not attrs:
        return ""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{_shown(value)}"')
    return "".join(out)


def _input(context: dict) -> str:
    widget = context["widget"]
    value = "" if widget["value"] is None else f' value="{_shown(widget["value"])}"'
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        mark_safe(value),  # noqa: S308 - escaped by _shown
        mark_safe(_attrs(widget["attrs"])),  # noqa: S308 - escaped by _attrs
    )


def _select(context: dict) -> str | None:
    widget = context["widget"]
    parts = [format_html('<select name="{}"{}>', widget["name"], mark_safe(_attrs(widget["attrs"])))]  # noqa: S308
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None  # an option drawn its own way: the template engine draws the select
            parts.append(
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    mark_safe(_shown(option["value"])),  # noqa: S308 - escaped by _shown
                    mark_safe(_attrs(option["attrs"])),  # noqa: S308 - escaped by _attrs
                    option["label"],
                )
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(str(part) for part in parts)


def _label(context: dict) -> str:
    if not context["use_tag"]:
        return str(conditional_escape(context["label"]))
    return format_html(
        "<{}{}>{}</{}>",
        context["tag"],
        mark_safe(_attrs(context["attrs"])),  # noqa: S308 - escaped by _attrs
        context["label"],
        context["tag"],
    )


_DRAWN: dict[str, Callable[[dict], str | None]] = {
    **{f"django/forms/widgets/{kind}.html": _input for kind in _INPUT_KINDS},
    "django/forms/widgets/input.html": _input,
    "django/forms/widgets/select.html": _select,
    "django/forms/label.html": _label,
}


class FormRenderer(DjangoTemplates):
    """Django's `DjangoTemplates` form renderer; the templates in `_DRAWN` are written directly,
    unless an app's templates override them (then the engine draws them, as Django would)."""

    def __init__(self):
        super().__init__()
        self._direct: dict[str, bool] = {}

    def _draws(self, template_name: str) -> bool:
        known = self._direct.get(template_name)
        if known is None:
            origin = self.get_template(template_name).origin.name
            # Only Django's own file: a template of ours by that name is drawn as written.
            known = self._direct[template_name] = origin.replace("\\", "/").endswith(
                f"django/forms/templates/{template_name}"
            )
        return known

    def render(self, template_name, context, request=None):
        draw = _DRAWN.get(template_name)
        if draw is not None and self._draws(template_name):
            html = draw(context)
            if html is not None:
                return SafeString(html.strip())
        return super().render(template_name, context, request=request)
