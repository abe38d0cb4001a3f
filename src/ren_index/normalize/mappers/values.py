"""Small normalizers for single values: dates, yes/no, licence URLs, sizes, URLs.

Each returns ``None`` for what it cannot read; the mapper decides whether that deserves an
issue. They are pure and tested with tables of values seen in the wild (convention 7).
"""

from __future__ import annotations

import re
from datetime import date

_ISO_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def iso_date(raw: str | None) -> str | None:
    """The calendar part of a W3CDTF / ISO 8601 date: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    The time of day is dropped on purpose: a resource date is a day at best, and a time zone
    offset (``2000-05-28T23:00:00.0-05:00``) must not move it to another day. Anything else
    (``s.d.``, ``printemps 2008``, ``2010-13-45``) gives ``None``.
    """
    if not raw:
        return None
    match = _ISO_DATE.fullmatch(raw.strip())
    if match is None:
        return None
    year, month, day = match.group("y"), match.group("m"), match.group("d")
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return "-".join(part for part in (year, month, day) if part)


_YES = frozenset({"yes", "oui", "true", "1"})
_NO = frozenset({"no", "non", "false", "0"})


def yes_no(raw: str | None) -> bool | None:
    """LOM yes/no vocabulary values, also as ScoLOMFR concept URIs (``.../concept/yes_2``)."""
    if not raw:
        return None
    value = raw.strip().rstrip("/").rsplit("/", 1)[-1].lower()
    value = re.sub(r"_\d+$", "", value)
    if value in _YES:
        return True
    if value in _NO:
        return False
    return None


_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`]+", re.IGNORECASE)
_LICENCE_SITES = (
    "creativecommons.org/licenses/",
    "creativecommons.org/publicdomain/",
    "opensource.org/licenses/",
    "gnu.org/licenses/",
    "rightsstatements.org/",
    "spdx.org/licenses/",
    "opendatacommons.org/licenses/",
    "etalab.gouv.fr/licence",
)


def is_url(value: str) -> bool:
    """True when the whole value is one http(s) URL."""
    return _URL.fullmatch(value.strip()) is not None


def licence_uri(text: str | None) -> str | None:
    """The licence URL in a rights statement: the value itself when it is a URL, else the
    first URL of a known licence site found in the text (``CC BY 4.0 https://...``)."""
    if not text:
        return None
    stripped = text.strip()
    if is_url(stripped):
        return stripped
    for match in _URL.finditer(stripped):
        url = match.group(0).rstrip(".,;:)]")
        if any(site in url.lower() for site in _LICENCE_SITES):
            return url
    return None


def size_in_bytes(raw: str | None) -> int | None:
    """LOM 4.2 size: a plain count of bytes (``29841``); anything else is not guessed at."""
    if not raw:
        return None
    value = raw.strip()
    return int(value) if value.isdigit() else None
