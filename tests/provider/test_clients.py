"""Real harvesters against the provider: sickle, pyoai, and ren-index's own harvester.

Each harvests the whole provider over HTTP, through resumption tokens (small pages), and the result
is compared with the ledger: the approved records with their titles, and the deleted ones.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oaipmh.client
import oaipmh.metadata
import pytest
from lxml import etree
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader
from sickle import Sickle
from sqlalchemy import select

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import ResourceRow
from ren_index.ledger.store import resource_id
from ren_index.model import Resource
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import RULEBOOK, Provider, demo_source, ledger_settings
from .expected import expected, oai_id


class _Evaluator:
    """An lxml XPath evaluator with the ``evaluate`` alias pyoai calls (lxml 6 removed it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._evaluate = etree.XPathEvaluator(*args, **kwargs)

    def evaluate(self, path: str, **variables: Any) -> Any:
        return self._evaluate(path, **variables)

    __call__ = evaluate


@pytest.fixture
def pyoai_on_lxml6(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyoai 2.5.0 (the latest) still calls ``XPathEvaluator.evaluate``, gone since lxml 6: give its
    modules an ``etree`` whose evaluators have it. The rest of pyoai runs unchanged."""
    shim = types.SimpleNamespace(
        **{name: getattr(etree, name) for name in dir(etree) if not name.startswith("__")}
    )
    shim.XPathEvaluator = _Evaluator
    monkeypatch.setattr(oaipmh.client, "etree", shim)
    monkeypatch.setattr(oaipmh.metadata, "etree", shim)


@pytest.fixture(autouse=True)
def small_pages(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 20, so every client follows resumption tokens (settings are read per request)."""
    monkeypatch.setattr(provider.settings, "oai_page_size", 20)


def test_sickle_harvests_everything(provider: Provider) -> None:
    expect = expected(provider.ledger)
    sickle = Sickle(provider.url, max_retries=0)
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    by_id = {r.header.identifier: r for r in records}
    assert len(by_id) == len(records) == len(expect.exposed)
    assert {i for i, r in by_id.items() if r.header.deleted} == {oai_id(r) for r in expect.deleted}
    for rid, resource in expect.approved.items():
        record = by_id[oai_id(rid)]
        assert sorted(record.metadata["title"]) == sorted(resource.general.title.values())
    lom_headers = list(sickle.ListIdentifiers(metadataPrefix="lom", ignore_deleted=True))
    assert {h.identifier for h in lom_headers} == {oai_id(r) for r in expect.approved}
    assert {s.setSpec for s in sickle.ListSets()} >= {"portal:pavillon", "portal:ecole-ouverte"}


@pytest.mark.usefixtures("pyoai_on_lxml6")
def test_pyoai_harvests_everything(provider: Provider) -> None:
    expect = expected(provider.ledger)
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = Client(provider.url, registry)
    identify = client.identify()
    assert identify.baseURL() == provider.url
    assert identify.deletedRecord() == "persistent"
    harvested = list(client.listRecords(metadataPrefix="oai_dc"))
    ids = [header.identifier() for header, _metadata, _about in harvested]
    assert len(ids) == len(set(ids)) == len(expect.exposed)
    deleted = {header.identifier() for header, _m, _a in harvested if header.isDeleted()}
    assert deleted == {oai_id(r) for r in expect.deleted}
    titles = {h.identifier(): m.getField("title") for h, m, _a in harvested if not h.isDeleted()}
    for rid, resource in expect.approved.items():
        assert sorted(titles[oai_id(rid)]) == sorted(resource.general.title.values())
    formats = [prefix for prefix, _schema, _ns in client.listMetadataFormats()]
    assert formats == ["oai_dc", "lom"]


def _compared(resource: Resource) -> dict[str, object]:
    return {
        "title": resource.general.title,
        "description": resource.general.description,
        "url": resource.controlled.url,
        "languages": resource.controlled.languages,
        "licence": resource.controlled.licence,
        "levels": sorted(resource.controlled.levels),
    }


@pytest.mark.parametrize("prefix", ["lom", "oai_dc"])
def test_round_trip_through_our_own_harvester(
    provider: Provider, tmp_path: Path, prefix: str, ledger_url: Callable[..., str]
) -> None:
    """ren-index harvesting its own provider gets every approved record back unchanged.

    Compared, per approved record of the source ledger, with the record the second ledger builds
    from the harvested payload (normalized and validated with the same rules, no source defaults):

    * ``general.title`` and ``general.description``: the same text per language tag;
    * ``controlled.url``: the same normalized URL;
    * ``controlled.languages``: the same validated language tags, in order;
    * ``controlled.licence``: the same licence concept URI;
    * ``controlled.levels``: the same level concepts.

    Records advertised as deleted arrive as deleted. Harvested-only details (provenance, raw
    vocabulary terms, issues) are not compared: they say where a record came from, not what it is.
    """
    expect = expected(provider.ledger)
    settings = ledger_settings(tmp_path / "second", ledger_url("second", folder=tmp_path / "second"))
    second = open_ledger(settings.db_url)
    source = demo_source(prefix, provider.url).model_copy(update={"id": "ren-self", "defaults": {}})
    report = harvest_source(second, source, settings)
    assert report["status"] == "completed", report
    assert report["counts"]["harvested"] == len(expect.exposed)
    process_source(second, source, RULEBOOK)
    with second() as session:
        rows = {r.id: r for r in session.scalars(select(ResourceRow))}
    for rid, original in expect.approved.items():
        again = rows[resource_id("ren-self", oai_id(rid))]
        assert again.record is not None
        assert _compared(Resource.model_validate(again.record)) == _compared(original), rid
    for rid in expect.deleted:
        assert rows[resource_id("ren-self", oai_id(rid))].status == "deleted"
