"""OpenSearch dying in the middle of ``ren-index index`` and ``index --rebuild`` (issue 10, point 8).

The shared node must not die, so a small HTTP proxy stands in front of it: it forwards every
request, counts the documents of each ``_bulk`` request, and after the first one either dies
(stops listening, drops every connection) or refuses the later bulk requests only (the
connection is closed without an answer; other requests still go through, so a clean-up can).
The ledger holds 1,100 approved records, so one run is three bulk requests of at most 500.

What must hold: one line on stderr and exit status 1 (no ``ConnectionError`` traceback); the
documents OpenSearch acknowledged before the failure are recorded as indexed, so the rerun sends
only the rest; a rebuild that fails leaves no half-built physical index — deleted at once when
OpenSearch can still be asked, else by the next rebuild.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import func, select

from ren_index.index.client import make_client
from ren_index.index.schema import alias_targets
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.store import resource_id
from ren_index.model import General, Provenance, Resource
from ren_index.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 1_100
CHUNK = 500
"""``index.bulk.send``'s chunk size: the first bulk request carries this many documents."""


# -- the proxy -----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _relay(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        bulk = "/_bulk" in self.path
        if proxy.dead or (bulk and proxy.refusing()):
            self.close_connection = True  # no answer at all: the client sees the connection drop
            return
        upstream = http.client.HTTPConnection(proxy.upstream.hostname or "", proxy.upstream.port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        length_out = response.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
        self.send_header("Content-Length", length_out)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        if bulk:
            proxy.bulk_answered(_documents(body, self.headers.get("Content-Encoding")))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: Proxy


def _documents(body: bytes, encoding: str | None) -> int:
    """How many actions a bulk body holds (an action line names its operation)."""
    text = gzip.decompress(body) if encoding == "gzip" else body
    actions = 0
    for raw in text.splitlines():
        line = json.loads(raw) if raw.strip() else {}
        if isinstance(line, dict) and len(line) == 1 and next(iter(line)) in ("index", "delete", "create"):
            actions += 1
    return actions


class Proxy:
    """A local proxy to the node. ``mode``: ``forward`` (count only), ``die`` (after the first bulk
    answer, stop listening and drop everything), ``refuse_bulk`` (later bulk requests get no answer)."""

    def __init__(self, upstream: str, mode: str = "forward") -> None:
        self.upstream = urlsplit(upstream)
        self.mode = mode
        self.bulks: list[int] = []
        self.dead = False
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.proxy = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def refusing(self) -> bool:
        return self.mode == "refuse_bulk" and len(self.bulks) >= 1

    def bulk_answered(self, documents: int) -> None:
        self.bulks.append(documents)
        if self.mode == "die" and len(self.bulks) == 1:
            self.dead = True
            threading.Thread(target=self.close, daemon=True).start()

    def close(self) -> None:
        self.dead = True
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.dead:
            self.close()


# -- the ledger and the command ------------------------------------------------------------------


@dataclass
class Setup:
    env: dict[str, str]
    ledger_url: str
    prefix: str
    node: OpenSearch
    node_url: str

    def run(self, *args: str, via: str | None = None) -> subprocess.CompletedProcess[str]:
        """``ren-index ARGS`` against the node, or through a proxy at ``via``."""
        env = {**self.env, "REN_OPENSEARCH_URL": via or self.node_url}
        return subprocess.run(
            [str(Path(sys.executable).parent / "ren-index"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def indexed_in_ledger(self) -> int:
        factory = open_ledger(self.ledger_url)
        try:
            with factory() as session:
                found = session.scalar(
                    select(func.count()).select_from(ResourceRow).where(ResourceRow.indexed_hash.is_not(None))
                )
            return int(found or 0)
        finally:
            factory.kw["bind"].dispose()

    def in_index(self) -> int:
        alias = f"{self.prefix}-resources"
        self.node.indices.refresh(index=alias)
        return int(self.node.count(index=alias)["count"])

    def physical_indices(self) -> list[str]:
        return sorted(self.node.indices.get(index=f"{self.prefix}-resources-*"))


def _fill(url: str) -> None:
    """1,100 approved records straight into the ledger (what harvest + process would leave)."""
    factory = open_ledger(url)
    with factory.begin() as session:
        session.add(SourceRow(id="bulk", name="Bulk", type="oai", url="http://127.0.0.1:9/oai"))
        session.flush()
        for n in range(RECORDS):
            identifier = f"oai:bulk:{n}"
            raw = RawRecordRow(
                source_id="bulk", identifier=identifier, metadata_prefix="oai_dc", content_hash=f"{n:064d}"
            )
            session.add(raw)
            session.flush()
            resource = Resource(
                provenance=Provenance(source="bulk", identifier=identifier, metadata_format="oai_dc"),
                general=General(title={"fr": f"Les fractions, fiche {n}"}, languages=["fr"]),
            )
            session.add(
                ResourceRow(
                    id=resource_id("bulk", identifier),
                    raw_id=raw.id,
                    source_id="bulk",
                    record=resource.model_dump(mode="json", exclude_defaults=True),
                    issues=[],
                    status="approved",
                    portals=["pavillon"],
                )
            )
    factory.kw["bind"].dispose()


@pytest.fixture
def setup(tmp_path: Path, opensearch_url: str, ledger_url: Callable[..., str]) -> Iterator[Setup]:
    url = ledger_url("faults", folder=tmp_path)
    _fill(url)
    prefix = f"flt{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": url,
        "REN_CONFIG_DIR": str(ROOT / "config"),
        "REN_INDEX_PREFIX": prefix,
        "REN_OPENSEARCH_TIMEOUT": "20",
        "COLUMNS": "100",
    }
    node = make_client(Settings(opensearch_url=opensearch_url))
    try:
        yield Setup(env, url, prefix, node, opensearch_url)
    finally:
        node.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The failure was said in one line on stderr, with exit status 1 and no traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith("erreur / error:")
    return lines[0]


# -- the tests -----------------------------------------------------------------------------------


def test_index_interrupted_records_what_was_acknowledged_and_the_rerun_sends_the_rest(setup: Setup) -> None:
    with Proxy(setup.node_url, mode="die") as proxy:
        line = _one_line(setup.run("index", via=proxy.url))
    assert proxy.bulks == [CHUNK]
    assert "indexation interrompue" in line and "indexing interrupted" in line
    assert f"{CHUNK} documents" in line and f"{RECORDS - CHUNK} restent" in line
    assert "ConnectionError" in line  # the cause, in words, not as a traceback
    assert setup.indexed_in_ledger() == CHUNK == setup.in_index()

    with Proxy(setup.node_url) as proxy:
        again = setup.run("index", "--json", via=proxy.url)
    assert again.returncode == 0, again.stderr[-2000:]
    assert sum(proxy.bulks) == RECORDS - CHUNK  # only the rest
    assert json.loads(again.stdout)["counts"] == {
        "indexed": RECORDS - CHUNK, "removed": 0, "unchanged": CHUNK, "errors": 0,
    }  # fmt: skip
    assert setup.indexed_in_ledger() == RECORDS == setup.in_index()


def test_a_rebuild_whose_bulk_fails_deletes_its_half_built_index(setup: Setup) -> None:
    assert setup.run("index").returncode == 0
    before = setup.physical_indices()
    assert len(before) == 1 and alias_targets(setup.node, f"{setup.prefix}-resources") == before

    with Proxy(setup.node_url, mode="refuse_bulk") as proxy:
        line = _one_line(setup.run("index", "--rebuild", via=proxy.url))
    assert proxy.bulks == [CHUNK]
    assert "reconstruction abandonnée" in line and "rebuild aborted" in line and "was deleted" in line
    assert setup.physical_indices() == before  # the half-built one is gone
    assert alias_targets(setup.node, f"{setup.prefix}-resources") == before
    assert setup.in_index() == RECORDS  # the portals still read the whole old index


def test_a_rebuild_cut_off_leaves_an_index_the_next_rebuild_deletes(setup: Setup) -> None:
    assert setup.run("index").returncode == 0
    before = setup.physical_indices()

    with Proxy(setup.node_url, mode="die") as proxy:
        line = _one_line(setup.run("index", "--rebuild", via=proxy.url))
    assert "rebuild aborted" in line and "the next rebuild deletes it" in line
    left = [name for name in setup.physical_indices() if name not in before]
    assert len(left) == 1  # OpenSearch could not be asked to delete it
    assert alias_targets(setup.node, f"{setup.prefix}-resources") == before

    rebuilt = setup.run("index", "--rebuild", "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    new_index = json.loads(rebuilt.stdout)["index"]
    assert setup.physical_indices() == [new_index]  # the leftover and the replaced index are gone
    assert alias_targets(setup.node, f"{setup.prefix}-resources") == [new_index]
    assert setup.in_index() == RECORDS
