"""The index step's fast roads give what the plain pydantic roads gave, byte for byte (issue 17).

A changed document — or only its hash — would re-send every document of every deployed index, so
the faster ways of building one are pinned against the ways they replace, on varied records: the
3,060 resources of the pipeline fixture (every mapper, languages, levels, classifications...) and
hand-made ones where a shortcut would go wrong — values equal to the defaults set explicitly,
falsy values that are *not* defaults (``cost=False``, ``size=0``, ``0.0``), empty lists and
dicts, ``None``, nested models, non-ASCII text, dates with and without offset, a lax value.

- :func:`ren_index.index.documents.record_without_defaults` against ``model_dump(mode="json",
  exclude_defaults=True)``;
- :func:`ren_index.steps.index.stored_resource` (the record read as JSON text, parsed by
  pydantic) against ``Resource.model_validate`` of the decoded JSON;
- the index step's reading of ledger rows (:func:`ren_index.steps.index._read`: plain columns, the
  record as text) against :func:`row_document` of the ORM rows, documents and hashes (both ledgers).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select

from ren_index.config.vocabularies import load_vocabularies
from ren_index.index.documents import canonical_json, document_hash, record_without_defaults
from ren_index.ledger.db import open_ledger
from ren_index.ledger.link_health import health_json
from ren_index.ledger.models import LinkHealthRow, RawRecordRow, ResourceRow, SourceRow
from ren_index.links.patience import LinkHealth, LinkState
from ren_index.model import Resource
from ren_index.steps.index import _read, row_document
from ren_index.steps.index_rows import stored_resource

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "pipeline" / "expected.json.gz"
BASE: dict[str, Any] = {"provenance": {"source": "s", "identifier": "x", "metadata_format": "lom"}}


def _prov(**more: Any) -> dict[str, Any]:
    return {"provenance": {**BASE["provenance"], **more}}


EDGES: list[dict[str, Any]] = [
    BASE,
    # every part given, at its default value: dropped as if absent
    {**BASE, "general": {}, "lifecycle": {"contributions": []}, "rights": {"cost": None},
     "controlled": {"languages": [], "url": None}, "technical": {"formats": []}, "classifications": []},
    {**BASE, "general": {"identifiers": [], "title": {}, "keywords": [], "languages": []}},
    # falsy values that are not the defaults: kept
    {**BASE, "rights": {"cost": False, "copyright": False}, "technical": {"size": 0, "formats": [""]}},
    {**BASE, "controlled": {"detected_confidence": 0.0, "detected_language": "", "licence": ""}},
    {**BASE, "lifecycle": {"version": ""}, "educational": {"description": {"": ""}}},
    # nested models, in lists and optional
    {**_prov(contributor={"id": "p1"})},
    {**_prov(contributor={"id": "p1", "display_name": "Zoé Lévesque", "organisation": None})},
    {**BASE, "lifecycle": {"contributions": [
        {"role": None, "entities": [], "date": None},
        {"role": {"value": "auteur"}, "entities": ["Ève"], "date": "2008"}]}},
    {**BASE, "classifications": [{"purpose": None, "source": {}, "taxa": []},
                                 {"purpose": {"source": None, "value": "discipline"},
                                  "taxa": [[None, {}], ["t", {"fr": "Mathématiques"}]]}]},
    {**BASE, "resource_types": [{"value": "t", "source": None}],
     "general": {"coverage": [{}], "keywords": [{}]}},
    # dates: with Z, with an offset, naive, with microseconds; a lax value (a size as text)
    {**_prov(harvested_at="2025-06-01T10:00:00Z", datestamp="2025-06-01")},
    {**_prov(harvested_at="2025-06-01T10:00:00+00:00")},
    {**_prov(harvested_at="2025-06-01T10:00:00.123400+02:00")},
    {**_prov(harvested_at="2025-06-01T10:00:00")},
    {**BASE, "technical": {"size": "12"}, "controlled": {"detected_confidence": 1}},
    # text beyond ASCII, control characters, astral planes
    {**BASE, "general": {"title": {"fr": "« Fonctions » — dérivées 😀 \u2028 tab\tfin", "iu": "ᐃᓄᒃᑎᑐᑦ"},
                         "description": {"und": "ligne 1\nligne 2 \\ \"cité\""}}},
]  # fmt: skip


@pytest.fixture(scope="module")
def varied() -> list[dict[str, Any]]:
    """The records as the ledger keeps them (``model_dump(mode="json")``), fixture and hand-made."""
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as handle:
        fixture = [result["resource"] for result in json.load(handle)["results"]]
    return fixture + [Resource.model_validate(edge).model_dump(mode="json") for edge in EDGES]


def _bytes(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # key order kept: the bytes sent to OpenSearch


def test_the_record_is_pydantics_dump_without_defaults(varied: list[dict[str, Any]]) -> None:
    for stored in varied:
        resource = Resource.model_validate(stored)
        expected = resource.model_dump(mode="json", exclude_defaults=True)
        assert _bytes(record_without_defaults(resource)) == _bytes(expected), stored
    # built in Python, values set explicitly to their defaults (``model_fields_set`` differs)
    resource = Resource.model_validate(BASE)
    resource.general.title = {}
    resource.rights.cost = None
    resource.technical.size = 0
    record = record_without_defaults(resource)
    assert record == resource.model_dump(mode="json", exclude_defaults=True)
    assert "general" not in record and record["technical"] == {"size": 0}


def test_a_part_of_another_class_is_dumped_as_pydantic_would() -> None:
    """A subclass of a part is never equal to the default part: pydantic keeps it, so must we."""

    class Resource2(Resource):
        pass

    resource = Resource2.model_validate(BASE)
    assert record_without_defaults(resource) == resource.model_dump(mode="json", exclude_defaults=True)


def test_the_record_read_as_text_is_the_record_read_as_json(varied: list[dict[str, Any]]) -> None:
    for stored in varied:
        text = json.dumps(stored)  # as SQLAlchemy writes a JSON column (ASCII escapes)
        assert stored_resource(text) == Resource.model_validate(json.loads(text))
        assert stored_resource(text) == stored_resource(stored)
    # a lone surrogate escape: pydantic's parser refuses it, json.loads reads it — the old road
    text = json.dumps({**BASE, "general": {"title": {"fr": "a\ud800b"}}})
    assert stored_resource(text) == Resource.model_validate(json.loads(text))
    # a record the model refuses is refused either way
    for bad in ({**BASE, "unknown": 1}, {"general": {}}, {**BASE, "technical": {"size": "grand"}}):
        with pytest.raises(ValidationError):
            Resource.model_validate(bad)
        with pytest.raises(ValidationError):
            stored_resource(json.dumps(bad))


def test_rows_read_as_columns_give_the_documents_of_the_orm_rows(
    ledger_url: Callable[..., str], varied: list[dict[str, Any]]
) -> None:
    """Statuses, portals, scores, dates, link states (ok, redirected, broken, kept, another URL)."""
    factory = open_ledger(ledger_url())
    vocabularies = load_vocabularies(ROOT / "config")
    now = datetime(2025, 6, 1, tzinfo=UTC)
    records = varied[::6] + varied[-len(EDGES) :]
    states = [None, LinkState.OK, LinkState.REDIRECTED, LinkState.BROKEN, LinkState.FAILING, LinkState.BROKEN]
    raws, rows, healths = [], [], []
    for n, record in enumerate(records):
        rid = f"r{n:05d}"
        raws.append({"id": n + 1, "source_id": "s", "identifier": rid, "metadata_prefix": "lom",
                     "payload": "<x/>", "content_hash": rid, "first_seen": now - timedelta(days=n % 30),
                     "last_seen": now})  # fmt: skip
        rows.append({"id": rid, "raw_id": n + 1, "source_id": "s", "record": None if n % 17 == 5 else record,
                     "status": "rejected" if n % 10 == 3 else "approved", "issues": [{"code": "X"}],
                     "portals": [[], ["pavillon"], ["ecole-ouverte", "pavillon"]][n % 3],
                     "decided_at": now + timedelta(seconds=n), "updated_at": now,
                     "quality_score": None if n % 9 == 0 else n % 101})  # fmt: skip
        locations = record.get("technical", {}).get("locations") or ["https://x.example/"]
        state = states[n % len(states)]
        if state is not None:
            url = "https://autre.example/" if n % 12 == 11 else locations[0]
            health = LinkHealth(state=state, url=url, checked_at=now, kept_published=n % 4 == 0)
            healths.append({"resource_id": rid, "state": state.value, "health": health_json(health)})
    with factory.begin() as session:
        session.add(SourceRow(id="s", name="S", type="oai", url="https://s.example/oai", config={}))
    with factory.begin() as session:
        session.execute(insert(RawRecordRow), raws)
        session.execute(insert(ResourceRow), rows)
        session.execute(insert(LinkHealthRow), healths)
    ids = [row["id"] for row in rows]
    with factory() as session:
        fast, known = _read(session, ids, vocabularies)
        query = (
            select(ResourceRow, RawRecordRow.first_seen, LinkHealthRow.health)
            .outerjoin(RawRecordRow, RawRecordRow.id == ResourceRow.raw_id)
            .outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
        )
        plain = {
            row.id: row_document(row, vocabularies, seen, health)
            for row, seen, health in session.execute(query)
        }
    assert known == {rid: ("s", None) for rid in ids}
    assert fast.keys() == plain.keys() == set(ids)
    built = 0
    for rid, doc in plain.items():
        assert _bytes(fast[rid]) == _bytes(doc), rid
        if doc is not None:
            built += 1
            assert document_hash(fast[rid] or {}) == document_hash(doc)
    assert 0 < built < len(ids)  # some left out: rejected, no record, link broken


def _json_road(value: Any) -> bytes:
    """The text ``document_hash`` hashed before orjson (every stored ``indexed_hash``)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.encode("utf-8")


