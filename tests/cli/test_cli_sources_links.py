"""``sources list`` says where to see each source; ``runs RUN_ID --json`` carries a process run's coverage.

The links are the review UI's pages — the source's page and its check page filled for it — as full
addresses under ``REN_PUBLIC_URL``, else as paths; a platform has no check page, a broken entry the
ledger never saw has neither.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ren_index.contributions.platforms import create_platform
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger

from .test_cli import ROOT, closed_port, ren

PUBLIC = "https://ren.example.org/console/"


@pytest.fixture
def env(tmp_path: Path, ledger_url: Callable[..., str]) -> Iterator[dict[str, str]]:
    records = [r for r in demo_records() if r.metadata_format == "lom"][:12]
    with DemoOaiServer(records=records, page_size=30) as server:
        config = tmp_path / "config"
        shutil.copytree(ROOT / "config", config)
        (config / "sources.yaml").write_text(
            "sources:\n"
            f"  demo-lom:\n    name: Démo LOM\n    type: oai\n    url: {server.url}\n"
            "    metadata_prefix: lom\n"
            "  broken:\n    type: ftp\n    url: http://127.0.0.1:9/oai\n",  # no such type
            encoding="utf-8",
        )
        environ = {
            **os.environ,
            "REN_DATA_DIR": str(tmp_path / "var"),
            "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
            "REN_CONFIG_DIR": str(config),
            "REN_HARVEST_MAX_RETRIES": "0",
            "REN_OPENSEARCH_URL": f"http://127.0.0.1:{closed_port()}",
            "REN_INDEX_PREFIX": f"test-cli-{uuid.uuid4().hex[:8]}",
        }
        environ.pop("REN_PUBLIC_URL", None)
        yield environ


def test_a_process_run_reports_its_coverage_and_runs_shows_it_again(env: dict[str, str]) -> None:
    assert ren(env, "harvest", "demo-lom", "--json").returncode == 0
    processed = ren(env, "process", "demo-lom", "--json")
    assert processed.returncode == 0, processed.stderr
    report = json.loads(processed.stdout)
    coverage = report["coverage"]
    assert coverage["records"] == report["counts"]["processed"] - report["counts"]["deleted"] > 0
    assert set(coverage["fields"]) == {"title", "description", "language", "level", "licence", "url"}
    assert all(0 <= v <= 1 for v in coverage["fields"].values())
    shown = ren(env, "runs", str(report["run_id"]), "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["coverage"] == coverage
    # A harvest run is not measured: the key is for process runs only.
    harvest_run = json.loads(ren(env, "runs", "demo-lom", "--json").stdout)[-1]
    assert harvest_run["kind"] == "harvest" and "coverage" not in harvest_run


def test_sources_list_links_with_and_without_a_public_url(env: dict[str, str]) -> None:
    assert ren(env, "harvest", "demo-lom").returncode == 0
    create_platform(
        open_ledger(env["REN_DATABASE_URL"]),
        "ma-classe",
        portal="pavillon",
        label="Ma classe",
        portals=["pavillon"],
    )

    listing = {s["id"]: s for s in json.loads(ren(env, "sources", "list", "--json").stdout)}
    assert listing["demo-lom"]["page"] == "/review/sources/demo-lom"
    assert listing["demo-lom"]["check"] == "/review/sources/check?source=demo-lom"
    assert (
        listing["ma-classe"]["page"] == "/review/sources/ma-classe" and listing["ma-classe"]["check"] is None
    )
    assert listing["broken"]["page"] is None and listing["broken"]["check"] is None
    table = ren(env, "sources", "list").stdout
    assert "page: /review/sources/demo-lom" in table
    assert "check: /review/sources/check?source=demo-lom" in table
    assert "REN_PUBLIC_URL" in table  # said why the addresses are paths

    public = {**env, "REN_PUBLIC_URL": PUBLIC}
    listing = {s["id"]: s for s in json.loads(ren(public, "sources", "list", "--json").stdout)}
    assert listing["demo-lom"]["page"] == "https://ren.example.org/console/review/sources/demo-lom"
    assert (
        listing["demo-lom"]["check"] == "https://ren.example.org/console/review/sources/check?source=demo-lom"
    )
    assert listing["ma-classe"]["page"] == "https://ren.example.org/console/review/sources/ma-classe"
    table = ren(public, "sources", "list").stdout
    assert "https://ren.example.org/console/review/sources/check?source=demo-lom" in table
    assert "REN_PUBLIC_URL" not in table
