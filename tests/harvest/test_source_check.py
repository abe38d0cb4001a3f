"""``sources check``: a source tried without writing the ledger, judged as a harvest would judge it.

Against real local servers: the scripted OAI-PMH server (a repository that offers only
``oai_dc``, one that fails on page 2) and the bundled demo repository (formats, sets, LOM),
whose records are then really harvested and processed to compare the projected outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oai_server import Reply, ScriptedServer, fixture_bytes
from sqlalchemy import select

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.harvest.oai_lists import MetadataFormat
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source
from ren_index.steps.source_check import best_format, candidate_id, check_source

ROOT = Path(__file__).resolve().parents[2]

FORMATS_DC_ONLY = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-03-15T02:00:00Z</responseDate>
  <request verb="ListMetadataFormats">https://cegep.example.qc.ca/oai</request>
  <ListMetadataFormats>
    <metadataFormat>
      <metadataPrefix>oai_dc</metadataPrefix>
      <schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>
      <metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>
    </metadataFormat>
  </ListMetadataFormats>
</OAI-PMH>"""

SETS_TWO = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-03-15T02:00:00Z</responseDate>
  <request verb="ListSets">https://depot.example.qc.ca/oai</request>
  <ListSets>
    <set><setSpec>primaire</setSpec><setName>Primaire</setName></set>
    <set><setSpec>secondaire</setSpec><setName>Secondaire</setName></set>
  </ListSets>
</OAI-PMH>"""

FORMATS_LOM_AND_DC = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-03-15T02:00:00Z</responseDate>
  <request verb="ListMetadataFormats">https://depot.example.qc.ca/oai</request>
  <ListMetadataFormats>
    <metadataFormat><metadataPrefix>oai_dc</metadataPrefix>
      <metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace></metadataFormat>
    <metadataFormat><metadataPrefix>oai_lom</metadataPrefix>
      <metadataNamespace>http://ltsc.ieee.org/xsd/LOM</metadataNamespace></metadataFormat>
  </ListMetadataFormats>
</OAI-PMH>"""


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=ledger_url(),
        config_dir=ROOT / "config",
        harvest_timeout=5.0,
        harvest_max_retries=0,
    )


@pytest.fixture(scope="module")
def rulebook() -> Rulebook:
    return Rulebook.load(ROOT / "config")


def oai_source(url: str, **extra: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "candidate", "name": "candidate", "type": "oai", "url": url, **extra}
    )


def test_the_best_format_is_lom_recognised_by_namespace_then_dublin_core() -> None:
    dc = MetadataFormat("oai_dc", None, "http://www.openarchives.org/OAI/2.0/oai_dc/")
    lom = MetadataFormat("oai_lomfr_local", None, "http://ltsc.ieee.org/xsd/LOM")
    marc = MetadataFormat("marc21", None, "http://www.loc.gov/MARC21/slim")
    assert best_format([dc, lom, marc], None) == "oai_lomfr_local"
    assert best_format([marc, dc], None) == "oai_dc"
    assert best_format([MetadataFormat("normetic", None, None), dc], None) == "normetic"
    assert best_format([marc], None) == "marc21"
    assert best_format([dc, lom], "oai_dc") == "oai_dc"


def test_a_dc_only_repository_with_sets_is_identified_listed_and_sampled(
    oai_server: ScriptedServer, settings: Settings, rulebook: Rulebook
) -> None:
    oai_server.script(
        Reply(fixture_bytes("identify_day.xml")),
        Reply(FORMATS_DC_ONLY),
        Reply(SETS_TWO),
        Reply(fixture_bytes("dc_single_page.xml")),
    )
    report = check_source(oai_source(oai_server.url), settings, rulebook)
    verbs = [r.param("verb") for r in oai_server.received]
    assert verbs == ["Identify", "ListMetadataFormats", "ListSets", "ListRecords"]
    assert oai_server.received[-1].param("metadataPrefix") == "oai_dc"  # the only format offered
    assert report["source"]["granularity"] == "YYYY-MM-DD"
    assert [f["prefix"] for f in report["formats"]] == ["oai_dc"]
    assert [s["spec"] for s in report["sets"]] == ["primaire", "secondaire"]
    sample = report["sample"]
    # Three records on the page: one deleted, one with no metadata, one real.
    assert sample["deleted"] == 1 and sample["count"] == 2
    assert sum(sample["outcomes"].values()) == 2
    assert "PAYLOAD_MISSING" in sample["issues"]
    assert sample["examples"]["PAYLOAD_MISSING"][0]["identifier"] == "oai:cegep.example.qc.ca:43"
    assert sample["coverage"]["title"] == 0.5  # one of the two has a title
    assert report["stopped"] is None
    entry = report["config"]
    (source_id,) = entry
    assert entry[source_id]["type"] == "oai" and entry[source_id]["metadata_prefix"] == "oai_dc"
    assert entry[source_id]["url"] == oai_server.url


