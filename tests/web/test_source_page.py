"""A source's page: everyone reads it, librarians and admins act on it, and every action is audited.

Run now starts harvest → process → index in the background (the run lock refuses a second one,
and the page says so); the schedule is paused and resumed in the state file; documentalists get
the page without buttons and 403 on every action; a form without the session's token is refused.
"""

from __future__ import annotations

import os
import re
import socket
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ren_index.config.clock import MONTREAL
from ren_index.contributions.platforms import create_platform
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun, utcnow
from ren_index.orchestration import schedules
from ren_index.review.source_page import (
    cron_in_words,
    field_coverage,
    issue_counts,
    source_links,
    status_counts,
)
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source
from ren_index.web.routes_sources import run_now

from .console_support import *  # noqa: F403 - the fixtures
from .console_support import RULEBOOK, SOURCE_ID, Console, csv_body, csv_rows

PAGE = f"/review/sources/{SOURCE_ID}"


@pytest.mark.parametrize(
    ("cron", "french", "english"),
    [
        ("0 3 * * *", "tous les jours à 3 h 00", "every day at 3:00"),
        ("30 2 * * 1", "le lundi à 2 h 30", "on Mondays at 2:30"),
        ("30 2 * * MON", "le lundi à 2 h 30", "on Mondays at 2:30"),
        ("0 22 * * 0", "le dimanche à 22 h 00", "on Sundays at 22:00"),
        ("0 22 * * 7", "le dimanche à 22 h 00", "on Sundays at 22:00"),
        (
            "15 4 * * 1,3,5",
            "le lundi, le mercredi et le vendredi à 4 h 15",
            "on Mondays, Wednesdays and Fridays at 4:15",
        ),
        ("0 4 * * 1-5", "du lundi au vendredi à 4 h 00", "Monday to Friday at 4:00"),
        ("15 1 1 * *", "le 1er de chaque mois à 1 h 15", "on day 1 of every month at 1:15"),
        ("0 6 15 * *", "le 15 de chaque mois à 6 h 00", "on day 15 of every month at 6:00"),
        ("5 * * * *", "toutes les heures, à la minute 5", "every hour, at minute 5"),
        # Anything else is shown as written: never a wrong sentence.
        ("*/15 * * * *", "*/15 * * * *", "*/15 * * * *"),
        ("0 3 * 6 *", "0 3 * 6 *", "0 3 * 6 *"),
        ("0 3 1 * 1", "0 3 1 * 1", "0 3 1 * 1"),
        ("0 */6 * * *", "0 */6 * * *", "0 */6 * * *"),
        ("0 3 * * *  extra", "0 3 * * *  extra", "0 3 * * *  extra"),
        ("@daily", "@daily", "@daily"),
    ],
)
def test_cron_in_words(cron: str, french: str, english: str) -> None:
    assert cron_in_words(cron) == french
    assert cron_in_words(cron, "en") == english


def test_the_page_is_a_thin_shell_and_actions_run_in_the_thread_pool() -> None:
    import inspect

    # A plain def: FastAPI runs it in its thread pool, the event loop never waits on the ledger.
    assert not inspect.iscoroutinefunction(run_now)


