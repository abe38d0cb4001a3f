"""The ``links-check`` deployment (issue 15): its own cron (``validation.yaml`` ``links.schedule``),
applied, listed, paused and served like the harvests' deployments, and a flow of its own that the
pipeline (``ren-index run``) neither runs nor waits for."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ren_index.config.sources import load_sources
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun
from ren_index.orchestration.schedules import (
    LINKS_DEPLOYMENT,
    LINKS_FLOW_NAME,
    LINKS_KEY,
    MONTREAL,
    ScheduleEntry,
    build_deployments,
    plan,
    schedule_key,
)

from .test_schedule import cli, env, listing

__all__ = ["env"]  # the fixture, shared with test_schedule


def test_plan_adds_keeps_paused_and_removes_links_check(env: dict[str, str]) -> None:
    sources = load_sources(Path(env["REN_CONFIG_DIR"]) / "sources.yaml")
    now = datetime(2027, 1, 1, tzinfo=UTC)
    entries, changes = plan(sources, {}, now, "30 4 * * *")
    assert entries[LINKS_KEY] == ScheduleEntry(
        LINKS_KEY, "30 4 * * *", False, now.isoformat(timespec="seconds")
    )
    links = [c for c in changes if c["deployment"] == LINKS_DEPLOYMENT]
    assert links == [{"source": "*", "deployment": "links-check", "action": "created", "cron": "30 4 * * *"}]
    paused = {**entries, LINKS_KEY: ScheduleEntry(LINKS_KEY, "30 4 * * *", paused=True, applied_at="x")}
    again, changes = plan(sources, paused, now, "0 5 * * *")
    assert again[LINKS_KEY].paused and again[LINKS_KEY].cron == "0 5 * * *"  # a pause outlives an apply
    assert [c["action"] for c in changes if c["source"] == "*"] == ["updated"]
    gone, changes = plan(sources, again, now, None)  # links.schedule: null — checked by hand only
    assert LINKS_KEY not in gone
    assert [c["action"] for c in changes if c["source"] == "*"] == ["removed"]


def test_the_links_key_is_never_a_source() -> None:
    assert schedule_key("links-check", {"eduq"}) == LINKS_KEY
    assert schedule_key("@links", {"eduq"}) == LINKS_KEY
    assert schedule_key("links-check", {"links-check"}) == "links-check"  # a source of that name wins
    assert schedule_key("eduq", {"eduq"}) == "eduq"


def test_the_worker_serves_links_check_as_its_own_flow() -> None:
    from ren_index.orchestration import flow

    deployments = build_deployments(
        {
            LINKS_KEY: ScheduleEntry(LINKS_KEY, "30 4 * * *", paused=True),
            "eduq": ScheduleEntry("eduq", "0 3 * * *"),
        }
    )
    links, harvest = deployments
    assert (links.name, links.flow_name, links.parameters, links.paused) == (
        "links-check",
        "ren-index-links",
        {},
        True,
    )
    assert links.entrypoint == "ren_index.orchestration.flow.links_check"
    assert [(s.schedule.cron, s.schedule.timezone) for s in links.schedules] == [
        ("30 4 * * *", "America/Montreal")
    ]
    # `ren-index run` is the pipeline flow: another flow, which never runs the links pass.
    assert (harvest.flow_name, harvest.parameters) == ("ren-index-pipeline", {"source_ids": ["eduq"]})
    assert flow.LINKS_FLOW_NAME == LINKS_FLOW_NAME == flow.links_check.name != flow.pipeline.name


def test_the_links_flow_task_runs_a_pass_over_the_configured_ledger(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task the deployment runs: settings from the environment, every source, a links report."""
    from ren_index.orchestration import flow

    for name, value in env.items():
        if name.startswith("REN_"):
            monkeypatch.setenv(name, value)
    report = flow.check_links_task.fn()
    assert (report["kind"], report["status"]) == ("links", "completed")
    assert report["counts"]["checked"] == 0  # an empty ledger: nothing due
    with open_ledger(env["REN_DATABASE_URL"])() as session:
        assert session.query(HarvestRun).count() == 0  # no source with live records: no run row


def test_schedule_apply_list_pause_links_check(env: dict[str, str]) -> None:
    before = listing(env)["*"]
    assert (before["deployment"], before["kind"], before["state"]) == ("links-check", "links", "not_applied")
    assert before["schedule"] == "30 4 * * *"  # config/validation.yaml

    applied = cli(env, "schedule", "apply", "--json")
    assert applied.returncode == 0, applied.stderr
    assert {
        "source": "*",
        "deployment": "links-check",
        "action": "created",
        "cron": "30 4 * * *",
    } in json.loads(applied.stdout)["changes"]
    row = listing(env)["*"]
    assert row["state"] == "active" and row["timezone"] == "America/Montreal" and row["last_run"] is None
    upcoming = datetime.fromisoformat(str(row["next_run"])).astimezone(MONTREAL)
    assert (upcoming.hour, upcoming.minute) == (4, 30)
    words = cli(env, "schedule", "list")
    assert words.returncode == 0 and "links-check" in words.stdout

    assert cli(env, "schedule", "pause", "links-check").returncode == 0
    assert listing(env)["*"]["state"] == "paused" and listing(env)["eduq"]["state"] == "active"
    assert cli(env, "schedule", "resume", "links-check").returncode == 0
    assert listing(env)["*"]["state"] == "active"

    rules = Path(env["REN_CONFIG_DIR"]) / "validation.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace('schedule: "30 4 * * *"', "schedule: null"),
        encoding="utf-8",
    )
    removed = cli(env, "schedule", "apply", "--json")
    assert {
        "source": "*",
        "deployment": "links-check",
        "action": "removed",
        "cron": "30 4 * * *",
    } in json.loads(removed.stdout)["changes"]
    assert listing(env)["*"]["state"] == "unscheduled"
