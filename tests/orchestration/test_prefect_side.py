"""The Prefect side (issue 13, point 6): the worker's UI talks to its own server, and the run
report artifact links to the run's page of the review UI.

Prefect's server is not started here: what is checked is what it would be given — the environment
of ``prefect server start`` read back through Prefect's own settings — and the markdown the flow's
report task publishes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun, SourceRow
from ren_index.orchestration.schedules import local_server_environment
from ren_index.runs.report import report_markdown


def prefect_settings(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> Any:
    """Prefect's settings as a process started with ``environment`` would read them."""
    from prefect.settings import Settings

    for name in [n for n in os.environ if n.startswith("PREFECT_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        if name.startswith("PREFECT_"):
            monkeypatch.setenv(name, value)
    return Settings()


def test_the_local_server_ui_talks_to_its_own_port(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = {"PREFECT_HOME": str(tmp_path / "prefect")}
    before = prefect_settings(monkeypatch, home)
    assert before.server.ui.api_url == "http://127.0.0.1:4200/api"  # what the UI looked for

    stale = {**home, "PREFECT_UI_API_URL": "http://elsewhere:4200/api", "PREFECT_API_URL": "http://x/api"}
    environment = local_server_environment(5123, stale)
    settings = prefect_settings(monkeypatch, environment)
    assert settings.server.ui.api_url == "http://127.0.0.1:5123/api"
    assert settings.api.url == "http://127.0.0.1:5123/api"
    assert settings.server.api.port == 5123 and settings.server.api.host == "127.0.0.1"
    assert settings.ui_url == "http://127.0.0.1:5123"
    assert environment["PREFECT_HOME"] == home["PREFECT_HOME"]  # the rest of the environment stays


def test_the_run_report_links_to_the_run_page() -> None:
    report = {"run_id": 7, "source": "eduq", "kind": "harvest", "status": "completed", "counts": {}}
    linked = report_markdown(report, public_url="https://ren.example.org")
    assert (
        "Page de la moisson / run page: [https://ren.example.org/review/runs/7]"
        "(https://ren.example.org/review/runs/7)" in linked
    )
    bare = report_markdown(report)
    assert "`/review/runs/7` (REN_PUBLIC_URL non défini / not set)" in bare
    assert "](" not in bare  # no link that Prefect's UI would resolve against its own address


def test_the_flow_publishes_the_linked_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    import prefect.artifacts

    from ren_index.orchestration import flow

    url = ledger_url(folder=tmp_path)
    ledger = open_ledger(url)
    with ledger.begin() as session:
        session.add(SourceRow(id="eduq", name="EDUQ", type="oai", url="http://127.0.0.1:9/oai", config={}))
        session.flush()
        run = HarvestRun(
            source_id="eduq",
            kind="harvest",
            status="completed",
            counts={"harvested": 3, "errors": 1},
            started_at=datetime(2026, 12, 6, 1, 19, tzinfo=UTC),
            finished_at=datetime(2026, 12, 6, 1, 20, tzinfo=UTC),
        )
        session.add(run)
        session.flush()
        run_id = run.id
    for name, value in {
        "REN_DATABASE_URL": url,
        "REN_DATA_DIR": str(tmp_path),
        "REN_PUBLIC_URL": "https://ren.example.org/",
    }.items():
        monkeypatch.setenv(name, value)
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(prefect.artifacts, "create_markdown_artifact", lambda **kw: published.append(kw))

    harvested = {"run_id": run_id, "source": "eduq", "kind": "harvest", "status": "completed", "counts": {}}
    processed = {"counts": {"processed": 2, "approved": 2}}
    flow.report.fn("eduq", harvested, processed)  # type: ignore[arg-type]

    (artifact,) = published
    markdown = artifact["markdown"]
    assert (
        f"[https://ren.example.org/review/runs/{run_id}](https://ren.example.org/review/runs/{run_id})"
        in markdown
    )
    assert "| début / started | 2026-12-05 20:19 HNE |" in markdown
    assert f"1 problème(s) : ren-index runs {run_id}" in markdown


def test_a_harvest_that_needs_a_fix_is_not_retried() -> None:
    from prefect.states import Failed

    from ren_index.orchestration.flow import HarvestFailed, worth_retrying

    def failed(**todo: str) -> Any:
        report = {"source": "eduq", "kind": "harvest", "status": "failed", "counts": {}}
        return Failed(data=HarvestFailed({**report, "error": {"message": "…", **todo}}))  # type: ignore[typeddict-item]

    assert not worth_retrying(None, None, failed(fix="corriger metadata_prefix / fix metadata_prefix"))
    assert worth_retrying(None, None, failed(resume="ren-index harvest eduq"))
    assert worth_retrying(None, None, Failed(data=OSError("reset")))
