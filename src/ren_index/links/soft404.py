"""Soft 404s: pages that answer 200 but say the resource is gone, and deep links sent home.

Why: many sites (content management systems, institutional portals) answer a missing page with
``200 OK`` and a friendly « Page introuvable », or redirect every dead link to their home page.
A status-only checker would call those links fine forever. Two signs are read:

- the page's ``<title>`` or first ``<h1>`` contains one of the built-in French or English phrases
  (:data:`PATTERNS`) or one of the source's own (``sources.yaml`` ``links: {soft_404: [...]}``).
  Phrases are compared whole-word, ignoring case, accents and the apostrophe's shape, as plain
  text — never as regular expressions, so a pattern cannot be made to run for ever;
- a deep link (a path other than ``/``, or a query) that ends, after redirects, on the same site's
  home page (``/`` or ``/index.*``; ``www.`` ignored).

The page is parsed by lxml's HTML parser on at most the bytes the checker read (bounded), with
the network off; nothing in it is executed or fetched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from ren_index.harvest.addresses import normal_host

PATTERNS: tuple[str, ...] = (
    # français
    "page introuvable",
    "introuvable",
    "page non trouvée",
    "page inexistante",
    "n'existe plus",
    "n'existe pas",
    "n'est plus disponible",
    "n'est plus accessible",
    "erreur 404",
    "a été supprimée",
    "a été retirée",
    # English
    "not found",
    "page not found",
    "404 error",
    "error 404",
    "no longer available",
    "no longer exists",
    "does not exist",
    "doesn't exist",
    "could not be found",
    "cannot be found",
    "can't be found",
    "has been removed",
)
"""The built-in phrases (compared after :func:`fold`). A bare « 404 » is not one: course codes
such as « PHY-404 » are common in educational resources' titles."""

APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
MAX_TEXT = 500
"""Characters of the title or heading compared: enough for any real title, bounded for a hostile one."""
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
HTML_TYPES = ("text/html", "application/xhtml+xml")


def fold(text: str) -> str:
    """``text`` compared loosely: no accents, case folded, one kind of apostrophe, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text[:MAX_TEXT].translate(APOSTROPHES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class Matcher:
    """The phrases of one source (built-in ones plus its own), folded once."""

    phrases: tuple[str, ...]

    @classmethod
    def for_source(cls, extra: Iterable[str] = ()) -> Matcher:
        folded = {fold(p) for p in (*PATTERNS, *extra)}
        return cls(tuple(sorted(p for p in folded if p)))

    def match(self, text: str) -> str | None:
        """The first phrase ``text`` contains as whole words, or ``None``."""
        folded = fold(text)
        for phrase in self.phrases:
            start = folded.find(phrase)
            while start >= 0:
                end = start + len(phrase)
                before = folded[start - 1] if start else " "
                after = folded[end] if end < len(folded) else " "
                if not (before.isalnum() or after.isalnum()):
                    return phrase
                start = folded.find(phrase, start + 1)
        return None


def is_html(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` may hold a page to read (a missing one may)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def _charset(content_type: str | None, body: bytes) -> str:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    found = _META_CHARSET.search(body[:4096])
    return found.group(1).decode("ascii") if found else "utf-8"


def title_and_heading(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The page's ``<title>`` and first ``<h1>`` texts (``""`` when absent or unreadable)."""
    try:
        text = body.decode(_charset(content_type, body), "replace")
    except LookupError:  # an unknown charset name
        text = body.decode("utf-8", "replace")
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return "", ""
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        page = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return "", ""
    title = next(page.iter("title"), None)
    heading = next(page.iter("h1"), None)
    return (
        title.text_content()[:MAX_TEXT] if title is not None else "",
        heading.text_content()[:MAX_TEXT] if heading is not None else "",
    )


def _site(host: str) -> str:
    return host.removeprefix("www.")


def is_home(path: str) -> bool:
    """``/``, an empty path or ``/index.<anything>``: what a site shows when it has nothing else."""
    if path in ("", "/"):
        return True
    name = path.lstrip("/")
    return "/" not in name and name.lower().startswith("index.")


def sent_home(original: str, final: str) -> bool:
    """A deep link that ended on the same site's home page (the redirect-to-home soft 404)."""
    try:
        start, end = urlsplit(original), urlsplit(final)
        same_site = _site(normal_host(start.hostname or "")) == _site(normal_host(end.hostname or ""))
    except ValueError:
        return False
    deep = not is_home(start.path) or bool(start.query)
    return same_site and deep and is_home(end.path)
