"""Reading harvested JSON whose nesting is bounded, so that no walker can overflow the stack.

Python's :func:`json.loads` raises :class:`RecursionError` near 1,000 levels, rdflib's JSON-LD
parser near 350 levels of objects (three frames a level), and a partner's document can be a
100,000-deep array. Real JSON-LD records are a dozen levels deep. So before anything parses the
text, :func:`loads_bounded` finds every array or object that opens deeper than
:data:`MAX_JSON_DEPTH` and replaces it, in the text, by the string :data:`TOO_DEEP`; the rest of
the document loads and parses as usual, and the harvester makes the record holding
:data:`TOO_DEEP` a problem of that record alone. The scan is iterative (a regular expression over
strings and brackets), and skipped when the text has too few brackets to be that deep.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

MAX_JSON_DEPTH = 64
"""Arrays and objects may nest this deep, the document itself being level 1."""

MAX_INT_DIGITS = 100
"""Longer JSON integers are kept as text (see :func:`_integer`)."""

TOO_DEEP = f"\x00ren-index:too-deep:{secrets.token_hex(8)}"
"""What a too-deep part is replaced by: a string no source can write (random, per process)."""

_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
"""A JSON string (skipped whole: brackets inside it are text) or a bracket."""


def bound_depth(text: str, limit: int = MAX_JSON_DEPTH) -> tuple[str, int]:
    """``text`` with every array or object opening below ``limit`` levels cut out, and how many.

    Each cut part becomes the JSON string :data:`TOO_DEEP`, so a well-formed text stays
    well-formed. Malformed text stays malformed for :func:`json.loads` to report.
    """
    if text.count("[") + text.count("{") <= limit:
        return text, 0
    pieces: list[str] = []
    kept = 0
    depth = 0
    cut_at = -1
    cuts = 0
    marker = json.dumps(TOO_DEEP)
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
            if depth == limit + 1:
                cut_at = match.start()
        else:
            if depth == limit + 1 and cut_at >= 0:
                pieces += [text[kept:cut_at], marker]
                kept, cut_at, cuts = match.end(), -1, cuts + 1
            depth -= 1
    if cut_at >= 0:  # never closed: cut to the end, json.loads reports the truncation
        pieces += [text[kept:cut_at], marker]
        kept, cuts = len(text), cuts + 1
    pieces.append(text[kept:])
    return "".join(pieces), cuts


def _integer(digits: str) -> int | str:
    """An integer, or its text when it has more than :data:`MAX_INT_DIGITS` digits.

    Python refuses to convert more than 4,300 digits (a :class:`ValueError` for the whole
    document) and rdflib's JSON reader overflows long before; no metadata value is such a number.
    """
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def loads_bounded(text: str) -> Any:
    """:func:`json.loads` of ``text`` after :func:`bound_depth`, long integers kept as text.

    Raises :class:`ValueError` (:class:`json.JSONDecodeError` included) for text that is not
    JSON; never :class:`RecursionError`.
    """
    bounded, _cuts = bound_depth(text)
    return json.loads(bounded, parse_int=_integer)


def holds_too_deep(value: Any) -> bool:
    """True when a part of ``value`` was cut by :func:`bound_depth` (iterative walk)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item == TOO_DEEP:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