def test_a_prefix_the_repository_does_not_offer_is_named_with_the_offered_ones(
    oai_server: ScriptedServer, settings: Settings, rulebook: Rulebook
) -> None:
    oai_server.script(
        Reply(fixture_bytes("identify_day.xml")),
        Reply(FORMATS_DC_ONLY),
        Reply(fixture_bytes("error_noSetHierarchy.xml")),
    )
    report = check_source(oai_source(oai_server.url), settings, rulebook, prefix="lom")
    assert report["sets"] == []
    assert "ListRecords" not in [r.param("verb") for r in oai_server.received]  # checked locally
    stopped = report["stopped"]
    assert "n'offre pas « lom »" in stopped["message"] and "oai_dc" in stopped["message"]
    assert stopped["metadata_prefix"] == "lom"
    assert report["sample"]["count"] == 0


def test_a_repository_failing_on_page_two_reports_what_it_saw_and_why_it_stopped(
    oai_server: ScriptedServer, settings: Settings, rulebook: Rulebook
) -> None:
    oai_server.script(
        Reply(fixture_bytes("identify_day.xml")),
        Reply(FORMATS_LOM_AND_DC),
        Reply(fixture_bytes("error_noSetHierarchy.xml")),
        Reply(fixture_bytes("lom_page1.xml")),
        Reply(fixture_bytes("html_page.html"), headers={"Content-Type": "text/html"}),
    )
    report = check_source(oai_source(oai_server.url), settings, rulebook, sample=10)
    assert oai_server.received[3].param("metadataPrefix") == "oai_lom"  # LOM chosen over DC
    assert oai_server.received[4].param("resumptionToken") == "primaire|2025-01-01||3"
    assert report["sample"]["count"] + report["sample"]["deleted"] == 3  # page 1 was judged
    stopped = report["stopped"]
    assert stopped["after_records"] == 3
    assert "not an OAI-PMH response" in stopped["message"]
    assert stopped["resumption_token"] == "primaire|2025-01-01||3"


def test_the_sample_is_bounded(oai_server: ScriptedServer, settings: Settings, rulebook: Rulebook) -> None:
    oai_server.script(
        Reply(fixture_bytes("identify_day.xml")),
        Reply(FORMATS_LOM_AND_DC),
        Reply(fixture_bytes("error_noSetHierarchy.xml")),
        Reply(fixture_bytes("lom_page1.xml")),
    )
    report = check_source(oai_source(oai_server.url), settings, rulebook, sample=2)
    assert report["sample"]["count"] + report["sample"]["deleted"] == 2
    assert len(oai_server.received) == 4  # page 2 never asked for


def test_projected_outcomes_equal_a_real_harvest_and_process(settings: Settings, rulebook: Rulebook) -> None:
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    with DemoOaiServer(records=records, page_size=10) as server:
        source = SourceConfig.model_validate(
            {"id": "demo-lom", "name": "Démo", "type": "oai", "url": server.url, "metadata_prefix": "lom"}
        )
        report = check_source(source, settings, rulebook, sample=len(records) + 10, prefix="lom")
        assert {f["prefix"] for f in report["formats"]} >= {"lom", "oai_dc"}
        ledger = open_ledger(settings.db_url)
        with ledger.begin() as session:  # the check wrote nothing
            assert session.scalar(select(RawRecordRow.id).limit(1)) is None
        harvest_source(ledger, source, settings)
    process_source(ledger, source, rulebook)
    with ledger.begin() as session:
        real = {
            raw.identifier: (row.status, sorted(i["code"] for i in row.issues), sorted(row.portals))
            for row, raw in session.execute(
                select(ResourceRow, RawRecordRow).join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            )
            if row.status != "deleted"
        }
    projected = {
        line["identifier"]: (line["status"], sorted(line["issues"]), sorted(line["portals"]))
        for line in report["sample"]["records"]
    }
    assert report["sample"]["count"] == len(real) > 20
    assert projected == real
    assert sum(report["sample"]["outcomes"].values()) == len(real)


def test_a_candidate_id_comes_from_the_name_or_the_host() -> None:
    assert (
        candidate_id("Dépôt de l'Université Laval", "https://x.example/oai") == "depot-de-l-universite-laval"
    )
    assert candidate_id(None, "https://oai.cegep-example.qc.ca/oai") == "oai-cegep-example-qc-ca"