class _Text(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1e-05, "a": 1e-4, "c": 1e16, "d": 9.999999999999998e15, "e": -2.5e-7, "f": 0.0, "g": -0.0},
        {"nan": float("nan"), "inf": float("inf"), "minus": float("-inf")},
        {"big": 2**64, "small": -(2**63) - 1, "ok": 2**63 - 1},
        {"z": {"é": 1, "e": 2, "É": 3, "😀": 4, "\uffff": 5}, "a": [True, False, None, 1.5, "x"]},
        {"text": _Text("sous-classe"), "when": datetime(2025, 6, 1, tzinfo=UTC), "n": 1},
        {"keys": {1: "un", 3: "trois"}, "mixed": [{"2": 2.0}]},
        {"deep": [[[[{"x": [0.1, 0.2, 1 / 3, 123456.789]}]]]], "quote": '"\\\n\t\x00\u2028'},
    ],
)
def test_the_canonical_json_is_json_dumps_byte_for_byte(value: Any) -> None:
    """orjson where it writes the same bytes, json's road for what it would write otherwise:
    exponent floats, non-finite ones, big integers, subclasses, dates, keys that are not text."""
    assert canonical_json(value) == _json_road(value)


def test_document_hashes_are_those_of_json_dumps(varied: list[dict[str, Any]]) -> None:
    """Every document of the varied records hashes as the json road hashed it."""
    vocabularies = load_vocabularies(ROOT / "config")
    for number, record in enumerate(varied):
        row = ResourceRow(
            id=f"r{number}", source_id="s", status="approved", record=record, portals=["pavillon"],
            quality_score=number % 101, decided_at=datetime(2025, 6, 1, tzinfo=UTC),
        )  # fmt: skip
        doc = row_document(row, vocabularies)
        assert doc is not None
        assert document_hash(doc) == hashlib.sha256(_json_road(doc)).hexdigest()
        assert canonical_json(doc) == _json_road(doc)


def test_a_lone_surrogate_fails_as_it_did() -> None:
    """Text UTF-8 cannot hold: the same error as the json road, no other hash."""
    with pytest.raises(UnicodeEncodeError):
        _json_road({"t": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"t": "\ud800"})
