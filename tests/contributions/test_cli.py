"""``ren-index platforms`` and the platforms in ``ren-index sources list``, through typer's runner."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ren_index.cli.main import app
from ren_index.config.rulebook import Rulebook
from ren_index.contributions.platforms import authenticate, get_platform, list_platforms
from ren_index.contributions.service import submit_json
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow

from .conftest import CONFIG, body

Env = dict[str, str]


@pytest.fixture
def env(tmp_path: Path, ledger_url: Callable[..., str]) -> Env:
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    return {
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": ledger_url("cli", folder=tmp_path / "var"),
        "REN_CONFIG_DIR": str(config),
        "REN_CALLBACK_ALLOW_HOSTS": "",
        "COLUMNS": "300",  # a table wide enough to read its cells whole
    }


def ren(env: Env, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def test_add_prints_the_key_once_on_stdout_and_it_authenticates(env: Env) -> None:
    added = ren(
        env,
        "platforms",
        "add",
        "ma-classe",
        "--portal",
        "ecole-ouverte",
        "--label",
        "Ma classe (École ouverte)",
    )
    assert added.exit_code == 0, added.stderr
    key = added.stdout.strip()
    assert re.fullmatch(r"renk_[A-Za-z0-9_-]{43}", key)
    assert "ma-classe" in added.stderr and "never be shown again" in added.stderr
    ledger = open_ledger(env["REN_DATABASE_URL"])
    info = authenticate(ledger, key)
    assert info is not None and (info.label, info.portal) == ("Ma classe (École ouverte)", "ecole-ouverte")

    listed = ren(env, "platforms", "list", "--json")
    assert listed.exit_code == 0 and key not in listed.stdout and key[12:] not in listed.stdout
    [row] = json.loads(listed.stdout)
    assert row["name"] == "ma-classe" and row["key_prefix"] == key[:12]
    assert row["created_at"].endswith("+00:00") and row["last_used_at"].endswith("+00:00")
    assert row["counts"] == {"needs_review": 0, "approved": 0, "rejected": 0, "deleted": 0}


def test_add_json_gives_name_and_key(env: Env) -> None:
    added = ren(env, "platforms", "add", "ma-classe", "--portal", "ecole-ouverte", "--json")
    assert added.exit_code == 0, added.stderr
    document = json.loads(added.stdout)
    assert set(document) == {"name", "key"} and document["name"] == "ma-classe"


def test_the_list_for_people_shows_montreal_time_with_its_zone(env: Env) -> None:
    ren(env, "platforms", "add", "ma-classe", "--portal", "ecole-ouverte")
    listed = ren(env, "platforms", "list")
    assert listed.exit_code == 0, listed.stderr
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d H[NA]E", listed.stdout)
    assert "renk_" in listed.stdout and "ma-classe" in listed.stdout


def test_rotate_and_revoke(env: Env) -> None:
    old = ren(env, "platforms", "add", "ma-classe", "--portal", "ecole-ouverte").stdout.strip()
    rotated = ren(env, "platforms", "rotate", "ma-classe")
    assert rotated.exit_code == 0, rotated.stderr
    new = rotated.stdout.strip()
    ledger = open_ledger(env["REN_DATABASE_URL"])
    assert new != old and authenticate(ledger, old) is None and authenticate(ledger, new) is not None
    revoked = ren(env, "platforms", "revoke", "ma-classe")
    assert revoked.exit_code == 0 and "revoked" in revoked.stderr
    assert authenticate(ledger, new) is None
    assert list_platforms(ledger)[0]["revoked"] is True
    assert "révoquée / revoked" in ren(env, "platforms", "list").stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("add", "ma-classe", "--portal", "atlantide"), "unknown portal"),
        (("add", "demo-lom", "--portal", "ecole-ouverte"), "already a source in sources.yaml"),
        (
            ("add", "ma-classe", "--portal", "ecole-ouverte", "--callback-url", "file:///etc/passwd"),
            "callback URL",
        ),
        (("rotate", "personne"), "unknown platform"),
        (("revoke", "personne"), "unknown platform"),
        (("deliver", "personne"), "unknown platform"),
    ],
)
def test_mistakes_are_one_line_french_first(env: Env, args: tuple[str, ...], said: str) -> None:
    result = ren(env, "platforms", *args)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("erreur / error:") and said in lines[0]
    assert lines[0].index(" / ") < lines[0].index(said)


def test_deliver_reports_its_counts(env: Env) -> None:
    ren(
        env,
        "platforms",
        "add",
        "ma-classe",
        "--portal",
        "ecole-ouverte",
        "--callback-url",
        "https://x.example/r",
    )
    delivered = ren(env, "platforms", "deliver", "--json")
    assert delivered.exit_code == 0, delivered.stderr
    assert json.loads(delivered.stdout) == {
        "delivered": 0,
        "failed": 0,
        "abandoned": 0,
        "waiting": 0,
        "errors": 0,
    }
    assert ren(env, "platforms", "deliver", "ma-classe").exit_code == 0


def test_sources_list_shows_platforms_marked_as_such(env: Env) -> None:
    ren(env, "platforms", "add", "ma-classe", "--portal", "ecole-ouverte", "--label", "Ma classe")
    listed = ren(env, "sources", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["ma-classe"]["platform"] is True and rows["ma-classe"]["type"] == "contributions"
    assert rows["ma-classe"]["url"] is None and rows["ma-classe"]["name"] == "Ma classe"
    assert rows["demo-lom"]["platform"] is False
    table = ren(env, "sources", "list").stdout
    assert "plateforme / platform" in table


def test_process_redoes_the_platforms_contributions_too(env: Env) -> None:
    """A rules change redoes every record: ``process`` (all) and ``process NAME`` include platforms."""
    added = ren(env, "platforms", "add", "ma-classe", "--portal", "ecole-ouverte")
    assert added.exit_code == 0, added.stderr
    ledger = open_ledger(env["REN_DATABASE_URL"])
    platform = get_platform(ledger, "ma-classe")
    assert platform is not None
    rulebook = Rulebook.load(Path(env["REN_CONFIG_DIR"]))
    submit_json(ledger, replace(rulebook, fingerprint="older-rules"), platform, body())

    everything = ren(env, "process", "--json")
    assert everything.exit_code == 0, everything.stderr
    reports = {r["source"]: r for r in json.loads(everything.stdout)}
    assert reports["ma-classe"]["counts"]["processed"] == 1  # processed with other rules: redone
    assert reports["ma-classe"]["counts"]["needs_review"] == 1  # never approved by the rules alone
    with ledger() as session:
        (raw,) = session.query(RawRecordRow).filter_by(source_id="ma-classe").all()
        assert raw.processed_with == rulebook.fingerprint

    one = ren(env, "process", "ma-classe", "--json")
    assert one.exit_code == 0, one.stderr
    assert json.loads(one.stdout)["counts"]["processed"] == 0  # nothing new since
