"""DUPLICATE_URL as the process step finds it: in the ledger, within a batch not yet written, and
after a record of the same run moved to another URL (issue 12's speed work writes a batch once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.harvest.base import RawRecord
from ren_index.ledger import store
from ren_index.ledger.models import ResourceRow
from ren_index.ledger.raw_pages import upsert_page
from ren_index.steps import process
from ren_index.steps.process import process_source

ROOT = Path(__file__).resolve().parents[2]
SOURCE = SourceConfig(id="doublons", name="Doublons", type="oai", url="https://example.org/oai")
DC = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
    "<dc:description>Une description assez longue pour ne pas être trop courte, sur {title}.</dc:description>"
    "<dc:identifier>{url}</dc:identifier><dc:language>fr</dc:language></oai_dc:dc>"
)


@pytest.fixture(scope="module")
def rulebook() -> Rulebook:
    return Rulebook.load(ROOT / "config")


def harvest(ledger: sessionmaker[Session], *records: tuple[str, str], edition: int = 1) -> None:
    """Store ``(identifier, url)`` records as one harvested page, in that order."""
    page = [
        RawRecord(
            identifier,
            "2026-01-01",
            False,
            "oai_dc",
            DC.format(title=f"Ressource {identifier} ({edition})", url=url),
        )
        for identifier, url in records
    ]
    with ledger.begin() as session:
        store.sync_source(session, SOURCE)
        upsert_page(session, SOURCE.id, page, None)


def duplicate_of(ledger: sessionmaker[Session], identifier: str) -> str | None:
    with ledger() as session:
        row = session.get_one(ResourceRow, store.resource_id(SOURCE.id, identifier))
        found = [i for i in row.issues if i["code"] == "DUPLICATE_URL"]
        return found[0]["suggestion"] if found else None


def rid(identifier: str) -> str:
    return store.resource_id(SOURCE.id, identifier)


@pytest.mark.parametrize("batch", [200, 2])
def test_a_later_record_with_the_same_url_is_a_duplicate_of_the_earlier_one(
    ledger: sessionmaker[Session], rulebook: Rulebook, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "BATCH", batch)
    harvest(
        ledger,
        ("a", "https://example.org/r/1"),
        ("b", "http://example.org/r/2"),
        ("c", "http://example.org/r/1"),  # same address as a, other scheme
        ("d", "https://example.org/r/2"),
    )
    process_source(ledger, SOURCE, rulebook)
    assert duplicate_of(ledger, "a") is None and duplicate_of(ledger, "b") is None
    assert duplicate_of(ledger, "c") == rid("a")
    assert duplicate_of(ledger, "d") == rid("b")


@pytest.mark.parametrize("batch", [200, 1])
def test_a_record_that_moved_in_the_same_run_no_longer_counts_at_its_old_url(
    ledger: sessionmaker[Session], rulebook: Rulebook, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "BATCH", batch)
    harvest(ledger, ("a", "https://example.org/r/1"), ("b", "https://example.org/r/1"))
    process_source(ledger, SOURCE, rulebook)
    assert duplicate_of(ledger, "b") == rid("a")
    # a moves to /r/9; b's text changes (so it is processed again, after a, in the same run) but
    # not its address; a new record e arrives at a's new address.
    harvest(
        ledger,
        ("a", "https://example.org/r/9"),
        ("b", "https://example.org/r/1"),
        ("e", "https://example.org/r/9"),
        edition=2,
    )
    process_source(ledger, SOURCE, rulebook)
    assert duplicate_of(ledger, "a") is None
    assert duplicate_of(ledger, "b") is None  # the ledger still said a was at /r/1: not anymore
    assert duplicate_of(ledger, "e") == rid("a")
