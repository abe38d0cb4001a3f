"""A real three-node OpenSearch cluster loses a node while 50,000 records are indexed and searched.

Three JVMs (``ren-index opensearch start --nodes 3``, :class:`LocalCluster`), an index of three
shards with one replica (``REN_INDEX_SHARDS`` / ``REN_INDEX_REPLICAS``), a client given every node
(``REN_OPENSEARCH_URL`` with three addresses). While the real index step sends 50,000 approved
records of a SQLite ledger, a thread searches without pause as the portal API does, and a third
one kills a node with SIGKILL once OpenSearch has taken a few thousand documents. Then:

- no search failed: the client retried each request the dead node could not answer on another;
- no document was lost: once the run is over (run again when it reports an interruption, as an
  operator would), the ledger's indexed records, the index's documents and the approved records
  are the same 50,000 — what OpenSearch acknowledged before the kill is never sent twice, so a
  document lost with the node would show as a missing one;
- the cluster is green again once the killed node is started again.

Marked ``scale`` (``-m "not scale"`` leaves it out); it runs in the SQLite pass of
``scripts/test`` only — the ledger is not what is under test, and one run of three JVMs is enough
for the machine. Measured once at 7.5 minutes on a shared two-core machine under a load of 10–15
(other sessions' suites beside it): cluster start ~35 s, ledger 20 s, index run 344 s, node back and
green 34 s; the index run is most of it and shrinks on an idle machine. Every node is stopped at the
end, whatever happens.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.errors import IndexingError
from ren_index.index.client import make_client
from ren_index.index.cluster import TRANSPORT_OFFSET, LocalCluster
from ren_index.index.schema import IndexLayout, alias_name, ensure_index
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow, SourceRow
from ren_index.model import Provenance, Resource
from ren_index.search.query import search
from ren_index.settings import Settings

RECORDS = 50_000
KILL_AFTER = 5_000
"""Documents OpenSearch has taken (primaries) when the node is killed: the bulk is well under way."""
PORTALS = ["pavillon", "ecole-ouverte"]
QUERIES = ["", "fractions", "chimie organique", "histoire du Québec", "lecture"]
MAX_RUNS = 5
"""Index runs at most: the first, interrupted or not, and reruns as an operator would do."""
PAUSE = 0.02
"""Seconds between two searches of the stream: ~50 a second, a busy portal's pace, without the
loop taking the interpreter from the index step it runs beside (one Python process for both)."""
"""Index runs at most: the first, interrupted or not, and reruns as an operator would do."""

pytestmark = [
    pytest.mark.scale,
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(os.environ.get("REN_TEST_POSTGRES_URL")),
        reason="runs in the SQLite pass of scripts/test only: three JVMs once are enough, and the"
        " ledger is not what this test is about / seulement dans la passe SQLite",
    ),
]


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive HTTP ports in 9260–9289 free with their transport ports
    (never 9250–9251, the test node's)."""
    for base in range(9260, 9290 - count + 1):
        ports = [base + k for k in range(count)] + [base + k + TRANSPORT_OFFSET for k in range(count)]
        if all(_free(port) for port in ports):
            return base
    pytest.fail("no 3 free consecutive ports in 9260-9289 (and +100) for the cluster")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """Three fresh nodes on free ports, stopped at the end whatever happens."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("REN_REQUIRE_OPENSEARCH") == "1":
            pytest.fail("REN_REQUIRE_OPENSEARCH=1 but java is missing")
        pytest.skip("java (17+) is needed to run the three nodes")
    base = _free_ports(3)
    urls = ",".join(f"http://127.0.0.1:{base + k}" for k in range(3))
    settings = Settings(opensearch_url=urls, data_dir=tmp_path_factory.mktemp("cluster"))
    nodes = LocalCluster(settings, 3)
    try:
        nodes.start(wait=300)
        yield nodes
    finally:
        nodes.stop(timeout=30)


def _approved_rows(factory: sessionmaker[Session], count: int) -> None:
    """``count`` approved records, written straight into the ledger a few thousand per statement
    (as ``bench/duplicates_ledger.py`` does): what the process step would have left."""
    with factory.begin() as session:
        session.add(SourceRow(id="scale", name="scale", type="oai", url="https://scale.example/oai"))
    template = Resource(provenance=Provenance(source="scale", identifier="x", metadata_format="lom"))
    base = template.model_dump(mode="json")
    subjects = ["fractions", "chimie organique", "histoire du Québec", "lecture", "géométrie"]
    for start in range(0, count, 5_000):
        raws: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for n in range(start, min(start + 5_000, count)):
            rid = f"scale-{n:06d}"
            subject = subjects[n % len(subjects)]
            url = f"https://scale.example/r/{n}"
            record = {
                **base,
                "provenance": {**base["provenance"], "identifier": rid},
                "general": {
                    **base["general"],
                    "title": {"fr": f"Ressource {n} : {subject}"},
                    "description": {"fr": f"Activité numéro {n} sur {subject}, pour la classe."},
                    "languages": ["fr"],
                },
                "technical": {**base["technical"], "locations": [url]},
                "controlled": {**base["controlled"], "url": url, "languages": ["fr"]},
            }
            raws.append(
                {"id": n + 1, "source_id": "scale", "identifier": rid, "metadata_prefix": "lom",
                 "payload": "<x/>", "content_hash": "x", "set_specs": []}
            )  # fmt: skip
            rows.append(
                {"id": rid, "raw_id": n + 1, "source_id": "scale", "record": record, "issues": [],
                 "status": "approved", "portals": [PORTALS[n % 2]]}
            )  # fmt: skip
        with factory.begin() as session:
            session.execute(insert(RawRecordRow), raws)
            session.execute(insert(ResourceRow), rows)


@dataclass
class Searches:
    """The stream of searches: how many, which failed (exception) or came back partial."""

    done: int = 0
    after_kill: int = 0
    failures: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)

    def run(self, client: OpenSearch, alias: str) -> None:
        n = 0
        while not self.stop.is_set():
            query = QUERIES[n % len(QUERIES)]
            try:
                if n % 2:
                    search(client, alias, query, portal=PORTALS[n % 2], size=10)
                else:  # the same through the raw client, to see shard failures the API hides
                    body = {"query": {"match": {"record.general.title.fr": query or "ressource"}}}
                    shards = client.search(index=alias, body=body, size=10)["_shards"]
                    if shards.get("failed"):
                        self.partial.append(f"{shards}")
            except Exception as exc:  # any failure is what the test counts
                self.failures.append(f"{exc.__class__.__name__}: {exc}"[:300])
            n += 1
            self.done += 1
            self.after_kill += self.killed.is_set()
            self.stop.wait(PAUSE)


def _kill_when_busy(
    client: OpenSearch, index: str, cluster: LocalCluster, victim: int, searches: Searches, seen: list[int]
) -> None:
    """SIGKILL node ``victim`` once the index holds :data:`KILL_AFTER` documents (bounded wait)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            stats = client.indices.stats(index=index, metric="indexing")
            taken = int(stats["_all"]["primaries"]["indexing"]["index_total"])
        except Exception:  # a busy node may not answer this poll: ask again
            taken = 0
        if taken >= KILL_AFTER:
            pid = cluster.pid(victim)
            assert pid is not None
            os.killpg(os.getpgid(pid), signal.SIGKILL)
            seen.append(taken)
            searches.killed.set()
            return
        time.sleep(0.1)


