"""``ren-index runs`` and ``runs release`` from the shell, and a held ``harvest``'s exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import CONFIG, CsvServer, csv_body, csv_rows

REPORT_KEYS = {"run_id", "source", "kind", "status", "counts", "started_at", "finished_at", "duration_s"}


@pytest.fixture
def shell(
    tmp_path: Path, ledger_url: Callable[..., str], csv_server: CsvServer
) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    config = tmp_path / "config"
    config.mkdir()
    for name in ("validation.yaml", "portals.yaml"):
        (config / name).write_text((CONFIG / name).read_text(encoding="utf-8"), encoding="utf-8")
    (config / "vocabularies").symlink_to(CONFIG / "vocabularies")
    (config / "sources.yaml").write_text(
        "sources:\n  partenaire:\n    type: csv\n"
        f"    url: {csv_server.url}\n"
        "    columns: {id: identifiant, title: titre, description: description, url: lien,"
        " language: langue, level: niveau, licence: licence}\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
        "REN_CONFIG_DIR": str(config),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
        )

    yield run


def test_held_harvest_exits_zero_with_a_line_then_runs_and_release(
    shell: Callable[..., subprocess.CompletedProcess[str]], csv_server: CsvServer
) -> None:
    assert shell("harvest", "partenaire", "--json").returncode == 0
    csv_server.body = csv_body(csv_rows(10))
    held = shell("harvest", "partenaire", "--json")
    assert held.returncode == 0, held.stderr  # the command did its job
    report = json.loads(held.stdout)
    assert report["status"] == "held"
    assert "Moisson retenue" in held.stderr and f"runs release {report['run_id']}" in held.stderr

    listed = shell("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert [r["status"] for r in runs] == ["held", "completed"]
    assert all(set(r) >= REPORT_KEYS and "throughput" in r for r in runs)
    assert runs[0]["hold"]["message_en"].startswith("Run held")
    assert json.loads(shell("runs", "partenaire", "--json", "--limit", "1").stdout)[0]["status"] == "held"
    assert shell("runs", "inconnue").returncode != 0

    table = shell("runs")
    assert table.returncode == 0 and "held" in table.stdout and "runs release" in table.stderr

    released = shell("runs", "release", str(report["run_id"]), "--as", "louise", "--json")
    assert released.returncode == 0, released.stderr
    body = json.loads(released.stdout)
    assert body["status"] == "completed" and body["hold"]["released"]["by"] == "louise"
    assert body["process"]["counts"]["deleted"] == 20  # processed: the next `index` removes them
    again = shell("runs", "release", str(report["run_id"]))
    assert again.returncode != 0 and "n'est pas retenue" in again.stderr
