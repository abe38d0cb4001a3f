"""LOM 7 Relation and ``dc:relation`` for confirmed duplicates, through ``/oai`` (both ledgers).

The ledger is ``tests/duplicates/ledger_corpus.py`` after the duplicates step: the textbook's
three copies are grouped by the rules (primary ``chimie-reseau``: source ``reseau`` has priority
5; then ``chimie-editeur``, quality 90, then ``chimie-biblio``, quality 60). A documentalist
confirms a version (first edition ↔ second), a translation, a part, and a part the matcher never
proposed (so its whole is unknown), and rejects one pending pair; every other proposal stays
pending. The expected kinds below follow from those facts and the mapping documented in
:mod:`ren_index.provider.relations` — none is read from the provider's own code.

Every response goes through the official OAI-PMH, oai_dc and LOM (loose) schemas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from lxml import etree
from sqlalchemy import event, select, update
from tests.duplicates.ledger_corpus import RECORDS, DupLedger, Rec, build

from ren_index.ledger.models import DupMember, DupPair, ResourceRow
from ren_index.provider.relations import PairFacts, kind_of
from ren_index.provider.repository import OaiRepository, ProviderConfig
from ren_index.provider.vocabulary import load_provider_vocabularies
from ren_index.review.duplicate_actions import label
from ren_index.steps.duplicates import find_duplicates
from ren_index.web.routes_oai import router

from .conftest import CONFIG, Provider, ledger_settings, serve
from .expected import oai_id
from .schemas import NS, Schemas

HOSTILE_TITLE = "Exercices <corrigés> & solutions — chimie"
HOSTILE_URL = "https://biblio.example/exercices?serie=1&corrige=oui"
HOSTILE = Rec(
    "exercices",
    "biblio",
    {"fr": HOSTILE_TITLE},
    {"fr": "Banque d'exercices de stœchiométrie avec leurs solutions détaillées."},
    HOSTILE_URL,
    day=11,
)
LOM, LOMFR = "LOMv1.0", "LOMFRv1.0"

EXPECTED_LOM: dict[str, list[tuple[str, str, str]]] = {
    # record → [(kind source, kind, other record)] in the documented order: same, version, part,
    # translation; record ids order within a relation (checked by sorting below, ids are hashes).
    "chimie-reseau": [
        (LOM, "hasformat", "chimie-editeur"),  # the primary has the other copies as formats
        (LOM, "hasformat", "chimie-biblio"),
        (LOMFR, "est associée à", "exercices"),  # a part whose whole nobody stated
    ],
    "chimie-editeur": [
        (LOM, "isformatof", "chimie-reseau"),
        (LOM, "hasformat", "chimie-biblio"),  # ranked before biblio by the group's rules
        (LOM, "isversionof", "chimie-1re"),  # the 2nd edition is a version of the 1st
        (LOM, "haspart", "chimie-chapitre"),
        (LOMFR, "est la traduction de", "chemistry-en"),
    ],
    "chimie-biblio": [
        (LOM, "isformatof", "chimie-reseau"),
        (LOM, "isformatof", "chimie-editeur"),
    ],
    "chimie-1re": [(LOM, "hasversion", "chimie-editeur")],
    "chemistry-en": [(LOMFR, "est la traduction de", "chimie-editeur")],
    "chimie-chapitre": [(LOM, "ispartof", "chimie-editeur")],
    "exercices": [(LOMFR, "est associée à", "chimie-reseau")],
    "histoire-t1": [],
    "histoire-t2": [],
    "notes-philo": [],
    "notes-bio": [],
    "seul": [],
}
URLS = {rec.key: rec.url for rec in (*RECORDS, HOSTILE)}
TITLES = {rec.key: rec.title for rec in (*RECORDS, HOSTILE)}
ORDER = {"hasformat": 0, "isformatof": 0, "isversionof": 1, "hasversion": 1, "haspart": 2, "ispartof": 2}


@dataclass
class Served:
    dup: DupLedger
    provider: Provider


def labelled(ledger_url: Callable[..., str]) -> DupLedger:
    """The corpus and the hostile record, the step run, then a documentalist's labels."""
    dup = build(ledger_url, records=(*RECORDS, HOSTILE))
    find_duplicates(dup.factory)
    ids = dup.ids
    with dup.factory() as session:
        pending = {(p.a, p.b) for p in session.scalars(select(DupPair).where(DupPair.status == "pending"))}
    # Preconditions the assertions rely on: the proposals this test leaves pending are there.
    for x, y in (("chimie-1re", "chimie-biblio"), ("chimie-chapitre", "chimie-reseau")):
        assert tuple(sorted((ids[x], ids[y]))) in pending, (x, y)
    assert tuple(sorted((ids["chimie-chapitre"], ids["chimie-biblio"]))) in pending
    label(dup.factory, ids["chimie-1re"], ids["chimie-editeur"], "version", "marie")
    label(dup.factory, ids["chemistry-en"], ids["chimie-editeur"], "translation", "marie")
    label(dup.factory, ids["chimie-chapitre"], ids["chimie-editeur"], "part", "marie")
    label(dup.factory, ids["exercices"], ids["chimie-reseau"], "part", "marie")
    label(dup.factory, ids["chimie-chapitre"], ids["chimie-biblio"], "different", "marie")
    with dup.factory() as session:
        ranks = {
            dup.key(m.resource_id): m.rank
            for m in session.scalars(select(DupMember))
            if dup.key(m.resource_id) in ("chimie-reseau", "chimie-editeur", "chimie-biblio")
        }
    assert ranks["chimie-reseau"] == 0 and ranks["chimie-editeur"] < ranks["chimie-biblio"]
    return dup


