"""studio.form_renderer draws widgets and labels exactly as Django's own templates do."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from studio.form_renderer import FormRenderer

DJANGO = DjangoTemplates()
OURS = FormRenderer()

ATTRS = {
    "class": 'a "quoted" & <b>',
    "required": True,
    "disabled": False,
    "maxlength": 24,
    "data-x": mark_safe("<safe>"),
    "placeholder": gettext_lazy("Amount"),
    "aria-describedby": "",
}


class Everything(forms.Form):
    text = forms.CharField(label="Name & <title>", widget=forms.TextInput(attrs=ATTRS))
    empty = forms.CharField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput)
    email = forms.EmailField(label="Email?")
    number = forms.IntegerField(label=mark_safe("<b>N</b>"))
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    url = forms.URLField(assume_scheme="https")
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    agree = forms.BooleanField(required=False)
    pick = forms.ChoiceField(
        choices=[("", "—"), ("a", "A & B"), ("Group <1>", [("b", "B"), ("c", '"C"')]), (3, 3)]
    )
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")])
    maybe = forms.NullBooleanField()
    when = forms.DateField(widget=forms.SelectDateWidget(years=[2026, 2027]))
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    notes = forms.CharField(widget=forms.Textarea)


def _draw(form) -> list[str]:
    out = []
    for field in form:
        out.append(str(field))
        out.append(str(field.label_tag()))
        out.append(str(field.label_tag(attrs={"class": "x"}, label_suffix="")))
        out.append(str(field.legend_tag()))
    out.append(str(form))
    return out


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": 'Léa "L" <3',
            "hidden": "h&",
            "email": "x",
            "number": "²",
            "password": "p<",
            "day": "2026-12-02",
            "agree": "on",
            "pick": "c",
            "many": ["x", "y"],
            "maybe": "true",
            "when_day": "2",
            "when_month": "12",
            "when_year": "2026",
            "kind": "b",
        },
    ],
)
def test_every_widget_and_label_is_djangos_markup(language, data):
    initial = {
        "text": "a & b",
        "day": dt.date(2026, 12, 2),
        "agree": True,
        "pick": 3,
        "when": dt.date(2027, 1, 5),
    }
    with override(language):
        ours = _draw(Everything(data, initial=initial, renderer=OURS))
        theirs = _draw(Everything(data, initial=initial, renderer=DJANGO))
        no_ids = Everything(auto_id=False, renderer=OURS)
        assert _draw(no_ids) == _draw(Everything(auto_id=False, renderer=DJANGO))
    assert ours == theirs
    assert 'value="a &amp; b"' in ours[0] or data is not None


def test_an_app_template_of_the_same_name_is_drawn_by_the_engine(monkeypatch):
    renderer = FormRenderer()
    assert renderer._draws("django/forms/widgets/text.html")

    class Origin:
        name = "/work/main/templates/django/forms/widgets/text.html"

    class Template:
        origin = Origin()

    monkeypatch.setattr(renderer, "get_template", lambda name: Template())
    assert not renderer._draws("django/forms/widgets/hidden.html")


def test_it_is_the_products_form_renderer(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "studio.form_renderer.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)
