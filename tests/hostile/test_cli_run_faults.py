"""``ren-index run`` with OpenSearch down (issue 10, point 9).

Before: 80 s of silence (the index task's retry delays, the client's own retries), then 273 lines
of Prefect logs with 8 tracebacks and a last line `` : ? ``. Now: the harvest and process reports
as usual, then one line saying that indexing failed, why, and that the next ``ren-index index``
(or run) catches up; exit 1, at once. Prefect's own logs are there with ``-v``. The settings point
at a local port nobody listens on.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer

ROOT = Path(__file__).resolve().parents[2]

FAST = 60.0
"""Seconds the whole command may take: Prefect's start-up on a busy machine, never the retry
delays (10 + 60 s before the change, on top of the same start-up)."""


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def workspace(tmp_path: Path, ledger_url: Callable[..., str]) -> Iterator[dict[str, str]]:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    with DemoOaiServer(records=records, page_size=50) as server:
        config = tmp_path / "config"
        shutil.copytree(ROOT / "config", config)
        (config / "sources.yaml").write_text(
            f"sources:\n  demo-lom:\n    type: oai\n    url: {server.url}\n    metadata_prefix: lom\n",
            encoding="utf-8",
        )
        yield {
            **os.environ,
            "COLUMNS": "400",
            "REN_DATA_DIR": str(tmp_path / "var"),
            "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
            "REN_CONFIG_DIR": str(config),
            "REN_OPENSEARCH_URL": f"http://127.0.0.1:{closed_port()}",
            "REN_INDEX_PREFIX": f"test-faults-{uuid.uuid4().hex[:8]}",
        }


def ren(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=300
    )
    return result, time.monotonic() - started


def test_run_with_opensearch_down_prints_the_reports_then_one_line(workspace: dict[str, str]) -> None:
    result, elapsed = ren(workspace, "run", "demo-lom")
    assert result.returncode == 1
    assert elapsed < FAST, f"{elapsed:.0f} s: waited through retries"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr and "Task run" not in result.stderr, result.stderr
    assert len(lines) == 3, result.stderr
    harvest, process, index = lines
    assert harvest.startswith("demo-lom harvest: completed harvested=")
    assert process.startswith("demo-lom process: completed processed=")
    url = workspace["REN_OPENSEARCH_URL"]
    assert index.startswith("erreur / error: indexation impossible / indexing failed:")
    assert f"OpenSearch does not answer at {url}" in index  # why
    assert "« ren-index index »" in index and "the next `ren-index index` (or `run`) will catch up" in index
    assert result.stdout == ""


@pytest.mark.integration
def test_the_next_index_catches_up(workspace: dict[str, str], opensearch_url: str) -> None:
    result, _ = ren(workspace, "-v", "run", "demo-lom", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)  # still one JSON document on stdout
    assert report["status"] == "failed"
    processed = report["sources"]["demo-lom"]["process"]
    assert report["sources"]["demo-lom"]["harvest"]["status"] == "completed"
    assert report["index"]["status"] == "failed"
    assert report["index"]["error"]["resume"] == "ren-index index"
    assert "Finished in state" in result.stderr  # Prefect's own logs, asked for with -v

    live = {**workspace, "REN_OPENSEARCH_URL": opensearch_url}
    try:
        caught_up, _ = ren(live, "index", "--json")
        assert caught_up.returncode == 0, caught_up.stderr
        assert json.loads(caught_up.stdout)["counts"]["indexed"] == processed["counts"]["approved"] > 0
    finally:
        OpenSearch(hosts=[opensearch_url]).indices.delete(
            index=f"{workspace['REN_INDEX_PREFIX']}-*", ignore_unavailable=True
        )
