"""Every process run stores the field coverage of the source's live records as it left them.

Counted by hand from the records below (four live, one withdrawn at the source): what the run
stores, what the source's page computes now, and what the check of a source would say of the same
records all use one definition (:mod:`ren_index.quality.coverage`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun, RawRecordRow
from ren_index.model import Resource
from ren_index.quality.coverage import FIELDS, coverage, present
from ren_index.review.source_page import coverage_history, field_coverage
from ren_index.runs.report import get_run
from ren_index.steps.process import process_source

RULEBOOK = Rulebook.load(Path(__file__).resolve().parents[2] / "config")
SOURCE = SourceConfig.model_validate(
    {"id": "couverture", "name": "Couverture", "type": "oai", "url": "https://example.org/oai"}
)
CC_BY = "<dc:rights>https://creativecommons.org/licenses/by/4.0/</dc:rights>"
DESCRIPTION = "<dc:description>Une activité guidée sur les fractions pour la classe.</dc:description>"


def _payload(n: int, *, licence: bool, description: bool) -> str:
    return (
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>Les fractions, fiche {n}</dc:title><dc:language>fr</dc:language>"
        f"{DESCRIPTION if description else ''}{CC_BY if licence else ''}"
        f"<dc:identifier>https://example.org/r/{n}</dc:identifier></oai_dc:dc>"
    )


def _put(
    factory: sessionmaker[Session], n: int, *, licence: bool, description: bool, deleted: bool = False
) -> None:
    """Add record ``n``, or change it (a new payload, as a harvest would write it)."""
    payload = _payload(n, licence=licence, description=description)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    with factory.begin() as session:
        store.sync_source(session, SOURCE)
        identifier = f"oai:couverture:{n}"
        row = session.scalars(
            select(RawRecordRow).where(
                RawRecordRow.source_id == SOURCE.id, RawRecordRow.identifier == identifier
            )
        ).one_or_none()
        if row is None:
            row = RawRecordRow(source_id=SOURCE.id, identifier=identifier, metadata_prefix="oai_dc")
            session.add(row)
        row.payload, row.content_hash, row.deleted = payload, digest, deleted


def test_a_process_run_stores_the_coverage_it_leaves(ledger: sessionmaker[Session]) -> None:
    # Four live records: all titled and in French, three with a licence, two with a description;
    # a fifth, withdrawn at the source, counts nowhere.
    for n, (licence, description) in enumerate([(True, True), (True, True), (True, False), (False, False)]):
        _put(ledger, n, licence=licence, description=description)
    _put(ledger, 4, licence=True, description=True, deleted=True)

    report = process_source(ledger, SOURCE, RULEBOOK)

    stored = report["coverage"]
    assert stored is not None
    assert stored["records"] == 4
    assert stored["fields"]["licence"] == 0.75
    assert stored["fields"]["description"] == 0.5
    assert stored["fields"]["title"] == 1.0 and stored["fields"]["url"] == 1.0
    assert stored["fields"]["language"] == 1.0
    assert list(stored["fields"]) == list(FIELDS)
    # The ledger keeps it with the run; ``runs RUN_ID --json`` reads it back from there.
    run_id = report.get("run_id")
    assert run_id is not None
    assert get_run(ledger, run_id)["coverage"] == stored
    with ledger() as session:
        assert session.get_one(HarvestRun, run_id).coverage == stored
        # The page's "now" is the same computation: the same numbers right after the run.
        assert field_coverage(session, SOURCE.id) == (4, stored["fields"])


def test_coverage_follows_the_records_run_after_run(ledger: sessionmaker[Session]) -> None:
    for n in range(4):
        _put(ledger, n, licence=n < 3, description=False)
    first = process_source(ledger, SOURCE, RULEBOOK)
    # The partner fixes its export: every record now has a licence and a description.
    for n in range(4):
        _put(ledger, n, licence=True, description=True)
    second = process_source(ledger, SOURCE, RULEBOOK)
    assert first["coverage"] and second["coverage"]
    assert (first["coverage"]["fields"]["licence"], second["coverage"]["fields"]["licence"]) == (0.75, 1.0)
    assert (first["coverage"]["fields"]["description"], second["coverage"]["fields"]["description"]) == (
        0,
        1.0,
    )

    # A run from before migration 0008 has no coverage: the history says so, it does not guess.
    with ledger.begin() as session:
        session.execute(update(HarvestRun).where(HarvestRun.id == first["run_id"]).values(coverage=None))
    with ledger() as session:
        history = coverage_history(session, SOURCE.id)
    assert [p.run_id for p in history] == [second["run_id"], first["run_id"]]  # newest first
    assert history[0].fields == second["coverage"]["fields"] and history[0].records == 4
    assert history[1].fields is None and history[1].records is None
    assert history[0].finished_at is not None
    assert get_run(ledger, int(first.get("run_id") or 0))["coverage"] is None


def test_one_definition_of_present_for_the_check_and_the_ledger() -> None:
    """The check measures a record it never stored; the page reads stored JSON: the same answer."""
    resource = Resource.model_validate(
        {
            "provenance": {"source": "s", "identifier": "i", "metadata_format": "oai_dc"},
            "general": {"title": {"fr": "Titre"}, "description": {"fr": "   "}},
            "controlled": {"languages": ["fr"], "licence": "http://example.org/licence", "url": None},
        }
    )
    assert present(resource.model_dump(mode="json")) == {
        "title": True,
        "description": False,  # blank text is no description
        "language": True,
        "level": False,
        "licence": True,
        "url": False,
    }
    assert coverage([]) == {"records": 0, "fields": dict.fromkeys(FIELDS, 0.0)}
