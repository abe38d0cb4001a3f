"""The process step counts a source's titles once per pass, so TITLE_REPEATED_IN_SOURCE is seen
on the first pass, on each record, and survives a single record's reprocessing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.ledger import store
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.steps.process import process_source, reprocess_resource, source_title_counts

RULEBOOK = Rulebook.load(Path(__file__).resolve().parents[2] / "config")
SOURCE = SourceConfig.model_validate(
    {"id": "repeats", "name": "Répétitions", "type": "oai", "url": "https://example.org/oai"}
)


def _payload(title: str, n: int) -> str:
    return (
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{title}</dc:title><dc:language>fr</dc:language>"
        f"<dc:identifier>https://example.org/r/{n}</dc:identifier></oai_dc:dc>"
    )


def _add(factory: sessionmaker[Session], titles: list[str], *, deleted: int = 0) -> None:
    with factory.begin() as session:
        store.sync_source(session, SOURCE)
        for n, title in enumerate(titles):
            payload = _payload(title, n)
            session.add(
                RawRecordRow(
                    source_id=SOURCE.id,
                    identifier=f"oai:repeats:{n}",
                    metadata_prefix="oai_dc",
                    payload=payload,
                    content_hash=hashlib.sha256(payload.encode()).hexdigest(),
                    deleted=n < deleted,
                )
            )


def _codes(factory: sessionmaker[Session]) -> dict[str, list[str]]:
    with factory() as session:
        return {
            raw.identifier: [i["code"] for i in row.issues]
            for row, raw in session.execute(
                select(ResourceRow, RawRecordRow).join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            )
        }


def test_repeats_are_found_on_the_first_pass_and_kept_on_reprocess(ledger: sessionmaker[Session]) -> None:
    # Six "Exercices" (one written with capitals and a tag, one withdrawn) and distinct titles.
    titles = ["Exercices"] * 4 + ["EXERCICES !", "&lt;p&gt;Exercices&lt;/p&gt;", "Les volcans", "Les atomes"]
    _add(ledger, titles, deleted=1)  # the first "Exercices" is withdrawn: 5 live ones remain
    with ledger() as session:
        counts = source_title_counts(session, SOURCE.id)
    assert counts["exercices"] == 5 and counts["les volcans"] == 1
    assert len(counts) == 1  # one repeated key kept: the others are the records alone

    process_source(ledger, SOURCE, RULEBOOK)
    codes = _codes(ledger)
    repeated = {i for i, c in codes.items() if "TITLE_REPEATED_IN_SOURCE" in c}
    assert repeated == {f"oai:repeats:{n}" for n in range(1, 6)}
    assert "TITLE_MARKUP" in codes["oai:repeats:5"]

    # Counted from the ledger once processed: the same counts, without normalizing again.
    with ledger() as session:
        assert source_title_counts(session, SOURCE.id) == counts
        row = session.get(ResourceRow, store.resource_id(SOURCE.id, "oai:repeats:2"))
        assert row is not None
        reprocess_resource(session, row, RULEBOOK)
        session.commit()
    assert "TITLE_REPEATED_IN_SOURCE" in _codes(ledger)["oai:repeats:2"]


def test_below_the_threshold_nothing_is_reported(ledger: sessionmaker[Session]) -> None:
    _add(ledger, ["Exercices"] * 4 + ["Les volcans"])
    process_source(ledger, SOURCE, RULEBOOK)
    assert not any("TITLE_REPEATED_IN_SOURCE" in c for c in _codes(ledger).values())
