"""Two OS processes harvesting the same source into one PostgreSQL ledger, at the same time.

Production runs the ledger on PostgreSQL, where a schedule, a librarian's manual ``harvest`` and a
Prefect retry may start the same source together. Two real ``ren-index harvest`` processes start
on a fresh database (both migrate it, both register the source) against the demo OAI endpoint
behind a slow proxy, so their page and checkpoint writes would interleave if nothing stopped them.

What must hold whatever the interleaving: every process exits 0, or 1 with one clear line on
stderr (the source's lock: "already running"), never a traceback; each record is in the ledger
exactly once (the ``(source, identifier)`` unique constraint holds) and none is lost; the source
has one completed run and no run left ``running``; a harvest run afterwards changes nothing.

Runs only when ``REN_TEST_POSTGRES_URL`` is set (``scripts/test``'s second run); SQLite serializes
writers with its file lock, so the race this test looks for does not exist there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun, RawRecordRow
from steps.conftest import SlowProxy  # tests/ is on sys.path (rootdir conftest)

pytestmark = pytest.mark.skipif(
    not os.environ.get("REN_TEST_POSTGRES_URL"),
    reason="REN_TEST_POSTGRES_URL not set: two-process tests need a PostgreSQL server",
)

SOURCE = "demo-lom"
LOCKED = "already running"


def workspace(tmp_path: Path, proxy_url: str, database_url: str) -> dict[str, str]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "sources.yaml").write_text(
        f"sources:\n  {SOURCE}:\n    type: oai\n    url: {proxy_url}\n    metadata_prefix: lom\n",
        encoding="utf-8",
    )
    return {
        **os.environ,
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": database_url,
        "REN_CONFIG_DIR": str(config),
        "REN_HARVEST_TIMEOUT": "10",
    }


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "ren_index", "harvest", SOURCE, *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = proc.communicate(timeout=180)
    return proc.returncode, stderr


def assert_clean_exit(code: int, stderr: str) -> None:
    """Exit 0, or 1 because the other process holds the source's lock — said in one clear line."""
    assert "Traceback" not in stderr, stderr
    if code != 0:
        assert code == 1 and LOCKED in stderr, stderr


def identifiers(ledger: sessionmaker[Session]) -> list[str]:
    with ledger() as session:
        return list(session.scalars(select(RawRecordRow.identifier).where(RawRecordRow.source_id == SOURCE)))


def test_two_processes_harvesting_one_source_keep_the_ledger_consistent(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    expected = {r.identifier for r in records}
    database_url = ledger_url()  # fresh and empty: both processes race to migrate it too
    with DemoOaiServer(records=records, page_size=10) as server, SlowProxy(server.url, delay=0.2) as proxy:
        env = workspace(tmp_path, proxy.url, database_url)
        first, second = start(env), start(env)
        outcomes = [finish(first), finish(second)]
        for code, stderr in outcomes:
            assert_clean_exit(code, stderr)
        assert any(code == 0 for code, _ in outcomes), outcomes

        ledger = open_ledger(database_url)
        seen = identifiers(ledger)
        assert len(seen) == len(set(seen)), "a record stored twice: the unique constraint did not hold"
        assert set(seen) == expected, f"lost: {sorted(expected - set(seen))[:5]}"
        with ledger() as session:
            runs = list(session.scalars(select(HarvestRun).where(HarvestRun.source_id == SOURCE)))
        assert [r.status for r in runs].count("completed") >= 1
        assert all(r.status != "running" for r in runs), [(r.id, r.status) for r in runs]
        completed = next(r for r in runs if r.status == "completed")
        assert completed.counts["harvested"] == len(records)

        again = subprocess.run(
            [sys.executable, "-m", "ren_index", "harvest", SOURCE, "--full", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert again.returncode == 0, again.stderr
    assert sorted(identifiers(ledger)) == sorted(seen)  # nothing new: nothing added, nothing lost
    ledger.kw["bind"].dispose()


def test_a_second_harvest_started_mid_run_is_refused_and_the_first_completes(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    database_url = ledger_url()
    ledger = open_ledger(database_url)  # migrated up front: this test is about the run lock
    with DemoOaiServer(records=records, page_size=10) as server, SlowProxy(server.url, delay=0.3) as proxy:
        env = workspace(tmp_path, proxy.url, database_url)
        first = start(env)
        try:
            wait_for_pages(ledger, minimum=2)
            proxy.delay = 2.0  # the first stays mid-run while the second starts (seconds when loaded)
            code, stderr = finish(start(env))
            proxy.delay = 0.3
        finally:
            first_code, first_stderr = finish(first)
    assert code == 1 and LOCKED in stderr and "Traceback" not in stderr, stderr
    reasons = [line for line in stderr.splitlines() if LOCKED in line]
    assert len(reasons) == 1, stderr  # one line, the reason (beside the progress bar)
    assert first_code == 0, first_stderr
    seen = identifiers(ledger)
    assert len(seen) == len(set(seen)) and set(seen) == {r.identifier for r in records}
    with ledger() as session:
        statuses = list(session.scalars(select(HarvestRun.status).where(HarvestRun.source_id == SOURCE)))
    assert statuses == ["completed"]
    ledger.kw["bind"].dispose()


def wait_for_pages(ledger: sessionmaker[Session], minimum: int) -> None:
    """Until the running harvest has stored ``minimum`` pages (10 records each) in the ledger."""
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with ledger() as session:
            count = session.scalar(select(func.count()).select_from(RawRecordRow))
        if (count or 0) >= minimum * 10:
            return
        time.sleep(0.1)
    raise AssertionError("the first harvest stored nothing within 60 s")
