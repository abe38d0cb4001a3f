"""The duplicates step on a real ledger (both backends): pairs kept, groups and primaries,
incremental passes, a person's labels standing (tests/duplicates/ledger_corpus.py)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from tests.duplicates.ledger_corpus import EXPECTED, RECORDS, SAME_GROUP, DupLedger, Rec, build, record_of

from ren_index.ledger import duplicates as ledger
from ren_index.ledger.models import DupKey, DupMember, DupPair, DupSignature, ResourceRow, utcnow
from ren_index.steps.duplicates import find_duplicates


def _pairs(dup: DupLedger) -> dict[frozenset[str], tuple[str, str, str | None]]:
    with dup.factory() as session:
        return {
            frozenset({dup.key(p.a), dup.key(p.b)}): (p.relation, p.status, p.decided_by)
            for p in session.scalars(select(DupPair))
        }


def _members(dup: DupLedger) -> dict[str, tuple[str, str, int]]:
    with dup.factory() as session:
        return {
            dup.key(m.resource_id): (dup.key(m.group_id), m.relation, m.rank)
            for m in session.scalars(select(DupMember))
        }


def test_a_first_pass_keeps_pairs_groups_copies_and_leaves_the_rest_to_review(
    ledger_url: Callable[..., str],
) -> None:
    dup = build(ledger_url)
    run = find_duplicates(dup.factory, dup.priorities)
    pairs = _pairs(dup)
    for pair, relation in EXPECTED.items():
        assert pairs[pair][0] == relation, sorted(pair)
    for a in SAME_GROUP:  # the three copies: confirmed by the rules, grouped without review
        for b in SAME_GROUP - {a}:
            assert pairs[frozenset({a, b})] == ("same", "confirmed", "rules")
    assert pairs[frozenset({"chimie-editeur", "chemistry-en"})][1:] == ("pending", None)
    assert pairs[frozenset({"chimie-1re", "chimie-editeur"})][:2] == ("version", "pending")
    keys = {k for pair in pairs for k in pair}
    assert not keys & {"histoire-t1", "histoire-t2", "notes-philo", "notes-bio", "seul"}
    members = _members(dup)
    # the network's feed has the highest priority: its record is the primary
    assert set(members) == SAME_GROUP
    assert {rel for _, rel, _ in members.values()} == {"primary", "same"}
    assert members["chimie-reseau"][1:] == ("primary", 0)
    assert members["chimie-editeur"][2] == 1  # more complete (90) than the library's copy (60)
    group_id = min(dup.ids[k] for k in SAME_GROUP)
    assert {dup.ids[g] for g, _, _ in members.values()} == {group_id}
    assert run.counts["signed"] == len(RECORDS) and run.counts["auto"] == 3
    assert run.counts["groups"] == 1 and len(run.moved) == 3


def test_a_pass_with_nothing_new_signs_and_compares_nothing(ledger_url: Callable[..., str]) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory, dup.priorities)
    before = _pairs(dup)
    run = find_duplicates(dup.factory, dup.priorities)
    assert (run.counts["signed"], run.counts["compared"], run.counts["moved"]) == (0, 0, 0)
    assert run.counts["groups"] == 1  # counted, not rebuilt
    assert _pairs(dup) == before


def test_a_new_record_is_compared_through_the_ledgers_keys_and_joins_the_group(
    ledger_url: Callable[..., str],
) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory, dup.priorities)
    fourth = Rec(
        "chimie-copie", "biblio", {"fr": "Chimie générale, 2e édition"}, {"fr": RECORDS[0].description["fr"]},
        "https://editions.example/chimie-generale/index.html", quality=95, day=20,
    )  # fmt: skip
    more = build_more(dup, fourth)
    run = find_duplicates(dup.factory, dup.priorities)
    assert run.counts["signed"] == 1  # only the new record
    assert 0 < run.counts["compared"] < len(RECORDS)  # its candidates, not every record
    members = _members(dup)
    assert members["chimie-copie"][1] == "same" and members["chimie-reseau"][1] == "primary"
    with dup.factory() as session:
        assert session.scalar(select(DupSignature.digest).where(DupSignature.resource_id == more))
        assert session.scalars(select(DupKey.key).where(DupKey.resource_id == more)).all()


def build_more(dup: DupLedger, rec: Rec) -> str:
    """Add one record to the corpus's ledger; its id."""
    from tests.duplicates.ledger_corpus import T0

    from ren_index.ledger.models import RawRecordRow
    from ren_index.ledger.store import resource_id

    identifier = f"oai:{rec.source}:{rec.key}"
    rid = resource_id(rec.source, identifier)
    with dup.factory.begin() as session:
        raw = RawRecordRow(
            source_id=rec.source,
            identifier=identifier,
            metadata_prefix="lom",
            payload="<x/>",
            content_hash=rec.key,
            first_seen=T0,
        )
        session.add(raw)
        session.flush()
        session.add(
            ResourceRow(
                id=rid,
                raw_id=raw.id,
                source_id=rec.source,
                record=record_of(rec),
                issues=[],
                status="approved",
                portals=["pavillon"],
                quality_score=rec.quality,
            )
        )
    dup.ids[rec.key] = rid
    return rid


