"""ListRecords paging against a local server: chains, deleted records, OAI errors, restarts."""

from __future__ import annotations

import logging

import pytest
from lxml import etree
from oai_server import Reply, ScriptedServer, SleepRecorder, fixture_bytes

from ren_index.errors import HarvestError, OaiProtocolError
from ren_index.harvest.oai import OaiHarvester

LOM = "http://ltsc.ieee.org/xsd/LOM"


def harvester(server: ScriptedServer, sleeps: SleepRecorder, prefix: str = "oai_lom") -> OaiHarvester:
    return OaiHarvester(server.url, prefix, timeout=5, max_retries=2, sleep=sleeps)


def test_three_page_chain_yields_every_record_and_follows_tokens(
    oai_server: ScriptedServer, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    oai_server.script(
        Reply(fixture_bytes("lom_page1.xml")),
        Reply(fixture_bytes("lom_page2.xml")),
        Reply(fixture_bytes("lom_page3.xml")),
    )
    with caplog.at_level(logging.INFO, logger="ren_index.harvest.oai"):
        pages = list(harvester(oai_server, sleeps).pages(set_spec="primaire", from_="2025-01-01"))

    assert [len(p.records) for p in pages] == [3, 2, 1]
    assert [p.request_token for p in pages] == [
        None,
        "primaire|2025-01-01||3",
        "primaire|2025-01-01||5",
    ]
    # the token of page 2 is wrapped in whitespace; the empty <resumptionToken/> ends the list
    assert [p.next_token for p in pages] == [
        "primaire|2025-01-01||3",
        "primaire|2025-01-01||5",
        None,
    ]
    assert [p.cursor for p in pages] == [0, 3, 5]
    assert all(p.complete_list_size == 6 for p in pages)
    assert pages[0].response_date == "2025-03-14T08:15:02Z"
    assert not any(p.restarted for p in pages)

    first = oai_server.received[0]
    assert first.params == {
        "verb": ["ListRecords"],
        "metadataPrefix": ["oai_lom"],
        "set": ["primaire"],
        "from": ["2025-01-01"],
    }
    # a continuation request carries the token and nothing else
    for got, token in zip(
        oai_server.received[1:], ["primaire|2025-01-01||3", "primaire|2025-01-01||5"], strict=True
    ):
        assert got.params == {"verb": ["ListRecords"], "resumptionToken": [token]}

    page_lines = [r for r in caplog.records if r.name == "ren_index.harvest.oai"]
    assert len(page_lines) == 3
    assert "set=primaire" in page_lines[2].getMessage()
    assert "so far=6" in page_lines[2].getMessage()
    assert sleeps.calls == []


def test_records_carry_header_fields_and_namespaced_payload(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(Reply(fixture_bytes("lom_page1.xml")))
    oai_server.script(Reply(fixture_bytes("lom_page2.xml")), Reply(fixture_bytes("lom_page3.xml")))
    records = [r for p in harvester(oai_server, sleeps).pages() for r in p.records]

    first = records[0]
    assert first.identifier == "oai:depot.example.qc.ca:ren-1201"
    assert first.datestamp == "2025-02-03T14:22:10Z"
    assert first.metadata_prefix == "oai_lom"
    assert first.set_specs == ("primaire", "primaire:mathematique")
    assert not first.deleted
    assert first.payload is not None
    lom = etree.fromstring(first.payload.encode("utf-8"))
    assert lom.tag == f"{{{LOM}}}lom"
    title = lom.find(f"{{{LOM}}}general/{{{LOM}}}title/{{{LOM}}}string")
    assert title is not None and title.text == "Les fractions équivalentes — cahier d’exercices"
    assert not first.payload.endswith("\n")  # no tail whitespace in the payload

    prefixed = records[3]  # lom:lom with a prefix declared on the element itself
    assert prefixed.payload is not None
    assert etree.fromstring(prefixed.payload.encode()).tag == f"{{{LOM}}}lom"


def test_deleted_records_with_and_without_identifier(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(
        Reply(fixture_bytes("lom_page1.xml")),
        Reply(fixture_bytes("lom_page2.xml")),
        Reply(fixture_bytes("lom_page3.xml")),
    )
    pages = list(harvester(oai_server, sleeps).pages())
    deleted = [r for p in pages for r in p.records if r.deleted]
    assert [(r.identifier, r.datestamp, r.payload) for r in deleted] == [
        ("oai:depot.example.qc.ca:ren-0877", "2025-02-04T09:00:00Z", None),
        (None, None, None),
    ]
    assert deleted[1].set_specs == ("primaire",)
    assert pages[0].problems == []
    assert len(pages[1].problems) == 1
    assert "deleted header without an identifier" in pages[1].problems[0]


def test_missing_metadata_is_a_problem_and_deleted_metadata_is_dropped(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(Reply(fixture_bytes("dc_single_page.xml")))
    (page,) = harvester(oai_server, sleeps, "oai_dc").pages()
    assert page.next_token is None
    dc, bare, deleted = page.records
    assert dc.payload is not None and "Introduction à la chimie organique" in dc.payload
    assert 'xmlns:dc="http://purl.org/dc/elements/1.1/"' in dc.payload
    assert (bare.identifier, bare.payload, bare.deleted) == (
        "oai:cegep.example.qc.ca:43",
        None,
        False,
    )
    assert page.problems == ["record oai:cegep.example.qc.ca:43: not deleted but carries no metadata"]
    # a deleted record that still carries <metadata> (Zenodo does this) is recorded as deleted only
    assert (deleted.deleted, deleted.payload) == (True, None)


@pytest.mark.parametrize("status", [200, 422])
def test_no_records_match_is_one_empty_page(
    oai_server: ScriptedServer, sleeps: SleepRecorder, status: int
) -> None:
    body = "zenodo_422_noRecordsMatch.xml" if status == 422 else "error_noRecordsMatch.xml"
    oai_server.script(Reply(fixture_bytes(body), status=status))
    pages = list(harvester(oai_server, sleeps).pages(from_="2030-01-01"))
    assert len(pages) == 1
    assert pages[0].records == []
    assert pages[0].next_token is None
    assert pages[0].response_date is not None
    assert len(oai_server.received) == 1
    assert sleeps.calls == []


ERROR_CODES = [
    "badArgument",
    "badResumptionToken",
    "badVerb",
    "cannotDisseminateFormat",
    "idDoesNotExist",
    "noMetadataFormats",
    "noSetHierarchy",
]


@pytest.mark.parametrize("code", ERROR_CODES)
@pytest.mark.parametrize("status", [200, 422])
def test_oai_errors_raise_with_context(
    oai_server: ScriptedServer, sleeps: SleepRecorder, code: str, status: int
) -> None:
    oai_server.script(Reply(fixture_bytes(f"error_{code}.xml"), status=status))
    with pytest.raises(OaiProtocolError) as caught:
        list(harvester(oai_server, sleeps).pages(set_spec="secondaire", from_="2025-01-01"))
    err = caught.value
    assert err.code == code
    assert err.endpoint == oai_server.url
    assert err.verb == "ListRecords"
    assert err.set_spec == "secondaire"
    assert err.metadata_prefix == "oai_lom"
    assert err.resumption_token is None
    assert err.http_status == status
    assert err.snippet is not None and f'code="{code}"' in err.snippet
    assert code in str(err)


def test_error_on_a_later_page_names_the_token(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(
        Reply(fixture_bytes("lom_page1.xml")),
        Reply(fixture_bytes("error_cannotDisseminateFormat.xml")),
    )
    pages = harvester(oai_server, sleeps).pages(set_spec="primaire")
    assert len(next(pages).records) == 3
    with pytest.raises(OaiProtocolError) as caught:
        next(pages)
    assert caught.value.resumption_token == "primaire|2025-01-01||3"
    assert caught.value.set_spec == "primaire"


def test_bad_resumption_token_restarts_the_window_once(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(
        Reply(fixture_bytes("lom_page1.xml")),
        Reply(fixture_bytes("error_badResumptionToken.xml"), status=422),
        Reply(fixture_bytes("lom_page1.xml")),
        Reply(fixture_bytes("lom_page2.xml")),
        Reply(fixture_bytes("lom_page3.xml")),
    )
    pages = list(
        harvester(oai_server, sleeps).pages(set_spec="primaire", from_="2025-01-01", until="2025-03-01")
    )
    assert [p.restarted for p in pages] == [False, True, False, False]
    assert [len(p.records) for p in pages] == [3, 3, 2, 1]
    restart = oai_server.received[2]
    assert restart.params == {
        "verb": ["ListRecords"],
        "metadataPrefix": ["oai_lom"],
        "set": ["primaire"],
        "from": ["2025-01-01"],
        "until": ["2025-03-01"],
    }


def test_resuming_from_a_saved_token_that_expired_restarts_then_fails_the_second_time(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(
        Reply(fixture_bytes("error_badResumptionToken.xml")),
        Reply(fixture_bytes("lom_page1.xml")),
        Reply(fixture_bytes("error_badResumptionToken.xml")),
    )
    pages = harvester(oai_server, sleeps).pages(
        set_spec="primaire", from_="2025-01-01", resumption_token="saved-token"
    )
    first = next(pages)
    assert first.restarted and first.request_token is None
    assert oai_server.received[0].params == {
        "verb": ["ListRecords"],
        "resumptionToken": ["saved-token"],
    }
    with pytest.raises(OaiProtocolError) as caught:
        next(pages)
    assert caught.value.code == "badResumptionToken"
    assert caught.value.resumption_token == "primaire|2025-01-01||3"


def test_bad_resumption_token_on_a_first_request_is_not_retried(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(Reply(fixture_bytes("error_badResumptionToken.xml")))
    with pytest.raises(OaiProtocolError):
        list(harvester(oai_server, sleeps).pages())
    assert len(oai_server.received) == 1


def test_a_repeated_token_stops_instead_of_looping(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(Reply(fixture_bytes("lom_page1.xml")), Reply(fixture_bytes("lom_page1.xml")))
    with pytest.raises(HarvestError, match="again"):
        list(harvester(oai_server, sleeps).pages())


def test_a_refused_format_names_the_prefix_asked_and_the_formats_offered(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    formats = fixture_bytes("error_cannotDisseminateFormat.xml")
    offered = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2025-03-15T02:00:00Z</responseDate>
  <request verb="ListMetadataFormats">https://depot.example.qc.ca/oai</request>
  <ListMetadataFormats>
    <metadataFormat><metadataPrefix>oai_dc</metadataPrefix></metadataFormat>
    <metadataFormat><metadataPrefix>lomfr</metadataPrefix></metadataFormat>
  </ListMetadataFormats>
</OAI-PMH>"""
    oai_server.script(Reply(formats), Reply(offered))
    with pytest.raises(OaiProtocolError) as caught:
        list(harvester(oai_server, sleeps).pages(set_spec="secondaire"))
    err = caught.value
    assert err.code == "cannotDisseminateFormat"
    assert "n'offre pas le format « oai_lom » ; formats offerts : oai_dc, lomfr" in err.message
    assert "does not offer 'oai_lom'; it offers: oai_dc, lomfr" in err.message
    assert [r.param("verb") for r in oai_server.received] == ["ListRecords", "ListMetadataFormats"]
