"""The command line's contracts: exit statuses, one JSON document on stdout, record shapes."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.review.publish import UNREACHABLE_EN, UNREACHABLE_FR

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
    "quality",
}
ISSUE_KEYS = {"code", "severity", "field", "value", "suggestion", "message_fr", "message_en"}


def closed_port() -> int:
    """A local port nobody listens on: OpenSearch is down, unless a test says otherwise."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


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
            "REN_OPENSEARCH_URL": f"http://127.0.0.1:{closed_port()}",
            "REN_INDEX_PREFIX": f"test-cli-{uuid.uuid4().hex[:8]}",
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
    assert shown["quality"] == items[0]["quality"]
    assert all(0 <= i["quality"]["score"] <= 100 for i in items)
    missing = [m for i in items for m in i["quality"]["missing"]]
    assert missing and all(set(m) == {"code", "points", "label_fr", "label_en"} for m in missing)

    approved = ren(env, "review", "approve", items[0]["id"], "--as", "marie")
    assert approved.returncode == 0, approved.stderr  # the decision is taken: its job is done
    # OpenSearch is down: the web app's words, one line, nothing from the client's retries
    assert approved.stderr.splitlines() == [
        f"{items[0]['id']}: approved",
        f"{UNREACHABLE_FR} / {UNREACHABLE_EN}",
    ]
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


@pytest.mark.integration
def test_review_decisions_are_published_at_once(
    workspace: tuple[dict[str, str], DemoOaiServer], opensearch_url: str
) -> None:
    """``review approve`` puts the record in the index, ``review reject`` takes it out, with no
    ``index`` run between: the same publication as the web app's."""
    env = {**workspace[0], "REN_OPENSEARCH_URL": opensearch_url}
    client = OpenSearch(hosts=[opensearch_url])
    alias = f"{env['REN_INDEX_PREFIX']}-resources"
    try:
        assert ren(env, "harvest", "demo-lom").returncode == 0
        assert ren(env, "process", "demo-lom").returncode == 0
        assert ren(env, "index").returncode == 0  # the index exists, holding the approved records
        target = json.loads(ren(env, "queue", "--json").stdout)[0]["id"]
        assert not client.exists(index=alias, id=target)

        approved = ren(env, "review", "approve", target[:10], "--as", "marie")
        assert approved.returncode == 0, approved.stderr
        assert "publiée" in approved.stderr and "published" in approved.stderr
        assert client.get(index=alias, id=target)["found"]

        rejected = ren(env, "review", "reject", target, "--reason", "hors sujet")
        assert rejected.returncode == 0, rejected.stderr
        assert not client.exists(index=alias, id=target)
    finally:
        client.indices.delete(index=f"{env['REN_INDEX_PREFIX']}-*", ignore_unavailable=True)


def test_sources_report_in_csv_and_json(workspace: tuple[dict[str, str], DemoOaiServer]) -> None:
    env, _ = workspace
    assert ren(env, "harvest", "demo-lom").returncode == 0
    assert ren(env, "process", "demo-lom").returncode == 0
    listing = json.loads(ren(env, "sources", "list", "--json").stdout)
    total = next(s for s in listing if s["id"] == "demo-lom")["counts"]["total"]

    as_json = ren(env, "sources", "report", "demo-lom", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["source"] == "demo-lom" and len(report["records"]) == total  # every record
    assert isinstance(report["repeated_titles"], list)
    record = next(r for r in report["records"] if r["issues"])
    assert set(record) == {"id", "source_identifier", "title", "status", "portals", "issues", "quality"}
    assert record["issues"][0]["message_fr"] and record["issues"][0]["message_en"]
    assert sum(report["quality"]["distribution"].values()) == report["quality"]["records"]
    assert report["quality"]["weakest"][0]["label_fr"]

    as_csv = subprocess.run(
        [sys.executable, "-m", "ren_index", "sources", "report", "demo-lom"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stdout.startswith("\ufeff".encode())  # UTF-8 with a BOM, for Excel
    rows = list(csv.reader(io.StringIO(as_csv.stdout.decode("utf-8-sig"))))
    assert rows[0][:6] == ["id", "source_identifier", "title", "status", "portals", "quality_score"]
    assert len(rows) == total + 1
    by_id = {row[0]: row for row in rows[1:]}
    line = by_id[record["id"]]
    assert line[5] == str(record["quality"]["score"])
    assert record["issues"][0]["code"] in line[6]

    unknown = ren(env, "sources", "report", "nope")
    assert unknown.returncode == 1 and len(unknown.stderr.strip().splitlines()) == 1


def test_source_report_names_the_titles_repeated_in_the_source() -> None:
    """The dataset-level pattern is reported on the source, from the records' own issues."""
    from ren_index.review.source_report import repeated_titles

    def record(*issues: tuple[str, str | None]) -> dict[str, object]:
        return {"issues": [{"code": code, "value": value} for code, value in issues]}

    records = [
        record(("TITLE_REPEATED_IN_SOURCE", "Fiche d'activité"), ("LEVEL_MISSING", None)),
        record(("TITLE_REPEATED_IN_SOURCE", "Fiche d'activité")),
        record(("TITLE_REPEATED_IN_SOURCE", "Exercices")),
        record(("TITLE_REPEATED_IN_SOURCE", "Fiche d'activité")),
        record(("DESCRIPTION_TOO_SHORT", "x")),
    ]
    assert repeated_titles(records) == [
        {"title": "Fiche d'activité", "records": 3},
        {"title": "Exercices", "records": 1},
    ]
    assert repeated_titles([record(("LEVEL_MISSING", None))]) == []
