"""The HTML sanitizer: hostile payloads come out inert, useful markup survives."""

from __future__ import annotations

import re

import lxml.html
import pytest

from ren_index.validate.sanitize import ALLOWED_TAGS, LINK_REL, sanitize_html

HOSTILE = [
    ("<script>alert(1)</script>Bonjour", "Bonjour"),
    ("<SCRIPT SRC=https://evil.example/x.js></SCRIPT>Bonjour", "Bonjour"),
    ('<img src="x" onerror="alert(1)">Bonjour', "Bonjour"),
    ('<p onclick="alert(1)" onmouseover="alert(2)">Bonjour</p>', "<p>Bonjour</p>"),
    ('<a href="javascript:alert(1)">Bonjour</a>', f'<a rel="{LINK_REL}">Bonjour</a>'),
    ('<a href="  JaVaScRiPt:alert(1)">Bonjour</a>', f'<a rel="{LINK_REL}">Bonjour</a>'),
    ('<a href="jav&#x09;ascript:alert(1)">Bonjour</a>', f'<a rel="{LINK_REL}">Bonjour</a>'),
    ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">Bonjour</a>', None),
    ('<a href="vbscript:msgbox(1)">Bonjour</a>', None),
    ('<iframe src="https://evil.example/"></iframe>Bonjour', "Bonjour"),
    ("<style>body { display: none }</style>Bonjour", "Bonjour"),
    ('<p style="background:url(javascript:alert(1))">Bonjour</p>', "<p>Bonjour</p>"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"),  # stays words
    ("<scr<script>ipt>alert(1)</script>", None),
    ("<svg><script>alert(1)</script></svg>Bonjour", "Bonjour"),
    ('<svg onload="alert(1)"/>Bonjour', "Bonjour"),
    ('<math><mi xlink:href="javascript:alert(1)">x</mi></math>Bonjour', "Bonjour"),
    ('<object data="https://evil.example/x.swf"></object><embed src="x.swf">Bonjour', "Bonjour"),
    ('<form action="https://evil.example/"><input name="pw"></form>Bonjour', "Bonjour"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">Bonjour', "Bonjour"),
    ("<!--<script>alert(1)</script>-->Bonjour", "Bonjour"),
    ('<base href="https://evil.example/"><a href="/x">Bonjour</a>', f'<a rel="{LINK_REL}">Bonjour</a>'),
    # mXSS: the parser closes <noscript> inside the attribute; what is left is text, escaped.
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>Bonjour', '"&gt;Bonjour'),
    ('<a href="https://ok.example/" target="_blank" rel="opener">Bonjour</a>', None),
    ("<template><script>alert(1)</script></template>Bonjour", "Bonjour"),
    ("<textarea><script>alert(1)</script></textarea>Bonjour", "Bonjour"),
]


def _assert_inert(html: str) -> None:
    """Only allowed elements, only href/rel on links, hrefs only http(s)/mailto, nothing executable."""
    lowered = html.lower()
    for needle in ("<script", "javascript:", "vbscript:", "data:", "<iframe", "<style", "<img", "<svg"):
        assert needle not in lowered, needle
    assert re.search(r"\son\w+\s*=", lowered) is None
    if not html.strip():
        return
    for element in lxml.html.fragment_fromstring(html, create_parent="div").iterdescendants():
        assert element.tag in ALLOWED_TAGS
        allowed = {"href", "rel"} if element.tag == "a" else set()
        assert set(element.attrib) <= allowed
        href = element.get("href")
        assert href is None or href.startswith(("http://", "https://", "mailto:"))
        if element.tag == "a":
            assert element.get("rel") == LINK_REL


@pytest.mark.parametrize(("payload", "expected"), HOSTILE)
def test_hostile_payload_comes_out_inert(payload: str, expected: str | None) -> None:
    cleaned = sanitize_html(payload)
    _assert_inert(cleaned)
    if expected is not None:
        assert cleaned == expected
    assert sanitize_html(cleaned) == cleaned  # a fixed point: cleaning twice changes nothing


def test_useful_markup_survives() -> None:
    raw = (
        "<p>Une <strong>activité</strong> <em>interactive</em>.<br>Voir <b>aussi</b> <i>ceci</i> :</p>"
        "<ul><li>un</li></ul><ol><li>deux</li></ol>"
        '<a href="https://example.org/aide">aide</a> <a href="mailto:info@example.org">courriel</a>'
    )
    assert sanitize_html(raw) == (
        "<p>Une <strong>activité</strong> <em>interactive</em>.<br>Voir <b>aussi</b> <i>ceci</i> :</p>"
        "<ul><li>un</li></ul><ol><li>deux</li></ol>"
        f'<a href="https://example.org/aide" rel="{LINK_REL}">aide</a> '
        f'<a href="mailto:info@example.org" rel="{LINK_REL}">courriel</a>'
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('<div class="x"><span>Texte</span></div>', "Texte"),  # other tags go, their words stay
        ("<h1>Titre</h1><p>Texte</p>", "Titre<p>Texte</p>"),
        ("a < b & c", "a &lt; b &amp; c"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_other_markup_and_text(raw: str, expected: str) -> None:
    assert sanitize_html(raw) == expected
