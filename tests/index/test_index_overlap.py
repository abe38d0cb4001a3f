"""The index step sends batch N in a background thread while it builds batch N+1 (issue 17,
:mod:`ren_index.steps.index_send`), and a failure on either side still leaves exactly the batches
OpenSearch acknowledged settled in the ledger, stops the run, and leaves no thread behind.

On the real node and both ledgers (1,100 records of ``tests/hostile/test_faults_index.py``, batches
of 100): OpenSearch dying after the first bulk answer while the second batch waits its turn; the
step's own thread failing (reading, building) while a batch is in flight; the sending thread
failing on something that is not OpenSearch going away.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.hostile.test_faults_index import RECORDS, Proxy, _fill

from ren_index.config.rules import load_portals
from ren_index.errors import IndexingError
from ren_index.index.client import make_client
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import ResourceRow
from ren_index.settings import Settings
from ren_index.steps import index as index_step
from ren_index.steps import index_send
from ren_index.steps.index import index_changes

PORTALS = list(load_portals(Path(__file__).resolve().parents[2] / "config"))
SIZE = 100

pytestmark = pytest.mark.integration


@pytest.fixture
def factory(ledger_url: Callable[..., str]) -> Iterator[sessionmaker[Session]]:
    url = ledger_url()
    _fill(url)
    made = open_ledger(url)
    yield made
    made.kw["bind"].dispose()


def _settled(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(ResourceRow.id).where(ResourceRow.indexed_hash.is_not(None))))


def _in_index(client: OpenSearch, prefix: str) -> set[str]:
    alias = f"{prefix}-resources"
    client.indices.refresh(index=alias)
    found = client.search(index=alias, body={"size": RECORDS, "_source": False, "query": {"match_all": {}}})
    return {hit["_id"] for hit in found["hits"]["hits"]}


def _no_sender_left() -> bool:
    return not any(thread.name.startswith("ren-index-bulk") for thread in threading.enumerate())


def test_opensearch_dying_settles_the_acknowledged_batch_only(
    factory: sessionmaker[Session], opensearch_url: str, prefix: str, os_client: OpenSearch
) -> None:
    with Proxy(opensearch_url, mode="die") as proxy:
        client = make_client(Settings(opensearch_url=proxy.url, opensearch_timeout=20))
        with pytest.raises(IndexingError) as cut:
            index_changes(factory, client, prefix, portals=PORTALS, batch_size=SIZE)
    assert proxy.bulks == [SIZE]
    line = str(cut.value)
    assert "\n" not in line and f"les {SIZE} documents" in line and f"{RECORDS - SIZE} restent" in line
    assert _settled(factory) == _in_index(os_client, prefix) and len(_settled(factory)) == SIZE
    assert _no_sender_left()
    again = index_changes(factory, os_client, prefix, portals=PORTALS, batch_size=SIZE)
    assert again["counts"] == {"indexed": RECORDS - SIZE, "removed": 0, "unchanged": SIZE, "errors": 0}


def test_a_failure_while_building_still_settles_the_batch_in_flight(
    factory: sessionmaker[Session], prefix: str, os_client: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the third batch fails while the second is being sent: both sent batches are
    settled (OpenSearch acknowledged them), nothing else, and the error is the run's."""
    real = index_step._placed
    calls = 0

    def third_fails(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the ledger went away while building")
        return real(*args, **kwargs)

    monkeypatch.setattr(index_step, "_placed", third_fails)
    with pytest.raises(RuntimeError, match="went away"):
        index_changes(factory, os_client, prefix, portals=PORTALS, batch_size=SIZE)
    settled = _settled(factory)
    assert len(settled) == 2 * SIZE and settled == _in_index(os_client, prefix)
    assert _no_sender_left()


def test_a_failure_in_the_sending_thread_stops_the_run_there(
    factory: sessionmaker[Session], prefix: str, os_client: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second send fails (not OpenSearch going away): the error is raised in the step's
    thread, the first batch stays settled, the second and those queued behind it are neither sent
    nor settled."""
    real = index_send.send
    sends: list[int] = []

    def second_fails(*args: Any, **kwargs: Any) -> Any:
        sends.append(len(args[2]))
        if len(sends) == 2:
            raise IndexingError("OpenSearch a refusé / refused HEAD")
        return real(*args, **kwargs)

    monkeypatch.setattr(index_send, "send", second_fails)
    with pytest.raises(IndexingError, match="refused HEAD"):
        index_changes(factory, os_client, prefix, portals=PORTALS, batch_size=SIZE)
    assert sends == [SIZE, SIZE]
    settled = _settled(factory)
    assert len(settled) == SIZE and settled == _in_index(os_client, prefix)
    assert _no_sender_left()
