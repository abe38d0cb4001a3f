"""``review show`` prints the version, ``review approve|reject --version N`` refuses a stale one
(exit 1, what changed), ``review undo`` puts the newest decision back, for its author only."""

from __future__ import annotations

import json

from ren_index.demo.server import DemoOaiServer

from .test_cli import ren, workspace  # noqa: F401 - the fixture


def test_a_stale_version_is_refused_and_a_decision_undone(
    workspace: tuple[dict[str, str], DemoOaiServer],  # noqa: F811 - the fixture
) -> None:
    env, _ = workspace
    assert ren(env, "harvest", "demo-lom").returncode == 0
    assert ren(env, "process", "demo-lom").returncode == 0
    rid = json.loads(ren(env, "queue", "--json").stdout)[0]["id"]

    shown = ren(env, "review", "show", rid)
    assert f"version: 1  (review approve|reject {rid[:12]} --version 1)" in shown.stdout
    assert json.loads(ren(env, "review", "show", rid, "--json").stdout)["version"] == 1

    approved = ren(env, "review", "approve", rid, "--as", "marie", "--version", "1")
    assert approved.returncode == 0, approved.stderr

    stale = ren(env, "review", "reject", rid, "--reason", "hors sujet", "--as", "dora", "--version", "1")
    assert stale.returncode == 1
    text = " ".join(stale.stderr.split())
    assert "La notice a changé depuis que vous l'avez ouverte : approuvée par marie à " in text
    assert "approved by marie at " in text and "decide again" in text
    assert json.loads(ren(env, "review", "show", rid, "--json").stdout)["status"] == "approved"

    not_hers = ren(env, "review", "undo", rid, "--as", "dora")
    assert not_hers.returncode == 1 and "seul son auteur (marie)" in " ".join(not_hers.stderr.split())

    undone = ren(env, "review", "undo", rid, "--as", "marie")
    assert undone.returncode == 0, undone.stderr
    assert f"{rid}: approved annulée / undone → needs_review" in undone.stderr
    after = json.loads(ren(env, "review", "show", rid, "--json").stdout)
    assert (after["status"], after["version"]) == ("needs_review", 3)
    history = ren(env, "review", "show", rid).stdout
    assert "marie  undo approved → needs_review" in history and "marie  approved" in history
