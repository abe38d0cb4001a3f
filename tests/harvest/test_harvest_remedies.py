"""Errors a librarian can act on (issue 13, point 5), against a scripted OAI-PMH server.

(a) ``errors=N`` always comes with its reason: the harvest's problem lines are read back by
``ren-index runs RUN_ID`` (and ``--json``: ``"problems"``), and the report after ``harvest`` says
where to read them. (b) « reprendre / resume » is offered only when resuming can help; an error a
second request would meet again says what to fix instead. (c) ``--from`` / ``--until`` are checked
against the repository's granularity after ``Identify``: no ``ListRecords`` carries a bad value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from oai_server import Reply, ScriptedServer, fixture_bytes
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source

ROOT = Path(__file__).resolve().parents[2]

FORMATS = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-03-14T08:15:02Z</responseDate>
  <request verb="ListMetadataFormats">https://depot.example.qc.ca/oai</request>
  <ListMetadataFormats>
    <metadataFormat><metadataPrefix>oai_dc</metadataPrefix>
      <schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>
      <metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat>
  </ListMetadataFormats>
</OAI-PMH>"""

PAGE_WITH_A_PROBLEM = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-03-14T08:15:05Z</responseDate>
  <request verb="ListRecords" metadataPrefix="lom">https://depot.example.qc.ca/oai</request>
  <ListRecords>
    <record>
      <header><identifier>oai:depot:1</identifier><datestamp>2025-03-01</datestamp></header>
      <metadata><lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general>
        <title><string language="fr">Les regions du Quebec</string></title></general></lom></metadata>
    </record>
    <record>
      <header><datestamp>2025-03-02</datestamp></header>
      <metadata><lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general>
        <title><string language="fr">Sans identifiant</string></title></general></lom></metadata>
    </record>
  </ListRecords>
