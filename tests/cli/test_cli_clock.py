"""One clock in the command line and the CSV exports (issue 13, point 3).

Every date a person reads is Montreal time with its zone (``2026-12-05 20:19 HNE``, ``HAE`` in
summer); ``--json`` keeps ISO 8601 UTC with an explicit offset. The ledger is given fixed UTC
moments, and each surface must print the Montreal text of that moment — a naive UTC slice
(``2026-12-06 01:19``) or the machine's own zone would fail.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Event, HarvestRun, ResourceRow, User
from ren_index.review.decisions import decide_by_person
from ren_index.review.queries import events_csv
from ren_index.runs.report import report_markdown, run_report
from ren_index.settings import load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source
from ren_index.web.accounts import set_user

ROOT = Path(__file__).resolve().parents[2]
WINTER = datetime(2026, 12, 6, 1, 19, tzinfo=UTC)
WINTER_TEXT = "2026-12-05 20:19 HNE"
SUMMER = datetime(2026, 7, 1, 16, 5, 42, tzinfo=UTC)
SUMMER_TEXT = "2026-07-01 12:05 HAE"


@dataclass
class Clocked:
    env: dict[str, str]
    ledger: sessionmaker[Session]
    run_id: int
    rejected: str


@pytest.fixture(scope="module")
def clocked(tmp_path_factory: pytest.TempPathFactory, session_ledger_url: Callable[..., str]) -> Clocked:
    """The demo LOM source harvested and processed, then its dates set to known moments."""
    folder = tmp_path_factory.mktemp("clock")
    config = folder / "config"
    shutil.copytree(ROOT / "config", config)
    records = [r for r in demo_records() if r.metadata_format == "lom"][:30]
    settings = load_settings(
        data_dir=folder / "var", database_url=session_ledger_url("clock", folder=folder), config_dir=config
    )
    ledger = open_ledger(settings.db_url)
    with DemoOaiServer(records=records) as server:
        (config / "sources.yaml").write_text(
            "sources:\n"
            f"  demo-lom:\n    name: Démo LOM\n    type: oai\n    url: {server.url}\n"
            '    metadata_prefix: lom\n    schedule: "0 3 * * *"\n',
            encoding="utf-8",
        )
        source = SourceConfig.model_validate(
            {"id": "demo-lom", "name": "Démo LOM", "type": "oai", "url": server.url, "metadata_prefix": "lom"}
        )
        run_id = harvest_source(ledger, source, settings)["run_id"]
        process_source(ledger, source, Rulebook.load(config))
    with ledger() as session:
        waiting = session.scalars(select(ResourceRow.id).where(ResourceRow.status == "needs_review")).all()
    assert len(waiting) >= 2
    rejected = waiting[0]
    decide_by_person(ledger, rejected, "rejected", actor="marie", comment="hors sujet")
    with ledger.begin() as session:
        session.execute(
            update(HarvestRun)
            .where(HarvestRun.id == run_id)
            .values(started_at=WINTER, finished_at=WINTER + timedelta(seconds=4))
        )
        session.execute(
            update(ResourceRow).where(ResourceRow.status == "needs_review").values(decided_at=WINTER)
        )
        session.execute(update(Event).where(Event.resource_id == rejected).values(at=SUMMER))
        set_user(session, "marie", "documentalist", "un mot de passe assez long")
        session.execute(update(User).where(User.name == "marie").values(last_login_at=WINTER))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("REN_", "PREFECT_"))},
        "REN_DATA_DIR": str(folder / "var"),
        "REN_DATABASE_URL": settings.db_url,
        "REN_CONFIG_DIR": str(config),
        "COLUMNS": "250",  # rich wraps table cells to the width: keep each date on one line
        "TZ": "Asia/Tokyo",  # the machine's zone must not leak into what is printed
    }
    return Clocked(env, ledger, run_id, rejected)


def ren(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def test_runs_list_and_one_run_in_montreal_time(clocked: Clocked) -> None:
    listing = ren(clocked.env, "runs").stdout
    assert WINTER_TEXT in listing and "2026-12-06 01:19" not in listing
    one = ren(clocked.env, "runs", str(clocked.run_id)).stdout
    assert f"début / started : {WINTER_TEXT}" in one
    assert "fin / finished : 2026-12-05 20:19 HNE" in one  # four seconds later: same minute


def test_json_keeps_utc_with_its_offset(clocked: Clocked) -> None:
    reports = json.loads(ren(clocked.env, "runs", "--json").stdout)
    harvest = next(r for r in reports if r["run_id"] == clocked.run_id)
    assert harvest["started_at"] == "2026-12-06T01:19:00+00:00"
    assert harvest["finished_at"] == "2026-12-06T01:19:04+00:00"
    sources = json.loads(ren(clocked.env, "sources", "list", "--json").stdout)
    assert sources[0]["last_run"]["started_at"] == "2026-12-06T01:19:00+00:00"
    users = json.loads(ren(clocked.env, "users", "list", "--json").stdout)
    assert users[0]["last_login_at"] == "2026-12-06T01:19:00+00:00"


def test_sources_list_last_run(clocked: Clocked) -> None:
    assert f"completed {WINTER_TEXT}" in ren(clocked.env, "sources", "list").stdout


def test_schedule_list_last_run(clocked: Clocked) -> None:
    assert f"completed {WINTER_TEXT}" in ren(clocked.env, "schedule", "list").stdout


def test_queue_shows_since_when_a_record_waits(clocked: Clocked) -> None:
    table = ren(clocked.env, "queue").stdout
    assert "depuis / since" in table and WINTER_TEXT in table


def test_review_show_lists_the_history(clocked: Clocked) -> None:
    shown = ren(clocked.env, "review", "show", clocked.rejected).stdout
    assert "historique / history:" in shown
    assert f"{SUMMER_TEXT}  marie  rejected needs_review → rejected « hors sujet »" in shown


def test_users_list_last_login(clocked: Clocked) -> None:
    assert WINTER_TEXT in ren(clocked.env, "users", "list").stdout


def test_events_csv_says_montreal_time_to_the_second(clocked: Clocked) -> None:
    rows = list(csv.DictReader(io.StringIO(events_csv(clocked.ledger, clocked.rejected))))
    assert [r["at"] for r in rows if r["action"] == "rejected"] == ["2026-07-01 12:05:42 HAE"]


def test_run_report_and_its_markdown(clocked: Clocked) -> None:
    with clocked.ledger() as session:
        report = run_report(session.get_one(HarvestRun, clocked.run_id))
    assert report["started_at"] == "2026-12-06T01:19:00+00:00"
    assert f"| début / started | {WINTER_TEXT} |" in report_markdown(report)
