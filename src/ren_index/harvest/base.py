"""What every harvester yields, whatever the protocol: raw records and pages of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def content_hash(payload: str | None, deleted: bool) -> str:
    """SHA-256 of what matters in a record: its metadata payload (or the fact it is deleted).

    The header datestamp is left out on purpose: repositories bump it on no-op re-exports,
    and a record whose metadata is byte-identical needs no reprocessing.
    """
    material = "deleted" if deleted else (payload or "")
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RawRecord:
    """One record as harvested, before any interpretation.

    ``payload`` is the XML (or JSON) text of the metadata itself: for OAI-PMH, the single child of
    ``<metadata>`` serialized with its namespaces. ``identifier`` may be ``None`` only for a deleted
    header that omits it (seen in the wild); such a record can't be matched and is reported.
    """

    identifier: str | None
    datestamp: str | None
    deleted: bool
    metadata_prefix: str
    payload: str | None
    set_specs: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        return content_hash(self.payload, self.deleted)


@dataclass(frozen=True)
class Page:
    """One response of a list request: its records and where the list goes on from."""

    records: list[RawRecord]
    request_token: str | None
    """The resumption token that fetched this page (``None`` for the first request of a window)."""
    next_token: str | None
    """The token for the next page; ``None`` when the list is complete."""
    cursor: int | None = None
    complete_list_size: int | None = None
    response_date: str | None = None
    restarted: bool = False
    """True when a ``badResumptionToken`` made the harvester restart the window from its ``from``."""
    problems: list[str] = field(default_factory=list)
    """Record-level problems met on this page (e.g. a deleted header with no identifier)."""
    state: dict[str, Any] = field(default_factory=dict)
    """What the harvester wants back on the next run (a feed's ``ETag`` / ``Last-Modified``);
    set on the last page only, kept by the harvest step in the completed run's checkpoint."""
