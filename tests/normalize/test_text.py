"""Tables for the text normalizers: language tags, whitespace, HTML stripping."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from ren_index.normalize.mappers.text import (
    add_text,
    clean_text,
    collapsed_text,
    html_to_text,
    inner_text,
    lang_tag,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("fr-CA", "fr-CA"),
        ("fr-ca", "fr-CA"),
        ("FR-ca", "fr-CA"),
        ("fr_CA", "fr-CA"),
        (" en ", "en"),
        ("fre", "fr"),
        ("FRE", "fr"),
        ("fra", "fr"),
        ("eng", "en"),
        ("iku", "iu"),
        ("http://id.loc.gov/vocabulary/iso639-2/fre", "fr"),
        ("http://id.loc.gov/vocabulary/iso639-1/en", "en"),
        ("http://id.loc.gov/vocabulary/iso639-2/zxx", "zxx"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("en-x-custom", "en-x-custom"),
        ("français", "fr"),
        ("English", "en"),
        ("und", "und"),
        ("x-none", "und"),
        ("??", "und"),
        ("", "und"),
        (None, "und"),
    ],
)
def test_lang_tag(raw: str | None, expected: str) -> None:
    assert lang_tag(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Les   fractions\n\tau quotidien  ", "Les fractions au quotidien"),
        ("ligne\r\nsuivante", "ligne suivante"),
        ("01 \x96 Illettrisme", "01 – Illettrisme"),  # cp1252 en dash read as a C1 control
        ("l\x92élève", "l’élève"),
        ("bell\x07 char", "bell char"),
        ("\u00a0insécable\u00a0", "insécable"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_text(raw: str | None, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Texte simple", "Texte simple"),
        ("<p>Un</p><p>Deux</p>", "Un Deux"),
        ("Ligne<br>suivante<br/>fin", "Ligne suivante fin"),
        ("2<sup>e</sup> cycle", "2e cycle"),
        ("<b>Gras</b> et <i>italique</i>", "Gras et italique"),
        ("Avant<script>alert('x')</script>après", "Avantaprès"),
        ("<SCRIPT type='text/javascript'>document.cookie</SCRIPT>Texte", "Texte"),
        ("<style>p { color: red }</style>Style", "Style"),
        ('<img src="x" onerror="alert(1)">Image', "Image"),
        ('<a href="javascript:alert(1)" onclick="steal()">lien</a>', "lien"),
        ("<!-- commentaire -->visible", "visible"),
        ("Caf&eacute; &amp; th&#233;", "Café & thé"),
        ("<p>Caf&eacute;</p>", "Café"),
        ("R&amp;D", "R&D"),  # decoded once...
        ("R&amp;amp;D", "R&amp;D"),  # ...and only once
        ("AT&T et ?a=1&para=2", "AT&T et ?a=1&para=2"),  # no ';': not an entity
        ("&lt;script&gt;alert(1)&lt;/script&gt;Texte", "Texte"),  # escaped twice by the source
        ("a < b et b > c", "a < b et b > c"),
        ("<p>   </p>", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_html_to_text(raw: str | None, expected: str) -> None:
    assert html_to_text(raw) == expected


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<scr<script>ipt>alert(1)</script>",
        "<svg onload=alert(1)><script>alert(1)</script></svg>",
        "<iframe src=javascript:alert(1)></iframe>",
        "&lt;img src=x onerror=alert(1)&gt;",
        "<<script>script>alert(1)<</script>/script>",
        "<p><p><p>&lt;b&gt;&amp;lt;i&amp;gt;deep&amp;lt;/i&amp;gt;&lt;/b&gt;</p></p></p>",
    ],
)
def test_html_to_text_never_returns_markup(payload: str) -> None:
    """Whatever a source sends, the result holds no tag a browser would interpret."""
    text = html_to_text(payload)
    assert re.search(r"<[A-Za-z!/?]", text) is None
    assert "onerror" not in text


def test_text_escaped_three_times_is_decoded_once_and_stays_text() -> None:
    assert html_to_text("&amp;lt;b&amp;gt;") == "&lt;b&gt;"


def test_add_text_keeps_first_value_or_joins() -> None:
    text: dict[str, str] = {}
    add_text(text, "fr", "Un")
    add_text(text, "fr", "Deux")
    add_text(text, "en", "")
    assert text == {"fr": "Un"}
    add_text(text, "fr", "Deux", join=True)
    add_text(text, "fr", "Deux", join=True)
    assert text == {"fr": "Un\n\nDeux"}


@pytest.mark.parametrize(
    "xml",
    [
        "<t>Fractions au primaire</t>",
        "<t/>",
        "<t>  espaces \n et lignes  </t>",
        "<t>avant <b>gras</b> après</t>",
        "<t><b>gras</b></t>",
        "<t>a<!-- commentaire -->b</t>",
        "<t><!-- seul --></t>",
        "<t>a<?pi x?>b</t>",
        "<t><![CDATA[x < y]]></t>",
        "<t><i>a<b>b</b>c</i>d<u/>e</t>",
    ],
)
def test_inner_text_is_what_itertext_gives(xml: str) -> None:
    """The shortcut for an element without children reads the same text as lxml's ``itertext``
    (and never the element's own tail)."""
    element = etree.fromstring(f"<r>{xml}tail</r>")[0]
    assert inner_text(element) == "".join(element.itertext())
    assert collapsed_text(element) == " ".join("".join(element.itertext()).split())


def test_collapsed_text_of_nothing_is_empty() -> None:
    assert collapsed_text(None) == ""
