"""Trying a source from the browser: the demo OAI-PMH repository judged on a bounded sample,
nothing written to the ledger, the report in words; bad requests refused before any fetch."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from ren_index.contributions.platforms import create_platform
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.models import HarvestRun, RawRecordRow
from ren_index.web.routes_source_check import candidate, check_submit

from .console_support import *  # noqa: F403 - the fixtures
from .console_support import Console

CHECK = "/review/sources/check"


@pytest.fixture(scope="module")
def demo_oai() -> Iterator[DemoOaiServer]:
    with DemoOaiServer(page_size=20) as server:
        yield server


def test_the_check_runs_in_the_thread_pool() -> None:
    assert not inspect.iscoroutinefunction(check_submit)


def test_a_librarian_checks_the_demo_repository(console: Console, demo_oai: DemoOaiServer) -> None:
    console.login("lea")
    form = console.client.get(CHECK)
    assert form.status_code == 200 and 'id="check-form"' in form.text
    response = console.post(CHECK, {"target": demo_oai.url, "type": "", "sample": "30"})
    assert response.status_code == 200, response.text
    html = response.text
    # What the repository says of itself, its formats (LOM chosen before Dublin Core).
    assert 'id="check-identify"' in html and 'id="check-formats"' in html
    assert "<code>lom</code>" in html and "<code>oai_dc</code>" in html
    # Its earliest datestamp (UTC on the wire) read in Montreal time.
    assert re.search(r'id="check-earliest">\d{4}-\d{2}-\d{2} \d{2}:\d{2} H[NA]E<', html)
    # The sample is the size asked; outcomes per portal with the portals' names.
    counted = re.search(r"Échantillon : (\d+) notices \(\+ (\d+) supprimées\)", html)
    assert counted and int(counted[1]) + int(counted[2]) == 30
    assert "École ouverte" in html or "Pavillon" in html
    # Issues by their French label with their code; coverage; the entry to paste in a <pre>.
    assert 'id="check-issues"' in html and 'id="check-coverage"' in html
    assert '<pre id="check-yaml">sources:' in html and "metadata_prefix: lom" in html
    # Nothing written.
    with console.ledger() as session:
        assert session.scalar(select(func.count()).select_from(RawRecordRow)) == 0
        assert session.scalar(select(func.count()).select_from(HarvestRun)) == 0


def test_issue_labels_and_examples(console: Console, demo_oai: DemoOaiServer) -> None:
    console.login("ada")
    html = console.post(CHECK, {"target": demo_oai.url, "prefix": "oai_dc", "sample": "100"}).text
    assert "metadata_prefix: oai_dc" in html
    from ren_index.config.issue_codes import label

    rows = html.split('<tr data-code="')[1:]
    assert rows, "the Dublin Core demo has issues"
    code = rows[0].split('"', 1)[0]
    assert label(code).replace("'", "&#39;") in rows[0]
    assert rows[0].count("<li>") <= 3


def test_the_sample_is_bounded(console: Console, demo_oai: DemoOaiServer) -> None:
    console.login("lea")
    before = len(demo_oai.requests)
    for sample in ("0", "1001", "beaucoup"):
        response = console.post(CHECK, {"target": demo_oai.url, "sample": sample})
        assert response.status_code == 400
        assert "Requête invalide" in response.text
    assert len(demo_oai.requests) == before  # nothing fetched


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("file:///etc/passwd", ""),
        ("ftp://example.org/oai", "oai"),
        ("/etc", "lom-files"),
        ("../../etc", "lom-files"),
        ("", ""),
        ("http://example.org/oai", "gopher"),
    ],
)
def test_requests_that_cannot_be_tried_are_refused(console: Console, target: str, kind: str) -> None:
    console.login("lea")
    response = console.post(CHECK, {"target": target, "type": kind, "sample": "5"})
    assert response.status_code == 400
    assert 'id="check-error"' in response.text


def test_a_repository_that_does_not_answer_says_why(console: Console) -> None:
    console.login("lea")
    html = console.post(CHECK, {"target": "http://127.0.0.1:9/oai", "sample": "5"}).text
    assert 'id="check-stopped"' in html and "Arrêt après 0 notices" in html


def test_roles_and_token(console: Console, demo_oai: DemoOaiServer) -> None:
    before = len(demo_oai.requests)
    console.login("lea")
    assert console.post(CHECK, {"target": demo_oai.url}, csrf=False).status_code == 403
    console.login("dora")
    assert console.client.get(CHECK).status_code == 403
    assert console.post(CHECK, {"target": demo_oai.url}).status_code == 403
    assert len(demo_oai.requests) == before


def test_the_form_is_filled_for_a_known_source_without_fetching(console: Console) -> None:
    console.login("lea")
    # A source of sources.yaml: tried by its id (its whole entry), its type and prefix shown.
    page = console.client.get(f"{CHECK}?source=demo-dc&lang=fr")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="check-target" name="target" type="text" required maxlength="2000" value="demo-dc"' in html
    assert '<option value="oai" selected>oai</option>' in html
    assert 'id="check-prefix" name="prefix" type="text" maxlength="64" value="oai_dc"' in html
    assert 'id="check-prefilled"' in html and "http://127.0.0.1:8766/oai" in html
    # Nothing was tried: no report, nothing in the ledger (the check runs on POST, with the token).
    assert 'id="check-report"' not in html and 'id="check-error"' not in html
    with console.ledger() as session:
        assert session.scalar(select(func.count()).select_from(HarvestRun)) == 0
    # Submitting the filled form keeps the entry (its defaults), type given or not.
    settings = console.settings
    for kind in (None, "oai"):
        source = candidate(settings, "demo-dc", kind, "oai_dc", None)
        assert (source.id, source.defaults, source.url) == (
            "demo-dc",
            {"language": "fr"},
            "http://127.0.0.1:8766/oai",
        )


def test_a_source_the_ledger_alone_knows_is_filled_by_its_address(console: Console) -> None:
    console.harvest(5)  # "partenaire" is in the ledger, not in the repository's sources.yaml
    console.login("ada")
    html = console.client.get(f"{CHECK}?source=partenaire&lang=en").text
    assert f'value="{console.source.url}"' in html and '<option value="csv" selected>csv</option>' in html
    assert "Nothing is read before" in html


def test_an_unknown_source_or_a_platform_is_refused_politely(console: Console) -> None:
    console.login("lea")
    unknown = console.client.get(f"{CHECK}?source=nulle-part&lang=fr")
    assert unknown.status_code == 404
    assert 'id="check-error"' in unknown.text and "Aucune source « nulle-part »" in unknown.text
    assert 'id="check-form"' in unknown.text  # the empty form, to try an address instead
    hostile = console.client.get(CHECK, params={"source": "<script>x</script>", "lang": "fr"})
    assert hostile.status_code == 404 and "<script>x</script>" not in hostile.text
    create_platform(console.ledger, "ma-classe", portal="pavillon", label="Ma classe", portals=["pavillon"])
    platform = console.client.get(f"{CHECK}?source=ma-classe&lang=fr")
    assert platform.status_code == 400 and "plateforme de contributions" in platform.text
    # Documentalists do not get the form at all.
    console.login("dora")
    assert console.client.get(f"{CHECK}?source=demo-dc").status_code == 403