def test_different_stands_until_a_record_changes(ledger_url: Callable[..., str]) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory, dup.priorities)
    a, b = dup.ids["chimie-editeur"], dup.ids["chemistry-en"]
    with dup.factory.begin() as session:
        ledger.label_pair(session, b, a, "different", "marie")
    find_duplicates(dup.factory, dup.priorities, everything=True)  # found again: still rejected
    assert _pairs(dup)[frozenset({"chimie-editeur", "chemistry-en"})] == ("translation", "rejected", "marie")
    with dup.factory.begin() as session:  # the English record changes its description
        row = session.get_one(ResourceRow, b)
        record = dict(row.record or {})
        general = dict(record["general"])
        general["description"] = {"en": "Second printing. " + general["description"]["en"]}
        record["general"] = general
        row.record = record
        from ren_index.ledger.models import utcnow

        row.updated_at = utcnow()
    find_duplicates(dup.factory, dup.priorities)
    assert _pairs(dup)[frozenset({"chimie-editeur", "chemistry-en"})] == ("translation", "pending", None)


def test_a_confirmed_version_joins_the_group_and_the_newest_edition_stays_primary(
    ledger_url: Callable[..., str],
) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory, dup.priorities)
    with dup.factory.begin() as session:
        ledger.label_pair(session, dup.ids["chimie-1re"], dup.ids["chimie-editeur"], "version", "marie")
    run = find_duplicates(dup.factory, dup.priorities)
    members = _members(dup)
    assert members["chimie-1re"][1] == "version" and members["chimie-reseau"][1] == "primary"
    assert dup.ids["chimie-1re"] in run.moved
    # a documentalist chooses the publisher's record; the choice outlives the next pass
    with dup.factory.begin() as session:
        ledger.choose(session, dup.ids["chimie-editeur"], "marie")
    find_duplicates(dup.factory, dup.priorities, everything=True)
    members = _members(dup)
    assert members["chimie-editeur"][1:] == ("primary", 0) and members["chimie-reseau"][1] == "same"
    # the rules never undo a person's label on a full pass
    assert _pairs(dup)[frozenset({"chimie-1re", "chimie-editeur"})] == ("version", "confirmed", "marie")


def test_a_deleted_record_leaves_its_group_and_its_rule_made_pairs(ledger_url: Callable[..., str]) -> None:
    dup = build(ledger_url)
    find_duplicates(dup.factory, dup.priorities)
    with dup.factory.begin() as session:
        session.get_one(ResourceRow, dup.ids["chimie-reseau"]).status = "deleted"
    run = find_duplicates(dup.factory, dup.priorities)
    assert run.counts["forgotten"] == 1
    members = _members(dup)
    assert "chimie-reseau" not in members
    assert members["chimie-editeur"][1] == "primary"  # now the most complete copy
    assert not [k for k in _pairs(dup) if "chimie-reseau" in k]
    with dup.factory() as session:
        assert session.get(DupSignature, dup.ids["chimie-reseau"]) is None


def test_a_redirect_learned_by_the_link_checker_pairs_the_old_and_new_addresses(
    ledger_url: Callable[..., str],
) -> None:
    from ren_index.ledger.link_health import save_health
    from ren_index.links.patience import LinkHealth, LinkState

    text = "Les fonctions affines et leurs graphiques, avec des exercices gradués pour la 3e secondaire."
    records = (
        Rec("vieux", "biblio", {"fr": "Fonctions affines"}, {"fr": text}, "https://vieux.example/maths/affines"),
        Rec("nouveau", "reseau", {"fr": "Les fonctions affines"}, {"fr": "Une autre présentation."}, "https://nouveau.example/affines"),
    )  # fmt: skip
    dup = build(ledger_url, records)
    find_duplicates(dup.factory)
    assert _pairs(dup) == {}  # different addresses, different texts
    with dup.factory.begin() as session:
        health = LinkHealth(
            state=LinkState.REDIRECTED, url=records[0].url, moved_to="https://www.nouveau.example/affines/"
        )
        save_health(session, None, dup.ids["vieux"], health)
        session.get_one(ResourceRow, dup.ids["vieux"]).updated_at = utcnow()
    find_duplicates(dup.factory)
    assert _pairs(dup) == {frozenset({"vieux", "nouveau"}): ("same", "confirmed", "rules")}


