"""A run's page: report, failure and where it stopped, hold, problems, withdrawals, log lines;
resuming a failed run continues the same run, releasing a held one lists what it withdraws first."""

from __future__ import annotations

from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun
from ren_index.review.source_page import run_detail, withdrawal_preview

from .console_support import *  # noqa: F403 - the fixtures
from .console_support import SOURCE_ID, Console


def held_run(console: Console) -> int:
    """A complete harvest of 30 records, then one of 10: the anomaly guard holds it."""
    assert console.harvest(30)["status"] == "completed"
    report = console.harvest(10)
    assert report["status"] == "held", report
    run_id = report.get("run_id")
    assert run_id is not None
    return run_id


def failed_run(console: Console) -> int:
    console.server.status = 500
    from ren_index.steps.harvest import harvest_source

    report = harvest_source(console.ledger, console.source, console.settings)
    assert report["status"] == "failed", report
    with console.ledger.begin() as session:
        store.record_event(
            session,
            actor="harvester",
            action="harvest_problem",
            source_id=SOURCE_ID,
            run_id=report.get("run_id"),
            comment="ligne 7 : <script>alert(1)</script> sans identifiant",
        )
    console.server.status = 200
    run_id = report.get("run_id")
    assert run_id is not None
    return run_id


def test_a_held_run_shows_its_reasons_and_held_withdrawals(console: Console) -> None:
    run_id = held_run(console)
    console.login("dora")  # any role reads
    page = console.client.get(f"/review/runs/{run_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "retenue" in html and "chute du nombre de notices" in html and "Moisson retenue" in html
    assert "Retraits retenus" in html and html.count("<code>R-") == 20
    assert 'id="release-link"' not in html  # documentalists: no button
    assert " HNE" in html or " HAE" in html


def test_release_lists_then_applies_the_withdrawals(console: Console) -> None:
    run_id = held_run(console)
    with console.ledger() as session:
        preview = withdrawal_preview(session, run_id)
    assert [p["identifier"] for p in preview] == sorted(f"R-{n}" for n in range(11, 31))
    assert preview[0]["title"] and preview[0]["title"].startswith("Ressource de mathématiques")
    console.login("lea")
    html = console.client.get(f"/review/runs/{run_id}").text
    assert f'href="/review/runs/{run_id}/release"' in html
    confirm = console.client.get(f"/review/runs/{run_id}/release")
    assert confirm.status_code == 200
    assert confirm.text.count("<tr><td><code>R-") == 20 and "(20)" in confirm.text
    assert 'data-confirm="' in confirm.text and 'id="release-confirm"' in confirm.text
    response = console.post(f"/review/runs/{run_id}/release")
    assert response.status_code == 303
    console.wait()
    [event] = console.events("run_released")
    assert event.actor == "lea" and event.run_id == run_id
    runs = {r.id: r for r in console.runs()}
    assert runs[run_id].status == "completed"
    html = console.client.get(f"/review/runs/{run_id}").text
    assert "Moisson n° " in html and "20 retrait(s) appliqué(s)" in html and "Libérée par lea" in html
    with console.ledger() as session:
        detail = run_detail(session, run_id)
    assert detail is not None and len(detail.withdrawals) == 20 and not detail.withdrawals_held
    # A second release is refused in words, nothing changes.
    console.post(f"/review/runs/{run_id}/release")
    assert "Libération impossible" in console.client.get(f"/review/runs/{run_id}").text
    assert len(console.events("run_released")) == 1


def test_release_needs_the_role_and_the_token(console: Console) -> None:
    run_id = held_run(console)
    console.login("lea")
    assert console.post(f"/review/runs/{run_id}/release", csrf=False).status_code == 403
    console.login("dora")
    assert console.client.get(f"/review/runs/{run_id}/release").status_code == 403
    assert console.post(f"/review/runs/{run_id}/release").status_code == 403
    assert {r.id: r.status for r in console.runs()}[run_id] == "held"
    assert console.events("run_released") == []


def test_a_failed_run_says_why_where_and_resumes_as_the_same_run(console: Console) -> None:
    run_id = failed_run(console)
    console.login("lea")
    html = console.client.get(f"/review/runs/{run_id}").text
    assert "échouée" in html and 'id="run-error-message"' in html
    assert "Arrêtée à l&#39;ensemble n° 0" in html and "ren-index harvest partenaire" in html
    # Its problem lines and log lines, hostile text kept as text.
    assert "ligne 7 : &lt;script&gt;alert(1)&lt;/script&gt; sans identifiant" in html
    assert "<script>alert(1)</script>" not in html and "Problème de moissonnage" in html
    assert 'id="resume-run"' in html
    source_page = console.client.get(f"/review/sources/{SOURCE_ID}").text
    assert f"/review/runs/{run_id}/resume" in source_page
    response = console.post(f"/review/runs/{run_id}/resume")
    assert response.status_code == 303
    console.wait()
    runs = console.runs()
    assert [r.id for r in runs] == [run_id] and runs[0].status == "completed"  # the same run
    [event] = console.events("run_resume_requested")
    assert event.actor == "lea" and event.run_id == run_id
    # Resuming it again is refused: it is no longer failed.
    console.post(f"/review/runs/{run_id}/resume")
    assert "ne peut pas être reprise" in console.client.get(f"/review/runs/{run_id}").text


def test_documentalists_cannot_resume(console: Console) -> None:
    run_id = failed_run(console)
    console.login("dora")
    assert 'id="resume-run"' not in console.client.get(f"/review/runs/{run_id}").text
    assert console.post(f"/review/runs/{run_id}/resume").status_code == 403
    assert console.events("run_resume_requested") == []


def test_run_events_are_the_runs_log(console: Console) -> None:
    run_id = held_run(console)
    console.login("lea")
    console.post(f"/review/runs/{run_id}/release")
    console.wait()
    html = console.client.get(f"/review/runs/{run_id}").text
    assert 'data-action="run_released"' in html and "Libération d&#39;une moisson retenue" in html
    assert html.count('data-action="withdrawn"') == 20
    english = console.client.get(f"/review/runs/{run_id}?lang=en").text
    assert "Run log" in english and "drop in the record count" in english


def test_unknown_run_is_404(console: Console) -> None:
    console.login("lea")
    assert console.client.get("/review/runs/999").status_code == 404
    assert console.client.get("/review/runs/999/release").status_code == 404
    assert console.post("/review/runs/999/resume").status_code == 404


def test_a_run_that_needs_a_fix_says_what_to_fix_and_offers_no_resume(console: Console) -> None:
    run_id = failed_run(console)
    with console.ledger.begin() as session:
        run = session.get_one(HarvestRun, run_id)
        error = {k: v for k, v in (run.error or {}).items() if k != "resume"}
        run.error = {**error, "fix": "corriger metadata_prefix dans sources.yaml / fix metadata_prefix"}
    console.login("lea")
    html = console.client.get(f"/review/runs/{run_id}").text
    assert 'id="run-fix"' in html and "corriger metadata_prefix dans sources.yaml" in html
    assert 'id="resume-run"' not in html
