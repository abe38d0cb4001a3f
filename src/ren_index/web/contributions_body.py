"""Reading a contribution's body: bounded as it streams in, then parsed as strict JSON.

Apart from :mod:`ren_index.web.routes_contributions` so the route stays a thin shell and what makes
a body acceptable — its size, JSON without ``NaN``, a depth Python can read, text UTF-8 can hold —
reads in one place. Every refusal is one :class:`FieldError` at ``/`` in French and English.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from ren_index.contributions.schema import FieldError


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` when it is over ``limit`` bytes.

    A declared ``Content-Length`` above the limit is refused before reading anything; a lower (or
    absent) one is not trusted: the stream is counted as it arrives and abandoned as soon as it
    passes the limit, so at most one chunk beyond it is ever held.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes) -> tuple[Any, list[FieldError]]:
    """The JSON document, or the one error that says why it is not one (at ``/``)."""
    try:
        document = json.loads(raw, parse_constant=_reject_constant)
        if _utf8_writable(document):
            return document, []
        # "\ud800" without its other half: json.loads keeps it, but it is no character and no
        # UTF-8 can hold it (hashing the payload failed: a 500); the author is told instead.
        where_fr = " (moitié de paire UTF-16 isolée, « \\ud800 » par exemple)"
        where_en = " (a lone half of a UTF-16 pair, “\\ud800” say)"
    except json.JSONDecodeError as exc:
        where_fr = f" (ligne {exc.lineno}, colonne {exc.colno})"
        where_en = f" (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        where_fr, where_en = " (imbrication trop profonde)", " (nested too deep)"
    except ValueError:  # bad UTF-8, NaN, an integer of thousands of digits
        where_fr, where_en = "", ""
    return None, [FieldError("/", f"JSON invalide{where_fr}", f"invalid JSON{where_en}")]


def _utf8_writable(document: Any) -> bool:
    """Whether every string of ``document`` can be written as UTF-8 (no lone surrogate)."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
