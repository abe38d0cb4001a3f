"""Two harvests of one source never overlap; a dead harvest's lock is taken over and resumed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun, SourceRow, utcnow
from ren_index.runs.lock import HarvestInProgressError
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source
from steps.conftest import SlowProxy  # the one slow proxy of the suite


def oai_source(url: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "demo-lom", "name": "Démo", "type": "oai", "url": url, "metadata_prefix": "lom"}
    )


def wait_for_pages(factory: sessionmaker[Session], records: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.1)
        assert proc.poll() is None, "the first harvest ended too early"
        try:
            with factory() as session:
                run = session.scalars(select(HarvestRun)).first()
                if run is not None and run.counts.get("harvested", 0) >= records:
                    return
        except Exception:  # the ledger may not exist yet
            continue
    raise AssertionError("the first harvest never got going")


def test_second_harvest_is_refused_while_the_first_is_alive_then_takes_over_when_it_dies(
    tmp_path: Path, ledger_url: Callable[..., str], settings: Settings
) -> None:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    config = tmp_path / "config"
    config.mkdir()
    with DemoOaiServer(records=records, page_size=10) as server, SlowProxy(server.url, delay=0.5) as proxy:
        (config / "sources.yaml").write_text(
            f"sources:\n  demo-lom:\n    type: oai\n    url: {proxy.url}\n    metadata_prefix: lom\n"
        )
        env = {
            **os.environ,
            "REN_DATA_DIR": str(tmp_path / "var"),
            "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
            "REN_CONFIG_DIR": str(config),
        }
        cmd = [sys.executable, "-m", "ren_index", "harvest", "demo-lom"]
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            factory = open_ledger(env["REN_DATABASE_URL"])
            wait_for_pages(factory, 10, first)
            # the first harvest's next pages come slowly while the second starts (a loaded machine
            # takes seconds to start a CLI): it must still be alive when the second asks
            proxy.delay = 4.0
            second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
            assert second.returncode != 0
            assert "une moisson de demo-lom est déjà en cours" in second.stderr
            assert f"pid {first.pid}" in second.stderr
            with pytest.raises(HarvestInProgressError):
                harvest_source(factory, oai_source(proxy.url), settings, full=True)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            proxy.delay = 0.5
        with factory() as session:
            killed = session.scalars(select(HarvestRun)).one()
            assert killed.status == "running" and killed.checkpoint["owner"]["pid"] == first.pid
        again = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
    with factory() as session:
        runs = list(session.scalars(select(HarvestRun)))
    assert len(runs) == 1 and runs[0].status == "completed"  # the dead run was taken over and resumed
    assert runs[0].counts["harvested"] == len(records)


def _running_row(factory: sessionmaker[Session], *, host: str, pid: int, beat_minutes_ago: float) -> int:
    with factory.begin() as session:
        if session.get(SourceRow, "demo-lom") is None:
            session.add(SourceRow(id="demo-lom", name="Démo", type="oai", url="http://x", config={}))
            session.flush()
        run = HarvestRun(
            source_id="demo-lom",
            kind="harvest",
            status="running",
            checkpoint={
                "set_index": 0,
                "token": None,
                "owner": {"pid": pid, "host": host, "token": "x"},
                "heartbeat": (utcnow() - timedelta(minutes=beat_minutes_ago)).isoformat(),
            },
            counts={"harvested": 0, "new": 0, "updated": 0, "unchanged": 0, "deleted": 0, "errors": 0},
        )
        session.add(run)
        session.flush()
        return run.id


def test_a_live_owner_on_another_machine_is_respected(
    ledger: sessionmaker[Session], settings: Settings
) -> None:
    _running_row(ledger, host="worker-2.example", pid=4242, beat_minutes_ago=1)
    with pytest.raises(HarvestInProgressError, match=r"worker-2\.example"):
        harvest_source(ledger, oai_source("http://127.0.0.1:9/oai"), settings)


@pytest.mark.parametrize(
    ("host", "pid", "minutes"),
    [
        ("worker-2.example", 4242, 120),  # another machine, silent for two hours
        (socket.gethostname(), 2**22 + 17, 0),  # this machine, process gone
    ],
)
def test_a_stale_lock_is_taken_over(
    ledger: sessionmaker[Session], settings: Settings, host: str, pid: int, minutes: float
) -> None:
    stale = _running_row(ledger, host=host, pid=pid, beat_minutes_ago=minutes)
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    with DemoOaiServer(records=records, page_size=25) as server:
        report = harvest_source(ledger, oai_source(server.url), settings)
    assert report["status"] == "completed" and report["run_id"] == stale  # resumed, not duplicated
