"""A small ledger written by hand for the queue's search, claims, sorts and saved views (issue 14).

Seven records over two sources, each with the text, identifiers, addresses, issues, portals and
dates a test needs, so every expected count is known by reading this file (no pipeline, no
rules): accents and capitals (« École », « ECOLE NUMÉRIQUE »), literal ``%`` and ``_`` beside
text that a SQL ``LIKE`` with those wildcards would also match (``la base`` for ``a_b``,
``frac-01`` for ``frac_01``), an address and identifiers to find. Works on SQLite and PostgreSQL
(the ``ledger_url`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.store import resource_id
from ren_index.model import Provenance, Resource

T0 = datetime(2026, 3, 2, 19, 2, tzinfo=UTC)
"""14 h 02 HNE in Montreal: the day the fixture's records were decided, an hour apart."""


@dataclass(frozen=True)
class Rec:
    key: str
    source: str
    identifier: str
    title: dict[str, str]
    description: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    issues: tuple[str, ...] = ()
    portals: tuple[str, ...] = ()
    status: str = "needs_review"
    hour: int = 0
    """Decided at ``T0 + hour`` hours (the queue's waiting order)."""
    updated_hour: int = 0
    """Last changed at ``T0 + updated_hour`` hours."""
    quality: int | None = None


SOURCES = {"pav": ("Pavillon partenaire", "oai"), "eo": ("École ouverte partenaire", "oai")}
RECORDS = (
    Rec(
        "ecole",
        "pav",
        "oai:pav:R_1",
        {"fr": "École et société"},
        {"fr": "Analyse des réformes"},
        "https://pav.example/ecole",
        ("LICENCE_NOT_OPEN",),
        ("pavillon",),
        hour=0,
        updated_hour=5,
        quality=40,
    ),
    Rec(
        "numerique",
        "pav",
        "oai:pav:R2",
        {"fr": "ECOLE NUMÉRIQUE"},
        {"fr": "Rabais 50% pour les écoles"},
        "https://pav.example/num",
        ("LICENCE_NOT_OPEN", "TITLE_ALL_CAPS"),
        ("pavillon",),
        hour=1,
        updated_hour=1,
        quality=30,
    ),
    Rec(
        "fractions",
        "eo",
        "oai:eo:frac_01",
        {"fr": "Les fractions", "en": "Fractions"},
        {"fr": "100 % gratuit"},
        "https://eo.example/a_b?x=1",
        ("NO_PORTAL",),
        (),
        hour=2,
        updated_hour=7,
        quality=70,
    ),
    Rec(
        "avancees",
        "eo",
        "oai:eo:frac-01",
        {"fr": "Fractions avancées"},
        {"fr": "Exercices de la base"},
        "https://eo.example/adv",
        ("LEVEL_MISSING",),
        ("ecole-ouverte",),
        hour=3,
        updated_hour=3,
        quality=55,
    ),
    Rec(
        "chimie",
        "pav",
        "urn:pav:chimie",
        {"fr": "Cours de chimie"},
        {"fr": "Éléments du tableau périodique"},
        "https://pav.example/chimie",
        (),
        ("pavillon",),
        hour=4,
        updated_hour=4,
    ),
    Rec(
        "ecologie",
        "eo",
        "oai:eo:eco",
        {"fr": "Écologie"},
        {},
        "https://eo.example/eco",
        (),
        ("ecole-ouverte",),
        status="approved",
        hour=5,
        updated_hour=5,
        quality=90,
    ),
    Rec(
        "retire",
        "eo",
        "oai:eo:old",
        {"fr": "Ancienne école"},
        {},
        None,
        (),
        (),
        status="deleted",
        hour=6,
        updated_hour=6,
    ),
)
WAITING = [r.key for r in RECORDS if r.status == "needs_review"]


@dataclass
class QueueLedger:
    factory: sessionmaker[Session]
    ids: dict[str, str]

    def keys(self, items: list[dict[str, object]]) -> list[str]:
        """The fixture keys of queue items, in order."""
        by_id = {rid: key for key, rid in self.ids.items()}
        return [by_id[str(item["id"])] for item in items]


def _record(rec: Rec) -> dict[str, object]:
    resource = Resource(
        provenance=Provenance(source=rec.source, identifier=rec.identifier, metadata_format="lom")
    )
    resource.general.title = dict(rec.title)
    resource.general.description = dict(rec.description)
    if rec.url:
        resource.technical.locations = [rec.url]
    return resource.model_dump(mode="json")


def build(ledger_url: Callable[..., str]) -> QueueLedger:
    """The seven records in a fresh ledger (SQLite file or PostgreSQL database)."""
    factory = open_ledger(ledger_url())
    ids: dict[str, str] = {}
    with factory.begin() as session:
        for sid, (name, kind) in SOURCES.items():
            session.add(SourceRow(id=sid, name=name, type=kind, url=f"https://{sid}.example/oai", config={}))
        session.flush()
        for rec in RECORDS:
            raw = RawRecordRow(
                source_id=rec.source,
                identifier=rec.identifier,
                metadata_prefix="lom",
                payload="<x/>",
                content_hash=rec.key,
            )
            session.add(raw)
            session.flush()
            rid = resource_id(rec.source, rec.identifier)
            ids[rec.key] = rid
            session.add(
                ResourceRow(
                    id=rid,
                    raw_id=raw.id,
                    source_id=rec.source,
                    record=_record(rec),
                    issues=[
                        {"code": c, "severity": "warning", "field": "x", "message_fr": c, "message_en": c}
                        for c in rec.issues
                    ],
                    status=rec.status,
                    portals=list(rec.portals),
                    decided_at=T0 + timedelta(hours=rec.hour),
                    updated_at=T0 + timedelta(hours=rec.updated_hour),
                    quality_score=rec.quality,
                )
            )
    return QueueLedger(factory, ids)
