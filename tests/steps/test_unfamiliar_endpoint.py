"""Harvest an unfamiliar endpoint made of real-world pages (from ../shared) into the ledger.

sickle's recorded chain: 4 pages, 8 records, 4 deletions (one header without identifier or
datestamp), tokens that name the next page, a cursor that stays at 0, a blank line before a
token. And Zenodo's answer to an empty window: HTTP 422 carrying ``noRecordsMatch``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Event, RawRecordRow
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source

from .conftest import source_for

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "oai"
SICKLE = SHARED / "mloesch__sickle"
pytestmark = pytest.mark.skipif(not SICKLE.exists(), reason=f"shared fixtures absent: {SICKLE}")


def zenodo_no_records() -> bytes:
    """The recorded Zenodo body that answers noRecordsMatch (served with its recorded 422)."""
    cassette = yaml.safe_load((SHARED / "afuetterer__oaipmh-scythe" / "list_records.yaml").read_text())
    for interaction in cassette["interactions"]:
        body = interaction["response"]["body"]
        text = body.get("string") or body.get("content") or ""
        if "noRecordsMatch" in text:
            assert interaction["response"]["status"] == 422
            return str(text).encode("utf-8")
    raise AssertionError("no noRecordsMatch interaction in the cassette")


class ReplayRepository:
    """Serves the recorded files: Identify, then ListRecords following the recorded tokens."""

    def __init__(self, *, empty: bool = False) -> None:
        outer = self
        self.requests: list[dict[str, list[str]]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                args = parse_qs(urlparse(self.path).query)
                outer.requests.append(args)
                status = 200
                if args.get("verb") == ["Identify"]:
                    body = (SICKLE / "Identify.xml").read_bytes()
                elif empty:
                    status, body = 422, zenodo_no_records()
                elif "resumptionToken" in args:
                    body = (SICKLE / args["resumptionToken"][0]).read_bytes()
                else:
                    body = (SICKLE / "ListRecords.xml").read_bytes()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def repository() -> Iterator[ReplayRepository]:
    repo = ReplayRepository()
    yield repo
    repo.close()


def snapshot(factory: sessionmaker[Session]) -> dict[str, tuple[bool, str, str | None]]:
    with factory() as session:
        return {
            r.identifier: (r.deleted, r.content_hash, r.datestamp)
            for r in session.scalars(select(RawRecordRow))
        }


def expected_from_files() -> tuple[set[str], set[str], int, int]:
    """Identifiers, deletions, anonymous headers and all headers, read with a plain XML parser.

    The anonymised recording reuses identifiers across pages: the ledger keeps the last state.
    """
    from lxml import etree

    ns = {"o": "http://www.openarchives.org/OAI/2.0/"}
    ids, deleted, anonymous, headers = set(), set(), 0, 0
    for name in ("ListRecords.xml", "ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"):
        root = etree.parse(str(SICKLE / name)).getroot()
        for header in root.iterfind(".//o:record/o:header", ns):
            headers += 1
            ident = header.findtext("o:identifier", namespaces=ns)
            if ident is None:
                anonymous += 1
                continue
            ids.add(ident.strip())
            if header.get("status") == "deleted":
                deleted.add(ident.strip())
    return ids, deleted, anonymous, headers


def test_records_exactly_what_the_endpoint_holds(
    repository: ReplayRepository, ledger: sessionmaker[Session], settings: Settings
) -> None:
    report = harvest_source(ledger, source_for(repository.url, metadata_prefix="oai_dc"), settings)
    assert report["status"] == "completed", report
    ids, deleted, anonymous, headers = expected_from_files()
    state = snapshot(ledger)
    assert set(state) == ids
    assert {i for i, (d, _, _) in state.items() if d} == deleted
    assert report["counts"]["harvested"] == headers  # every header, including repeats of an id
    assert report["counts"]["errors"] == anonymous  # the header without identifier is reported...
    with ledger() as session:
        problems = session.scalars(select(Event).where(Event.action == "harvest_problem")).all()
    assert len(problems) == anonymous  # ...with a line in the audit trail, not dropped silently
    tokens = [r["resumptionToken"][0] for r in repository.requests if "resumptionToken" in r]
    assert tokens == ["ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"]


def test_killed_after_page_two_resumes_to_the_same_ledger(
    repository: ReplayRepository,
    ledger: sessionmaker[Session],
    settings: Settings,
    tmp_path: Path,
    ledger_url: Callable[..., str],
) -> None:
    source = source_for(repository.url, metadata_prefix="oai_dc")
    pages = 0

    def stop_after_two(page, counts) -> None:  # type: ignore[no-untyped-def]
        nonlocal pages
        pages += 1
        if pages == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        harvest_source(ledger, source, settings, on_page=stop_after_two)
    assert harvest_source(ledger, source, settings)["status"] == "completed"
    resumed_tokens = [r["resumptionToken"][0] for r in repository.requests if "resumptionToken" in r]
    assert resumed_tokens == ["ListRecords2.xml", "ListRecords3.xml", "ListRecords4.xml"]  # no page twice
    reference = open_ledger(ledger_url("reference"))
    harvest_source(reference, source, settings)
    assert snapshot(ledger) == snapshot(reference)


def test_zenodo_422_no_records_match_is_a_completed_empty_run(
    ledger: sessionmaker[Session], settings: Settings
) -> None:
    repo = ReplayRepository(empty=True)
    try:
        report = harvest_source(ledger, source_for(repo.url, metadata_prefix="oai_dc"), settings)
    finally:
        repo.close()
    assert report["status"] == "completed"
    assert report["counts"]["harvested"] == 0
    assert snapshot(ledger) == {}
