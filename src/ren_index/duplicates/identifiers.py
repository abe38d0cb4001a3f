"""Identifiers two records can share: DOI, ISBN, Handle — found in identifier entries, URLs, text.

Two records with one DOI, one ISBN or one Handle describe the same work (or an edition of it)
whatever their titles and URLs say: it is the surest ``same`` signal there is. The sources write
them every way: ``doi:10.1000/ABC``, ``https://dx.doi.org/10.1000%2FABC``, ``ISBN 2-7605-2357-8``,
``978-2-7605-2357-9``, ``http://hdl.handle.net/20.500.11794/123``, a DSpace page
``https://www.eduq.info/xmlui/handle/11515/12345`` (its path holds the handle), or an OAI
identifier ``oai:eduq.info:11515/12345`` (DSpace puts the handle there too). :func:`identifiers_of`
folds them all into one form: ``doi:10.1000/abc`` (DOIs ignore ASCII case), ``isbn:978…`` (ISBN-10
converted to ISBN-13, the check digit verified: a mistyped ISBN is no evidence),
``hdl:11515/12345`` (a Handle whose prefix starts ``10.`` is a DOI and is written as one).

A bare run of digits is taken as an ISBN only when it is the whole value (an identifier entry)
or follows an ``ISBN`` label: a phone number in a note passes an ISBN-10 check one time in
eleven.

Hostile by default: at most :data:`MAX_VALUES` values of at most :data:`MAX_VALUE_LENGTH`
characters each are read (longer ones are skipped, not cut: a cut DOI is a wrong DOI), at most
:data:`MAX_IDENTIFIERS` identifiers are returned, and every regular expression is a run of
single bounded character classes (no nested quantifier, linear time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import chain, islice
from urllib.parse import unquote, urlsplit

from ren_index.duplicates.canonical import (
    DOI_HOSTS,
    HANDLE_HOSTS,
    canonical_url,
    doi_of_path,
    handle_of_path,
)
from ren_index.model import Resource

MAX_VALUES = 200
"""Values read per call: a record with more identifiers and locations than that is not a record."""
MAX_VALUE_LENGTH = 4096
MAX_IDENTIFIERS = 64
MAX_URLS_PER_VALUE = 16

_DOI = re.compile(r"(?<![0-9A-Za-z.])10\.[0-9]{4,9}/[^\s\"<>]{1,300}")
_URL = re.compile(r"https?://[^\s\"<>]{1,4096}", re.IGNORECASE)
_HDL_LABEL = re.compile(
    r"(?:\bhdl:|\binfo:hdl/|\bhdl\.handle\.net/) ?([0-9][0-9.]{0,40}/[^\s\"<>]{1,300})", re.IGNORECASE
)
_OAI_HANDLE = re.compile(r"oai:[^:\s/]{1,255}:([0-9][0-9.]{0,40}/[^\s\"<>]{1,300})", re.IGNORECASE)
_ISBN_LABEL = re.compile(r"\b(?:[ep]-?)?isbn(?:-1[03])?[\s:=]{0,3}([0-9][0-9Xx -]{9,24})", re.IGNORECASE)
_ISBN_ALONE = re.compile(r"(?:isbn(?:-1[03])?[\s:=]{0,3})?([0-9][0-9Xx -]{8,24})", re.IGNORECASE)
_DSPACE_HANDLE = re.compile(r"/handle/([0-9][0-9.]{0,40}/[^/?#]{1,300})/?")
"""A DSpace item page, ``…/xmlui/handle/11515/12345``: resolvable as the handle it names."""
_TRAILING = ".,;:!?'\"*"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def _trim(value: str) -> str:
    """Sentence punctuation after an identifier is not part of it; a closing bracket is only when
    it closes nothing inside (``10.1002/(SICI)1097`` keeps its parentheses)."""
    for _ in range(len(value)):
        last = value[-1:]
        unbalanced = last in _CLOSERS and value.count(last) > value.count(_CLOSERS[last])
        if not (last and last in _TRAILING) and not unbalanced:
            break
        value = value[:-1]
    return value


def _doi(text: str) -> str | None:
    return doi_of_path(_trim(text))


def _handle(text: str) -> str | None:
    """``hdl:`` form, or ``doi:`` when the handle is a DOI (prefix ``10.``)."""
    text = _trim(text)
    doi = doi_of_path(text)
    if doi is not None:
        return "doi:" + doi
    handle = handle_of_path(text)
    return None if handle is None else "hdl:" + handle


# ISBN --------------------------------------------------------------------------------------------


def isbn13_valid(digits: str) -> bool:
    """ISBN-13 check: weights 1, 3, 1, 3… over the 13 digits, total divisible by 10."""
    if len(digits) != 13 or not (digits.isascii() and digits.isdigit()):
        return False
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


def isbn10_valid(digits: str) -> bool:
    """ISBN-10 check: weights 10 down to 1 (the last may be ``X`` = 10), total divisible by 11."""
    if len(digits) != 10 or not (digits[:9].isascii() and digits[:9].isdigit()):
        return False
    if not (digits[9] in "Xx" or (digits[9].isascii() and digits[9].isdigit())):
        return False
    values = [int(d) for d in digits[:9]] + [10 if digits[9] in "Xx" else int(digits[9])]
    return sum(v * (10 - i) for i, v in enumerate(values)) % 11 == 0


def isbn10_to_13(digits: str) -> str:
    """``978`` + the first nine digits + the ISBN-13 check digit (the ISBN-10 one is dropped)."""
    body = "978" + digits[:9]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _isbn(run: str, whole: bool) -> str | None:
    """The ISBN-13 a run of digits, hyphens and spaces spells, when its check digit holds.

    ``whole``: the run is the entire value and must hold exactly 10 or 13 digits. Otherwise (after
    an ``ISBN`` label) the first 13 digits are read when they start ``978``/``979``, else the first
    10 — a year or a page count may follow the number.
    """
    digits = ""
    for char in run:
        if char.isascii() and char.isdigit():
            digits += char
        elif char in "Xx":
            if len(digits) == 9:
                digits += "X"
            break
        elif char not in " -":
            break
        if len(digits) == 13:
            break
    if whole and len(digits) not in (10, 13):
        return None
    if len(digits) >= 13 and digits.startswith(("978", "979")):
        return "isbn:" + digits[:13] if isbn13_valid(digits[:13]) else None
    if whole and len(digits) == 13:
        return None
    if len(digits) >= 10 and isbn10_valid(digits[:10]):
        return "isbn:" + isbn10_to_13(digits[:10])
    return None


# URLs and text -----------------------------------------------------------------------------------


def _from_url(url: str) -> set[str]:
    """Identifiers a URL holds: a resolver link, a DSpace handle page, a DOI in a publisher's path
    (``/doi/full/10.1002/x``) or in a query value (``?doi=10.1000/x``, ``?isbn=…``)."""
    canonical = canonical_url(url)
    if canonical is None:
        return set()
    parts = urlsplit(canonical)
    host = parts.hostname or ""
    if host == "doi.org" or host in DOI_HOSTS | HANDLE_HOSTS:
        found = _handle(parts.path)
        return {found} if found else set()
    found_ids: set[str] = set()
    dspace = _DSPACE_HANDLE.search(parts.path)
    if dspace is not None and dspace.end() == len(parts.path):
        handle = _handle(dspace.group(1))
        if handle:
            found_ids.add(handle)
    found_ids |= _from_text(unquote(parts.path), urls=False, alone=False)
    for segment in parts.path.split("/"):
        stem = unquote(segment).rpartition(".")[0] or unquote(segment)
        if sum(c.isdigit() for c in stem) == 13:  # a catalogue page: /livres/978-2-7605-2357-9.html
            found_ids |= _from_text(stem, urls=False, alone=True)
    for parameter in parts.query.split("&"):
        key, _, value = parameter.partition("=")
        found_ids |= _from_text(unquote(value), urls=False, alone="isbn" in key.lower())
    return found_ids


def _from_text(text: str, urls: bool = True, alone: bool = True) -> set[str]:
    """``urls``: look for URLs inside the text too; ``alone``: a value that is only a number may be
    an ISBN (an identifier entry, an ``?isbn=`` value — not any number in a path or a query)."""
    found: set[str] = set()
    if urls:
        for match in list(_URL.finditer(text))[:MAX_URLS_PER_VALUE]:
            found |= _from_url(_trim(match.group(0)))
        text = _URL.sub(" ", text)
    for match in _DOI.finditer(text):
        doi = _doi(match.group(0))
        if doi:
            found.add("doi:" + doi)
    for pattern in (_HDL_LABEL, _OAI_HANDLE):
        for match in pattern.finditer(text):
            handle = _handle(match.group(1))
            if handle:
                found.add(handle)
    for match in _ISBN_LABEL.finditer(text):
        isbn = _isbn(match.group(1), whole=False)
        if isbn:
            found.add(isbn)
    whole = _ISBN_ALONE.fullmatch(text.strip()) if alone else None
    if whole is not None:
        isbn = _isbn(whole.group(1), whole=True)
        if isbn:
            found.add(isbn)
    return found


def identifiers_of(values: Iterable[str]) -> frozenset[str]:
    """Normalized identifiers found in free values (identifier entries, URLs, text):
    ``"doi:10.1234/abc"``, ``"isbn:9782760…"``, ``"hdl:20.500.11794/123"`` — DOIs lower-cased,
    ISBN-10 converted to ISBN-13, check digits verified. Never raises; bounded (see the module)."""
    found: set[str] = set()
    for count, value in enumerate(values):
        if count >= MAX_VALUES or len(found) >= MAX_IDENTIFIERS:
            break
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_VALUE_LENGTH:
            continue
        found |= _from_text(value)
    return frozenset(sorted(found)[:MAX_IDENTIFIERS])


_CATALOG_LABELS = {"isbn": "isbn:", "doi": "doi:", "handle": "hdl:", "hdl": "hdl:"}


def _entry_value(catalog: str | None, entry: str) -> str:
    """An entry with its catalog as a label (catalog ``ISBN``, entry ``2760523578``), so a bare
    number is read as what the source said it is."""
    label = _CATALOG_LABELS.get((catalog or "").strip().lower())
    if label is None or ":" in entry[:12] or entry.lower().startswith(("http://", "https://")):
        return entry
    return label + entry.strip()


def resource_identifiers(resource: Resource) -> frozenset[str]:
    """identifiers_of over a Resource's identifiers (general.identifiers entries), its locations
    and URL."""
    entries = (_entry_value(i.catalog, i.entry) for i in resource.general.identifiers)
    url = [resource.url] if resource.url else []
    return identifiers_of(islice(chain(entries, resource.technical.locations, url), MAX_VALUES))