@pytest.fixture
def served(ledger_url: Callable[..., str], tmp_path: Path, schemas: Schemas | None) -> Iterator[Served]:
    dup = labelled(ledger_url)
    settings = ledger_settings(tmp_path, dup.url)
    app = FastAPI()
    app.include_router(router)
    app.state.settings = settings
    app.state.ledger = dup.factory
    for url in serve(app):
        yield Served(dup, Provider(url, dup.factory, settings, schemas))
    dup.factory.kw["bind"].dispose()


def lom_relations(lom: etree._Element) -> list[tuple[str, str, str, str | None, dict[str, str]]]:
    """(source, kind, oai identifier, landing URL, title by language) of each 7 Relation."""
    out = []
    for relation in lom.iterfind("lom:relation", NS):
        entries = {
            ident.findtext("lom:catalog", namespaces=NS): ident.findtext("lom:entry", namespaces=NS)
            for ident in relation.iterfind("lom:resource/lom:identifier", NS)
        }
        title = {
            s.get("language", "und"): s.text or ""
            for s in relation.iterfind("lom:resource/lom:description/lom:string", NS)
        }
        out.append(
            (
                relation.findtext("lom:kind/lom:source", namespaces=NS) or "",
                relation.findtext("lom:kind/lom:value", namespaces=NS) or "",
                entries.get("oai") or "",
                entries.get("URI"),
                title,
            )
        )
    return out


def expected_lom(dup: DupLedger, key: str) -> list[tuple[str, str, str, str | None, dict[str, str]]]:
    rows = [
        (source, kind, oai_id(dup.ids[other]), URLS[other], TITLES[other])
        for source, kind, other in EXPECTED_LOM[key]
    ]
    return sorted(rows, key=lambda r: (ORDER.get(r[1], 3), r[2]))


def records_by_key(dup: DupLedger, root: etree._Element) -> dict[str, etree._Element]:
    out = {}
    for record in root.iterfind(".//o:record", NS):
        identifier = record.findtext("o:header/o:identifier", namespaces=NS) or ""
        out[dup.key(identifier.rsplit(":", 1)[-1])] = record
    return out


def test_every_member_is_listed_with_its_lom_relations_both_ways(served: Served) -> None:
    dup, provider = served.dup, served.provider
    root = provider.get(verb="ListRecords", metadataPrefix="lom")
    assert root.find(".//o:resumptionToken", NS) is None  # one page: 12 records
    records = records_by_key(dup, root)
    assert set(records) == set(EXPECTED_LOM)  # grouped or not, every record is still exposed
    for key, record in records.items():
        lom = record.find("o:metadata/lom:lom", NS)
        assert lom is not None, key
        assert lom_relations(lom) == expected_lom(dup, key), key
        # LOM order: 7 Relation after 6 Rights and before 9 Classification.
        names = [etree.QName(child).localname for child in lom]
        if "relation" in names:
            assert names.index("relation") > names.index("metaMetadata")
            assert all(n != "classification" for n in names[names.index("relation") :] if n != "relation")


def test_get_record_escapes_the_other_records_title_and_url(served: Served) -> None:
    dup, provider = served.dup, served.provider
    response = httpx.get(
        provider.url,
        params={"verb": "GetRecord", "metadataPrefix": "lom", "identifier": oai_id(dup.ids["chimie-reseau"])},
        timeout=30,
    )
    root = provider.parse(response)
    assert b"Exercices &lt;corrig\xc3\xa9s&gt; &amp; solutions" in response.content
    assert b"serie=1&amp;corrige=oui" in response.content
    lom = root.find(".//lom:lom", NS)
    assert lom is not None
    hostile = [r for r in lom_relations(lom) if r[2] == oai_id(dup.ids["exercices"])]
    assert hostile == [
        (LOMFR, "est associée à", oai_id(dup.ids["exercices"]), HOSTILE_URL, {"fr": HOSTILE_TITLE})
    ]


