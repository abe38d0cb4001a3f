"""Publication follows the decision, and a decision survives an unreachable OpenSearch."""

from __future__ import annotations

import uuid

import pytest
from opensearchpy import OpenSearch

from ren_index.review.decisions import decide_by_person, withdraw
from ren_index.review.publish import UNREACHABLE_FR, publish
from ren_index.settings import Settings

from .conftest import RULEBOOK, Pipeline


def test_unreachable_opensearch_keeps_the_decision_for_the_next_index_run(
    pipeline: Pipeline, settings: Settings
) -> None:
    target = pipeline.first("needs_review", "LICENCE_AMBIGUOUS")
    decide_by_person(pipeline.ledger, target.id, "approved", actor="marie")
    dead = settings.model_copy(update={"opensearch_url": "http://127.0.0.1:9"})
    result = publish(pipeline.ledger, dead, RULEBOOK.vocabularies, [target.id])
    assert result.published is False
    assert (result.indexed, result.removed) == (0, 0)
    assert result.message_fr == UNREACHABLE_FR and "index" in result.message_en
    row = pipeline.row(pipeline.identifier(target.id))
    assert (row.status, row.indexed_hash) == ("approved", None)


def test_nothing_to_publish(pipeline: Pipeline, settings: Settings) -> None:
    assert publish(pipeline.ledger, settings, None, []).published is True


@pytest.mark.integration
def test_approve_publishes_and_withdraw_removes(
    pipeline: Pipeline, settings: Settings, opensearch_url: str
) -> None:
    prefix = f"test-publish-{uuid.uuid4().hex[:8]}"
    live = settings.model_copy(update={"opensearch_url": opensearch_url, "index_prefix": prefix})
    client = OpenSearch(hosts=[opensearch_url])
    target = pipeline.first("needs_review", "LICENCE_AMBIGUOUS")
    other = pipeline.first("approved")
    try:
        decide_by_person(pipeline.ledger, target.id, "approved", actor="marie")
        result = publish(pipeline.ledger, live, RULEBOOK.vocabularies, [target.id])
        assert (result.published, result.indexed, result.removed) == (True, 1, 0)
        alias = f"{prefix}-resources"
        assert client.get(index=alias, id=target.id)["found"]
        assert not client.exists(index=alias, id=other.id)  # only the decided record was sent
        assert pipeline.row(pipeline.identifier(target.id)).indexed_hash is not None

        withdraw(pipeline.ledger, target.id, actor="marie", comment="à revoir")
        gone = publish(pipeline.ledger, live, RULEBOOK.vocabularies, [target.id])
        assert (gone.published, gone.indexed, gone.removed) == (True, 0, 1)
        assert not client.exists(index=alias, id=target.id)
        assert pipeline.row(pipeline.identifier(target.id)).indexed_hash is None
    finally:
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