def _wait_green(client: OpenSearch, seconds: float) -> dict[str, Any]:
    """The cluster's health once green, or as it was after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        health: dict[str, Any] = client.cluster.health()
        if health["status"] == "green" or time.monotonic() > deadline:
            return health
        time.sleep(1)


def _index_until_done(run: Callable[[], dict[str, int]]) -> list[str]:
    """Run the index step; again (at most :data:`MAX_RUNS` in all) while it says it was
    interrupted or a record was refused. What each run said, for the assertion messages."""
    said: list[str] = []
    for _ in range(MAX_RUNS):
        try:
            counts = run()
        except IndexingError as exc:
            said.append(f"interrupted: {exc}"[:300])
            continue
        said.append(f"{counts}")
        if counts["errors"] == 0:
            return said
    pytest.fail(f"the index step did not finish cleanly in {MAX_RUNS} runs: {said}")


def test_the_cluster_files_stay_in_the_data_directory(cluster: LocalCluster, tmp_path: Path) -> None:
    """``stop`` and ``status`` find the cluster ``start`` left, from the data directory alone
    (run first: the next test kills a node)."""
    found = LocalCluster.existing(cluster.settings)
    assert found is not None and found.http_ports == cluster.http_ports
    status = found.status()
    assert status.running and status.number_of_nodes == 3 and all(node.pid for node in status.nodes)
    assert LocalCluster.existing(Settings(data_dir=tmp_path)) is None


def test_losing_a_node_loses_no_search_and_no_document(
    cluster: LocalCluster, ledger_url: Callable[..., str]
) -> None:
    factory = open_ledger(ledger_url())
    began = time.monotonic()
    _approved_rows(factory, RECORDS)
    written = time.monotonic() - began
    prefix = f"scale{secrets.token_hex(3)}"
    settings = cluster.settings.model_copy(
        update={"index_prefix": prefix, "index_shards": 3, "index_replicas": 1}
    )
    layout = IndexLayout.from_settings(settings)
    client, watcher, reader = make_client(settings), make_client(settings), make_client(settings)
    alias = alias_name(prefix)
    index = ensure_index(client, prefix, portals=PORTALS, layout=layout)
    shape = client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert (shape["number_of_shards"], shape["number_of_replicas"]) == ("3", "1")

    from ren_index.steps.index import index_changes

    def run() -> dict[str, int]:
        report = index_changes(factory, client, prefix, portals=PORTALS, layout=layout)
        return dict(report["counts"])

    searches = Searches()
    taken_at_kill: list[int] = []
    streamer = threading.Thread(target=searches.run, args=(reader, alias), daemon=True)
    killer = threading.Thread(
        target=_kill_when_busy, args=(watcher, index, cluster, 1, searches, taken_at_kill), daemon=True
    )
    streamer.start()
    killer.start()
    try:
        began = time.monotonic()
        said = _index_until_done(run)
        indexed_in = time.monotonic() - began
        killer.join(timeout=60)
        assert taken_at_kill, "the node was never killed: the bulk ended before KILL_AFTER documents"
        assert taken_at_kill[0] < RECORDS, f"killed after the bulk: {taken_at_kill}"

        began = time.monotonic()
        back = cluster.start(wait=300)  # starts the killed node alone; waits for 3 nodes
        health = _wait_green(watcher, 180)
        green_in = time.monotonic() - began
    finally:
        searches.stop.set()
        streamer.join(timeout=60)

    assert back.number_of_nodes == 3
    assert health["status"] == "green", health
    assert searches.failures == [], f"{len(searches.failures)} of {searches.done} searches failed"
    assert searches.partial == [], f"{len(searches.partial)} partial answers: {searches.partial[:3]}"
    assert searches.after_kill > 0, "no search ran while the node was down"

    client.indices.refresh(index=alias)
    in_index = int(client.count(index=alias)["count"])
    with factory() as session:
        in_ledger = session.scalar(
            select(func.count()).select_from(ResourceRow).where(ResourceRow.indexed_hash.is_not(None))
        )
    assert in_ledger == in_index == RECORDS, f"ledger {in_ledger}, index {in_index}; runs: {said}"
    print(  # shown with -s / -rA: the figures of this run (a shared, busy machine)
        f"\n{RECORDS:,} records written in {written:.1f} s; index runs {said}; node killed after"
        f" {taken_at_kill[0]:,} documents; indexed in {indexed_in:.1f} s; node back and green in"
        f" {green_in:.1f} s; {searches.done:,} searches ({searches.after_kill:,} after the kill), none failed"
    )
