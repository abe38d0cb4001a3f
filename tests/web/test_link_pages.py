"""Link health on the review pages: a record's link and its history, « Vérifier maintenant », the queue
filter by link state, the counts of the dashboard and of a source's page, the link-rot chart.

The record-page tests check real links: the demo record's address is pointed at a local
:class:`~tests.links.link_server.LinkServer` (loopback, allowed through the app's settings
``links_allow_hosts``), and the links step checks it — three passes on a controlled clock to
declare it broken, then « check now » through the page. The counts and the chart are computed
from link states and ages written by hand on the demo records, so every expected number is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from links.link_server import HTML, LinkServer, Reply, page  # tests/links: the local web sites
from ren_index.ledger.link_health import health_json
from ren_index.ledger.models import Event, LinkCheck, LinkHealthRow, RawRecordRow, ResourceRow
from ren_index.links.checker import CheckerConfig
from ren_index.links.outcomes import Outcome
from ren_index.links.patience import LinkHealth, LinkState
from ren_index.steps.links import check_links

from .review_support import *  # noqa: F403 - the fixtures
from .review_support import RULEBOOK, form_token

LOOPBACK = ["127.0.0.0/8"]
SOURCE = "demo-lom"


@pytest.fixture
def site() -> Iterator[LinkServer]:
    server = LinkServer("127.0.0.1").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def links_app(app: FastAPI) -> FastAPI:
    """The review app whose link checks may reach loopback (``REN_LINKS_ALLOW_HOSTS``)."""
    app.state.settings = app.state.settings.model_copy(update={"links_allow_hosts": LOOPBACK})
    return app


def fast() -> CheckerConfig:
    return CheckerConfig(allow_hosts=tuple(LOOPBACK), per_host_delay=0.0, request_timeout=3.0, deadline=30.0)


def records(app: FastAPI, status: str, source: str = SOURCE) -> list[str]:
    with app.state.ledger() as session:
        query = select(ResourceRow.id).where(ResourceRow.status == status, ResourceRow.source_id == source)
        return list(session.scalars(query.order_by(ResourceRow.id)))


def point(app: FastAPI, rid: str, url: str) -> None:
    """The record's landing address becomes ``url`` (its first technical location)."""
    with app.state.ledger.begin() as session:
        row = session.get_one(ResourceRow, rid)
        record = dict(row.record)
        record["technical"] = {**(record.get("technical") or {}), "locations": [url]}
        row.record = record


def check(app: FastAPI, rid: str, at: datetime) -> None:
    report = check_links(
        app.state.ledger,
        app.state.settings,
        RULEBOOK,
        source_ids=[SOURCE],
        record_ids=[rid],
        now=at,
        config=fast(),
    )
    assert report["status"] == "completed", report


def declare_broken(app: FastAPI, site: LinkServer, rid: str) -> datetime:
    """Three failed checks over four days (the patience rules): the link is declared broken."""
    site.route("/gone", Reply(404, page("404"), HTML))
    point(app, rid, site.url("/gone"))
    start = datetime.now(UTC) - timedelta(days=10)
    for day in (0, 2, 4):
        check(app, rid, start + timedelta(days=day))
    return start


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, flags=re.DOTALL)
    assert match, f"no #{element_id}"
    return " ".join(match.group(1).split())


