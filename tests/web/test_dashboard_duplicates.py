"""The dashboard's « Doublons entre sources » figures, on the hand-written duplicates corpus
(tests/duplicates/ledger_corpus.py), both ledgers: each source's share of records another source
describes too, the count, the pairs waiting, each row a link to the duplicates queue."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.duplicates.ledger_corpus import DupLedger, build

from ren_index.settings import load_settings
from ren_index.steps.duplicates import find_duplicates
from ren_index.web import accounts
from ren_index.web.app import create_app

from .conftest import CLOSED_PORT_URL, login


@pytest.fixture
def dup(ledger_url: Callable[..., str]) -> DupLedger:
    return build(ledger_url)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dup: DupLedger) -> Iterator[TestClient]:
    monkeypatch.setenv("REN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REN_OPENSEARCH_URL", CLOSED_PORT_URL)
    monkeypatch.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    monkeypatch.setenv("REN_DATABASE_URL", dup.url)
    monkeypatch.delenv("REN_SECRET_KEY", raising=False)
    app = create_app(load_settings())
    with app.state.ledger() as session:
        accounts.set_user(session, "dora", "documentalist", "correct horse battery", actor="test")
        session.commit()
    with TestClient(app, follow_redirects=False) as test_client:
        assert login(test_client, "dora").status_code == 303
        yield test_client


def _rows(page: str) -> dict[str, dict[str, str]]:
    """The duplicates table's rows: source → column → text (tags dropped, entities decoded)."""
    section = page.split('id="dashboard-duplicates"', 1)[1].split("</section>", 1)[0]
    rows: dict[str, dict[str, str]] = {}
    for source, body in re.findall(r'<tr data-source="([^"]+)">(.*?)</tr>', section, re.S):
        cells = dict(re.findall(r'<td class="num" data-col="(\w+)">(.*?)</td>', body, re.S))
        link = re.search(r'<th scope="row"><a href="([^"]+)"', body)
        assert link is not None
        rows[source] = {k: html.unescape(re.sub(r"<[^>]+>", "", v)).strip() for k, v in cells.items()}
        rows[source]["link"] = html.unescape(link.group(1))
    return rows


def test_each_source_shows_its_share_count_and_pairs_waiting(dup: DupLedger, client: TestClient) -> None:
    find_duplicates(dup.factory)
    page = client.get("/review/").text
    assert "Doublons entre sources" in page
    rows = _rows(page)
    # counted from the corpus: biblio's copy and first edition, the editor's and the network's copy;
    # biblio's pairs waiting: the chapter with its copy and its first edition (part), the first edition
    # with the three copies (version), its copy with the English translation
    assert rows["biblio"] == {
        "share": "40 %",
        "elsewhere": "2 sur 5",
        "pending": "6",
        "link": "/review/duplicates?source=biblio",
    }
    assert rows["editeur"]["share"] == "33,3 %" and rows["editeur"]["elsewhere"] == "1 sur 3"
    assert rows["reseau"]["pending"] == "2"
    assert 'href="/review/duplicates?source=editeur&amp;status=pending"' in page
    english = _rows(client.get("/review/?lang=en").text)
    assert (english["editeur"]["share"], english["editeur"]["elsewhere"]) == ("33.3%", "1 of 3")


def test_the_section_is_hidden_while_no_source_has_a_pair(client: TestClient) -> None:
    page = client.get("/review/").text
    assert "Notices par source" in page
    assert 'id="dashboard-duplicates"' not in page and "Doublons entre sources" not in page
