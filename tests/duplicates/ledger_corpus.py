"""A small ledger written by hand for duplicates in the ledger (issue 16): one textbook from three
sources, its English translation, its previous edition, one of its chapters, a series' two volumes
(a hard negative), a course-notes title shared by unrelated records, and one record alone.

Every expected pair and group is known by reading this file (no pipeline, no rules): the test
modules of the step, the CLI, the web queue, the index and the OAI-PMH provider all use it. Works on
SQLite and PostgreSQL (the ``ledger_url`` fixture). ``first_seen`` sets each record's age in the
ledger and ``quality`` its completeness: both take part in the choice of a group's primary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.store import resource_id
from ren_index.model import Identifier, Provenance, Resource

T0 = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)

CHIMIE = (
    "Manuel libre couvrant toute la matière du cours de chimie générale au collégial : atomes,"
    " liaisons chimiques, stœchiométrie, gaz parfaits, thermochimie, équilibres et cinétique,"
    " avec exercices corrigés à la fin de chaque chapitre."
)
CHEMISTRY = (
    "Open textbook covering the whole general chemistry course at college level: atoms, chemical"
    " bonds, stoichiometry, ideal gases, thermochemistry, equilibria and kinetics, with solved"
    " exercises at the end of each chapter."
)


@dataclass(frozen=True)
class Rec:
    key: str
    source: str
    title: dict[str, str]
    description: dict[str, str]
    url: str
    language: str = "fr"
    identifiers: tuple[str, ...] = ()
    portals: tuple[str, ...] = ("pavillon",)
    status: str = "approved"
    quality: int = 50
    day: int = 0
    """First seen at ``T0 + day`` days: the smaller, the older in the ledger."""
    extra: dict[str, str] = field(default_factory=dict)


SOURCES = {
    "editeur": ("Éditions du Cégep", 0),
    "biblio": ("Bibliothèque collégiale", 0),
    "reseau": ("Réseau des cégeps", 5),
}
"""id → (name, priority): the network's feed wins the primary of a group it is in."""

RECORDS = (
    Rec(
        "chimie-editeur",
        "editeur",
        {"fr": "Chimie générale, 2e édition"},
        {"fr": CHIMIE},
        "https://editions.example/chimie-generale",
        identifiers=("ISBN 978-2-7605-2357-9",),
        quality=90,
        day=0,
    ),
    Rec(
        "chimie-biblio",
        "biblio",
        {"fr": "Chimie générale, 2e édition"},
        {"fr": CHIMIE},
        "http://www.editions.example/chimie-generale/?utm_source=biblio",
        quality=60,
        day=1,
    ),
    Rec(
        "chimie-reseau",
        "reseau",
        {"fr": "Chimie générale (2e édition)"},
        {"fr": CHIMIE.replace("avec exercices corrigés", "et des exercices corrigés")},
        "https://reseau.example/ressources/4411",
        identifiers=("978-2-7605-2357-9",),
        portals=("pavillon", "ecole-ouverte"),
        quality=40,
        day=2,
    ),
    Rec(
        "chemistry-en",
        "editeur",
        {"en": "General Chemistry, 2nd edition"},
        {"en": CHEMISTRY},
        "https://editions.example/en/chimie-generale",
        language="en",
        day=3,
    ),
    Rec(
        "chimie-1re",
        "biblio",
        {"fr": "Chimie générale, 1re édition"},
        {"fr": CHIMIE},
        "https://editions.example/chimie-generale-1re",
        quality=80,
        day=4,
    ),
    Rec(
        "chimie-chapitre",
        "editeur",
        {"fr": "Chimie générale — chapitre 3 : les gaz parfaits"},
        {"fr": "Le chapitre sur les gaz parfaits : lois de Boyle, de Charles et d'Avogadro."},
        "https://editions.example/chimie-generale/chapitre-3",
        day=5,
    ),
    Rec(
        "histoire-t1",
        "biblio",
        {"fr": "Histoire de la Nouvelle-France, tome 1"},
        {"fr": "Synthèse de l'histoire de la Nouvelle-France en plusieurs tomes, pour le collégial."},
        "https://biblio.example/histoire-nf",
        day=6,
    ),
    Rec(
        "histoire-t2",
        "biblio",
        {"fr": "Histoire de la Nouvelle-France, tome 2"},
        {"fr": "Synthèse de l'histoire de la Nouvelle-France en plusieurs tomes, pour le collégial."},
        "https://biblio.example/histoire-nf",
        day=7,
    ),
    Rec(
        "notes-philo",
        "reseau",
        {"fr": "Notes de cours"},
        {"fr": "Philosophie et rationalité : Platon, Descartes et la méthode."},
        "https://reseau.example/philo/notes",
        day=8,
    ),
    Rec(
        "notes-bio",
        "biblio",
        {"fr": "Notes de cours"},
        {"fr": "Biologie cellulaire : la membrane, les organites et la mitose."},
        "https://biblio.example/bio/notes",
        day=9,
    ),
    Rec(
        "seul",
        "reseau",
        {"fr": "Géographie du Québec"},
        {"fr": "Régions, climat et population du Québec, cartes commentées."},
        "https://reseau.example/geo",
        portals=("ecole-ouverte",),
        day=10,
    ),
)

