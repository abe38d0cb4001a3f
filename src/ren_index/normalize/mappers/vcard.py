"""The display name of a LOM 2.3.2 / 3.2.2 entity, which is meant to be a vCard.

In the wild the vCard may be folded over several lines, end its lines with ``&#xD;``, sit on
a single line (``BEGIN:VCARD VERSION:3.0 N:EDUMEDIA FN:EDUMEDIA END:VCARD``), carry parameters
(``FN;CHARSET=UTF-8:...``) or not be a vCard at all (a bare name). Only the name is kept: the
canonical record lists contributors by name, and the rest of a vCard (addresses, photos) is
personal data the index has no use for.
"""

from __future__ import annotations

import re
from functools import lru_cache

_BEGIN = re.compile(r"BEGIN\s*:\s*VCARD", re.IGNORECASE)
_PROPERTY_START = re.compile(
    r"\s+(?=(?:BEGIN|END|VERSION|FN|N|ORG|EMAIL|TEL|ADR|URL|NOTE|TITLE|ROLE|REV|UID|CLASS|TZ"
    r"|PHOTO|LOGO|NICKNAME|BDAY|GEO|LABEL|SOURCE|PRODID|CATEGORIES|KEY|X-[A-Z0-9-]+)[;:])",
    re.IGNORECASE,
)
_ESCAPES = {"n": " ", "N": " ", ",": ",", ";": ";", ":": ":", "\\": "\\"}


def is_vcard(text: str) -> bool:
    """True when the entity at least claims to be a vCard."""
    return _BEGIN.search(text) is not None


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def vcard_properties(text: str) -> dict[str, str]:
    """First value of each property, by upper-case name (groups and parameters dropped)."""
    unfolded = re.sub(r"\r\n?", "\n", text.strip())
    unfolded = re.sub(r"\n[ \t]", "", unfolded)
    if "\n" not in unfolded:
        unfolded = _PROPERTY_START.sub("\n", unfolded)
    properties: dict[str, str] = {}
    for line in unfolded.split("\n"):
        head, sep, value = line.partition(":")
        if not sep:
            continue
        name = head.split(";", 1)[0].rsplit(".", 1)[-1].strip().upper()
        if name and name not in properties:
            properties[name] = value.strip()
    return properties


_CACHED_VCARD_CHARS = 2_000
"""vCards up to this long are remembered (:func:`_cached_name`); a longer one is read every time."""


def vcard_name(text: str) -> str | None:
    """FN, else a name built from N (``Family;Given``), else ORG; ``None`` when none is there.

    A source writes the same few vCards (its publisher, its authors) on thousands of records:
    the name of a short vCard is remembered, keyed by the vCard's text, in a bounded cache."""
    if len(text) <= _CACHED_VCARD_CHARS:
        return _cached_name(text)
    return _name(text)


@lru_cache(maxsize=2048)
def _cached_name(text: str) -> str | None:
    return _name(text)


def _name(text: str) -> str | None:
    properties = vcard_properties(text)
    # FN is one text value: an unescaped ";" there is an N-style mistake ("Toma Antoine;Antoine").
    formatted_raw = re.split(r"(?<!\\);", properties.get("FN", ""), maxsplit=1)[0]
    formatted = " ".join(_unescape(formatted_raw).split())
    if formatted:
        return formatted
    parts = [_unescape(p).strip() for p in re.split(r"(?<!\\);", properties.get("N", ""))]
    family, given = [*parts, "", ""][:2]
    structured = " ".join(p for p in (given, family) if p)
    if structured:
        return structured
    organisation = _unescape(properties.get("ORG", "").split(";", 1)[0]).strip()
    return organisation or None
