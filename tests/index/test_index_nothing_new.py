"""``ren-index index`` with nothing new reads nothing to send and writes nothing to the index, and
every kind of change is still sent (issue 17), on the real node and both ledgers.

The ledger of ``tests/duplicates/ledger_corpus.py`` (a group of three copies, a translation, an
edition, a chapter, other records). After each change, the run that reads only what changed since
is checked against a run comparing every record (``compare_all``): that one must find nothing
left to send.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from tests.duplicates.ledger_corpus import DupLedger

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger import store
from ren_index.ledger.link_health import save_health
from ren_index.ledger.models import ResourceRow
from ren_index.links.patience import LinkHealth, LinkState
from ren_index.review.decisions import decide_by_person
from ren_index.review.duplicate_actions import choose_primary
from ren_index.steps import index as index_step

CONFIG = Path(__file__).resolve().parents[2] / "config"
PORTALS = list(load_portals(CONFIG))

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix(opensearch_url: str) -> Iterator[str]:
    name = f"test-nothing-new-{uuid.uuid4().hex[:8]}"
    yield name
    OpenSearch(hosts=[opensearch_url]).indices.delete(index=f"{name}-*", ignore_unavailable=True)


class Runs:
    """Index runs on the corpus, counting the documents built and the index's own write counters."""

    def __init__(self, dup: DupLedger, client: OpenSearch, prefix: str, vocabularies: Vocabularies) -> None:
        self.dup, self.client, self.prefix, self.vocabularies = dup, client, prefix, vocabularies
        self.built = 0

    def run(self, *, compare_all: bool = False) -> dict[str, Any]:
        report = index_step.index_changes(
            self.dup.factory,
            self.client,
            self.prefix,
            portals=PORTALS,
            vocabularies=self.vocabularies,
            compare_all=compare_all,
        )
        return dict(report["counts"])

    def writes(self) -> int:
        """Documents indexed and deleted so far, as OpenSearch counts them."""
        stats = self.client.indices.stats(index=f"{self.prefix}-resources", metric="indexing")
        indexing = stats["_all"]["primaries"]["indexing"]
        return int(indexing["index_total"]) + int(indexing["delete_total"])

    def sends(self, change: Callable[[], object]) -> dict[str, Any]:
        """Make ``change``, run; the run's counts, once a full comparison finds nothing left."""
        change()
        counts = self.run()
        full = self.run(compare_all=True)
        assert (full["indexed"], full["removed"], full["errors"]) == (0, 0, 0), full
        return counts


@pytest.fixture
def runs(
    dup: DupLedger,
    opensearch_url: str,
    prefix: str,
    vocabularies: Vocabularies,
    monkeypatch: pytest.MonkeyPatch,
) -> Runs:
    made = Runs(dup, OpenSearch(hosts=[opensearch_url]), prefix, vocabularies)
    original = index_step.row_document

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.built += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(index_step, "row_document", counted)
    return made


def test_a_run_with_nothing_new_builds_nothing_and_writes_nothing(runs: Runs) -> None:
    first = runs.run()
    assert first["indexed"] == 9 and first["errors"] == 0
    writes, built = runs.writes(), runs.built
    again = runs.run()
    assert (again["indexed"], again["removed"], again["unchanged"]) == (0, 0, 9)
    assert runs.built == built  # not one document built to compare
    assert runs.writes() == writes  # not one write to the index


def test_every_kind_of_change_is_still_sent(runs: Runs, dup: DupLedger) -> None:
    runs.run()
    ids = dup.ids

    def rewrite(key: str, edit: Callable[[ResourceRow], None]) -> Callable[[], None]:
        """A correction, a re-processed record or new portal rules: the row rewritten and stamped."""

        def change() -> None:
            with dup.factory.begin() as session:
                row = session.get_one(ResourceRow, ids[key])
                seen = store.content_of(row)
                edit(row)
                store.mark_updated(row, seen)

        return change

    def retitle(row: ResourceRow) -> None:
        record = dict(row.record or {})
        record["general"] = {**record["general"], "title": {"fr": "Histoire de la Nouvelle-France (corrigé)"}}
        row.record = record

    counts = runs.sends(rewrite("histoire-t1", retitle))  # a correction
    assert counts["indexed"] == 1

    def move(row: ResourceRow) -> None:
        row.portals = ["ecole-ouverte"] if row.portals != ["ecole-ouverte"] else ["pavillon"]

    counts = runs.sends(rewrite("histoire-t1", move))
    assert counts["indexed"] == 1  # a portal change

    counts = runs.sends(
        lambda: decide_by_person(
            dup.factory, ids["histoire-t1"], "rejected", actor="marie", comment="hors sujet"
        )
    )
    assert counts["removed"] == 1  # a decision

    def broken() -> None:
        now = datetime.now(UTC)
        health = LinkHealth(
            state=LinkState.BROKEN, failures=5, first_failure_at=now, checked_at=now, changed_at=now
        )
        with dup.factory.begin() as session:
            save_health(session, None, ids["chimie-1re"], health)

    counts = runs.sends(broken)  # link health
    assert counts["removed"] == 1

    # a group change: another primary moves documents between members
    counts = runs.sends(lambda: choose_primary(dup.factory, ids["chimie-biblio"], "marie"))
    assert counts["indexed"] >= 1

    writes = runs.writes()
    assert runs.run()["indexed"] == 0 and runs.writes() == writes
