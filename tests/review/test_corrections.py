"""Corrections are overlays: they survive re-harvests, and a source change to a corrected field
brings the record back to the queue with both values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from ren_index.config.rulebook import Rulebook
from ren_index.ledger.models import Overlay
from ren_index.review.decisions import apply_suggestion, decide_by_person, keep_correction, save_corrections

from .conftest import CONFIG, RULEBOOK, Pipeline, codes

NIVEAUX = "https://w3id.org/ren-index/vocab/niveaux/"
SEC4 = NIVEAUX + "secondaire-4"


def changed_rules(tmp_path: Path) -> Rulebook:
    """The same rules with another fingerprint: every record is processed again."""
    config = tmp_path / "config-changed"
    shutil.copytree(CONFIG, config)
    with (config / "validation.yaml").open("a", encoding="utf-8") as out:
        out.write("\n# changed\n")
    return Rulebook.load(config)


def test_corrections_survive_unchanged_reharvests_and_reprocessing(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    target = pipeline.first("approved")
    ident = pipeline.identifier(target.id)
    result = save_corrections(
        pipeline.ledger,
        RULEBOOK,
        target.id,
        {"title": "Titre corrigé par Marie", "levels": [SEC4]},
        actor="marie",
        comment="niveau vérifié",
        approve=True,
    )
    assert result.status == "approved"
    assert sorted(result.changed_fields) == ["levels", "title"]

    def check() -> None:
        row = pipeline.row(ident)
        assert list(row.record["general"]["title"].values()) == ["Titre corrigé par Marie"]
        assert row.record["controlled"]["levels"] == [SEC4]
        assert (row.status, row.decided_by) == ("approved", "marie")
        assert "SOURCE_CHANGED_AFTER_EDIT" not in codes(row)
        assert "ecole-ouverte" in row.portals

    check()
    pipeline.run()  # the source did not change
    check()
    pipeline.run(rulebook=changed_rules(tmp_path))  # every record rebuilt: overlays re-applied
    check()


@pytest.mark.parametrize(
    ("field", "correction", "source_change", "shown"),
    [
        ("title", "Titre corrigé", {"title": "Nouveau titre de la source"}, "Nouveau titre de la source"),
        ("levels", [SEC4], {"levels": ((None, "Secondaire 2"),)}, NIVEAUX + "secondaire-2"),
    ],
)
def test_source_change_to_a_corrected_field_comes_back_with_both_values(
    pipeline: Pipeline, field: str, correction: object, source_change: dict[str, object], shown: str
) -> None:
    target = pipeline.first("approved")
    ident = pipeline.identifier(target.id)
    save_corrections(pipeline.ledger, RULEBOOK, target.id, {field: correction}, actor="marie", approve=True)
    pipeline.change(ident, **source_change)

    row = pipeline.row(ident)
    assert (row.status, row.decided_by) == ("needs_review", "rules")  # the person's approval gave way
    changed = [i for i in row.issues if i["code"] == "SOURCE_CHANGED_AFTER_EDIT"]
    assert len(changed) == 1
    issue = changed[0]
    assert issue["field"] == field and issue["severity"] == "warning"
    assert shown in issue["value"] and shown in issue["message_fr"]
    expected = correction if isinstance(correction, str) else correction[0]  # type: ignore[index]
    assert expected in issue["suggestion"] and expected in issue["message_fr"]
    corrected = row.record["general"]["title"] if field == "title" else row.record["controlled"]["levels"]
    assert expected in json.dumps(corrected, ensure_ascii=False)  # the correction still applies

    kept = keep_correction(pipeline.ledger, RULEBOOK, target.id, field, actor="marie")
    assert kept.changed_fields == [field]
    row = pipeline.row(ident)
    assert "SOURCE_CHANGED_AFTER_EDIT" not in codes(row)
    assert row.status == kept.status
    assert expected in json.dumps(row.record, ensure_ascii=False)


def test_accepting_the_source_value_removes_the_correction(pipeline: Pipeline) -> None:
    target = pipeline.first("approved")
    ident = pipeline.identifier(target.id)
    save_corrections(pipeline.ledger, RULEBOOK, target.id, {"title": "Titre corrigé"}, actor="marie")
    pipeline.change(ident, title="Le titre revu par la source")
    result = apply_suggestion(
        pipeline.ledger, RULEBOOK, target.id, "SOURCE_CHANGED_AFTER_EDIT", actor="marie"
    )
    assert result.changed_fields == ["title"]
    row = pipeline.row(ident)
    assert list(row.record["general"]["title"].values()) == ["Le titre revu par la source"]
    assert "SOURCE_CHANGED_AFTER_EDIT" not in codes(row)
    with pipeline.ledger() as session:
        assert session.scalars(select(Overlay).where(Overlay.resource_id == target.id)).first() is None


def test_source_change_to_another_field_keeps_the_correction_silently(pipeline: Pipeline) -> None:
    target = pipeline.first("approved")
    ident = pipeline.identifier(target.id)
    save_corrections(pipeline.ledger, RULEBOOK, target.id, {"levels": [SEC4]}, actor="marie", approve=True)
    pipeline.change(ident, description="Une description entièrement réécrite par la source, assez longue.")
    row = pipeline.row(ident)
    assert row.record["controlled"]["levels"] == [SEC4]
    assert "réécrite" in next(iter(row.record["general"]["description"].values()))
    assert "SOURCE_CHANGED_AFTER_EDIT" not in codes(row)
    assert row.decided_by == "rules"  # the source changed: the rules decided again, with the correction


def test_an_edit_is_not_an_approval(pipeline: Pipeline) -> None:
    target = pipeline.first("needs_review", "LICENCE_AMBIGUOUS")
    result = save_corrections(
        pipeline.ledger, RULEBOOK, target.id, {"title": "Un titre retouché"}, actor="marie"
    )
    row = pipeline.row(pipeline.identifier(target.id))
    assert result.status == row.status == "needs_review"
    assert row.decided_by == "rules"
    # Posting the same values again (a form sends every field) changes nothing.
    again = save_corrections(
        pipeline.ledger,
        RULEBOOK,
        target.id,
        {"title": "Un titre retouché", "languages": ["fr"]},
        actor="marie",
    )
    assert again.changed_fields == []


def test_rejection_persists_until_the_source_record_changes(pipeline: Pipeline, tmp_path: Path) -> None:
    target = pipeline.first("approved")
    ident = pipeline.identifier(target.id)
    save_corrections(pipeline.ledger, RULEBOOK, target.id, {"levels": [SEC4]}, actor="marie")
    decide_by_person(pipeline.ledger, target.id, "rejected", actor="marie", comment="hors programme")
    pipeline.run()
    pipeline.run(rulebook=changed_rules(tmp_path))
    row = pipeline.row(ident)
    assert (row.status, row.decided_by) == ("rejected", "marie")
    assert row.record["controlled"]["levels"] == [SEC4]
    pipeline.change(ident, description="La source a publié une nouvelle version de cette fiche descriptive.")
    row = pipeline.row(ident)
    assert row.decided_by == "rules" and row.status == "approved"
