"""The ledger rows the index step builds documents from, read cheaply (issue 17).

Plain columns rather than :class:`ResourceRow` objects, without the ``issues`` the index does not
use, and ``record`` as its JSON text, which pydantic parses itself: building ORM objects and
decoding the record with :func:`json.loads` before validating the ``dict`` was a third of the
step's building time. The documents are the same, byte for byte, as those built from
:class:`ResourceRow` objects (``tests/index/test_fast_documents.py`` pins it, on both ledgers).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import Select, Text, cast, select

from ren_index.ledger.models import LinkHealthRow, RawRecordRow, ResourceRow
from ren_index.model import Resource


class StoredRow(NamedTuple):
    """What the index step reads of a ledger row: the columns it uses, ``record`` as its JSON text.

    Read as plain columns rather than :class:`ResourceRow` objects, and ``record`` as text that
    pydantic parses itself (:func:`stored_resource`): building ORM objects and decoding the record
    (and the unused ``issues``) with :func:`json.loads` was a third of the step's building time
    (issue 17).
    """

    id: str
    source_id: str
    status: str
    record: str | None
    portals: list[str]
    quality_score: int | None
    decided_at: datetime
    indexed_hash: str | None


def stored_resource(record: str | dict[str, Any]) -> Resource:
    """The :class:`Resource` of a row's ``record``, as :meth:`Resource.model_validate` of its decoded
    JSON gives it.

    Text is validated by pydantic's own JSON parser (no Python ``dict`` built on the way); text that
    parser refuses but :func:`json.loads` reads (a lone surrogate escape, say) takes the old road, so
    a row gives the same resource, or the same error, either way.
    """
    if not isinstance(record, str):
        return Resource.model_validate(record)
    try:
        return Resource.model_validate_json(record)
    except ValidationError:
        return Resource.model_validate(json.loads(record))


def is_null(record: str | dict[str, Any] | None) -> bool:
    """Whether a row has no record: SQL ``NULL``, or a JSON ``null`` (which :class:`ResourceRow`
    also reads as ``None``) read as text."""
    return record is None or (isinstance(record, str) and record.strip() == _JSON_NULL)


_JSON_NULL = "null"
"""A JSON ``null`` stored in ``record`` (what :class:`ResourceRow` reads as ``None``), as text."""

_STORED = (
    ResourceRow.id,
    ResourceRow.source_id,
    ResourceRow.status,
    cast(ResourceRow.record, Text),
    ResourceRow.portals,
    ResourceRow.quality_score,
    ResourceRow.decided_at,
    ResourceRow.indexed_hash,
    RawRecordRow.first_seen,
    LinkHealthRow.health,
)


def stored(ids: list[str]) -> Select[Any]:
    """The :class:`StoredRow` columns of the rows of ``ids``, with their raw record's ``first_seen``
    (for ``date_harvested``) and their link health (``None`` for a link never checked)."""
    return (
        select(*_STORED)
        .outerjoin(RawRecordRow, RawRecordRow.id == ResourceRow.raw_id)
        .outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
        .where(ResourceRow.id.in_(ids))
    )
