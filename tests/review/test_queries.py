"""The queue (filters, facet counts, pages, sort), neighbours and the dashboard numbers."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from ren_index.ledger.models import ResourceRow
from ren_index.review.queries import dashboard, neighbours, queue

from .conftest import RULEBOOK, Pipeline

VOCABS = RULEBOOK.vocabularies


def waiting(pipeline: Pipeline) -> list[ResourceRow]:
    with pipeline.ledger() as session:
        return list(session.scalars(select(ResourceRow).where(ResourceRow.status == "needs_review")))


def test_queue_pages_and_sort(pipeline: Pipeline) -> None:
    rows = waiting(pipeline)
    first = queue(pipeline.ledger, size=10, vocabularies=VOCABS)
    assert first.total == len(rows) and first.pages == -(-len(rows) // 10) and len(first.items) == 10
    everything = [
        i["id"] for p in range(1, first.pages + 1) for i in queue(pipeline.ledger, size=10, page=p).items
    ]
    assert sorted(everything) == sorted(r.id for r in rows)  # every record once
    expected = [r.id for r in sorted(rows, key=lambda r: (r.decided_at, r.id))]
    assert everything == expected
    newest = queue(pipeline.ledger, size=len(rows), sort="newest")
    assert [i["id"] for i in newest.items] == expected[::-1]
    item = first.items[0]
    assert {"id", "title", "levels", "licence", "issues", "waiting_since", "issue_codes"} <= set(item)
    assert item["issue_codes"] == sorted({i["code"] for i in item["issues"]})
    assert queue(pipeline.ledger, size=10, page=99).page == first.pages  # clamped


def test_queue_filters_and_facet_counts(pipeline: Pipeline) -> None:
    rows = waiting(pipeline)
    page = queue(pipeline.ledger, size=200)
    by_issue = Counter(code for r in rows for code in {i["code"] for i in r.issues})
    assert page.counts["issue"] == dict(by_issue)
    assert page.counts["source"] == {"demo-lom": len(rows)}

    code = "LICENCE_NOT_OPEN"
    only = queue(pipeline.ledger, issue=code, size=200)
    assert only.total == by_issue[code]
    assert all(code in i["issue_codes"] for i in only.items)
    # The issue facet ignores the issue filter itself; the others count within it.
    assert only.counts["issue"] == page.counts["issue"]
    within = Counter(p for i in only.items for p in i["portals"])
    assert only.counts["portal"] == dict(within)

    portal = next(iter(within))
    both = queue(pipeline.ledger, issue=code, portal=portal, size=200)
    assert both.total == within[portal]
    assert both.counts["issue"][code] == both.total

    level = "https://w3id.org/ren-index/vocab/niveaux/secondaire"  # broad: finds the narrower levels
    broad = queue(pipeline.ledger, level=level, size=200, vocabularies=VOCABS)
    assert broad.total > 0
    assert all(
        any(lv["uri"] == level or level in VOCABS.levels.ancestors(lv["uri"]) for lv in i["levels"])
        for i in broad.items
    )
    assert queue(pipeline.ledger, language="fr", size=200).total + queue(
        pipeline.ledger, language="en", size=200
    ).total >= len([r for r in rows if r.record and r.record["controlled"]["languages"]])
    assert queue(pipeline.ledger, source="autre").total == 0
    assert queue(pipeline.ledger, status="all", size=1).total == len(pipeline.records)


def test_neighbours_follow_the_queue_order(pipeline: Pipeline) -> None:
    ids = [i["id"] for i in queue(pipeline.ledger, size=200).items]
    assert neighbours(pipeline.ledger, ids[1]) == (ids[0], ids[2])
    assert neighbours(pipeline.ledger, ids[0]) == (None, ids[1])
    assert neighbours(pipeline.ledger, ids[-1]) == (ids[-2], None)
    assert neighbours(pipeline.ledger, ids[1], sort="newest") == (ids[2], ids[0])


def test_dashboard_numbers_equal_direct_counts(pipeline: Pipeline) -> None:
    board = dashboard(pipeline.ledger)
    with pipeline.ledger() as session:
        direct = dict(
            session.execute(select(ResourceRow.status, func.count()).group_by(ResourceRow.status)).all()
        )
    assert {k: v for k, v in board["statuses"].items() if v} == direct
    assert board["total"] == sum(direct.values()) == len(pipeline.records)
    assert board["sources"]["demo-lom"]["needs_review"] == direct["needs_review"]
    rows = waiting(pipeline)
    assert board["issues"] == dict(Counter(c for r in rows for c in {i["code"] for i in r.issues}))
    oldest = sorted(rows, key=lambda r: (r.decided_at, r.id))[:10]
    assert [o["id"] for o in board["oldest"]] == [r.id for r in oldest]
    assert all({"title", "source", "waiting_since"} <= set(o) for o in board["oldest"])


def test_queue_sorts_by_quality_score_unscored_last(pipeline: Pipeline) -> None:
    rows = waiting(pipeline)
    unscored = rows[0].id
    with pipeline.ledger.begin() as session:
        session.get_one(ResourceRow, unscored).quality_score = None  # as after migration 0006
    for sort in ("score_low", "score_high"):
        items = queue(pipeline.ledger, sort=sort, size=200, vocabularies=VOCABS).items
        scores = [i["quality"]["score"] for i in items[:-1]]
        assert scores == sorted(scores, reverse=sort == "score_high")
        assert items[-1]["id"] == unscored  # not scored yet: last, whichever way
        middle = items[len(items) // 2]["id"]
        before, after = neighbours(pipeline.ledger, middle, sort=sort, vocabularies=VOCABS)
        ids = [i["id"] for i in items]
        assert (before, after) == (ids[ids.index(middle) - 1], ids[ids.index(middle) + 1])