</OAI-PMH>"""


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path / "var",
        database_url=ledger_url(folder=tmp_path),
        config_dir=ROOT / "config",
        harvest_max_retries=0,
        harvest_timeout=5.0,
    )


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)


def oai_source(url: str, **extra: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "depot", "name": "Dépôt", "type": "oai", "url": url, "metadata_prefix": "lom", **extra}
    )


def verbs(server: ScriptedServer) -> list[str | None]:
    return [r.param("verb") for r in server.received]


FIXES = {
    "cannotDisseminateFormat": "corriger metadata_prefix dans sources.yaml",
    "badArgument": "vérifier sets et metadata_prefix dans sources.yaml",
    "badVerb": "vérifier url dans sources.yaml",
    "noSetHierarchy": "retirer sets: de la source dans sources.yaml",
    "idDoesNotExist": "l'identifiant demandé n'existe pas au dépôt",
}


@pytest.mark.parametrize("code", sorted(FIXES))
def test_an_error_that_would_come_back_says_what_to_fix(
    oai_server: ScriptedServer, ledger: sessionmaker[Session], settings: Settings, code: str
) -> None:
    oai_server.script(Reply(fixture_bytes("identify_day.xml")), Reply(fixture_bytes(f"error_{code}.xml")))
    if code == "cannotDisseminateFormat":
        oai_server.script(Reply(FORMATS))  # the formats offered are named in the message
    report = harvest_source(ledger, oai_source(oai_server.url), settings)
    assert report["status"] == "failed"
    error = report["error"]
    assert "resume" not in error
    assert FIXES[code] in error["fix"] and " / " in error["fix"]  # French, then English
    if code == "cannotDisseminateFormat":
        assert "oai_dc" in error["message"] and "ren-index sources check depot" in error["fix"]


def test_the_webhook_says_what_to_fix_not_resume() -> None:
    from ren_index.runs.notify import message

    fix = "corriger metadata_prefix dans sources.yaml / fix metadata_prefix in sources.yaml"
    report = {"source": "depot", "run_id": 3, "status": "failed", "error": {"message": "refusé", "fix": fix}}
    body = message(report)
    assert body is not None
    assert body["message_fr"].endswith(f"Corriger : {fix}") and "Reprendre" not in body["message_fr"]
    assert body["message_en"].endswith(f"Fix: {fix}") and "Resume" not in body["message_en"]


def test_a_network_failure_still_says_resume(
    oai_server: ScriptedServer, ledger: sessionmaker[Session], settings: Settings
) -> None:
    oai_server.script(Reply(fixture_bytes("identify_day.xml")), Reply(reset=True))
    report = harvest_source(ledger, oai_source(oai_server.url), settings)
    assert report["status"] == "failed"
    assert report["error"]["resume"].startswith("ren-index harvest depot")
    assert "fix" not in report["error"]


def test_an_address_refused_by_the_policy_says_what_to_fix(
    oai_server: ScriptedServer, ledger: sessionmaker[Session], settings: Settings
) -> None:
    oai_server.script(Reply(status=302, headers={"Location": "http://10.20.30.40/oai"}))
    report = harvest_source(ledger, oai_source(oai_server.url), settings)
    assert report["status"] == "failed"
    assert "resume" not in report["error"]
    assert "http://10.20.30.40/oai" in report["error"]["fix"] and "allow_hosts" in report["error"]["fix"]


def test_a_missing_dump_folder_says_what_to_fix(ledger: sessionmaker[Session], settings: Settings) -> None:
    source = SourceConfig.model_validate(
        {"id": "dump", "name": "Dump", "type": "lom-files", "path": "absent/lom"}
    )
    report = harvest_source(ledger, source, settings)
    assert report["status"] == "failed"
    assert "resume" not in report["error"]
    assert report["error"]["fix"].startswith("corriger path dans sources.yaml")


@pytest.mark.parametrize(
    ("identify", "window", "expected"),
    [
        (
            "identify_day.xml",
            {"from_": "2025-01-01T10:00:00Z"},
            "granularité YYYY-MM-DD) ; écrire --from 2025-01-01",
        ),
        ("identify_day.xml", {"until": "hier"}, "--until « hier » n'est pas une date"),
        ("identify_seconds.xml", {"from_": "2025-13-01"}, "attend YYYY-MM-DD ou/or YYYY-MM-DDThh:mm:ssZ"),
        (
            "identify_seconds.xml",
            {"from_": "2025-01-01", "until": "2025-02-01T00:00:00Z"},
            "même granularité",
        ),
        ("identify_day.xml", {"from_": "2025-02-01", "until": "2025-01-01"}, "est après --until"),
    ],
)
def test_a_bad_window_is_refused_before_any_list_request(
    oai_server: ScriptedServer,
    ledger: sessionmaker[Session],
    settings: Settings,
    identify: str,
    window: dict[str, str],
    expected: str,
) -> None:
    oai_server.script(Reply(fixture_bytes(identify)))
    report = harvest_source(ledger, oai_source(oai_server.url), settings, **window)  # type: ignore[arg-type]
    assert report["status"] == "failed"
    assert expected in report["error"]["message"]
    assert "\n" not in report["error"]["message"]  # one line
    assert "resume" not in report["error"] and "ren-index harvest depot --from" in report["error"]["fix"]
    assert verbs(oai_server) == ["Identify"]  # no ListRecords carried the value

    # The refused window is not resumed: the next plain harvest starts without it.
    oai_server.script(Reply(fixture_bytes("identify_day.xml")), Reply(PAGE_WITH_A_PROBLEM))
    again = harvest_source(ledger, oai_source(oai_server.url), settings)
    assert again["status"] == "completed" and again["window"] == {"from": None, "until": None}
    assert again["run_id"] != report["run_id"]


def test_a_window_the_repository_accepts_is_sent(
    oai_server: ScriptedServer, ledger: sessionmaker[Session], settings: Settings
) -> None:
    oai_server.script(Reply(fixture_bytes("identify_seconds.xml")), Reply(PAGE_WITH_A_PROBLEM))
    report = harvest_source(ledger, oai_source(oai_server.url), settings, from_="2025-01-01T10:00:00Z")
    assert report["status"] == "completed"
    assert oai_server.received[1].param("from") == "2025-01-01T10:00:00Z"


def test_errors_come_with_their_reasons_in_the_cli(oai_server: ScriptedServer, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for name in os.listdir(ROOT / "config"):
        if name != "sources.yaml":
            os.symlink(ROOT / "config" / name, config / name)
    (config / "sources.yaml").write_text(
        f"sources:\n  depot:\n    type: oai\n    url: {oai_server.url}\n    metadata_prefix: lom\n",
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REN_")},
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "REN_CONFIG_DIR": str(config),
        "REN_HARVEST_MAX_RETRIES": "0",
        "COLUMNS": "250",
    }

    def ren(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
        )

    oai_server.script(Reply(fixture_bytes("identify_day.xml")), Reply(PAGE_WITH_A_PROBLEM))
    harvested = ren("harvest", "depot")
    assert harvested.returncode == 0, harvested.stderr
    assert "errors=1" in harvested.stderr
    assert "1 problème(s) : ren-index runs 1 / 1 problem(s): ren-index runs 1" in harvested.stderr

    shown = ren("runs", "1")
    assert shown.returncode == 0, shown.stderr
    assert "1 problème(s) / problem(s):" in shown.stdout
    assert "- header without an identifier (datestamp '2025-03-02')" in shown.stdout
    document = json.loads(ren("runs", "1", "--json").stdout)
    assert document["problems"] == ["header without an identifier (datestamp '2025-03-02')"]
    assert document["problems_total"] == 1 and document["counts"]["errors"] == 1

    oai_server.script(Reply(fixture_bytes("identify_day.xml")))
    refused = ren("harvest", "depot", "--from", "2025-01-01T10:00:00Z")
    assert refused.returncode == 1
    assert "le dépôt compte en jours (granularité YYYY-MM-DD)" in refused.stderr
    assert "corriger / fix: relancer « ren-index harvest depot --from … »" in refused.stderr
    assert "reprendre / resume" not in refused.stderr

    unknown = ren("runs", "99")
    assert unknown.returncode == 1 and "run 99 inconnu / unknown run 99" in unknown.stderr
