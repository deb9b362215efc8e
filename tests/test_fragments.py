"""studio.fragments: a fragment drawn once per key, then filled with each call's values, escaped."""

from __future__ import annotations

import pytest
from django.utils.safestring import mark_safe

from studio import fragments


def test_a_fragment_is_drawn_once_per_key_and_filled_escaped():
    fragments.cache_clear()
    drawn = []

    def draw(marks):
        drawn.append(marks)
        return f'<a href="{marks["url"]}">{marks["name"]} · {marks["name"]}</a>'

    first = fragments.filled("k", draw, {"url": "/a?x=1&y=2", "name": "<Léa>"})
    second = fragments.filled("k", draw, {"url": "/b", "name": mark_safe("<b>Bo</b>")})
    assert first == '<a href="/a?x=1&amp;y=2">&lt;Léa&gt; · &lt;Léa&gt;</a>'
    assert second == '<a href="/b"><b>Bo</b> · <b>Bo</b></a>'
    assert len(drawn) == 1
    fragments.filled("other", draw, {"url": "/c", "name": "C"})
    assert len(drawn) == 2


def test_a_value_missing_from_the_drawing_is_refused():
    fragments.cache_clear()
    with pytest.raises(ValueError, match="token"):
        fragments.filled("k2", lambda marks: f"<p>{marks['url']}</p>", {"url": "/", "token": "t"})
