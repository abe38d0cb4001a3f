"""The duplicates report (``duplicates --json``) and the per-source figures, on both ledgers.

Every expected figure is counted by hand from tests/duplicates/ledger_corpus.py: source ``editeur``
holds chimie-editeur, chemistry-en and chimie-chapitre; ``biblio`` chimie-biblio, chimie-1re,
histoire-t1, histoire-t2 and notes-bio; ``reseau`` chimie-reseau, notes-philo and seul. The
textbook's three copies are ``same`` across the three sources; the first edition (biblio) is a
``version`` of the editor's and the network's copies (and of the library's own, same source);
the translation and the chapter are links, which never count as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select, update
from tests.duplicates.ledger_corpus import RECORDS, SAME_GROUP, DupLedger, build

from ren_index.ledger.models import DupPair, ResourceRow
from ren_index.review.duplicate_actions import choose_primary, label
from ren_index.review.duplicates_report import duplicates_report, percent, source_figures
from ren_index.steps.duplicates import find_duplicates

SOURCE_OF = {rec.key: rec.source for rec in RECORDS}


def _found(ledger_url: Callable[..., str]) -> DupLedger:
    dup = build(ledger_url)
    find_duplicates(dup.factory)
    return dup


def test_the_report_has_exactly_the_issues_shape(ledger_url: Callable[..., str]) -> None:
    dup = _found(ledger_url)
    with dup.factory() as session:
        report = duplicates_report(session)
    assert set(report) == {"pairs", "groups", "sources"}
    assert report["pairs"]
    for pair in report["pairs"]:
        assert set(pair) == {"a", "b", "relation", "score", "status", "reasons"}
        assert pair["status"] in ("pending", "confirmed", "rejected") and pair["a"] < pair["b"]
    scores = [p["score"] for p in report["pairs"]]
    assert scores == sorted(scores, reverse=True)
    (group,) = report["groups"]
    assert set(group) == {"id", "primary", "members"}
    assert group["id"] == min(dup.ids[k] for k in SAME_GROUP)
    assert group["primary"] == dup.ids["chimie-reseau"]  # the network's priority (5)
    assert group["members"][0] == {"id": dup.ids["chimie-reseau"], "source": "reseau", "relation": "primary"}
    assert {(m["id"], m["source"], m["relation"]) for m in group["members"][1:]} == {
        (dup.ids["chimie-editeur"], "editeur", "same"),
        (dup.ids["chimie-biblio"], "biblio", "same"),
    }
    assert group["members"][1]["id"] == dup.ids["chimie-editeur"]  # rank: more complete first
    assert set(report["sources"]) == {"editeur", "biblio", "reseau"}
    for figure in report["sources"].values():
        assert set(figure) == {"records", "duplicated_elsewhere", "share"}


def test_shares_are_counted_across_sources_only(ledger_url: Callable[..., str]) -> None:
    dup = _found(ledger_url)
    with dup.factory() as session:
        sources = duplicates_report(session)["sources"]
    assert sources == {
        # chimie-editeur (same as the library's and the network's copies)
        "editeur": {"records": 3, "duplicated_elsewhere": 1, "share": 0.3333},
        # chimie-biblio (same) and chimie-1re (a version of the editor's and the network's copies)
        "biblio": {"records": 5, "duplicated_elsewhere": 2, "share": 0.4},
        # chimie-reseau
        "reseau": {"records": 3, "duplicated_elsewhere": 1, "share": 0.3333},
    }


def test_different_takes_a_record_out_of_the_share_and_status_narrows_pairs_only(
    ledger_url: Callable[..., str],
) -> None:
    dup = _found(ledger_url)
    first = dup.ids["chimie-1re"]
    for other in ("chimie-editeur", "chimie-reseau"):
        label(dup.factory, first, dup.ids[other], "different", "marie")
    with dup.factory() as session:
        report = duplicates_report(session, status="rejected")
    # the first edition's version pair with the library's own copy stays: same source, not counted
    assert report["sources"]["biblio"] == {"records": 5, "duplicated_elsewhere": 1, "share": 0.2}
    assert {frozenset((p["a"], p["b"])) for p in report["pairs"]} == {
        frozenset((first, dup.ids["chimie-editeur"])),
        frozenset((first, dup.ids["chimie-reseau"])),
    }
    assert {(p["relation"], p["status"]) for p in report["pairs"]} == {("version", "rejected")}
    assert len(report["groups"]) == 1  # the groups are what stands, whatever the pairs' filter


def test_a_source_narrows_pairs_groups_and_figures(ledger_url: Callable[..., str]) -> None:
    dup = _found(ledger_url)
    with dup.factory() as session:
        reseau = duplicates_report(session, source="reseau")
        lonely = duplicates_report(session, source="biblio", status="confirmed")
    mine = {dup.ids["chimie-reseau"], dup.ids["notes-philo"], dup.ids["seul"]}
    assert reseau["pairs"] and all({p["a"], p["b"]} & mine for p in reseau["pairs"])
    with dup.factory() as session:
        touching = session.scalars(select(DupPair).where(DupPair.a.in_(mine) | DupPair.b.in_(mine))).all()
    assert len(reseau["pairs"]) == len(touching)
    assert [g["primary"] for g in reseau["groups"]] == [dup.ids["chimie-reseau"]]
    assert list(reseau["sources"]) == ["reseau"]
    # the library's confirmed pairs: its copy with the editor's and with the network's
    assert {frozenset((dup.key(p["a"]), dup.key(p["b"]))) for p in lonely["pairs"]} == {
        frozenset(("chimie-biblio", "chimie-editeur")),
        frozenset(("chimie-biblio", "chimie-reseau")),
    }


def test_a_deleted_record_counts_neither_as_a_record_nor_as_a_duplicate(
    ledger_url: Callable[..., str],
) -> None:
    dup = _found(ledger_url)
    with dup.factory.begin() as session:
        session.execute(
            update(ResourceRow).where(ResourceRow.id == dup.ids["chimie-biblio"]).values(status="deleted")
        )
    with dup.factory() as session:
        sources = duplicates_report(session)["sources"]
    assert sources["biblio"] == {"records": 4, "duplicated_elsewhere": 1, "share": 0.25}  # chimie-1re
    assert sources["editeur"]["duplicated_elsewhere"] == 1  # still with the network's copy


def test_figures_count_the_pairs_waiting_per_source(ledger_url: Callable[..., str]) -> None:
    dup = _found(ledger_url)
    with dup.factory() as session:
        rows = session.scalars(select(DupPair)).all()
        figures = {f.source: f for f in source_figures(session)}
    waiting: dict[str, int] = {}
    for row in rows:  # a pair touching a source once, even within one source
        if row.status == "pending":
            for source in {SOURCE_OF[dup.key(row.a)], SOURCE_OF[dup.key(row.b)]}:
                waiting[source] = waiting.get(source, 0) + 1
    assert {s: f.pending for s, f in figures.items()} == waiting
    # the three copies' pairs were grouped by the rules: confirmed, never waiting
    assert all(f.pairs > f.pending for f in figures.values())
    assert figures["editeur"].share == 0.3333


def test_the_report_reads_the_ledger_in_a_few_queries_whatever_the_pairs(
    ledger_url: Callable[..., str],
) -> None:
    dup = _found(ledger_url)
    choose_primary(dup.factory, dup.ids["chimie-biblio"], "marie")
    statements: list[str] = []
    with dup.factory() as session:
        engine = session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, …)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            report = duplicates_report(session)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert len(report["pairs"]) > 10
    assert len(statements) <= 6, statements
    assert report["groups"][0]["primary"] == dup.ids["chimie-biblio"]


def test_percentages_read_as_people_write_them() -> None:
    assert (percent(0.3333), percent(0.3333, "en")) == ("33,3 %", "33.3%")
    assert (percent(0.4), percent(1.0, "en"), percent(0.0)) == ("40 %", "100%", "0 %")
