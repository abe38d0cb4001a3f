"""One-click suggestions, and the values a correction may not hold."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ren_index.ledger.models import Event
from ren_index.review.decisions import ReviewError, apply_suggestion, save_corrections

from .conftest import RULEBOOK, Pipeline, codes


def issue_of(pipeline: Pipeline, record_id: str, code: str) -> dict[str, str]:
    row = pipeline.row(pipeline.identifier(record_id))
    return next(i for i in row.issues if i["code"] == code)


def test_language_mismatch_takes_the_detected_language(pipeline: Pipeline) -> None:
    planted = next(r for r in pipeline.records if "LANGUAGE_MISMATCH" in r.defects)
    target = pipeline.row(planted.identifier)
    suggestion = issue_of(pipeline, target.id, "LANGUAGE_MISMATCH")["suggestion"]
    result = apply_suggestion(pipeline.ledger, RULEBOOK, target.id, "LANGUAGE_MISMATCH", actor="marie")
    assert result.changed_fields == ["languages"]
    row = pipeline.row(planted.identifier)
    assert row.record["controlled"]["languages"] == [suggestion] == [planted.text_language]
    assert not any(c.startswith("LANGUAGE_") for c in codes(row))
    with pipeline.ledger() as session:
        event = session.scalars(
            select(Event).where(Event.resource_id == target.id, Event.action == "corrected")
        ).one()
    assert event.before == {"languages": [planted.language]}
    assert event.after == {"languages": [suggestion], "version": 2}
    assert event.actor == "marie" and "LANGUAGE_MISMATCH" in (event.comment or "")


def test_ambiguous_licence_takes_the_suggested_licence(pipeline: Pipeline) -> None:
    target = pipeline.first("needs_review", "LICENCE_AMBIGUOUS")
    index = next(n for n, i in enumerate(target.issues) if i["code"] == "LICENCE_AMBIGUOUS")
    suggestion = target.issues[index]["suggestion"]
    apply_suggestion(pipeline.ledger, RULEBOOK, target.id, index, actor="marie")
    row = pipeline.row(pipeline.identifier(target.id))
    assert row.record["controlled"]["licence"] == suggestion
    assert "LICENCE_AMBIGUOUS" not in codes(row)


def test_unmapped_level_adds_the_suggested_level(pipeline: Pipeline) -> None:
    planted = next(r for r in pipeline.records if not r.deleted and r.defects == ())
    pipeline.change(planted.identifier, levels=((None, "Secondaire avancé"),))
    target = pipeline.row(planted.identifier)
    assert target.status == "needs_review" and "LEVEL_UNMAPPED" in codes(target)
    suggestion = issue_of(pipeline, target.id, "LEVEL_UNMAPPED")["suggestion"]
    assert suggestion and RULEBOOK.vocabularies.levels.get(suggestion) is not None
    result = apply_suggestion(pipeline.ledger, RULEBOOK, target.id, "LEVEL_UNMAPPED", actor="marie")
    row = pipeline.row(planted.identifier)
    assert suggestion in row.record["controlled"]["levels"]
    assert not any(c.startswith("LEVEL_") for c in codes(row)) and "NO_PORTAL" not in codes(row)
    assert result.status == row.status


def test_an_issue_without_an_applicable_suggestion_is_refused(pipeline: Pipeline) -> None:
    target = pipeline.first("needs_review", "LICENCE_NOT_OPEN")
    with pytest.raises(ReviewError, match="suggestion"):
        apply_suggestion(pipeline.ledger, RULEBOOK, target.id, "LICENCE_NOT_OPEN", actor="marie")
    with pytest.raises(ReviewError):
        apply_suggestion(pipeline.ledger, RULEBOOK, target.id, 999, actor="marie")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"levels": ["https://example.org/pas-un-niveau"]}, "niveau"),
        ({"licence": "https://w3id.org/ren-index/vocab/niveaux/secondaire-4"}, "licence"),
        ({"languages": ["klingonien ancien"]}, "Langue"),
        ({"url": "htp://exemple"}, "Adresse"),
        ({"title": "   "}, "titre"),
        ({"keywords": ["x"]}, "modifiable"),
    ],
)
def test_invalid_values_are_refused_in_both_languages(
    pipeline: Pipeline, changes: dict[str, object], words: str
) -> None:
    target = pipeline.first("approved")
    before = pipeline.row(pipeline.identifier(target.id)).record
    with pytest.raises(ReviewError, match=words) as caught:
        save_corrections(pipeline.ledger, RULEBOOK, target.id, changes, actor="marie")
    assert caught.value.message_fr and caught.value.message_en
    assert pipeline.row(pipeline.identifier(target.id)).record == before


def test_languages_are_normalized(pipeline: Pipeline) -> None:
    target = pipeline.first("approved")
    save_corrections(pipeline.ledger, RULEBOOK, target.id, {"languages": "Français, fra-CA"}, actor="marie")
    row = pipeline.row(pipeline.identifier(target.id))
    assert row.record["controlled"]["languages"] == ["fr", "fr-CA"]
