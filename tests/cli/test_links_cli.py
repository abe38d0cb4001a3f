"""``ren-index links check`` and the ``link`` of ``review show --json``, as a script sees them.

A real subprocess over a ledger holding demo records whose landing URLs are pages of a local site
(loopback allowed by ``REN_LINKS_ALLOW_HOSTS``, as the tests' settings say); OpenSearch is down,
so what the pass changes waits for the next ``ren-index index`` — and the command still exits 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.store import resource_id
from ren_index.settings import load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

ROOT = Path(__file__).resolve().parents[2]
REPORT_KEYS = {"run_id", "kind", "status", "counts", "hosts_down", "duration_s", "throughput"}
COUNT_KEYS = {"checked", "ok", "redirected", "broken", "soft_404", "unreachable", "skipped"}


class Site:
    """A local web site: ``/r/0`` is gone (404), ``/r/N`` a resource's page, no robots.txt."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:
                self._answer(with_body=False)

            def do_GET(self) -> None:
                self._answer(with_body=True)

            def _answer(self, *, with_body: bool) -> None:
                found = self.path.startswith("/r/") and self.path != "/r/0"
                title = f"Ressource {self.path}" if found else "404"
                body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
                data = body.encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if with_body:
                    self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def workspace(tmp_path: Path, ledger_url: Callable[..., str]) -> Iterator[tuple[dict[str, str], list[str]]]:
    site = Site()
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    rules = (config / "validation.yaml").read_text(encoding="utf-8")
    (config / "validation.yaml").write_text(rules.replace("per_host_delay_s: 1.0", "per_host_delay_s: 0"))
    records = [r for r in demo_records() if r.metadata_format == "lom" and not r.defects][:12]
    records = [replace(r, url=site.url(f"/r/{i}")) for i, r in enumerate(records)]
    database = ledger_url("ren-index", folder=tmp_path / "var")
    try:
        with DemoOaiServer(records=records, page_size=50) as server:
            (config / "sources.yaml").write_text(
                f"sources:\n  demo-lom:\n    name: Démo\n    type: oai\n    url: {server.url}\n"
                "    metadata_prefix: lom\n",
                encoding="utf-8",
            )
            settings = load_settings(data_dir=tmp_path / "var", database_url=database, config_dir=config)
            ledger = open_ledger(settings.db_url)
            source = SourceConfig.model_validate(
                {"id": "demo-lom", "name": "Démo", "type": "oai", "url": server.url, "metadata_prefix": "lom"}
            )
            harvest_source(ledger, source, settings, full=True)
            process_source(ledger, source, Rulebook.load(config))
        env = {
            **os.environ,
            "REN_DATA_DIR": str(tmp_path / "var"),
            "REN_DATABASE_URL": database,
            "REN_CONFIG_DIR": str(config),
            "REN_OPENSEARCH_URL": "http://127.0.0.1:9",
            "REN_LINKS_ALLOW_HOSTS": "127.0.0.0/8",
            "REN_LINKS_CONTACT": "liens@example.org",
        }
        yield env, [resource_id("demo-lom", r.identifier) for r in records]
    finally:
        site.stop()


def ren(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_links_check_json_then_review_show_link(workspace: tuple[dict[str, str], list[str]]) -> None:
    env, ids = workspace
    done = ren(env, "links", "check", "--all", "--json")
    assert done.returncode == 0, done.stderr  # a dead link is data, not a failure
    report = json.loads(done.stdout)  # one JSON document on stdout
    assert set(report) >= REPORT_KEYS
    assert report["kind"] == "links" and report["status"] == "completed"
    assert set(report["counts"]) == COUNT_KEYS
    assert report["counts"]["broken"] == 1 and report["counts"]["checked"] >= 10
    assert report["hosts_down"] == []

    shown = ren(env, "review", "show", ids[0], "--json")
    assert shown.returncode == 0, shown.stderr
    link = json.loads(shown.stdout)["link"]
    assert set(link) == {"state", "http_status", "final_url", "checked_at", "failures"}
    assert (link["state"], link["http_status"], link["failures"]) == ("failing", 404, 1)
    assert link["checked_at"].endswith("+00:00")

    again = ren(env, "links", "check", "demo-lom")  # nothing due: words, exit 0
    assert again.returncode == 0, again.stderr
    assert "vérifiés / checked" in again.stderr and "0 vérifiés" in again.stderr


def test_links_check_needs_sources_or_all(workspace: tuple[dict[str, str], list[str]]) -> None:
    env, _ = workspace
    refused = ren(env, "links", "check")
    assert refused.returncode == 2 and "--all" in refused.stderr
    unknown = ren(env, "links", "check", "nope")
    assert unknown.returncode == 1
    assert len(unknown.stderr.strip().splitlines()) == 1 and "nope" in unknown.stderr
