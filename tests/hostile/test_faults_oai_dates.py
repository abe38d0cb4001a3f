"""The OAI-PMH provider and extreme dates (issue 10, point 8).

``until=9999-12-31`` is a legal OAI-PMH date: it used to answer HTTP 500 (one day later overflows
Python's calendar). Every legal date answers normally — the records up to it, or
``noRecordsMatch`` for a window that holds nothing — and only a malformed date is
``badArgument``, always with HTTP 200, as the protocol wants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.provider.arguments import OaiError, parse_window
from ren_index.settings import load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source
from ren_index.web import routes_oai

CONFIG = Path(__file__).resolve().parents[2] / "config"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
PAGE = 4


@pytest.fixture(scope="module")
def oai(
    tmp_path_factory: pytest.TempPathFactory, session_ledger_url: Callable[..., str]
) -> Iterator[TestClient]:
    """The provider over twelve processed demo records, four per page (so tokens are exercised)."""
    folder = tmp_path_factory.mktemp("oai-dates")
    settings = load_settings(
        data_dir=folder,
        database_url=session_ledger_url("oai", folder=folder),
        config_dir=CONFIG,
        oai_page_size=PAGE,
    )
    ledger = open_ledger(settings.db_url)
    records = [r for r in demo_records() if r.metadata_format == "oai_dc" and not r.deleted][:12]
    with DemoOaiServer(records=records) as server:
        source = SourceConfig.model_validate(
            {"id": "demo-dc", "name": "Démo", "type": "oai", "url": server.url, "metadata_prefix": "oai_dc",
             "defaults": {"language": "fr"}, "review": "never"}
        )  # fmt: skip
        harvest_source(ledger, source, settings, full=True)
        process_source(ledger, source, Rulebook.load(CONFIG))
    app = FastAPI()
    app.state.settings = settings
    app.state.ledger = ledger
    app.include_router(routes_oai.router)
    with TestClient(app) as client:
        yield client
    bind = ledger.kw.get("bind")
    if bind is not None:
        bind.dispose()


def _ask(client: TestClient, **params: str) -> etree._Element:
    response = client.get("/oai", params=params)
    assert response.status_code == 200, response.text[:300]
    return etree.fromstring(response.content)


def _error(root: etree._Element) -> str | None:
    found = root.find(f"{OAI}error")
    return None if found is None else str(found.get("code"))


def _identifiers(client: TestClient, verb: str = "ListRecords", **window: str) -> list[str]:
    """Every identifier of the list, following the resumption tokens to the end."""
    root = _ask(client, verb=verb, metadataPrefix="oai_dc", **window)
    assert _error(root) is None, etree.tostring(root)[:400]
    found: list[str] = []
    while True:
        found += [str(e.text) for e in root.findall(f".//{OAI}header/{OAI}identifier")]
        token = root.find(f".//{OAI}resumptionToken")
        if token is None or not token.text:
            return found
        root = _ask(client, verb=verb, resumptionToken=token.text)
        assert _error(root) is None


@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
@pytest.mark.parametrize(
    "window",
    [
        {"until": "9999-12-31"},
        {"until": "9999-12-31T23:59:59Z"},
        {"from": "0001-01-01"},
        {"from": "0001-01-01", "until": "9999-12-31"},
        {"from": "0001-01-01T00:00:00Z", "until": "9999-12-31T23:59:59Z"},
    ],
)
def test_the_widest_windows_list_every_record(oai: TestClient, verb: str, window: dict[str, str]) -> None:
    everything = _identifiers(oai, verb)
    assert len(everything) > PAGE  # several pages
    assert _identifiers(oai, verb, **window) == everything


@pytest.mark.parametrize(
    "window",
    [
        {"until": "0001-01-01"},
        {"until": "0001-01-01T00:00:00Z"},
        {"from": "9999-12-31"},
        {"from": "9999-12-31T23:59:59Z"},
        {"from": "9999-12-31", "until": "9999-12-31"},
        {"from": "0001-01-01", "until": "0001-01-01"},
    ],
)
def test_windows_that_hold_nothing_answer_no_records_match(oai: TestClient, window: dict[str, str]) -> None:
    assert _error(_ask(oai, verb="ListRecords", metadataPrefix="oai_dc", **window)) == "noRecordsMatch"


@pytest.mark.parametrize(
    "date",
    [
        "9999-13-01",
        "9999-12-32",
        "2023-02-29",
        "10000-01-01",
        "0000-01-01",
        "+999-12-31",
        "-001-01-01",
        "２０２４-01-01",  # full-width digits: strptime would read them
        "2024-1-01",
        "2024-01-01T00:00:00",
        "2024-01-01T24:00:00Z",
        "2024-01-01 00:00:00Z",
        "9999-12-31T23:59:60Z",
        "yesterday",
    ],
)
def test_only_malformed_dates_are_bad_arguments(oai: TestClient, date: str) -> None:
    for name in ("from", "until"):
        root = _ask(oai, verb="ListRecords", metadataPrefix="oai_dc", **{name: date})
        assert _error(root) == "badArgument", date


def test_the_window_of_the_last_day_has_no_upper_bound() -> None:
    assert parse_window(None, "9999-12-31").upper is None
    assert parse_window(None, "9999-12-31T23:59:59Z").upper is None
    assert parse_window("9999-12-31", None).lower is not None
    with pytest.raises(OaiError) as raised:
        parse_window("9999-12-31", "0001-01-01")
    assert raised.value.code == "badArgument"  # from later than until stays an argument error
