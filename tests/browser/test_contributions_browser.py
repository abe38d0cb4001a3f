"""A teacher's contribution, from Ma classe to École ouverte, in real Chromium (issue 12).

The platform posts a resource through ``/api/contributions``; a documentalist finds it in the
review queue (filtered on the platform's source, marked as a contribution), opens it and approves
it in the browser; then the platform reads the decision back, École ouverte finds the resource
through ``/api/search`` on its portal, and ``/oai`` serves it in the platform's ``source:`` set.
One test, on the session's live app (demo catalogue around it, real OpenSearch), so it adds
seconds, not a new app, to the browser run.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

import httpx
import pytest
from lxml import etree

try:
    from playwright.sync_api import expect
except ImportError:  # the dev dependencies are not installed
    if os.environ.get("REN_REQUIRE_BROWSER") == "1":
        raise
    pytest.skip("Playwright for Python is not installed (`pip install -e '.[dev]'`)", allow_module_level=True)

from .conftest import DOCUMENTALIST, LiveApp, PageGuard, PlatformKey, login

pytestmark = [pytest.mark.browser, pytest.mark.integration]

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
SEC3 = "https://w3id.org/ren-index/vocab/niveaux/secondaire-3"


def teachers_contribution(external_id: str, title: str) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "title": title,
        "description": (
            "Une séquence d'apprentissage où les élèves mesurent des ingrédients pour comparer et"
            " additionner des fractions, avec une fiche d'exercices et son corrigé."
        ),
        "url": f"https://ma-classe.example.org/ressources/{external_id}",
        "languages": ["fr"],
        "levels": ["3e secondaire"],
        "licence": "CC BY 4.0",
        "keywords": ["fractions", "cuisine"],
        "authors": [{"name": "Marie Tremblay"}],
        "contributor": {"id": "u-42", "display_name": "Marie T."},
    }


def test_a_contribution_is_approved_in_the_browser_and_reaches_ecole_ouverte_and_oai(
    live_app: LiveApp, guard: PageGuard, platform_key: PlatformKey
) -> None:
    api = httpx.Client(base_url=live_app.base_url, headers=platform_key.headers, timeout=30)
    external_id = f"mc-{uuid.uuid4().hex[:8]}"
    title = f"Les fractions dans la cuisine {external_id}"
    posted = api.post("/api/contributions", json=teachers_contribution(external_id, title))
    assert posted.status_code == 202, posted.text
    record_id = posted.json()["id"]
    assert posted.json()["status"] == "needs_review"

    # The documentalist finds it in the queue, among the harvested records, by its source.
    page = guard.page
    login(page, DOCUMENTALIST)
    page.goto("/review/queue")
    page.get_by_label("Source", exact=True).select_option(platform_key.name)  # submits itself
    expect(page).to_have_url(re.compile(rf"[?&]source={platform_key.name}"))
    row = page.locator("#queue-table tbody tr").filter(has_text=title)
    expect(row).to_have_count(1)
    expect(row.locator(".badge-contribution")).to_have_text("Contribution")
    guard.assert_clean()
    row.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#record-status")).to_have_text("À réviser")
    guard.screenshot("contribution-record.png")
    guard.assert_clean()

    page.get_by_role("button", name="Approuver", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="approuvée")).to_contain_text(f"« {title} » approuvée")
    guard.assert_clean()

    # The platform reads what became of it: approved by a documentalist, and where it is public.
    view = api.get(f"/api/contributions/{external_id}").json()
    assert view["status"] == "approved" and view["decision"]["by_role"] == "documentalist"
    assert view["resource"] == f"/api/resources/{record_id}" and platform_key.portal in view["portals"]

    # École ouverte finds it through the portals' search, on its own portal.
    live_app.opensearch.indices.refresh(index=live_app.alias)
    search = httpx.get(
        f"{live_app.base_url}/api/search", params={"q": title, "portal": platform_key.portal}, timeout=30
    )
    assert search.status_code == 200, search.text
    found = next((r for r in search.json()["results"] if r["id"] == record_id), None)
    assert found is not None, f"/api/search on {platform_key.portal} does not find {record_id}"
    assert found["title"]["fr"] == title and SEC3 in {level["uri"] for level in found["levels"]}
    assert found["source"] == platform_key.name
    assert httpx.get(f"{live_app.base_url}{view['resource']}", timeout=30).status_code == 200

    # Campus numérique harvests it over OAI-PMH, in the platform's source set.
    identifier = f"oai:{live_app.settings.oai_repository_id}:{record_id}"
    oai = f"{live_app.base_url}/oai"
    listed = etree.fromstring(
        httpx.get(
            oai,
            params={"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": f"source:{platform_key.name}"},
            timeout=30,
        ).content
    )
    assert [h.text for h in listed.iterfind(".//oai:header/oai:identifier", NS)] == [identifier]
    got = etree.fromstring(
        httpx.get(
            oai,
            params={"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": identifier},
            timeout=30,
        ).content
    )
    header = got.find(".//oai:header", NS)
    assert header is not None and header.get("status") is None  # served, not advertised as deleted
    assert title in [t.text for t in got.iterfind(".//dc:title", NS)]
    api.close()
