"""The command line's contracts: exit statuses, one JSON document on stdout, record shapes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer

ROOT = Path(__file__).resolve().parents[2]

RECORD_KEYS = {
    "id",
    "source",
    "source_identifier",
    "status",
    "portals",
    "title",
    "url",
    "languages",
    "levels",
    "licence",
    "issues",
}
ISSUE_KEYS = {"code", "severity", "field", "value", "suggestion", "message_fr", "message_en"}


@pytest.fixture
def workspace(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> Iterator[tuple[dict[str, str], DemoOaiServer]]:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    with DemoOaiServer(records=records, page_size=30) as server:
        config = tmp_path / "config"
        shutil.copytree(ROOT / "config", config)  # the project's rules and vocabularies
        (config / "sources.yaml").write_text(
            "sources:\n"
            f"  demo-lom:\n    name: Démo LOM\n    type: oai\n    url: {server.url}\n"
            "    metadata_prefix: lom\n"
            "  broken:\n    type: oai\n    url: http://127.0.0.1:9/oai\n",
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "REN_DATA_DIR": str(tmp_path / "var"),
            "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
            "REN_CONFIG_DIR": str(config),
            "REN_HARVEST_MAX_RETRIES": "0",
            "REN_HARVEST_TIMEOUT": "2",
        }
        yield env, server


def ren(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_harvest_process_queue_show_in_json(workspace: tuple[dict[str, str], DemoOaiServer]) -> None:
    env, _ = workspace
    harvested = ren(env, "harvest", "demo-lom", "--json")
    assert harvested.returncode == 0, harvested.stderr
    report = json.loads(harvested.stdout)  # exactly one JSON document on stdout
    assert report["source"] == "demo-lom" and report["status"] == "completed"
    assert set(report["counts"]) >= {"harvested", "new", "updated", "unchanged", "deleted", "errors"}
    assert report["counts"]["harvested"] > 0

    processed = json.loads(ren(env, "process", "demo-lom", "--json").stdout)
    assert processed["counts"]["processed"] == report["counts"]["harvested"]

    queue = ren(env, "queue", "--json")
    assert queue.returncode == 0
    items = json.loads(queue.stdout)
    assert items and all(i["status"] == "needs_review" for i in items)
    assert all(set(i) >= RECORD_KEYS for i in items)
    assert all(set(issue) >= ISSUE_KEYS for i in items for issue in i["issues"])
    code = items[0]["issues"][0]["code"]
    filtered = json.loads(ren(env, "queue", "--json", "--issue", code).stdout)
    assert filtered and all(any(x["code"] == code for x in i["issues"]) for i in filtered)

    shown = json.loads(ren(env, "review", "show", items[0]["id"][:10], "--json").stdout)
    assert shown["id"] == items[0]["id"] and shown["issues"] == items[0]["issues"]

    approved = ren(env, "review", "approve", items[0]["id"], "--as", "marie")
    assert approved.returncode == 0, approved.stderr
    assert json.loads(ren(env, "review", "show", items[0]["id"], "--json").stdout)["status"] == "approved"

    listing = json.loads(ren(env, "sources", "list", "--json").stdout)
    demo = next(s for s in listing if s["id"] == "demo-lom")
    assert set(demo["counts"]) == {"total", "approved", "needs_review", "rejected", "deleted"}
    assert demo["counts"]["total"] == report["counts"]["harvested"]
    assert demo["last_run"]["status"] == "completed"


def test_run_level_failures_exit_non_zero_with_one_line(
    workspace: tuple[dict[str, str], DemoOaiServer],
) -> None:
    env, _ = workspace
    unknown = ren(env, "harvest", "nope")
    assert unknown.returncode == 1
    assert "nope" in unknown.stderr and "demo-lom" in unknown.stderr
    assert unknown.stdout == ""
    unreachable = ren(env, "harvest", "broken", "--json")
    assert unreachable.returncode == 1
    failed = json.loads(unreachable.stdout)
    assert failed["status"] == "failed"
    assert failed["error"]["endpoint"] == "http://127.0.0.1:9/oai"
    assert "ren-index harvest broken" in failed["error"]["resume"]
    rejected = ren(env, "review", "reject", "0000000000")
    assert rejected.returncode != 0
