"""``ren-index sources check`` on the command line, against the project's local feed, JSON-LD, CSV
and OAI-PMH servers: nothing written, the report for people and the JSON document."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from ren_index.cli.main import app
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer

from .conftest import FeedServer

CONFIG = Path(__file__).resolve().parents[3] / "config"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    return {
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'ledger.db'}",
        "REN_CONFIG_DIR": str(config),
        "REN_HARVEST_MAX_RETRIES": "0",
        "COLUMNS": "250",
    }


def ren(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def test_an_oai_repository_checked_for_people_and_as_json(env: dict[str, str], tmp_path: Path) -> None:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    with DemoOaiServer(records=records, page_size=10) as server:
        url = server.url
        text = ren(env, "sources", "check", url, "--sample", "15")
        document = ren(env, "sources", "check", url, "--sample", "15", "--json")
    assert text.exit_code == 0, text.output
    assert "Échantillon / sample: 15 notices" in text.stdout
    assert "approuvées / approved" in text.stdout and "à réviser / to review" in text.stdout
    assert "À coller dans sources.yaml / to paste into sources.yaml:" in text.stdout
    pasted = yaml.safe_load(text.stdout.split("to paste into sources.yaml:", 1)[1])
    (entry,) = pasted["sources"].values()
    assert entry["url"] == url and entry["metadata_prefix"] == "lom"  # LOM chosen over DC
    report = json.loads(document.stdout)
    assert set(report) >= {"source", "formats", "sets", "sample", "config"}
    assert report["sample"]["count"] == 15
    assert set(report["sample"]["outcomes"]) == {"approved", "needs_review", "rejected"}
    assert set(report["sample"]["coverage"]) == {
        "title",
        "description",
        "language",
        "level",
        "licence",
        "url",
    }
    assert not (tmp_path / "var" / "ledger.db").exists()  # nothing written, not even a ledger


def test_a_feed_and_a_jsonld_page_are_checked_with_their_type(
    env: dict[str, str], feed_server: FeedServer
) -> None:
    atom = feed_server.serve("/feed.xml", "atom-1.xml", "application/atom+xml")
    jsonld = feed_server.serve("/listing", "listing.jsonld", "application/ld+json")
    for kind, url in (("rss", atom), ("jsonld", jsonld)):
        result = ren(env, "sources", "check", url, "--type", kind, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["sample"]["count"] > 0 and report["stopped"] is None
        (entry,) = report["config"].values()
        assert entry == {"name": "candidate", "type": kind, "url": url}


def test_a_configured_csv_source_is_checked_by_its_id(env: dict[str, str], feed_server: FeedServer) -> None:
    url = feed_server.serve("/export.csv", "partenaire-1252.csv", "text/csv; charset=windows-1252")
    sources = Path(env["REN_CONFIG_DIR"]) / "sources.yaml"
    sources.write_text(
        "sources:\n  partenaire:\n    type: csv\n"
        f"    url: {url}\n"
        "    columns: {id: identifiant, title: titre, description: description, url: lien,"
        " level: niveau, licence: licence}\n"
        "    defaults: {language: fr}\n",
        encoding="utf-8",
    )
    result = ren(env, "sources", "check", "partenaire", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sample"]["count"] == 3
    assert report["sample"]["coverage"]["level"] == 1.0 and report["sample"]["coverage"]["licence"] == 1.0
    assert report["config"]["partenaire"]["columns"]["id"] == "identifiant"


def test_an_unreachable_repository_is_one_line_and_exit_1(env: dict[str, str]) -> None:
    result = ren(env, "sources", "check", "http://127.0.0.1:9/oai")
    assert result.exit_code == 1
    assert "connexion refusée par 127.0.0.1:9 / connection refused by 127.0.0.1:9" in result.stdout
    assert "Traceback" not in result.output
