"""The waiver text sanitiser (WAI-1): safe formatting kept, every script vector removed."""

from __future__ import annotations

import re

import pytest

from waivers.sanitize import waiver_html_clean, waiver_html_is_blank

# Each payload, and a marker that must not survive anywhere in the cleaned output.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="jav\tascript:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
    '<a href="&#x6A;avascript:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="https://ok.test" onclick="alert(1)">click</a>',
    '<a href="https://ok.test" onmouseover=alert(1)>click</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<div style=\"width: expression(alert('x'))\">x</div>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<strong><em><a href=javascript:alert(1)>nested</a></em></strong>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    '<input autofocus onfocus="alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<details open ontoggle=alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "<style>@import 'javascript:alert(1)';</style>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    '<a href="java\x00script:alert(1)">nul</a>',
    "<p>safe</p>\x00<script>alert(1)</script>",
]
FORBIDDEN = re.compile(
    r"<\s*(script|img|svg|iframe|object|embed|form|input|button|style|meta|base|math|details|body|noscript|template)\b"
    r"|\bon[a-z]+\s*="
    r"|javascript:|vbscript:|data:|style\s*=|expression\(",
    re.IGNORECASE,
)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_script_vector_survives(payload):
    cleaned = waiver_html_clean(payload)
    assert not FORBIDDEN.search(cleaned), cleaned
    assert "alert(1)</" not in cleaned
    # Cleaning the cleaned text changes nothing (saving twice stores the same string and hash).
    assert waiver_html_clean(cleaned) == cleaned


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_script_vector_survives_inside_allowed_formatting(payload):
    cleaned = waiver_html_clean(f"<h2>Title</h2><p>Before {payload} after</p><ul><li>{payload}</li></ul>")
    assert not FORBIDDEN.search(cleaned), cleaned
    assert cleaned.startswith("<h2>Title</h2>")


def test_script_and_style_contents_are_removed_not_shown_as_text():
    assert waiver_html_clean(
        "<p>a</p><script>var secret = 1;</script><style>p{color:red}</style><p>b</p>"
    ) == ("<p>a</p><p>b</p>")


def test_safe_formatting_is_kept():
    html = (
        "<h1>One</h1><h2>Two</h2><h3>Three</h3><h4>Four</h4>"
        "<p>A <strong>bold</strong>, <b>b</b>, <em>em</em>, <i>i</i>, <u>u</u> and <del>del</del> word.</p>"
        "<div>Trix paragraph<br>next line</div><blockquote>Quote</blockquote>"
        "<ul><li>one</li></ul><ol><li>two</li></ol>"
    )
    assert waiver_html_clean(html) == html


def test_links_keep_http_https_mailto_only_with_rel():
    cleaned = waiver_html_clean(
        '<a href="https://studio.test/rules" target="_blank" title="t">rules</a> '
        '<a href="http://studio.test">http</a> <a href="mailto:desk@studio.test">mail</a> '
        '<a href="/relative">rel</a> <a href="ftp://x.test">ftp</a> <a href="tel:+15145550000">tel</a>'
    )
    assert '<a href="https://studio.test/rules" rel="noopener noreferrer">rules</a>' in cleaned
    assert '<a href="http://studio.test" rel="noopener noreferrer">http</a>' in cleaned
    assert '<a href="mailto:desk@studio.test" rel="noopener noreferrer">mail</a>' in cleaned
    for gone in ("/relative", "ftp:", "tel:", "target", "title="):
        assert gone not in cleaned


def test_attributes_other_than_href_are_dropped():
    cleaned = waiver_html_clean('<p class="x" id="y" data-x="1" style="color:red" dir="rtl" lang="fr">t</p>')
    assert cleaned == "<p>t</p>"


def test_unknown_tags_are_unwrapped_keeping_their_words():
    assert waiver_html_clean("<p><span>kept</span> <font color=red>words</font></p>") == "<p>kept words</p>"


def test_nul_control_and_direction_characters_are_stripped():
    cleaned = waiver_html_clean("<p>a\x00b\x01c\x1fd\x7fe\u202ef\u2066g\u0085h</p>\r\n<p>Zoé\ttab</p>")
    assert cleaned == "<p>abcdefgh</p>\r\n<p>Zoé\ttab</p>" or cleaned == "<p>abcdefgh</p>\n<p>Zoé\ttab</p>"
    for char in ("\x00", "\x01", "\x1f", "\x7f", "\u202e", "\u2066", "\u0085"):
        assert char not in cleaned


def test_text_is_escaped_not_interpreted():
    assert waiver_html_clean("1 < 2 & 3 > 2") == "1 &lt; 2 &amp; 3 &gt; 2"
    assert waiver_html_clean("&lt;script&gt;") == "&lt;script&gt;"


def test_empty_and_blank_texts():
    assert waiver_html_clean("") == ""
    assert waiver_html_clean(None) == ""
    assert waiver_html_is_blank(waiver_html_clean("<div><br></div>"))
    assert waiver_html_is_blank(waiver_html_clean("<p>&nbsp;</p>"))
    assert waiver_html_is_blank(waiver_html_clean("<script>only code</script>"))
    assert not waiver_html_is_blank(waiver_html_clean("<p>Words</p>"))


@pytest.mark.parametrize(
    "html",
    [
        "<p>Accents : é, « guillemets », l’apostrophe, 50\u00a0%</p>",
        "<ul><li>a<ul><li>nested</li></ul></li></ul>",
        "<p>unclosed <strong>bold",
        "<li>orphan item</li>",
        "<h1>Trix heading</h1><div><strong>Bold</strong><br><br></div>",
    ],
)
def test_cleaning_is_idempotent(html):
    once = waiver_html_clean(html)
    assert waiver_html_clean(once) == once
