"""The quality score in the review UI: the queue sorts by it, the record page explains it, the runs
page sums it up per source, and a source's report downloads as CSV for Excel, formulas made inert."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from ren_index.ledger.models import ResourceRow

from .review_support import *  # noqa: F403 - the fixtures
from .review_support import Demo

Login = Callable[..., TestClient]


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr data-record-id="([0-9a-f]+)"', html)


def test_queue_sorts_by_quality_score_both_ways(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    low = rows_of(client.get("/review/queue?sort=score_low&size=100").text)
    high = rows_of(client.get("/review/queue?sort=score_high&size=100").text)
    scores = [demo.row(rid).quality_score for rid in low]
    assert scores and all(s is not None for s in scores)
    assert scores == sorted(scores)  # type: ignore[type-var]
    assert [demo.row(rid).quality_score for rid in high] == sorted(scores, reverse=True)  # type: ignore[type-var]
    page = client.get("/review/queue?sort=score_low").text
    assert '<option value="score_low" selected>' in page and "Qualité" in page
    # The sort travels to the record page: the next record is the next lower score.
    record = client.get(f"/review/records/{low[0]}?sort=score_low").text
    assert f"/review/records/{low[1]}?sort=score_low" in record


def test_record_page_shows_the_score_and_what_would_raise_it(logged_in: Login, demo: Demo) -> None:
    client = logged_in()
    row = demo.first("needs_review", "LICENCE_AMBIGUOUS")
    html = client.get(f"/review/records/{row.id}").text
    assert 'id="quality"' in html
    assert f"Score : {row.quality_score} / 100" in html
    assert "Pour l&#39;améliorer" in html and 'data-code="fix_issues"' in html
    assert 'data-code="title"' in html  # the parts, each with its points
    english = client.get(f"/review/records/{row.id}?lang=en").text
    assert f"Score: {row.quality_score} / 100" in english and "To raise it" in english


def test_runs_page_sums_up_quality_per_source_and_links_the_report(logged_in: Login, demo: Demo) -> None:
    client = logged_in("lea", "librarian")
    page = client.get("/review/runs").text
    assert 'id="quality-demo-lom"' in page and "Qualité documentaire" in page
    assert 'data-band="80-100"' in page and "Ce qui manque le plus souvent" in page
    assert 'href="/review/sources/demo-lom/report.csv"' in page


def test_source_report_csv_is_excel_ready_and_inert(logged_in: Login, demo: Demo) -> None:
    client = logged_in("lea", "librarian")
    with demo.app.state.ledger.begin() as session:
        row = session.scalars(
            select(ResourceRow).where(ResourceRow.source_id == "demo-lom").order_by(ResourceRow.id)
        ).first()
        assert row is not None and row.record is not None
        record = dict(row.record)
        record["general"] = {**record["general"], "title": {"fr": '=HYPERLINK("http://x","clic")'}}
        row.record = record
        rid = row.id
        total = len(session.scalars(select(ResourceRow.id).where(ResourceRow.source_id == "demo-lom")).all())
    response = client.get("/review/sources/demo-lom/report.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="ren-index-rapport-demo-lom-'
    )
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == total
    mine = next(r for r in rows if r["id"] == rid)
    assert mine["title"] == '\'=HYPERLINK("http://x","clic")'  # text, never a formula
    waiting = next(r for r in rows if r["status"] == "needs_review")
    assert waiting["issue_codes"] and waiting["issues_fr"] and waiting["issues_en"]
    assert waiting["to_raise_fr"] and "(+" in waiting["to_raise_en"]
    assert client.get("/review/sources/nope/report.csv").status_code == 404


def test_the_report_needs_a_login(client: TestClient, demo: Demo) -> None:
    response = client.get("/review/sources/demo-lom/report.csv", follow_redirects=False)
    assert response.status_code in (303, 401)