def test_everyone_reads_the_page_documentalists_without_buttons(console: Console) -> None:
    console.harvest(30)
    console.login("dora")
    page = console.client.get(PAGE)
    assert page.status_code == 200, page.text
    html = page.text
    # Configuration, in words; the hostile-looking name is text.
    assert "Partenaire &lt;b&gt;CSV&lt;/b&gt;" in html and "<b>CSV</b>" not in html
    assert "Pavillon" in html and "si anomalies" in html and "language : fr" in html
    # The runs, with a link to each run's page, Montreal time and throughput.
    run = console.runs()[-1]
    assert f'href="/review/runs/{run.id}"' in html and "terminée" in html
    assert (" HNE" in html) or (" HAE" in html)
    assert "notices/s" in html
    # Counts per status and per issue, coverage now and per process run.
    assert 'id="source-statuses"' in html and 'id="coverage-table"' in html
    assert "maintenant (sur 30 notices)" in html and "n'est pas disponible" not in html
    # Read only: no action form, the reason said.
    assert 'id="read-only"' in html
    for marker in ('id="run-now"', "/schedule/pause", 'id="resume-run"', 'action="' + PAGE + '/run"'):
        assert marker not in html
    assert "/review/sources/check" not in html  # not even the check link


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", f"{PAGE}/run"),
        ("post", f"{PAGE}/schedule/pause"),
        ("post", f"{PAGE}/schedule/resume"),
        ("post", "/review/runs/1/resume"),
        ("get", "/review/runs/1/release"),
        ("post", "/review/runs/1/release"),
        ("get", "/review/sources/check"),
        ("post", "/review/sources/check"),
    ],
)
def test_documentalists_get_403_on_every_action(console: Console, method: str, path: str) -> None:
    console.harvest(30)
    console.login("dora")
    if method == "get":
        response = console.client.get(path)
    else:
        response = console.client.post(path, data={"csrf_token": console.token(), "target": "x"})
    assert response.status_code == 403
    assert "Votre rôle ne permet pas cette action." in response.text
    assert console.events("source_run_requested") == []
    assert [r.status for r in console.runs()] == ["completed"]


def test_librarian_runs_a_source_now(console: Console) -> None:
    console.harvest(30)
    console.login("lea")
    html = console.client.get(PAGE).text
    assert 'id="run-now"' in html and 'data-confirm="' in html and 'id="read-only"' not in html
    response = console.post(f"{PAGE}/run")
    assert response.status_code == 303
    assert response.headers["location"] == PAGE
    launches = console.wait()
    assert launches and launches[-1].error is None
    runs = console.runs()
    assert len(runs) == 2 and runs[-1].status == "completed"
    # The harvest's counts carry the process step's decisions (one report per run, as the flow does).
    assert runs[-1].counts["harvested"] == 30 and "processed" in runs[-1].counts
    [event] = console.events("source_run_requested")
    assert event.actor == "lea" and event.source_id == SOURCE_ID
    assert event.run_id == runs[-1].id  # the run's log starts with who asked for it
    # OpenSearch is a closed port here: the index step says so in the events, nothing crashed.
    assert launches[-1].reports["index"]["status"] == "failed"
    assert console.events("index_failed")[-1].run_id == runs[-1].id
    page = console.client.get(PAGE).text
    assert "Moisson de partenaire lancée" in page


def test_admin_runs_the_first_harvest_of_a_source(console: Console) -> None:
    console.harvest(30)  # the ledger knows the source (from then on, its page exists)
    console.login("ada")
    assert console.post(f"{PAGE}/run").status_code == 303
    console.wait()
    assert console.events("source_run_requested")[0].actor == "ada"


def test_a_running_harvest_refuses_a_second_one(console: Console) -> None:
    console.harvest(30)
    with console.ledger.begin() as session:
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "token": "other"}
        session.add(
            HarvestRun(
                source_id=SOURCE_ID,
                kind="harvest",
                status="running",
                checkpoint={"set_index": 0, "token": None, "owner": owner, "heartbeat": utcnow().isoformat()},
                counts={},
            )
        )
    console.login("lea")
    response = console.post(f"{PAGE}/run")
    assert response.status_code == 303
    assert getattr(console.app.state, "launches", []) == []
    assert console.events("source_run_requested") == []
    page = console.client.get(PAGE).text
    assert "Refusé" in page and "déjà en cours" in page
    assert 'id="resume-run"' not in page  # a live run is running, not interrupted
    assert "en cours" in page


def test_csrf_is_required(console: Console) -> None:
    console.harvest(30)
    console.login("lea")
    for path in (f"{PAGE}/run", f"{PAGE}/schedule/pause"):
        response = console.post(path, csrf=False)
        assert response.status_code == 403
        assert "jeton CSRF" in response.text
        forged = console.client.post(path, data={"csrf_token": "forged"})
        assert forged.status_code == 403
    assert console.events("source_run_requested") == [] and console.events("schedule_paused") == []
    assert len(console.runs()) == 1


