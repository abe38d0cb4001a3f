"""``ren-index demo``: what it prints, and one whole run against the real node."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from ren_index.cli import demo as demo_command
from ren_index.demo.runner import DemoHit, DemoSummary
from ren_index.index.client import make_client
from ren_index.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

NEXT_STEPS = "Pour aller plus loin / to look further:"


def test_summary_is_two_tables_and_the_next_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(demo_command, "out_console", Console(file=buffer, width=160))
    summary = DemoSummary(
        elapsed=12.34,
        counts={
            "demo-lom": {"total": 105, "approved": 73, "needs_review": 28, "rejected": 0, "deleted": 4},
            "demo-dc": {"total": 105, "approved": 76, "needs_review": 22, "rejected": 0, "deleted": 7},
        },
        query="évaluations en mathématiques",
        total=2,
        hits=[DemoHit(28.456, "Préalables mathématiques", "https://r.example/a"), DemoHit(1.0, None, None)],
    )
    demo_command.print_summary(summary)
    text = buffer.getvalue()
    assert "Démo terminée en 12.3 s / demo done" in text
    for cells in (
        ("source", "total", "approved", "needs_review", "rejected", "deleted"),
        ("demo-lom", "105", "73", "28", "0", "4"),
        ("demo-dc", "105", "76", "22", "0", "7"),
        ("28.46", "Préalables mathématiques", "https://r.example/a"),
        ("1.00", "—", "None"),
    ):
        row = next(line for line in text.splitlines() if f" {cells[0]} " in line)
        assert _cells(row) == list(cells)
    assert "« évaluations en mathématiques » : 2 résultat(s)" in text
    assert text.rstrip().endswith("# arrêter le nœud local") and NEXT_STEPS in text


def _cells(row: str) -> list[str]:
    """The cells of one line of a rich table."""
    return [cell.strip() for cell in re.split("[│┃]", row)[1:-1]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.integration
def test_demo_runs_end_to_end(opensearch_url: str, tmp_path: Path, ledger_url: Callable[..., str]) -> None:
    """The real command on the real node: endpoints up, pipeline run, counts and hits printed."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    sources = (config / "sources.yaml").read_text(encoding="utf-8")
    for default in ("http://127.0.0.1:8765/oai", "http://127.0.0.1:8766/oai"):
        assert default in sources  # the demo sources as shipped
        sources = sources.replace(default, f"http://127.0.0.1:{_free_port()}/oai")
    (config / "sources.yaml").write_text(sources, encoding="utf-8")
    prefix = f"testdemo{os.getpid()}"
    env = {
        **os.environ,
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
        "REN_CONFIG_DIR": str(config),
        "REN_OPENSEARCH_URL": opensearch_url,
        "REN_INDEX_PREFIX": prefix,
        "COLUMNS": "160",
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ren_index", "demo"], env=env, capture_output=True, text=True, timeout=300
        )
    finally:
        client = make_client(Settings(opensearch_url=opensearch_url))
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        client.close()
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"OpenSearch répond / answers at {opensearch_url}" in done.stderr
    assert done.stderr.count("→ point OAI de démo / demo endpoint demo-") == 2
    assert "Démo terminée en" in done.stdout and "/ demo done" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith(("│ demo-lom", "│ demo-dc"))]
    assert len(rows) == 2
    for row in rows:
        total, approved, needs_review, rejected, deleted = (int(c) for c in _cells(row)[1:])
        assert total > 0 and approved > 0 and approved + needs_review + rejected + deleted <= total
    assert "« évaluations en mathématiques » :" in done.stdout and NEXT_STEPS in done.stdout
