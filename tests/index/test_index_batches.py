"""The index step builds, sends and settles its documents a batch at a time (issue 17: memory flat
with the number of records), and batches change nothing: runs cut into batches of one or two
records give the index and the ledger what one batch gives, on the real node and both ledgers.

The ledger of ``tests/duplicates/ledger_corpus.py``: a group of three copies with an older
edition, a confirmed translation and a labelled chapter (its whole unknown). With one record per
batch, every member of the group and both ends of the translation fall in different batches, so a
batch that read too little around its records (the other members of their groups, the far sides of their links
and those records' groups) would give another document — ``group_members``,
``also_available_from``, ``other_versions``, ``translations`` — or another standing member.

The run's records are read a page at a time (:mod:`ren_index.steps.index_plan`); with pages of one
or two records, a group's members are the own records of different pages, and a record pulled in
by an earlier page's group must not be sent again by its own page (the counts would grow).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import select, update
from tests.duplicates.ledger_corpus import RECORDS, SAME_GROUP, DupLedger

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.models import ResourceRow
from ren_index.review.duplicate_actions import choose_primary, label
from ren_index.steps import index_plan
from ren_index.steps.index import index_changes, rebuild_index

CONFIG = Path(__file__).resolve().parents[2] / "config"
PORTALS = list(load_portals(CONFIG))

pytestmark = pytest.mark.integration


@pytest.fixture
def dup(dup: DupLedger) -> DupLedger:
    """The shared corpus (tests/index/conftest.py), with a part and an edition confirmed too."""
    built = dup
    label(built.factory, built.ids["chimie-chapitre"], built.ids["chimie-editeur"], "part", "marie")
    label(built.factory, built.ids["chimie-1re"], built.ids["chimie-editeur"], "version", "marie")
    return built


def _documents(client: OpenSearch, prefix: str) -> dict[str, dict[str, Any]]:
    """Every document of the index (its sending time left out)."""
    alias = f"{prefix}-resources"
    client.indices.refresh(index=alias)
    found = client.search(index=alias, body={"size": 100, "query": {"match_all": {}}})
    return {
        hit["_id"]: {k: v for k, v in hit["_source"].items() if k != "indexed_at"}
        for hit in found["hits"]["hits"]
    }


def _rows(dup: DupLedger) -> dict[str, tuple[str | None, bool]]:
    """Each row's ``indexed_hash`` and whether the index step settled it."""
    with dup.factory() as session:
        query = select(ResourceRow.id, ResourceRow.indexed_hash, ResourceRow.indexed_at)
        return {rid: (digest, at is not None) for rid, digest, at in session.execute(query)}


def _forget(dup: DupLedger) -> None:
    """The ledger as before any index run, for a second run into another index."""
    with dup.factory.begin() as session:
        session.execute(update(ResourceRow).values(indexed_hash=None, indexed_at=None))


def _index(dup: DupLedger, client: OpenSearch, prefix: str, vocabularies: Vocabularies, **kw: Any) -> Any:
    report = index_changes(dup.factory, client, prefix, portals=PORTALS, vocabularies=vocabularies, **kw)
    return dict(report["counts"])


