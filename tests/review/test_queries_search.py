"""The queue's free-text search, its new sorts and its counts with every filter combined (issue 14).

Over the hand-written ledger of :mod:`.queue_records` (SQLite, or PostgreSQL when
``REN_TEST_POSTGRES_URL`` is set): the expected ids and counts are read off that file.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ren_index.config.issue_codes import known_codes
from ren_index.review.queries import neighbours, queue

from .queue_records import RECORDS, WAITING, QueueLedger, build


@pytest.fixture
def ql(ledger_url: Callable[..., str]) -> QueueLedger:
    return build(ledger_url)


def found(ql: QueueLedger, **kwargs: object) -> set[str]:
    return set(ql.keys(queue(ql.factory, size=200, **kwargs).items))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ecole", {"ecole", "numerique"}),  # « École », « ECOLE » (and « écoles »)
        ("ÉCOLE", {"ecole", "numerique"}),
        ("  École  ", {"ecole", "numerique"}),
        ("écoles", {"numerique"}),  # in the description only
        ("periodique", {"chimie"}),  # « périodique », description
        ("FRACTIONS", {"fractions", "avancees"}),  # French and English titles
        ("pav.example/num", {"numerique"}),  # the address
        ("oai:eo:frac-01", {"avancees"}),  # the identifier
        ("urn:pav:chimie", {"chimie"}),
        ("%", {"numerique", "fractions"}),  # a literal per cent: « 50% », « 100 % »
        ("50%", {"numerique"}),
        ("_", {"ecole", "fractions"}),  # a literal underscore: R_1, frac_01, a_b
        ("a_b", {"fractions"}),  # not « la base » (what LIKE 'a_b' would also find)
        ("frac_01", {"fractions"}),  # not frac-01
        ("zzz", set()),
        ("", set(WAITING)),  # no term: no search
    ],
)
def test_search_is_case_and_accent_insensitive_and_literal(
    ql: QueueLedger, q: str, expected: set[str]
) -> None:
    assert found(ql, q=q) == expected


def test_search_finds_a_record_by_its_ledger_id(ql: QueueLedger) -> None:
    assert found(ql, q=ql.ids["chimie"][:12].upper()) == {"chimie"}


def test_search_combines_with_every_filter_and_the_counts_follow(ql: QueueLedger) -> None:
    both = queue(ql.factory, q="fraction", source="eo", size=200)
    assert set(ql.keys(both.items)) == {"fractions", "avancees"} and both.total == 2
    assert both.counts["source"] == {"eo": 2}  # the source facet ignores the source filter, not q
    assert both.counts["issue"] == {"NO_PORTAL": 1, "LEVEL_MISSING": 1}
    assert both.counts["portal"] == {"ecole-ouverte": 1}
    assert both.counts["claim"] == {"unclaimed": 2}

    caps = queue(ql.factory, q="ecole", issue="TITLE_ALL_CAPS", size=200)
    assert ql.keys(caps.items) == ["numerique"]
    assert caps.counts["issue"] == {"LICENCE_NOT_OPEN": 2, "TITLE_ALL_CAPS": 1}  # within q, not within issue
    assert caps.counts["source"] == {"pav": 1}

    assert found(ql, q="ecole", portal="pavillon") == {"ecole", "numerique"}
    assert found(ql, q="ecole", portal="ecole-ouverte") == set()
    assert found(ql, q="eco", status="all") == {"ecole", "numerique", "ecologie", "retire"}
    assert found(ql, q="eco", status="approved") == {"ecologie"}
    assert found(ql, q="école", status="deleted") == {"retire"}
    everything = queue(ql.factory, q="eco", status="all", size=1)
    assert everything.total == 4 and everything.pages == 4  # pages count the searched records
    assert everything.counts["source"] == {"pav": 2, "eo": 2}


def test_neighbours_follow_the_searched_queue(ql: QueueLedger) -> None:
    ids = ql.ids
    assert neighbours(ql.factory, ids["numerique"], q="ecole") == (ids["ecole"], None)
    assert neighbours(ql.factory, ids["avancees"], q="fraction", source="eo") == (ids["fractions"], None)


def test_sorts_by_source_date_issue_and_quality(ql: QueueLedger) -> None:
    def order(sort: str) -> list[str]:
        return ql.keys(queue(ql.factory, sort=sort, size=200).items)

    waiting = [r for r in RECORDS if r.status == "needs_review"]
    assert order("oldest") == [r.key for r in sorted(waiting, key=lambda r: r.hour)]
    assert order("newest") == [r.key for r in sorted(waiting, key=lambda r: -r.hour)]
    # « École ouverte partenaire » before « Pavillon partenaire » (accents do not push it last).
    assert order("source") == ["fractions", "avancees", "ecole", "numerique", "chimie"]
    assert order("updated") == ["fractions", "ecole", "chimie", "avancees", "numerique"]
    catalogue = list(known_codes())

    def rank(r: object) -> tuple[int, ...]:
        codes = sorted(catalogue.index(c) for c in r.issues)
        return (0, *codes) if codes else (1,)

    assert order("issue") == [r.key for r in sorted(waiting, key=lambda r: (rank(r), r.hour))]
    assert order("issue")[-1] == "chimie"  # no issue: last
    assert order("score_low") == ["numerique", "ecole", "avancees", "fractions", "chimie"]  # unscored last
    assert order("score_high") == ["fractions", "avancees", "ecole", "numerique", "chimie"]
    for sort in ("source", "updated", "issue"):
        keys = order(sort)
        assert neighbours(ql.factory, ql.ids[keys[1]], sort=sort) == (ql.ids[keys[0]], ql.ids[keys[2]])
