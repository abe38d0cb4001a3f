"""Schedules: ``schedule apply|list|pause|resume``, next runs in Montreal time, the worker starts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ren_index.config.sources import load_sources
from ren_index.errors import ConfigError
from ren_index.orchestration.schedules import MONTREAL, ScheduleEntry, check_cron, next_run, plan

ROOT = Path(__file__).resolve().parents[2]
WORKER_START_LIMIT = 150.0


@pytest.fixture
def env(tmp_path: Path, ledger_url: Callable[..., str]) -> dict[str, str]:
    """A copy of the project's config with one scheduled source, and an empty data folder."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "sources.yaml").write_text(
        "sources:\n"
        "  eduq:\n    name: EDUQ.info\n    type: oai\n    url: http://127.0.0.1:9/oai\n"
        '    schedule: "0 3 * * *"\n'
        "  partenaire:\n    type: csv\n    url: http://127.0.0.1:9/export.csv\n"
        '    schedule: "30 2 * * 1"\n'
        "  manuel:\n    type: rss\n    url: http://127.0.0.1:9/feed\n",
        encoding="utf-8",
    )
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")
    }  # never a developer's Prefect server
    environment.update(
        {
            "REN_DATA_DIR": str(tmp_path / "var"),
            "REN_DATABASE_URL": ledger_url("ren-index", folder=tmp_path / "var"),
            "REN_CONFIG_DIR": str(config),
        }
    )
    return environment


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
    )


def listing(env: dict[str, str]) -> dict[str, dict[str, object]]:
    result = cli(env, "schedule", "list", "--json")
    assert result.returncode == 0, result.stderr
    return {row["source"]: row for row in json.loads(result.stdout)}


def test_apply_list_pause_resume(env: dict[str, str]) -> None:
    before = listing(env)
    assert before["eduq"]["state"] == "not_applied" and before["eduq"]["next_run"] is None

    applied = cli(env, "schedule", "apply", "--json")
    assert applied.returncode == 0, applied.stderr
    changes = {c["source"]: c["action"] for c in json.loads(applied.stdout)["changes"]}
    assert changes == {"eduq": "created", "partenaire": "created", "*": "created"}  # *: links-check

    rows = listing(env)
    assert rows["eduq"]["state"] == "active"
    assert rows["eduq"]["deployment"] == "harvest-eduq"
    assert rows["eduq"]["timezone"] == "America/Montreal"
    upcoming = datetime.fromisoformat(str(rows["eduq"]["next_run"]))
    assert upcoming.astimezone(MONTREAL).hour == 3 and upcoming > datetime.now(UTC)
    assert rows["manuel"]["state"] == "unscheduled" and rows["manuel"]["next_run"] is None

    assert cli(env, "schedule", "pause", "eduq").returncode == 0
    rows = listing(env)
    assert rows["eduq"]["state"] == "paused" and rows["eduq"]["next_run"] is None
    assert rows["partenaire"]["state"] == "active"

    again = cli(env, "schedule", "apply", "--json")  # an apply keeps a librarian's pause
    assert {c["action"] for c in json.loads(again.stdout)["changes"]} == {"unchanged"}
    assert listing(env)["eduq"]["paused"] is True

    assert cli(env, "schedule", "resume", "eduq").returncode == 0
    assert listing(env)["eduq"]["state"] == "active"

    unknown = cli(env, "schedule", "pause", "manuel")
    assert unknown.returncode == 1 and "schedule apply" in unknown.stderr
    assert cli(env, "schedule", "pause", "nope").returncode == 1


def test_apply_refuses_a_bad_cron(env: dict[str, str]) -> None:
    path = Path(env["REN_CONFIG_DIR"]) / "sources.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("0 3 * * *", "tous les jours"), encoding="utf-8")
    result = cli(env, "schedule", "apply")
    assert result.returncode == 1
    assert "eduq" in result.stderr and "cron" in result.stderr


def test_plan_reports_updates_and_removals(env: dict[str, str]) -> None:
    sources = load_sources(Path(env["REN_CONFIG_DIR"]) / "sources.yaml")
    current = {
        "eduq": ScheduleEntry("eduq", "0 4 * * *", paused=True, applied_at="x"),
        "ancienne": ScheduleEntry("ancienne", "0 1 * * *"),
    }
    entries, changes = plan(sources, current, datetime(2025, 1, 1, tzinfo=UTC))
    assert {c["source"]: c["action"] for c in changes} == {
        "eduq": "updated",
        "partenaire": "created",
        "ancienne": "removed",
    }
    assert entries["eduq"].cron == "0 3 * * *" and entries["eduq"].paused


@pytest.mark.parametrize(
    ("cron", "after", "expected_utc"),
    [
        # Eastern Daylight Time (UTC-4) in summer, Eastern Standard Time (UTC-5) in winter.
        ("0 3 * * *", datetime(2025, 7, 1, 12, tzinfo=MONTREAL), datetime(2025, 7, 2, 7, tzinfo=UTC)),
        ("0 3 * * *", datetime(2025, 1, 15, 12, tzinfo=MONTREAL), datetime(2025, 1, 16, 8, tzinfo=UTC)),
        # The night the clocks go back (2 November 2025): 03:00 EST, not 03:00 EDT.
        ("0 3 * * *", datetime(2025, 11, 1, 12, tzinfo=MONTREAL), datetime(2025, 11, 2, 8, tzinfo=UTC)),
        # 02:30 does not exist on 9 March 2025 (spring forward): the run happens at 03:00 EDT.
        ("30 2 * * *", datetime(2025, 3, 8, 12, tzinfo=MONTREAL), datetime(2025, 3, 9, 7, tzinfo=UTC)),
        # Asked in UTC, answered in Montreal wall-clock time.
        ("0 3 * * 1", datetime(2025, 6, 3, 0, tzinfo=UTC), datetime(2025, 6, 9, 7, tzinfo=UTC)),
    ],
)
def test_next_run_is_montreal_time(cron: str, after: datetime, expected_utc: datetime) -> None:
    moment = next_run(cron, after)
    assert moment == expected_utc
    assert moment.tzinfo == MONTREAL


def test_check_cron_names_the_source() -> None:
    with pytest.raises(ConfigError, match="'eduq'"):
        check_cron("eduq", "0 3 * *")


def test_worker_starts_and_serves_the_deployments(env: dict[str, str]) -> None:
    """`ren-index worker` starts its local Prefect server, registers the deployments, then stops."""
    assert cli(env, "schedule", "apply").returncode == 0
    assert cli(env, "schedule", "pause", "partenaire").returncode == 0
    log = Path(env["REN_DATA_DIR"]) / "worker.log"
    with log.open("w", encoding="utf-8") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ren_index", "worker", "--prefect-port", "0"],
            env={**env, "COLUMNS": "200"},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + WORKER_START_LIMIT
        text = ""
        while time.monotonic() < deadline and worker.poll() is None:
            text = log.read_text(encoding="utf-8")
            if "serving 3 deployment(s)" in text:
                break
            time.sleep(0.5)
        assert "serving 3 deployment(s)" in text, text  # eduq, partenaire and links-check
        assert "1 en pause / paused" in text
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