def test_oai_dc_carries_one_relation_per_confirmed_pair(served: Served) -> None:
    dup, provider = served.dup, served.provider
    root = provider.get(verb="ListRecords", metadataPrefix="oai_dc")
    records = records_by_key(dup, root)
    assert set(records) == set(EXPECTED_LOM)
    for key, record in records.items():
        found = [el.text or "" for el in record.iterfind(".//dc:relation", NS)]
        assert sorted(found) == sorted(URLS[other] for _, _, other in EXPECTED_LOM[key]), key


def test_pending_rejected_and_unpublished_records_are_never_named(served: Served) -> None:
    dup, provider = served.dup, served.provider
    ids = dup.ids

    def named(key: str) -> set[str]:
        root = provider.get(verb="GetRecord", metadataPrefix="lom", identifier=oai_id(ids[key]))
        lom = root.find(".//lom:lom", NS)
        assert lom is not None
        return {dup.key(r[2].rsplit(":", 1)[-1]) for r in lom_relations(lom)}

    assert "chimie-biblio" not in named("chimie-1re")  # pending version pair
    assert "chimie-reseau" not in named("chimie-chapitre")  # pending part pair
    assert "chimie-biblio" not in named("chimie-chapitre")  # rejected (« different »)
    assert "chemistry-en" in named("chimie-editeur")
    with dup.factory.begin() as session:  # the translation goes back to the review queue
        session.execute(
            update(ResourceRow).where(ResourceRow.id == ids["chemistry-en"]).values(status="needs_review")
        )
    assert "chemistry-en" not in named("chimie-editeur")
    root = provider.get(verb="GetRecord", metadataPrefix="oai_dc", identifier=oai_id(ids["chimie-editeur"]))
    assert URLS["chemistry-en"] not in [el.text for el in root.iterfind(".//dc:relation", NS)]


def test_relations_are_read_by_page_not_by_record(ledger_url: Callable[..., str], tmp_path: Path) -> None:
    """Paged ListRecords (page size 5, 12 records): one query on the pairs per page, not per record."""
    dup = labelled(ledger_url)
    settings = ledger_settings(tmp_path, dup.url).model_copy(update={"oai_page_size": 5})
    repository = OaiRepository(
        dup.factory, ProviderConfig.from_settings(settings), load_provider_vocabularies(CONFIG), {}
    )
    statements: list[str] = []
    engine = dup.factory.kw["bind"]

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        pages, listed, token = 0, 0, None
        while True:
            params = {"resumptionToken": [token]} if token else {"metadataPrefix": ["lom"]}
            root = etree.fromstring(repository.respond({"verb": ["ListRecords"], **params}, "http://t/oai"))
            pages += 1
            listed += len(root.findall(".//o:record", NS))
            token = root.findtext(".//o:resumptionToken", namespaces=NS)
            if not token:
                break
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (pages, listed) == (3, 12)
    on_pairs = [s for s in statements if "FROM dup_pairs" in s]
    assert len(on_pairs) == pages
    dup.factory.kw["bind"].dispose()


@pytest.mark.parametrize(
    ("pair", "this", "ranks", "expected"),
    [
        # an edition whose records do not say which is newer: each is a version of the other
        (PairFacts("a", "b", "version"), "a", {}, (LOM, "isversionof")),
        (PairFacts("a", "b", "version"), "b", {}, (LOM, "isversionof")),
        (PairFacts("a", "b", "version", newer="a"), "b", {}, (LOM, "hasversion")),
        (PairFacts("a", "b", "part", whole="b"), "a", {}, (LOM, "ispartof")),
        (PairFacts("a", "b", "part", whole="b"), "b", {}, (LOM, "haspart")),
        # copies outside a group (ranks unknown, or stale ranks of two groups): record ids decide
        (PairFacts("a", "b", "same"), "a", {}, (LOM, "hasformat")),
        (PairFacts("a", "b", "same"), "b", {"a": ("g1", 0), "b": ("g2", 0)}, (LOM, "isformatof")),
        (PairFacts("a", "b", "same"), "a", {"a": ("g", 2), "b": ("g", 1)}, (LOM, "isformatof")),
        (PairFacts("a", "b", "translation"), "b", {}, (LOMFR, "est la traduction de")),
    ],
)
def test_kinds_when_the_ledger_knows_less(
    pair: PairFacts, this: str, ranks: dict[str, tuple[str, int]], expected: tuple[str, str]
) -> None:
    assert kind_of(pair, this, ranks) == expected