SAME_GROUP = {"chimie-editeur", "chimie-biblio", "chimie-reseau"}
"""The textbook's three copies: same URL + ISBN, or same text and title."""
EXPECTED = {
    frozenset({"chimie-editeur", "chimie-biblio"}): "same",
    frozenset({"chimie-editeur", "chimie-reseau"}): "same",
    frozenset({"chimie-biblio", "chimie-reseau"}): "same",
    frozenset({"chimie-editeur", "chemistry-en"}): "translation",
    frozenset({"chimie-editeur", "chimie-chapitre"}): "part",
}
"""Pairs the matcher must propose (with their relation); the series volumes and the two « Notes de
cours » must never be paired. The first edition and the chapter relate to several copies: the test
reads those from the ledger rather than fixing every one here."""


@dataclass
class DupLedger:
    factory: sessionmaker[Session]
    ids: dict[str, str]
    url: str

    def key(self, rid: str) -> str:
        return {v: k for k, v in self.ids.items()}[rid]

    @property
    def priorities(self) -> dict[str, int]:
        return {sid: prio for sid, (_, prio) in SOURCES.items()}


def record_of(rec: Rec) -> dict[str, object]:
    resource = Resource(
        provenance=Provenance(
            source=rec.source, identifier=f"oai:{rec.source}:{rec.key}", metadata_format="lom"
        )
    )
    resource.general.title = dict(rec.title)
    resource.general.description = dict(rec.description)
    resource.general.languages = [rec.language]
    resource.general.identifiers = [Identifier(catalog="ISBN", entry=i) for i in rec.identifiers]
    resource.technical.locations = [rec.url]
    resource.controlled.languages = [rec.language]
    resource.controlled.url = rec.url
    return resource.model_dump(mode="json")


def build(ledger_url: Callable[..., str], records: tuple[Rec, ...] = RECORDS) -> DupLedger:
    """The records in a fresh ledger (SQLite file or PostgreSQL database)."""
    url = ledger_url()
    factory = open_ledger(url)
    ids: dict[str, str] = {}
    with factory.begin() as session:
        for sid, (name, priority) in SOURCES.items():
            config = {
                "id": sid,
                "name": name,
                "type": "oai",
                "url": f"https://{sid}.example/oai",
                "priority": priority,
            }
            session.add(SourceRow(id=sid, name=name, type="oai", url=config["url"], config=config))
        session.flush()
        for rec in records:
            identifier = f"oai:{rec.source}:{rec.key}"
            raw = RawRecordRow(
                source_id=rec.source,
                identifier=identifier,
                metadata_prefix="lom",
                payload="<x/>",
                content_hash=rec.key,
                processed_hash=rec.key,
                first_seen=T0 + timedelta(days=rec.day),
                last_seen=T0 + timedelta(days=rec.day),
            )
            session.add(raw)
            session.flush()
            rid = resource_id(rec.source, identifier)
            ids[rec.key] = rid
            session.add(
                ResourceRow(
                    id=rid,
                    raw_id=raw.id,
                    source_id=rec.source,
                    record=record_of(rec),
                    issues=[],
                    status=rec.status,
                    portals=list(rec.portals),
                    decided_at=T0 + timedelta(days=rec.day),
                    updated_at=T0 + timedelta(days=rec.day),
                    quality_score=rec.quality,
                )
            )
    return DupLedger(factory, ids, url)
