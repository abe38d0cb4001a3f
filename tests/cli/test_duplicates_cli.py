"""``ren-index duplicates``, ``duplicates label`` and ``duplicates primary`` through typer's runner,
on the hand-written corpus (tests/duplicates/ledger_corpus.py), on both ledgers.

OpenSearch points at a closed port: a label is saved all the same and the command says the next
``ren-index index`` publishes it (exit 0), as ``review approve`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.duplicates.ledger_corpus import DupLedger, build
from typer.testing import CliRunner, Result

from ren_index.cli.main import app
from ren_index.ledger.models import DupMember, DupPair, Event
from ren_index.review.duplicate_actions import pair_row
from ren_index.steps.duplicates import find_duplicates

CONFIG = Path(__file__).resolve().parents[2] / "config"

Env = dict[str, str]


@pytest.fixture
def dup(ledger_url: Callable[..., str]) -> DupLedger:
    return build(ledger_url)


@pytest.fixture
def env(tmp_path: Path, dup: DupLedger) -> Env:
    return {
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": dup.url,
        "REN_CONFIG_DIR": str(CONFIG),
        "REN_OPENSEARCH_URL": "http://127.0.0.1:9",
        "COLUMNS": "300",
    }


def ren(env: Env, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def one_line(result: Result) -> str:
    """The refusal, asserted to be one line and no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    return lines[0]


def test_find_then_json_gives_pairs_groups_and_shares(dup: DupLedger, env: Env) -> None:
    found = ren(env, "duplicates", "--find", "--json")
    assert found.exit_code == 0, found.stderr
    assert "doublons : 11 notices signées" in found.stderr and "1 groupes" in found.stderr
    report = json.loads(found.stdout)
    assert set(report) == {"pairs", "groups", "sources"}
    assert report["sources"]["biblio"] == {"records": 5, "duplicated_elsewhere": 2, "share": 0.4}
    assert [g["primary"] for g in report["groups"]] == [dup.ids["chimie-reseau"]]
    assert {p["status"] for p in report["pairs"]} == {"pending", "confirmed"}
    narrowed = json.loads(ren(env, "duplicates", "--json", "--source", "editeur").stdout)
    assert list(narrowed["sources"]) == ["editeur"]
    editeur = {dup.ids[k] for k in ("chimie-editeur", "chemistry-en", "chimie-chapitre")}
    assert narrowed["pairs"] and all({p["a"], p["b"]} & editeur for p in narrowed["pairs"])
    assert len(narrowed["pairs"]) < len(report["pairs"])


def test_label_different_rejects_the_pair_and_status_finds_it(dup: DupLedger, env: Env) -> None:
    find_duplicates(dup.factory)
    first, copy = dup.ids["chimie-1re"], dup.ids["chimie-editeur"]
    labelled = ren(env, "duplicates", "label", first[:8], copy, "different", "--as", "marie")
    assert labelled.exit_code == 0, labelled.stderr
    text = " ".join(labelled.stderr.split())
    assert "des ressources différentes / different resources" in text
    assert "sera publiée au prochain « ren-index index »" in text
    with dup.factory() as session:
        row = pair_row(session, first, copy)
        assert row is not None and (row.status, row.decided_by) == ("rejected", "marie")
        assert session.scalars(select(Event.actor).where(Event.action == "duplicate_labelled")).all() == [
            "marie",
            "marie",
        ]
    rejected = json.loads(ren(env, "duplicates", "--status", "rejected", "--json").stdout)
    assert [(p["a"], p["b"], p["status"]) for p in rejected["pairs"]] == [
        (*sorted((first, copy)), "rejected")
    ]
    assert rejected["groups"]  # --status narrows the pairs only


def test_primary_moves_the_group_and_the_listing_says_so_in_french(dup: DupLedger, env: Env) -> None:
    find_duplicates(dup.factory)
    chosen = dup.ids["chimie-biblio"]
    done = ren(env, "duplicates", "primary", chosen[:10], "--as", "marie")
    assert done.exit_code == 0, done.stderr
    with dup.factory() as session:
        assert session.get_one(DupMember, chosen).relation == "primary"
        assert session.get_one(DupMember, dup.ids["chimie-reseau"]).relation == "same"
    listing = ren(env, "duplicates")
    assert listing.exit_code == 0, listing.stderr
    out = listing.stdout
    with dup.factory() as session:
        assert f"Paires / pairs ({len(session.scalars(select(DupPair)).all())})" in out
    assert "la même ressource / the same resource — confirmée / confirmed" in out
    assert "une traduction / a translation — en attente / pending" in out
    assert "même identifiant" in out and "éditions différentes" in out and "textes semblables 74,2 %" in out
    assert f"★ principale / primary : « Chimie générale, 2e édition » (biblio, {chosen[:12]})" in out
    assert "« General Chemistry, 2nd edition » (editeur," in out
    assert "Doublons entre sources / duplicates across sources" in out
    biblio_row = next(line for line in out.splitlines() if "│ biblio" in line)
    assert [cell.strip() for cell in biblio_row.split("│")[2:5]] == ["5", "2", "40 %"]


@pytest.mark.parametrize(
    ("args", "words", "code"),
    [
        (("duplicates", "label", "ffffffffff", "SEUL", "same"), "aucune notice 'ffffffffff'", 1),
        (("duplicates", "primary", "ffffffffff"), "aucune notice 'ffffffffff' dans le registre", 1),
        (("duplicates", "label", "SEUL", "BIO", "cousin"), "relation inconnue 'cousin'", 1),
        (("duplicates", "primary", "SEUL"), "dans aucun groupe de doublons", 1),
        (("duplicates", "--status", "perhaps"), "statut inconnu « perhaps »", 2),
        (("duplicates", "--source", "nowhere"), "source inconnue « nowhere »", 2),
    ],
)
def test_refusals_are_one_line(
    dup: DupLedger, env: Env, args: tuple[str, ...], words: str, code: int
) -> None:
    find_duplicates(dup.factory)
    named = {"SEUL": dup.ids["seul"], "BIO": dup.ids["notes-bio"]}
    result = ren(env, *(named.get(a, a) for a in args))
    assert result.exit_code == code
    assert words in one_line(result)
    with dup.factory() as session:  # nothing was labelled
        assert session.scalars(select(DupPair).where(DupPair.decided_by.is_not(None))).all() == [
            *session.scalars(select(DupPair).where(DupPair.decided_by == "rules"))
        ]
