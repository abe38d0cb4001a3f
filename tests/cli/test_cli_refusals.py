"""``queue --issue|--status|--source`` and ``search --portal`` refuse a value they do not know.

Before, an unknown value answered an empty list, as if no record matched. Now: exit status 2, one
line on stderr (French, then English) listing the values that would work, nothing on stdout — and
a known value, whatever the case of an issue code, is answered as before. ``queue`` shows each
issue by its French label with its code beside it; ``--json`` keeps the codes.

Through the real entry point (a subprocess, as ``test_cli.py``): the exit status and the one line
are what a script sees. The ledger holds three sources that say where known sources come from:
``demo-lom`` only in ``sources.yaml`` (never harvested), ``ancienne-source`` only in the ledger
(removed from the file since, one record with two issues), ``ma-classe`` a contributions platform.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ren_index.config.issue_codes import known_codes, label
from ren_index.config.sources import SourceConfig
from ren_index.ledger import store
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import General, Provenance, Resource
from ren_index.validate.titles import TITLE_MISSING
from ren_index.validate.urls import URL_MISSING

ROOT = Path(__file__).resolve().parents[2]
OLD_SOURCE = "ancienne-source"
PLATFORM = "ma-classe"


def closed_port() -> int:
    """A local port nobody listens on: OpenSearch is down for these commands."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def seed(url: str) -> None:
    """The ledger's two sources (one harvested, one platform) and one waiting record."""
    ledger = open_ledger(url)
    with ledger.begin() as session:
        store.sync_source(
            session, SourceConfig(id=OLD_SOURCE, name="Ancienne", type="oai", url="http://x.test/oai")
        )
        store.sync_source(
            session, SourceConfig(id=PLATFORM, name="Ma classe", type="contributions", review="always")
        )
        raw = RawRecordRow(
            source_id=OLD_SOURCE,
            identifier="oai:x:1",
            metadata_prefix="oai_dc",
            payload="<x/>",
            content_hash="h",
        )
        session.add(raw)
        session.flush()
        resource = Resource(
            provenance=Provenance(source=OLD_SOURCE, identifier="oai:x:1", metadata_format="oai_dc"),
            general=General(description={"fr": "Une ressource sans titre ni adresse."}),
        )
        rid = store.resource_id(OLD_SOURCE, "oai:x:1")
        session.add(
            ResourceRow(
                id=rid,
                raw_id=raw.id,
                source_id=OLD_SOURCE,
                record=resource.model_dump(mode="json"),
                issues=[i.model_dump(mode="json") for i in (TITLE_MISSING, URL_MISSING)],
                status="needs_review",
                portals=[],
                decided_by="rules",
            )
        )


@pytest.fixture
def env(tmp_path: Path, ledger_url: Callable[..., str]) -> dict[str, str]:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)  # the project's rules, vocabularies and portals
    (config / "sources.yaml").write_text(
        "sources:\n  demo-lom:\n    name: Démo LOM\n    type: oai\n    url: http://127.0.0.1:9/oai\n",
        encoding="utf-8",
    )
    url = ledger_url("ren-index", folder=tmp_path / "var")
    seed(url)
    return {
        **os.environ,
        "COLUMNS": "400",  # the queue's table keeps each cell on one line
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": url,
        "REN_CONFIG_DIR": str(config),
        "REN_OPENSEARCH_URL": f"http://127.0.0.1:{closed_port()}",
    }


def ren(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ren_index", *args], env=env, capture_output=True, text=True, timeout=120
    )


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal: exit 2, nothing on stdout, no traceback; French before English."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("erreur / error: ")
    assert line.index("inconnu") < line.index("unknown") < line.index("valeurs connues / known values:")
    return line


@pytest.mark.parametrize(
    ("args", "said", "known"),
    [
        (
            ("queue", "--issue", "TITEL_MISSING"),
            "--issue : code d'anomalie inconnu « TITEL_MISSING » / unknown issue code 'TITEL_MISSING'",
            [f"{code} ({label(code, 'fr')})" for code in known_codes()],
        ),
        (
            ("queue", "--status", "pending", "--json"),
            "--status : statut inconnu « pending » / unknown status 'pending'",
            ["needs_review", "approved", "rejected", "deleted", "all"],
        ),
        (
            ("queue", "--source", "demo-lomm"),
            "--source : source inconnue « demo-lomm » / unknown source 'demo-lomm'",
            [OLD_SOURCE, "demo-lom", PLATFORM],  # the ledger's, the file's, the platform
        ),
        (
            ("search", "fractions", "--portal", "ecole"),  # refused before OpenSearch (down) is asked
            "--portal : portail inconnu « ecole » / unknown portal 'ecole'",
            ["ecole-ouverte", "pavillon"],
        ),
    ],
)
def test_an_unknown_value_is_refused_with_the_known_ones(
    env: dict[str, str], args: tuple[str, ...], said: str, known: list[str]
) -> None:
    line = refusal(ren(env, *args))
    assert said in line
    assert line.endswith("valeurs connues / known values: " + ", ".join(known))


def test_an_issue_code_is_matched_whatever_its_case(env: dict[str, str]) -> None:
    for typed in ("title_missing", "Url_Missing"):
        found = ren(env, "queue", "--issue", typed, "--json")
        assert found.returncode == 0, found.stderr
        assert [r["source"] for r in json.loads(found.stdout)] == [OLD_SOURCE]
    other = ren(env, "queue", "--issue", "licence_missing", "--json")  # known, and no record has it
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout) == []


@pytest.mark.parametrize(
    ("source", "records"),
    [(OLD_SOURCE, 1), ("demo-lom", 0), (PLATFORM, 0)],  # ledger only, sources.yaml only, a platform
)
def test_a_source_of_the_file_or_of_the_ledger_is_known(
    env: dict[str, str], source: str, records: int
) -> None:
    found = ren(env, "queue", "--source", source, "--status", "all", "--json")
    assert found.returncode == 0, found.stderr
    assert len(json.loads(found.stdout)) == records


def test_a_known_portal_goes_on_to_opensearch(env: dict[str, str]) -> None:
    """Past the check, the search meets the closed OpenSearch: exit 1 (not done), not 2 (refused)."""
    result = ren(env, "search", "fractions", "--portal", "pavillon")
    assert result.returncode == 1, result.stderr
    assert "inconnu" not in result.stderr


def test_the_queue_shows_issue_labels_with_their_codes_and_json_keeps_the_codes(env: dict[str, str]) -> None:
    table = ren(env, "queue")
    assert table.returncode == 0, table.stderr
    assert "Titre manquant (TITLE_MISSING), URL manquante (URL_MISSING)" in table.stdout
    records = json.loads(ren(env, "queue", "--json").stdout)
    assert [i["code"] for i in records[0]["issues"]] == ["TITLE_MISSING", "URL_MISSING"]