def test_schedule_in_words_paused_and_resumed(console: Console) -> None:
    console.harvest(30)
    schedules.save_state(
        schedules.state_path(console.settings),
        {SOURCE_ID: schedules.ScheduleEntry(SOURCE_ID, "30 2 * * 1", False, "2026-01-01T00:00:00+00:00")},
    )
    console.login("lea")
    html = console.client.get(PAGE).text
    assert "le lundi à 2 h 30" in html and "Active" in html and 'id="next-run"' in html
    upcoming = schedules.next_run("30 2 * * 1", datetime.now(UTC))
    assert upcoming.astimezone(MONTREAL).strftime("%Y-%m-%d 02:30") in html
    assert console.post(f"{PAGE}/schedule/pause").status_code == 303
    state = schedules.load_state(schedules.state_path(console.settings))
    assert state[SOURCE_ID].paused is True
    [paused] = console.events("schedule_paused")
    assert paused.actor == "lea" and paused.after is not None and paused.after["paused"] is True
    html = console.client.get(PAGE).text
    assert "En pause" in html and 'id="next-run"' not in html and "Reprendre la planification" in html
    assert console.post(f"{PAGE}/schedule/resume").status_code == 303
    assert schedules.load_state(schedules.state_path(console.settings))[SOURCE_ID].paused is False
    assert console.events("schedule_resumed")[0].actor == "lea"
    # English words too.
    assert "on Mondays at 2:30" in console.client.get(PAGE + "?lang=en").text


def test_pausing_a_schedule_never_applied_says_so(console: Console) -> None:
    console.harvest(30)
    console.login("lea")
    html = console.client.get(PAGE).text
    assert "Pas encore appliquée" in html
    console.post(f"{PAGE}/schedule/pause")
    assert "schedule apply" in console.client.get(PAGE).text
    assert console.events("schedule_paused") == []


def test_a_contributions_platform_has_a_page_without_harvest_buttons(console: Console) -> None:
    create_platform(console.ledger, "ma-classe", portal="pavillon", label="Ma classe", portals=["pavillon"])
    console.login("lea")
    html = console.client.get("/review/sources/ma-classe").text
    assert 'id="source-platform"' in html and 'id="run-now"' not in html
    assert 'id="schedule-section"' not in html
    console.post("/review/sources/ma-classe/run")
    assert "plateforme de contributions" in console.client.get("/review/sources/ma-classe").text
    assert getattr(console.app.state, "launches", []) == []


def test_unknown_source_is_404(console: Console) -> None:
    console.login("lea")
    assert console.client.get("/review/sources/nope").status_code == 404
    assert console.post("/review/sources/nope/run").status_code == 404


def test_anonymous_goes_to_login(console: Console) -> None:
    assert console.client.get(PAGE).status_code == 303
    assert console.client.post(f"{PAGE}/run").status_code in (401, 403)


def test_counts_and_coverage_queries(console: Console) -> None:
    console.harvest(30)
    with console.ledger() as session:
        statuses = status_counts(session, SOURCE_ID)
        assert sum(statuses.values()) == 30 and set(statuses) == {
            "needs_review",
            "approved",
            "rejected",
            "deleted",
        }
        live, coverage = field_coverage(session, SOURCE_ID)
        assert live == 30 and coverage["title"] == 1.0 and coverage["language"] == 1.0
        issues = issue_counts(session, SOURCE_ID)
    assert all(n <= 30 for n in issues.values())


def test_dashboard_and_runs_link_each_source(console: Console) -> None:
    console.harvest(30)
    console.login("lea")
    dashboard = console.client.get("/review/").text
    assert f'href="/review/sources/{SOURCE_ID}"' in dashboard
    assert f'href="/review/sources/check?source={SOURCE_ID}"' in dashboard
    runs = console.client.get("/review/runs").text
    assert f'href="/review/sources/{SOURCE_ID}"' in runs
    assert f'href="/review/runs/{console.runs()[-1].id}"' in runs
    assert 'href="/review/runs" aria-current="page"' in runs  # in the navigation


def test_the_runs_link_is_in_everyones_navigation(console: Console) -> None:
    console.login("dora")
    page = console.client.get("/review/").text
    assert 'href="/review/runs"' in page and 'href="/review/sources/check"' not in page


