"""Contributions of a platform in the review queries: the origin filter and its counts, the source
filter, the dashboard's platforms, the JSON contract's contributor, and which decided records
concern a platform (what the callbacks are triggered on).

The demo LOM source is harvested into the ledger (:func:`pipeline`); a contributing platform's
source row and three contributions are written beside it directly, as the contributions service
stores them (a raw record of the platform's source, a resource whose provenance names the
contributor), so the counts below are known exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.ledger import store
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.ledger.record_json import record_view
from ren_index.model import Contributor, Controlled, General, Issue, Provenance, Resource
from ren_index.review.queries import dashboard, neighbours, platforms_of, queue, source_types

from .conftest import RULEBOOK, Pipeline

VOCABS = RULEBOOK.vocabularies
PLATFORM = "ma-classe"
LABEL = "Ma classe (École ouverte)"
PORTAL = "ecole-ouverte"
LICENCE_MISSING = Issue(
    code="LICENCE_MISSING",
    severity="warning",
    field="rights",
    message_fr="Licence absente.",
    message_en="No licence.",
)


def add_platform(factory: sessionmaker[Session], name: str = PLATFORM, label: str = LABEL) -> None:
    """The source row ``ren-index platforms add`` writes (no url: a platform pushes)."""
    with factory.begin() as session:
        source = SourceConfig(id=name, name=label, type="contributions", portals=[PORTAL], review="always")
        store.sync_source(session, source)


def add_contribution(
    factory: sessionmaker[Session],
    external_id: str,
    *,
    status: str = "needs_review",
    language: str = "fr",
    issues: tuple[Issue, ...] = (),
    contributor: Contributor | None = None,
    waiting_since: datetime | None = None,
    platform: str = PLATFORM,
) -> str:
    """One contribution as the service stores it; returns its record id."""
    body = {"external_id": external_id, "title": f"Contribution {external_id}"}
    payload = json.dumps(body, ensure_ascii=False)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    now = datetime.now(UTC)
    resource = Resource(
        provenance=Provenance(
            source=platform,
            identifier=external_id,
            metadata_format="contribution",
            harvested_at=now,
            contributor=contributor,
        ),
        general=General(title={language: body["title"]}, languages=[language]),
        controlled=Controlled(languages=[language]),
    )
    rid = store.resource_id(platform, external_id)
    with factory.begin() as session:
        raw = RawRecordRow(
            source_id=platform,
            identifier=external_id,
            metadata_prefix="contribution",
            payload=payload,
            content_hash=digest,
            processed_hash=digest,
        )
        session.add(raw)
        session.flush()
        session.add(
            ResourceRow(
                id=rid,
                raw_id=raw.id,
                source_id=platform,
                record=resource.model_dump(mode="json"),
                issues=[i.model_dump(mode="json") for i in issues],
                status=status,
                portals=[PORTAL] if status == "approved" else [],
                decided_by="rules",
                decided_at=waiting_since or now,
                quality_score=40,
            )
        )
    return rid


MARIE = Contributor(id="u-42", display_name="Marie T.", organisation="CSS des Découvreurs")


@pytest.fixture
def contributions(pipeline: Pipeline) -> dict[str, str]:
    """Two contributions waiting (one in French with an issue, one in English), one approved."""
    add_platform(pipeline.ledger)
    start = datetime(2020, 1, 1, tzinfo=UTC)  # older than every harvested record: first in the queue
    return {
        "fr": add_contribution(
            pipeline.ledger, "mc-1", issues=(LICENCE_MISSING,), contributor=MARIE, waiting_since=start
        ),
        "en": add_contribution(
            pipeline.ledger, "mc-2", language="en", waiting_since=start + timedelta(hours=1)
        ),
        "approved": add_contribution(pipeline.ledger, "mc-3", status="approved", contributor=MARIE),
    }


def harvested_waiting(pipeline: Pipeline) -> list[ResourceRow]:
    with pipeline.ledger() as session:
        return list(
            session.scalars(
                select(ResourceRow).where(
                    ResourceRow.status == "needs_review", ResourceRow.source_id != PLATFORM
                )
            )
        )


def test_the_origin_filter_keeps_contributions_or_harvested_records_with_right_counts(
    pipeline: Pipeline, contributions: dict[str, str]
) -> None:
    harvested = len(harvested_waiting(pipeline))
    assert harvested > 0
    everything = queue(pipeline.ledger, size=200)
    assert everything.total == harvested + 2  # all origins by default
    assert everything.counts["origin"] == {"contributions": 2, "harvested": harvested}

    only = queue(pipeline.ledger, origin="contributions", size=200)
    assert {i["id"] for i in only.items} == {contributions["fr"], contributions["en"]}
    assert only.counts["origin"] == everything.counts["origin"]  # a facet ignores its own filter
    assert only.counts["source"] == {PLATFORM: 2}  # the other facets count within it
    assert only.counts["language"] == {"fr": 1, "en": 1}

    others = queue(pipeline.ledger, origin="harvested", size=200)
    assert others.total == harvested and all(i["source"] != PLATFORM for i in others.items)
    assert queue(pipeline.ledger, status="all", origin="contributions").total == 3
    assert queue(pipeline.ledger, origin="nonsense").total == 0


def test_the_origin_filter_combines_with_the_others(
    pipeline: Pipeline, contributions: dict[str, str]
) -> None:
    english = queue(pipeline.ledger, origin="contributions", language="en", size=200)
    assert [i["id"] for i in english.items] == [contributions["en"]]
    with_issue = queue(pipeline.ledger, issue="LICENCE_MISSING", size=200)
    harvested_with_issue = Counter(
        code for r in harvested_waiting(pipeline) for code in {i["code"] for i in r.issues}
    )["LICENCE_MISSING"]
    # Under the issue filter the origin facet counts the records having that issue, by origin.
    assert with_issue.counts["origin"].get("contributions") == 1
    assert with_issue.counts["origin"].get("harvested", 0) == harvested_with_issue
    both = queue(pipeline.ledger, issue="LICENCE_MISSING", origin="contributions", size=200)
    assert [i["id"] for i in both.items] == [contributions["fr"]]
    assert both.counts["issue"]["LICENCE_MISSING"] == both.total == 1
    # The source filter names the platform like any source, and combines with the origin.
    assert queue(pipeline.ledger, source=PLATFORM, origin="harvested").total == 0
    assert queue(pipeline.ledger, source=PLATFORM).total == 2
    # Previous / next stay within the filtered queue.
    assert neighbours(pipeline.ledger, contributions["fr"], origin="contributions") == (
        None,
        contributions["en"],
    )


def test_queue_items_carry_the_source_type_and_the_contributor(
    pipeline: Pipeline, contributions: dict[str, str]
) -> None:
    items = {i["id"]: i for i in queue(pipeline.ledger, size=200, vocabularies=VOCABS).items}
    mine = items[contributions["fr"]]
    assert mine["source_type"] == "contributions"
    assert mine["contributor"] == {
        "id": "u-42",
        "display_name": "Marie T.",
        "organisation": "CSS des Découvreurs",
    }
    assert items[contributions["en"]]["contributor"] is None  # the platform did not say who
    harvested = next(i for rid, i in items.items() if rid not in contributions.values())
    assert harvested["source_type"] == "oai" and harvested["contributor"] is None
    assert source_types(pipeline.ledger) == {"demo-lom": "oai", PLATFORM: "contributions"}


def test_the_contract_keeps_the_contributor_out_of_search_results(
    pipeline: Pipeline, contributions: dict[str, str]
) -> None:
    with pipeline.ledger() as session:
        row = session.get_one(ResourceRow, contributions["approved"])
        review = record_view(row, vocabularies=VOCABS, source_type="contributions")
        public = record_view(row, with_issues=False, vocabularies=VOCABS)
    assert review["contributor"]["display_name"] == "Marie T." and review["source_type"] == "contributions"
    assert "contributor" not in public and "source_type" not in public


def test_the_dashboard_counts_platforms_like_sources_and_names_them(
    pipeline: Pipeline, contributions: dict[str, str]
) -> None:
    board = dashboard(pipeline.ledger)
    assert board["platforms"] == [PLATFORM]
    assert board["sources"][PLATFORM]["needs_review"] == 2
    assert board["sources"][PLATFORM]["approved"] == 1 and board["sources"][PLATFORM]["total"] == 3
    assert "demo-lom" in board["sources"] and "demo-lom" not in board["platforms"]
    assert contributions["fr"] == board["oldest"][0]["id"]  # waiting longest, whatever its origin


def test_platforms_of_names_only_the_platforms_of_decided_contributions(
    pipeline: Pipeline, contributions: dict[str, str]
) -> None:
    harvested = [r.id for r in harvested_waiting(pipeline)[:3]]
    assert platforms_of(pipeline.ledger, harvested) == []
    assert platforms_of(pipeline.ledger, []) == []
    assert platforms_of(pipeline.ledger, [*harvested, contributions["fr"], contributions["en"]]) == [PLATFORM]
    add_platform(pipeline.ledger, "autre-plateforme", "Autre")
    other = add_contribution(pipeline.ledger, "x-1", platform="autre-plateforme")
    assert platforms_of(pipeline.ledger, [other, contributions["fr"]]) == ["autre-plateforme", PLATFORM]
