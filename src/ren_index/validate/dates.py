"""Dates on the record must be W3CDTF (the ISO 8601 profile Dublin Core, LOM and OAI-PMH use).

The mappers already turn the dates they can read into ``YYYY[-MM[-DD]]`` and report the ones they
cannot (DATE_UNPARSEABLE) without keeping them, so this check looks only at what *reached* the
record: values another mapper or a documentalist's edit put there, and the OAI datestamp, which
is kept as the repository sent it. A bad one is a ``warning`` (dates sort and filter results,
they do not decide publication), with the W3CDTF form as suggestion when it follows from the
value without a guess: ``2011/09/15`` → ``2011-09-15``, ``15/09/2011`` → ``2011-09-15`` (15
cannot be a month), but ``05/09/2011`` gets none (May or September?).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ren_index.config.vocabularies import fold
from ren_index.model import Issue, Resource
from ren_index.validate.context import ValidationContext

_W3CDTF = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-](?P<tzh>\d{2}):(?P<tzm>\d{2})))?)?)?"
)

_MONTHS = {
    "janvier": 1, "janv": 1, "january": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3,
    "avril": 4, "avr": 4, "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6,
    "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "sept": 9, "september": 9, "sep": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
"""Month names (accents folded) in French and English, full and abbreviated."""

_YMD = re.compile(r"(\d{4})[-/._ ](\d{1,2})(?:[-/._ ](\d{1,2}))?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DMY = re.compile(r"(\d{1,2})[-/._ ](\d{1,2})[-/._ ](\d{4})")
_APPROX = re.compile(r"(?:\[\s*(\d{4})\s*\]|(?:c\.?|ca\.?|circa|vers|env\.?|environ)\s*(\d{4})|(\d{4})\s*\?)")
_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?", re.I
)
_WORDS_DMY = re.compile(r"(?:(\d{1,2})(?:er|st|nd|rd|th)? )?([a-z]+) (\d{4})")
_WORDS_MDY = re.compile(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)? (\d{4})")
"""On folded text (:func:`fold`: lower case, no accents, punctuation gone)."""


def is_w3cdtf(value: str) -> bool:
    """True for ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` and ``YYYY-MM-DDThh:mm[:ss[.s]]TZD`` that exist
    on the calendar and the clock (W3CDTF wants the time zone whenever there is a time)."""
    match = _W3CDTF.fullmatch(value)
    if match is None:
        return False
    try:
        date(int(match["y"]), int(match["m"] or 1), int(match["d"] or 1))
    except ValueError:
        return False
    if match["H"] is not None:
        if int(match["H"]) > 23 or int(match["M"]) > 59 or int(match["S"] or 0) > 60:
            return False
        if match["tzh"] is not None and (int(match["tzh"]) > 23 or int(match["tzm"]) > 59):
            return False
    return True


def _ymd(year: int, month: int, day: int | None = None) -> str | None:
    """``YYYY-MM[-DD]`` when it is on the calendar."""
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")


def _day_month(first: int, second: int, year: int) -> str | None:
    """``d/m/yyyy`` or ``m/d/yyyy``: decided only when one number cannot be a month, or both agree."""
    if first == second or (first > 12 >= second):
        return _ymd(year, second, first)
    if second > 12 >= first:
        return _ymd(year, first, second)
    return None


def _from_words(text: str) -> str | None:
    folded = fold(text)
    match = _WORDS_DMY.fullmatch(folded)
    if match and match[2] in _MONTHS:
        return _ymd(int(match[3]), _MONTHS[match[2]], int(match[1]) if match[1] else None)
    match = _WORDS_MDY.fullmatch(folded)
    if match and match[1] in _MONTHS:
        return _ymd(int(match[3]), _MONTHS[match[1]], int(match[2]))
    return None


def _from_datetime(text: str) -> str | None:
    """A date-time with a space, a comma in the seconds or ``+hhmm``: rewritten; without a time
    zone the day alone is suggested (the zone cannot be guessed, the day is certain)."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    day, clock, zone = match.groups()
    if zone is None:
        return day if is_w3cdtf(day) else None
    zone = zone.upper()
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        zone = f"{zone[0]}{digits[:2]}:{digits[2:] or '00'}"
    fixed = f"{day}T{clock.replace(',', '.')}{zone}"
    return fixed if is_w3cdtf(fixed) else None


def suggest_w3cdtf(raw: str) -> str | None:
    """The W3CDTF form of ``raw`` when it can be derived without guessing, else None."""
    text = raw.strip()
    if is_w3cdtf(text):
        return text if text != raw else None
    if _DATETIME.fullmatch(text):
        return _from_datetime(text)
    if match := _YMD.fullmatch(text):
        year, month, day = match.groups()
        return _ymd(int(year), int(month), int(day) if day else None)
    if match := _COMPACT.fullmatch(text):
        return _ymd(int(match[1]), int(match[2]), int(match[3]))
    if match := _DMY.fullmatch(text):
        return _day_month(int(match[1]), int(match[2]), int(match[3]))
    if match := _APPROX.fullmatch(text.lower()):
        return next(g for g in match.groups() if g)
    return _from_words(text)


def _dates(resource: Resource) -> list[tuple[str, str]]:
    """(field, value) for every date the record holds."""
    found = [("lifecycle.date", resource.lifecycle.date)]
    found += [
        (f"lifecycle.contributions[{i}].date", c.date) for i, c in enumerate(resource.lifecycle.contributions)
    ]
    found.append(("provenance.datestamp", resource.provenance.datestamp))
    return [(name, value) for name, value in found if value is not None and value.strip()]


def check_dates(resource: Resource, ctx: ValidationContext) -> tuple[dict[str, Any], list[Issue]]:
    """DATE_INVALID for each date of the record that is not W3CDTF; no controlled value."""
    issues = [
        Issue(
            code="DATE_INVALID",
            severity="warning",
            field=name,
            message_fr=f"La date « {value} » ({name}) n'est pas au format W3CDTF (AAAA-MM-JJ).",
            message_en=f'The date "{value}" ({name}) is not in W3CDTF form (YYYY-MM-DD).',
            value=value,
            suggestion=suggest_w3cdtf(value),
        )
        for name, value in _dates(resource)
        if not is_w3cdtf(value)
    ]
    return {}, issues