@pytest.mark.parametrize("page", [index_plan.PAGE, 1, 2])
def test_batches_of_one_record_give_the_documents_and_rows_of_one_batch(
    dup: DupLedger,
    os_client: OpenSearch,
    prefix: str,
    vocabularies: Vocabularies,
    page: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = dup.ids
    whole = _index(dup, os_client, f"{prefix}-a", vocabularies)
    expected, rows = _documents(os_client, f"{prefix}-a"), _rows(dup)
    # the corpus exercises what a batch must read around its records
    standing = expected[ids["chimie-reseau"]]
    assert {ids[k] for k in SAME_GROUP} <= set(standing["group_members"]) | {
        card["id"] for card in standing["also_available_from"]
    }
    assert standing["translations"] and standing["other_versions"]
    assert expected[ids["chemistry-en"]]["translations"][0]["id"] in {ids[k] for k in SAME_GROUP}

    monkeypatch.setattr(index_plan, "PAGE", page)  # the whole run above read one page
    for size in (1, 2):
        _forget(dup)
        name = f"{prefix}-b{size}"
        assert _index(dup, os_client, name, vocabularies, batch_size=size) == whole
        assert _documents(os_client, name) == expected
        assert _rows(dup) == rows
        # nothing left to send, whichever way it is compared
        again = _index(dup, os_client, name, vocabularies, batch_size=size, compare_all=True)
        assert (again["indexed"], again["removed"], again["unchanged"]) == (0, 0, whole["indexed"])

    rebuilt = rebuild_index(
        dup.factory, os_client, f"{prefix}-a", portals=PORTALS, vocabularies=vocabularies,
        drain_seconds=0, batch_size=1,
    )  # fmt: skip
    assert rebuilt["counts"]["indexed"] == whole["indexed"]
    assert _documents(os_client, f"{prefix}-a") == expected
    assert _rows(dup) == rows


@pytest.mark.parametrize("page", [index_plan.PAGE, 1])
def test_a_change_sent_in_batches_of_one_leaves_nothing_for_a_whole_comparison(
    dup: DupLedger,
    os_client: OpenSearch,
    prefix: str,
    vocabularies: Vocabularies,
    page: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new primary moves who stands for the group and what the translation names: the run
    reading only what changed, one record per batch (and per page), sends all of it."""
    monkeypatch.setattr(index_plan, "PAGE", page)
    ids = dup.ids
    _index(dup, os_client, prefix, vocabularies, batch_size=1)
    choose_primary(dup.factory, ids["chimie-biblio"], "marie")
    sent = _index(dup, os_client, prefix, vocabularies, batch_size=1)
    assert sent["indexed"] >= 2 and sent["errors"] == 0
    full = _index(dup, os_client, prefix, vocabularies, compare_all=True)
    assert (full["indexed"], full["removed"], full["errors"]) == (0, 0, 0), full
    assert full["unchanged"] == sum(1 for digest, _ in _rows(dup).values() if digest)

    label(dup.factory, ids["seul"], ids["chemistry-en"], "translation", "marie")
    source = next(rec.source for rec in RECORDS if rec.key == "seul")
    one_source = _index(dup, os_client, prefix, vocabularies, source_id=source, batch_size=1)
    assert one_source["errors"] == 0
    full = _index(dup, os_client, prefix, vocabularies, compare_all=True)
    assert (full["indexed"], full["removed"], full["errors"]) == (0, 0, 0), full


@pytest.mark.parametrize("page", [index_plan.PAGE, 500])
def test_a_run_cut_off_in_its_second_batch_keeps_the_first_settled(
    ledger_url: Callable[..., str],
    opensearch_url: str,
    prefix: str,
    os_client: OpenSearch,
    page: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OpenSearch gone after the first batch's bulk: that batch stays settled, the line counts the
    rest (with pages of 500, those of the first page's second batch and of the pages not read),
    and the next run sends only the rest."""
    monkeypatch.setattr(index_plan, "PAGE", page)
    from tests.hostile.test_faults_index import RECORDS, Proxy, _fill

    from ren_index.errors import IndexingError
    from ren_index.index.client import make_client
    from ren_index.ledger.db import open_ledger
    from ren_index.settings import Settings

    url = ledger_url()
    _fill(url)
    factory = open_ledger(url)
    size = 300
    with Proxy(opensearch_url, mode="die") as proxy:
        client = make_client(Settings(opensearch_url=proxy.url, opensearch_timeout=20))
        with pytest.raises(IndexingError) as cut:
            index_changes(factory, client, prefix, portals=PORTALS, batch_size=size)
    assert proxy.bulks == [size]
    assert f"les {size} documents" in str(cut.value) and f"{RECORDS - size} restent" in str(cut.value)
    with factory() as session:
        settled = session.scalars(select(ResourceRow.id).where(ResourceRow.indexed_hash.is_not(None)))
        assert len(list(settled)) == size
    again = index_changes(factory, os_client, prefix, portals=PORTALS, batch_size=size)
    assert again["counts"] == {"indexed": RECORDS - size, "removed": 0, "unchanged": size, "errors": 0}
    os_client.indices.refresh(index=f"{prefix}-resources")
    assert int(os_client.count(index=f"{prefix}-resources")["count"]) == RECORDS
    factory.kw["bind"].dispose()
