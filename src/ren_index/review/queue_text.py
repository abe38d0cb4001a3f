"""The queue's free-text search (``q``): title, description, address and identifiers, matched in Python.

Why not SQL ``LIKE`` over ``resources.record``: the record is a JSON column, which SQLite stores
as the text ``json.dumps`` wrote (``"\\u00c9cole"``) and PostgreSQL renders as ``"École"`` when
cast to text; neither folds accents (``unaccent`` is a PostgreSQL extension we cannot assume,
SQLite has nothing) and SQLite's ``lower`` leaves non-ASCII letters alone. A pattern that finds
« école » for « ECOLE » on both ledgers alike cannot be written in portable SQL. So the database
extracts only the searched fields (JSON path operators, values decoded by SQLAlchemy, the same
Python strings on both ledgers) and this module compares *folded* text: NFKD, case-folded, the
combining marks dropped (``É`` → ``e``, ``ß`` → ``ss``, ``œ`` → ``oe``). The comparison is a plain
substring test, so a ``%`` or ``_`` the person types is a character like any other — there is no
wildcard to escape — and the same record matches on SQLite and on PostgreSQL.

The search is bounded: the term to :data:`MAX_TERM` characters, every field to
:data:`MAX_FIELD` characters before folding (a hostile 1 MB description costs no more than a long
one), and the scan reads these fields only when a term is given.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

MAX_TERM = 200
"""Characters of the search term kept (the rest is dropped)."""
MAX_FIELD = 20_000
"""Characters of each searched field compared (titles and descriptions are far shorter in practice)."""
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def folded(text: str) -> str:
    """``text`` as the search compares it: case and accents gone, spaces collapsed.

    Unlike :func:`ren_index.config.vocabularies.fold` (labels: punctuation becomes spaces),
    punctuation is kept, so ``oai:pavillon:R_12`` and ``https://…/a%20b`` are searched as typed.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def search_term(q: str | None) -> str | None:
    """The folded term of a ``q`` parameter; ``None`` when it says nothing (blank)."""
    if q is None:
        return None
    term = folded(q[:MAX_TERM])
    return term or None


def _strings(value: Any) -> Iterable[str]:
    """The texts of an extracted JSON value: a language map's values, a list's items, identifiers' entries."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key in ("entry", "catalog"):
            if isinstance(value.get(key), str):
                yield value[key]
        if "entry" not in value:
            for item in value.values():
                if isinstance(item, str):
                    yield item
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def haystack(*values: Any) -> str:
    """One folded text of every searched field of a record (each cut at :data:`MAX_FIELD`)."""
    return "\n".join(folded(text[:MAX_FIELD]) for value in values for text in _strings(value))


def matches(term: str | None, text: str) -> bool:
    """True when there is no term, or the folded term is in the record's folded text."""
    return term is None or term in text