def _coverage_row(html: str, run_id: int) -> str:
    found = re.search(rf'<tr data-run="{run_id}">(.*?)</tr>', html, re.S)
    assert found, f"no coverage row for run {run_id}"
    return found[1]


def _share(row: str, field: str) -> str:
    found = re.search(rf'data-field="{field}">([^<]*)<', row)
    assert found, field
    return found[1]


def test_coverage_over_time_one_row_per_process_run(console: Console) -> None:
    # Before migration 0008 a process run kept no coverage: the page says « — » for it.
    with console.ledger.begin() as session:
        store.sync_source(session, console.source)
        old = HarvestRun(
            source_id=SOURCE_ID, kind="process", status="completed", counts={}, finished_at=utcnow()
        )
        session.add(old)
        session.flush()
        old_id = old.id
    console.harvest(30)  # every row with a licence and a level
    # The partner's next export: ten rows lose their licence, five their description.
    rows = csv_rows(30)
    for n in range(10):
        identifier, title, description, url, language, level, _licence = rows[n].split(";")
        rows[n] = ";".join([identifier, title, "" if n < 5 else description, url, language, level, ""])
    console.server.body = csv_body(rows)
    harvest_source(console.ledger, console.source, console.settings)
    process_source(console.ledger, console.source, RULEBOOK)
    with console.ledger() as session:
        query = select(HarvestRun.id).where(HarvestRun.kind == "process").order_by(HarvestRun.id)
        first, second = [i for i in session.scalars(query) if i != old_id]

    console.login("dora")
    html = console.client.get(PAGE).text
    # The coverage now on top, then the runs newest first, each linked to its run's page.
    table = html[html.index('id="coverage-table"') :]
    assert table.index('id="coverage-now"') < table.index(f'data-run="{second}"')
    assert (
        table.index(f'data-run="{second}"')
        < table.index(f'data-run="{first}"')
        < table.index(f'data-run="{old_id}"')
    )
    now = table[table.index('id="coverage-now"') :]
    assert _share(now, "licence") == "67 %" and _share(now, "description") == "83 %"
    latest, earlier, before = (_coverage_row(html, i) for i in (second, first, old_id))
    assert f'href="/review/runs/{second}"' in latest and f'href="/review/runs/{first}"' in earlier
    assert (_share(latest, "licence"), _share(earlier, "licence")) == ("67 %", "100 %")
    assert (_share(latest, "description"), _share(earlier, "description")) == ("83 %", "100 %")
    assert _share(latest, "title") == "100 %" and '<td class="num">30</td>' in latest
    assert re.search(r"<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2} H[NA]E</time>", latest)  # Montreal time, its zone
    # The run from before 0008: a dash in every cell, and the reason said under the table.
    assert all(
        _share(before, f) == "—" for f in ("title", "description", "language", "level", "licence", "url")
    )
    assert 'id="coverage-unknown"' in html and "antérieur" in html
    # English beside: the same table in the other catalogue.
    english = console.client.get(PAGE + "?lang=en").text
    assert "Processing run" in english and ">Now<" in english and "now (over 30 records)" in english

    # The run's page and ``runs RUN_ID --json`` (the same report) carry it too.
    run_page = console.client.get(f"/review/runs/{second}?lang=fr").text
    assert 'id="run-coverage"' in run_page and "30 notices en vigueur" in run_page
    assert re.search(
        r'<tr data-field="licence"><th scope="row">licence</th><td class="num">67 %</td>', run_page
    )
    assert 'id="run-coverage-unknown"' in console.client.get(f"/review/runs/{old_id}").text


def test_source_links_follow_the_public_url() -> None:
    assert source_links("eduq", None) == {
        "page": "/review/sources/eduq",
        "check": "/review/sources/check?source=eduq",
    }
    assert source_links("eduq", "https://ren.example.org/") == {
        "page": "https://ren.example.org/review/sources/eduq",
        "check": "https://ren.example.org/review/sources/check?source=eduq",
    }
    assert source_links("ma-classe", None, checkable=False)["check"] is None
