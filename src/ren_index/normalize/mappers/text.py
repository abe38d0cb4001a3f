"""Text clean-up shared by every mapper: whitespace, control characters, HTML, language tags.

Harvested text is hostile until proven otherwise (DESIGN.md, convention 12). Descriptions often
carry HTML, sometimes escaped once more than they should be; the canonical record keeps plain
text only, so nothing a source wrote can ever run in a portal or in the review UI.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import lxml.html
from lxml import etree

from ren_index.config.languages import ISO639_2_TO_1, NAMES_TO_TAGS
from ren_index.config.vocabularies import fold
from ren_index.model import LangString

_MARKUP = re.compile(r"<[A-Za-z!/?]")
_TAG = re.compile(r"<[A-Za-z!/?][^>]*>?")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_DROPPED = ("script", "style", "noscript", "template", "iframe", "object", "embed", "head", "svg")
_BLOCKS = (
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "td", "th", "table",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "section", "article", "hr",
)  # fmt: skip
_MAX_HTML_PASSES = 3


def _repair_control(ch: str) -> str:
    """A C1 control is almost always a cp1252 byte read as Latin-1 (``&#x96;`` for an en dash)."""
    code = ord(ch)
    if 0x80 <= code <= 0x9F:
        try:
            return bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            return ""
    return " " if ch in "\t\n\r\x0b\x0c" else ""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Unicode category Cc: the C0 and C1 controls and DEL (whitespace controls included)."""


_CACHED_TEXT_CHARS = 120
"""Texts up to this long are remembered by :func:`clean_text` (at most 4,096 of them, ~1 MB)."""


def clean_text(raw: str | None) -> str:
    """Collapse whitespace, repair cp1252 mojibake and drop other control characters.

    Short values (vocabulary values, languages, formats, names, dates) repeat from record to
    record: their cleaned form is remembered in a bounded cache keyed by the text itself, which
    costs less than the substitution and the split it saves (about twenty calls a record)."""
    if not raw:
        return ""
    if len(raw) <= _CACHED_TEXT_CHARS:
        return _clean_short(raw)
    return _clean(raw)


@lru_cache(maxsize=4096)
def _clean_short(raw: str) -> str:
    return _clean(raw)


def _clean(raw: str) -> str:
    # Controls other than ordinary whitespace are rare: repair them only where they occur
    # (a per-character pass was the mappers' hottest loop).
    repaired = _CONTROL.sub(lambda m: _repair_control(m.group()), raw)
    return " ".join(repaired.split())


def inner_text(element: etree._Element) -> str:
    """All text inside an element, as ``"".join(element.itertext())`` gives it.

    Almost every element a crosswalk reads has no child (a ``<dc:title>``, a ``<string>``, a
    ``<value>``): its ``text`` is the whole answer, read without building lxml's ``itertext``
    iterator (about 2 µs each, some forty times a record — the mappers' largest single cost).
    ``len`` counts comments and processing instructions too, so an element holding one still
    takes the general path."""
    if len(element):
        return "".join(element.itertext())
    return element.text or ""


def collapsed_text(element: etree._Element | None) -> str:
    """:func:`inner_text` with whitespace collapsed; '' for None (``xmlsafe.text_of``, faster)."""
    if element is None:
        return ""
    return " ".join(inner_text(element).split())


def _unescape_once(text: str) -> str:
    """Decode well-formed entities (with their ``;``) once; ``&para=1`` in a URL stays as is."""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def _html_layer_to_text(markup: str) -> str:
    """Interpret one layer of HTML: drop scripts and styles whole, keep the words of the rest."""
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        doc = lxml.html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError):
        return _unescape_once(_TAG.sub(" ", markup))
    for element in list(doc.iter(*_DROPPED)):
        element.drop_tree()
    for element in doc.iter(*_BLOCKS):
        element.text = " " + (element.text or "")
        element.tail = " " + (element.tail or "")
    return "".join(doc.itertext())


def html_to_text(raw: str | None) -> str:
    """Plain text from a description that may hold HTML.

    Each layer of markup is interpreted once (which decodes its entities once); text without
    markup only has its entities decoded once. When decoding reveals markup again (a source that
    escaped its HTML twice) that markup is stripped too, so the result never holds a tag, and
    never the content of a ``<script>`` or ``<style>``.
    """
    if not raw or not raw.strip():
        return ""
    text = raw
    if not _MARKUP.search(text):
        text = _unescape_once(text)
    for _ in range(_MAX_HTML_PASSES):
        if not _MARKUP.search(text):
            break
        text = _html_layer_to_text(text)
    if _MARKUP.search(text):
        text = _TAG.sub(" ", text)
    return clean_text(text)


def has_markup(raw: str | None) -> bool:
    """True when a description holds HTML, also HTML escaped once more than it should be.

    The same test :func:`html_to_text` uses to decide there is markup to strip, so the raw text
    is kept (for a sanitized display) exactly when the plain text lost something.
    """
    if not raw:
        return False
    return bool(_MARKUP.search(raw) or _MARKUP.search(_unescape_once(raw)))


def as_harvested(raw: str | None) -> str:
    """The value untouched but for surrounding whitespace (the ``clean`` of a raw LangString)."""
    return raw.strip() if raw else ""


def markup_only(raw: LangString) -> LangString:
    """Keep the languages whose harvested description held markup (``General.description_raw``)."""
    return {lang: text for lang, text in raw.items() if has_markup(text)}


_TITLE_TAG = re.compile(
    r"</?(?:p|div|span|strong|b|em|i|u|s|strike|sup|sub|br|a|font|h[1-6]|small|big|mark|abbr|"
    r"cite|q|code|li|ul|ol|center|del|ins)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
"""A whole HTML tag of the kinds editors leave in titles. Stricter than :data:`_MARKUP`: a title
may hold a bare ``<`` ("x<y", "a<b<c") that is mathematics, not a tag, and must stay as written."""


def titles_without_markup(title: LangString) -> tuple[LangString, LangString]:
    """The titles as plain text, and the harvested value of those that held HTML tags.

    A rich-text editor or a CMS export sends ``<p><strong>Fractions</strong> au primaire</p>``;
    the title a portal shows, indexes and validates is "Fractions au primaire", and the raw value
    is kept (``General.title_raw``) so the documentalist sees what the source sent (TITLE_MARKUP).
    """
    raw: LangString = {}
    plain: LangString = {}
    for lang, text in title.items():
        if _TITLE_TAG.search(text) or ("&lt;" in text and _TITLE_TAG.search(html.unescape(text))):
            raw[lang] = text
            plain[lang] = html_to_text(text)
        else:
            plain[lang] = text
    return (plain, raw) if raw else (title, raw)


_PRIMARY = re.compile(r"[a-z]{2,3}")
_SUBTAG = re.compile(r"[a-z0-9]{1,8}")


@lru_cache(maxsize=4096)
def lang_tag(raw: str | None) -> str:
    """Normalize a language tag for a :data:`LangString` key; ``"und"`` when there is none.

    ``FR-ca`` -> ``fr-CA``, ``fre`` -> ``fr``, ``fr_CA`` -> ``fr-CA``, and the id.loc.gov URIs of
    ScoLOMFR (``http://id.loc.gov/vocabulary/iso639-2/fre``) -> ``fr``. Anything that is not a
    language tag (``x-none``, ``??``) becomes ``und`` rather than a key nobody can look up.
    Cached: every ``<string language>`` of every record asks, and sources use a handful of tags.
    """
    if not raw or not raw.strip():
        return "und"
    tag = raw.strip().rstrip("/")
    if "/" in tag:
        tag = tag.rsplit("/", 1)[1]
    lowered = tag.replace("_", "-").lower()
    named = NAMES_TO_TAGS.get(fold(lowered))
    if named is not None:
        return named
    first, *rest = lowered.split("-")
    primary = ISO639_2_TO_1.get(first, first)
    if not _PRIMARY.fullmatch(primary):
        return "und"
    parts = [primary]
    private = False
    for sub in rest:
        if not _SUBTAG.fullmatch(sub):
            break
        if len(sub) == 1:
            private = True
        if private:
            parts.append(sub)
        elif len(sub) == 2 or (len(sub) == 3 and sub.isdigit()):
            parts.append(sub.upper())
        elif len(sub) == 4 and sub.isalpha():
            parts.append(sub.title())
        else:
            parts.append(sub)
    return "-".join(parts)


def add_text(target: LangString, lang: str, text: str, *, join: bool = False) -> None:
    """Put ``text`` under ``lang``: the first value wins, or values are joined (descriptions)."""
    if not text:
        return
    if lang not in target:
        target[lang] = text
    elif join and text not in target[lang]:
        target[lang] = f"{target[lang]}\n\n{text}"