def history_rows(html: str) -> list[str]:
    table = html.split('id="link-history"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr data-outcome=\"(\w+)\"", table)


# -- the record page ---------------------------------------------------------------------------------


def test_record_page_shows_the_link_and_its_history_after_real_checks(
    links_app: FastAPI, site: LinkServer, logged_in: Callable[..., TestClient]
) -> None:
    rid = records(links_app, "approved")[0]
    start = declare_broken(links_app, site, rid)
    assert site.count("/gone") >= 3
    with links_app.state.ledger.begin() as session:  # a check an outage spared, marked as such
        session.add(
            LinkCheck(
                resource_id=rid,
                url=site.url("/gone"),
                host="127.0.0.1",
                outcome="unreachable",
                http_status=None,
                final_url=None,
                redirects=[],
                attempts=1,
                elapsed_ms=5,
                reason="connexion refusée / connection refused",
                failure="connect",
                spared=True,
                checked_at=start - timedelta(days=1),
            )
        )
    client = logged_in("dora", "documentalist")
    html = client.get(f"/review/records/{rid}").text
    assert text_of(html, "link-kind") == "brisé"
    assert "Déclaré brisé après 3 échecs de suite" in html
    assert text_of(html, "link-status") == "404" and text_of(html, "link-failures") == "3"
    assert "HNE" in text_of(html, "link-when") or "HAE" in text_of(html, "link-when")  # Montreal time
    assert history_rows(html) == ["broken", "broken", "broken", "unreachable"]
    assert html.count('data-spared="true"') == 1 and "épargnée : hôte en panne" in html
    assert "LINK_BROKEN" in html and 'id="check-link"' in html and "Vérifier maintenant" in html
    english = client.get(f"/review/records/{rid}?lang=en").text
    assert text_of(english, "link-kind") == "broken" and "Check now" in english
    assert "spared: host down" in english


def test_check_now_as_a_documentalist_finds_the_link_back(
    links_app: FastAPI, site: LinkServer, logged_in: Callable[..., TestClient]
) -> None:
    rid = records(links_app, "approved")[0]
    declare_broken(links_app, site, rid)
    with links_app.state.ledger() as session:
        assert session.get_one(ResourceRow, rid).status == "needs_review"
    site.route("/gone", Reply(200, page("Ressource rétablie", "Ressource rétablie"), HTML))
    client = logged_in("dora", "documentalist")
    html = client.get(f"/review/records/{rid}").text
    token = form_token(html, f"/review/records/{rid}/check-link")
    before = site.count("/gone")
    response = client.post(f"/review/records/{rid}/check-link", data={"csrf_token": token, "filters": ""})
    assert response.status_code == 303 and response.headers["location"] == f"/review/records/{rid}#link"
    assert site.count("/gone") > before
    after = client.get(f"/review/records/{rid}").text
    assert "vérifié : fonctionne (HTTP 200). État du lien : fonctionne." in after
    assert text_of(after, "link-kind") == "fonctionne"
    assert history_rows(after)[0] == "ok" and len(history_rows(after)) == 4
    with links_app.state.ledger() as session:
        row = session.get_one(ResourceRow, rid)
        assert row.status == "approved" and "LINK_BROKEN" not in {i["code"] for i in row.issues}
        assert session.get_one(LinkHealthRow, rid).state == "ok"
        events = session.scalars(select(Event).where(Event.resource_id == rid, Event.actor == "links"))
        actions = [e.action for e in events]
    assert actions == ["link_broken", "link_recovered"]  # audited by the step: declared, then back


def test_check_now_is_refused_without_login_or_token_and_for_a_dead_record(
    links_app: FastAPI, site: LinkServer, client: TestClient, logged_in: Callable[..., TestClient]
) -> None:
    rid = records(links_app, "approved")[0]
    point(links_app, rid, site.url("/ok"))
    anonymous = client.post(f"/review/records/{rid}/check-link", data={"filters": ""})
    assert anonymous.status_code in (401, 403)
    logged_in("dora", "documentalist")
    no_token = client.post(f"/review/records/{rid}/check-link", data={"filters": ""})
    assert no_token.status_code == 403
    assert site.count("/ok") == 0
    rejected = records(links_app, "approved")[1]
    point(links_app, rejected, site.url("/ok"))
    with links_app.state.ledger.begin() as session:
        session.get_one(ResourceRow, rejected).status = "rejected"
    html = client.get(f"/review/records/{rejected}").text
    assert 'id="check-link"' not in html  # no button on a record whose link is never checked
    token = form_token(client.get(f"/review/records/{rid}").text, f"/review/records/{rid}/check-link")
    refused = client.post(f"/review/records/{rejected}/check-link", data={"csrf_token": token})
    assert refused.status_code == 303
    assert "ni approuvée ni en file" in client.get(refused.headers["location"]).text
    assert site.count("/ok") == 0


# -- the queue, the dashboard, the source page --------------------------------------------------------


def set_link(app: FastAPI, rid: str, state: str, last: str | None, *, age_days: float | None = None) -> None:
    """Write a record's link state (and the age of its raw record) as the links step would leave it."""
    health = LinkHealth(state=LinkState(state), last_outcome=Outcome(last) if last else None, failures=1)
    with app.state.ledger.begin() as session:
        row = session.get_one(ResourceRow, rid)
        session.add(LinkHealthRow(resource_id=rid, state=state, health=health_json(health)))
        if age_days is not None:
            raw = session.get_one(RawRecordRow, row.raw_id)
            raw.first_seen = datetime.now(UTC) - timedelta(days=age_days)


def option_count(html: str, value: str) -> str:
    select_html = html.split('id="filter-link"', 1)[1].split("</select>", 1)[0]
    match = re.search(rf'<option value="{value}"[^>]*>([^<]*)</option>', select_html)
    assert match, value
    return match.group(1).strip()


def test_queue_filter_by_link_state_with_counts_and_another_filter(
    links_app: FastAPI, logged_in: Callable[..., TestClient]
) -> None:
    lom, dc = records(links_app, "needs_review"), records(links_app, "needs_review", "demo-dc")
    for rid in lom[:2]:
        set_link(links_app, rid, "broken", "broken")
    set_link(links_app, lom[2], "failing", "soft_404")
    set_link(links_app, dc[0], "failing", "broken")
    client = logged_in("dora", "documentalist")
    everything = client.get("/review/queue?link=broken").text
    assert text_of(everything, "queue-total").startswith("3")
    assert option_count(everything, "broken") == "Brisé (3)"
    assert option_count(everything, "soft_404") == "Page introuvable (1)"
    assert everything.count('data-link-kind="broken"') == 3
    in_lom = client.get(f"/review/queue?link=broken&source={SOURCE}").text
    assert text_of(in_lom, "queue-total").startswith("2")
    assert set(re.findall(r'<tr data-record-id="(\w+)"', in_lom)) == set(lom[:2])
    assert option_count(in_lom, "broken") == "Brisé (2)"
    assert option_count(in_lom, "unchecked") == f"Non vérifié ({len(lom) - 3})"
    # The filter travels to the record and back, like the others.
    assert re.search(rf'href="/review/records/{lom[0]}\?[^"]*link=broken', in_lom)


def test_dashboard_and_source_page_counts_and_the_rot_chart(
    links_app: FastAPI, logged_in: Callable[..., TestClient]
) -> None:
    approved = records(links_app, "approved")
    waiting = records(links_app, "needs_review")
    set_link(links_app, approved[0], "ok", "ok", age_days=10)
    set_link(links_app, approved[1], "failing", "broken", age_days=12)
    set_link(links_app, approved[2], "broken", "soft_404", age_days=100)
    set_link(links_app, approved[3], "ok", "ok", age_days=120)
    set_link(links_app, approved[4], "ok", "ok", age_days=150)
    set_link(links_app, approved[5], "unchecked", "skipped", age_days=400)
    set_link(links_app, waiting[0], "broken", "broken", age_days=800)
    set_link(links_app, records(links_app, "approved", "demo-dc")[0], "broken", "broken", age_days=5)
    client = logged_in("lib", "librarian")

    dashboard = client.get("/review/").text
    counts = dashboard.split('id="link-counts"', 1)[1].split("</table>", 1)[0]
    row = counts.split('data-kind="broken"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'data-status="(\w+)">(?:<a[^>]*>)?(\d+)', row) == [
        ("approved", "2"),
        ("needs_review", "1"),
        ("total", "3"),
    ]
    assert '/review/queue?status=needs_review&amp;link=broken"' in row

    source = client.get(f"/review/sources/{SOURCE}").text
    counts = source.split('id="link-counts"', 1)[1].split("</table>", 1)[0]
    assert re.search(r'data-kind="soft_404">.*?data-status="total">1<', counts, flags=re.DOTALL)
    assert re.search(r'data-kind="broken">.*?data-status="total">2<', counts, flags=re.DOTALL)
    assert f"link=broken&amp;source={SOURCE}" in counts
    bars = dict(re.findall(r'<rect class="link-rot__bar" data-bucket="(\w+)" data-percent="(\d*)"', source))
    # < 1 month: 1 of 2 dead; 3–6 months: 1 of 3; 12–24: skipped only (nothing checked); > 24: 1 of 1.
    assert bars == {"lt1": "50", "1to3": "", "3to6": "33", "6to12": "", "12to24": "", "gt24": "100"}
    table = source.split('id="link-rot-table"', 1)[1].split("</table>", 1)[0]
    found = re.findall(
        r'data-bucket="(\w+)">.*?data-col="checked">(\d+)<.*?data-col="dead">(\d+)<.*?data-col="share">([^<]*)<',
        table,
        flags=re.DOTALL,
    )
    assert found == [
        ("lt1", "2", "1", "50 %"),
        ("1to3", "0", "0", "—"),
        ("3to6", "3", "1", "33 %"),
        ("6to12", "0", "0", "—"),
        ("12to24", "0", "0", "—"),
        ("gt24", "1", "1", "100 %"),
    ]
    assert 'style="' not in source.split('id="link-rot-chart"', 1)[1].split("</svg>", 1)[0]  # CSP: none
    heights = dict(
        re.findall(
            r'data-bucket="(\w+)" data-percent="\d*" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"',
            source,
        )
    )
    assert float(heights["gt24"]) == 2 * float(heights["lt1"]) > 0 and float(heights["1to3"]) == 0
