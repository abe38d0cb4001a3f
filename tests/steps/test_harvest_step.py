"""The harvest step against a real local OAI-PMH repository (the demo endpoint).

Proves the ledger contract: every record stored once, deletions recorded, incremental runs,
a checkpoint after every page, and a run killed mid-way that resumes to the same ledger as an
uninterrupted one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun, RawRecordRow
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source

from .conftest import SlowProxy, source_for


def ledger_state(factory: sessionmaker[Session]) -> dict[str, tuple[str, bool]]:
    with factory() as session:
        return {r.identifier: (r.content_hash, r.deleted) for r in session.scalars(select(RawRecordRow))}


def test_full_harvest_records_exactly_what_the_endpoint_holds(
    ledger: sessionmaker[Session], settings: Settings, demo_server: DemoOaiServer, lom_records: list
) -> None:
    report = harvest_source(ledger, source_for(demo_server.url), settings)
    assert report["status"] == "completed", report
    state = ledger_state(ledger)
    assert set(state) == {r.identifier for r in lom_records}
    deleted = {r.identifier for r in lom_records if r.deleted}
    assert deleted, "the demo catalogue must hold deleted LOM records"
    assert {i for i, (_, d) in state.items() if d} == deleted
    counts = report["counts"]
    assert counts["harvested"] == len(lom_records)
    assert counts["new"] + counts["deleted"] == len(lom_records)
    assert counts["deleted"] == len(deleted)
    with ledger() as session:
        run = session.scalars(select(HarvestRun)).one()
        assert run.status == "completed" and run.checkpoint == {} and run.next_from


def test_second_run_is_incremental_and_changes_nothing(
    ledger: sessionmaker[Session], settings: Settings, demo_server: DemoOaiServer
) -> None:
    harvest_source(ledger, source_for(demo_server.url), settings)
    before = ledger_state(ledger)
    second = harvest_source(ledger, source_for(demo_server.url), settings)
    assert second["status"] == "completed"
    assert second["window"]["from"] is not None  # from the first run's responseDate
    assert second["counts"]["new"] == 0 and second["counts"]["updated"] == 0
    assert ledger_state(ledger) == before
    full = harvest_source(ledger, source_for(demo_server.url), settings, full=True)
    assert full["window"]["from"] is None
    assert full["counts"]["unchanged"] == full["counts"]["harvested"] - full["counts"]["deleted"]


def test_changed_and_newly_deleted_records_are_updates(
    ledger: sessionmaker[Session], settings: Settings, lom_records: list
) -> None:
    with DemoOaiServer(records=lom_records, page_size=25) as server:
        harvest_source(ledger, source_for(server.url), settings)
    live = [r for r in lom_records if not r.deleted]
    changed = replace(live[0], title="Titre corrigé à la source", datestamp="2099-01-01T00:00:00Z")
    gone = replace(live[1], deleted=True, datestamp="2099-01-01T00:00:00Z")
    edited = [changed if r is live[0] else gone if r is live[1] else r for r in lom_records]
    with DemoOaiServer(records=edited, page_size=25) as server:
        report = harvest_source(ledger, source_for(server.url), settings, full=True)
    assert report["counts"]["updated"] == 1
    assert report["counts"]["deleted"] == 1  # newly deleted; known deletions are unchanged
    with ledger() as session:
        row = session.scalars(select(RawRecordRow).where(RawRecordRow.identifier == gone.identifier)).one()
        assert row.deleted and row.payload  # the last payload is kept for display
        row = session.scalars(select(RawRecordRow).where(RawRecordRow.identifier == changed.identifier)).one()
        assert "Titre corrigé à la source" in (row.payload or "")


def test_interrupted_run_resumes_from_its_checkpoint(
    ledger: sessionmaker[Session],
    settings: Settings,
    demo_server: DemoOaiServer,
    tmp_path: Path,
    ledger_url: Callable[..., str],
) -> None:
    pages_seen: list[str | None] = []

    class Killed(BaseException):  # an interruption (like Ctrl-C), not a crash: a crash fails the run
        pass

    def kill_after_two_pages(page, counts) -> None:  # type: ignore[no-untyped-def]
        pages_seen.append(page.next_token)
        if len(pages_seen) == 2:
            raise Killed

    with pytest.raises(Killed):
        harvest_source(ledger, source_for(demo_server.url), settings, on_page=kill_after_two_pages)
    with ledger() as session:
        run = session.scalars(select(HarvestRun)).one()
        assert run.status == "running"
        assert run.checkpoint["token"] == pages_seen[1]  # saved with the page it follows
        assert run.counts["harvested"] == 20
    resumed = harvest_source(ledger, source_for(demo_server.url), settings)
    assert resumed["status"] == "completed"
    assert resumed["run_id"] == run.id  # the same run, continued

    reference = open_ledger(ledger_url("reference"))
    harvest_source(reference, source_for(demo_server.url), settings)
    assert ledger_state(ledger) == ledger_state(reference)
    assert resumed["counts"]["harvested"] == len(ledger_state(reference))


def test_process_killed_with_sigkill_resumes_to_the_same_ledger(
    settings: Settings,
    demo_server: DemoOaiServer,
    tmp_path: Path,
    lom_records: list,
    ledger_url: Callable[..., str],
) -> None:
    """The real thing: `ren-index harvest` SIGKILLed after two pages, then run again."""
    config = tmp_path / "config"
    config.mkdir()
    with SlowProxy(demo_server.url, delay=0.4) as proxy:
        (config / "sources.yaml").write_text(
            f"sources:\n  demo-lom:\n    type: oai\n    url: {proxy.url}\n    metadata_prefix: lom\n"
        )
        env = {
            **os.environ,
            "REN_DATA_DIR": str(tmp_path / "killed"),
            "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "killed"),
            "REN_CONFIG_DIR": str(config),
        }
        cmd = [sys.executable, "-m", "ren_index", "harvest", "demo-lom"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed_ledger = open_ledger(env["REN_DATABASE_URL"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                with killed_ledger() as session:
                    run = session.scalars(select(HarvestRun)).first()
                    if run is not None and run.counts.get("harvested", 0) >= 20:
                        break
            except Exception:  # the file may not exist yet
                continue
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        partial = ledger_state(killed_ledger)
        assert 20 <= len(partial) < len(lom_records), "the kill must land mid-run"
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    reference = open_ledger(ledger_url("reference"))
    harvest_source(reference, source_for(demo_server.url), settings)
    assert ledger_state(killed_ledger) == ledger_state(reference)