def test_the_threshold_for_grouping_without_review_comes_from_validation_yaml(
    ledger_url: Callable[..., str],
) -> None:
    from ren_index.config.rules import DuplicateRules
    from ren_index.duplicates.matcher import rules_from

    dup = build(ledger_url)
    run = find_duplicates(dup.factory, rules=rules_from(DuplicateRules(auto_same=1.01)))
    assert run.counts["auto"] == 0 and run.counts["groups"] == 0
    assert {status for _, status, _ in _pairs(dup).values()} == {"pending"}


def test_two_passes_at_once_file_each_signature_and_pair_once(ledger_url: Callable[..., str]) -> None:
    """Two ``process`` runs on two workers each end with the duplicates step: on PostgreSQL the
    advisory lock makes them take turns batch by batch (no unique violation, the same pairs as one
    pass). SQLite has one writer: nothing to show there."""
    import os
    import threading

    import pytest

    if not os.environ.get("REN_TEST_POSTGRES_URL"):
        pytest.skip("REN_TEST_POSTGRES_URL not set: concurrent writers need PostgreSQL")
    dup = build(ledger_url)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            find_duplicates(dup.factory)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with dup.factory() as session:
        assert len(session.scalars(select(DupSignature)).all()) == len(RECORDS)
    pairs = _pairs(dup)
    for pair, relation in EXPECTED.items():
        assert pairs[pair][0] == relation


def _prepared(dup: DupLedger, swap: dict[str, str]) -> dict[str, tuple[str, dict[str, object]]]:
    """What ``process --workers N`` hands the step: each record's fingerprint and signature, the
    signature of ``swap[key]``'s record given to ``key`` (to see which one the step used)."""
    from ren_index.model import Resource
    from ren_index.steps.duplicates import prepare

    with dup.factory() as session:
        records = {r.id: r.record for r in session.scalars(select(ResourceRow))}
    out: dict[str, tuple[str, dict[str, object]]] = {}
    for name, rid in dup.ids.items():
        donor = dup.ids[swap.get(name, name)]
        fingerprint, _ = prepare(Resource.model_validate(records[rid]), rid, records[rid])
        _, signature = prepare(Resource.model_validate(records[donor]), rid, records[donor])
        out[rid] = (fingerprint, signature)
    return out


def test_signatures_prepared_by_the_workers_are_used_only_for_the_record_they_were_computed_from(
    ledger_url: Callable[..., str],
) -> None:
    plain = build(lambda: ledger_url("plain"))
    find_duplicates(plain.factory, plain.priorities)
    expected = (_pairs(plain), _members(plain))

    # Prepared from the very records: the same signatures, pairs and groups as signing them here.
    dup = build(lambda: ledger_url("dup"))
    run = find_duplicates(dup.factory, dup.priorities, prepared=_prepared(dup, {}))
    assert (_pairs(dup), _members(dup)) == expected and run.counts["signed"] == len(RECORDS)
    with plain.factory() as a, dup.factory() as b:
        digests = {plain.key(s.resource_id): s.digest for s in a.scalars(select(DupSignature))}
        assert digests == {dup.key(s.resource_id): s.digest for s in b.scalars(select(DupSignature))}

    # A prepared signature is trusted for its fingerprint's record: « seul » given a copy's
    # signature joins the copies (this proves the step used it)…
    swapped = build(lambda: ledger_url("swapped"))
    find_duplicates(
        swapped.factory, swapped.priorities, prepared=_prepared(swapped, {"seul": "chimie-reseau"})
    )
    assert frozenset({"seul", "chimie-editeur"}) in _pairs(swapped)

    # … but not once the record was rewritten since (a person's correction, another run).
    stale = build(lambda: ledger_url("stale"))
    prepared = _prepared(stale, {"seul": "chimie-reseau"})
    with stale.factory.begin() as session:
        row = session.get_one(ResourceRow, stale.ids["seul"])
        record = dict(row.record or {})
        record["general"] = {**record["general"], "title": {"fr": "Un titre corrigé par une personne"}}
        row.record = record
    find_duplicates(stale.factory, stale.priorities, prepared=prepared)
    assert frozenset({"seul", "chimie-editeur"}) not in _pairs(stale)
