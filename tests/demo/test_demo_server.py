"""The demo OAI-PMH endpoint, over real HTTP: every verb, paging, filters, errors, the schema."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from lxml import etree

from ren_index.demo import DemoOaiServer, DemoRecord, demo_records
from ren_index.xmlsafe import parse_xml

OAI = "{http://www.openarchives.org/OAI/2.0/}"
NS = {"o": "http://www.openarchives.org/OAI/2.0/"}


@pytest.fixture(scope="module")
def server() -> Iterator[DemoOaiServer]:
    with DemoOaiServer(page_size=50) as running:
        yield running


@pytest.fixture(scope="module")
def records() -> list[DemoRecord]:
    return demo_records()


def oai(server: DemoOaiServer, schema: etree.XMLSchema | None = None, **params: str) -> etree._Element:
    """One OAI-PMH request over HTTP; the response must be valid XML (and valid OAI-PMH)."""
    response = requests.get(server.url, params=params, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    root = parse_xml(response.content)
    assert root.tag == f"{OAI}OAI-PMH"
    if schema is not None:
        assert schema.validate(root), schema.error_log
    return root


def error_code(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return None if error is None else error.get("code")


def walk(
    server: DemoOaiServer, verb: str, schema: etree.XMLSchema, **params: str
) -> tuple[list[str], list[etree._Element]]:
    """Follow resumption tokens to the end; returns every identifier and every token element."""
    identifiers: list[str] = []
    tokens: list[etree._Element] = []
    root = oai(server, schema, verb=verb, **params)
    while True:
        assert error_code(root) is None, etree.tostring(root)
        identifiers += root.xpath(f"//o:{verb}//o:header/o:identifier/text()", namespaces=NS)
        token = root.find(f"{OAI}{verb}/{OAI}resumptionToken")
        if token is None or not token.text:
            if token is not None:
                tokens.append(token)
            return identifiers, tokens
        tokens.append(token)
        root = oai(server, schema, verb=verb, resumptionToken=token.text)


def test_identify(server: DemoOaiServer, oai_schema: etree.XMLSchema) -> None:
    root = oai(server, oai_schema, verb="Identify")
    ident = root.find(f"{OAI}Identify")
    assert ident is not None
    assert ident.findtext(f"{OAI}baseURL") == server.url
    assert ident.findtext(f"{OAI}protocolVersion") == "2.0"
    assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext(f"{OAI}deletedRecord") == "persistent"
    earliest = min(r.datestamp for r in demo_records())
    assert ident.findtext(f"{OAI}earliestDatestamp") == earliest
    assert root.find(f"{OAI}request").get("verb") == "Identify"  # type: ignore[union-attr]


def test_list_metadata_formats(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema
) -> None:
    def prefixes(**params: str) -> list[str]:
        root = oai(server, oai_schema, verb="ListMetadataFormats", **params)
        return root.xpath("//o:metadataPrefix/text()", namespaces=NS)  # type: ignore[no-any-return]

    assert prefixes() == ["oai_dc", "lom"]
    lom = next(r for r in records if r.metadata_format == "lom")
    dc = next(r for r in records if r.metadata_format == "oai_dc")
    assert prefixes(identifier=lom.identifier) == ["oai_dc", "lom"]
    assert prefixes(identifier=dc.identifier) == ["oai_dc"]
    missing = oai(server, oai_schema, verb="ListMetadataFormats", identifier="oai:nowhere:1")
    assert error_code(missing) == "idDoesNotExist"


def test_list_sets(server: DemoOaiServer, oai_schema: etree.XMLSchema) -> None:
    root = oai(server, oai_schema, verb="ListSets")
    specs = root.xpath("//o:setSpec/text()", namespaces=NS)
    assert {"ecole-ouverte", "pavillon", "mathematiques"} <= set(specs)
    names = dict(zip(specs, root.xpath("//o:setName/text()", namespaces=NS), strict=True))
    assert names["pavillon"].startswith("Pavillon")
    used = {spec for r in demo_records() for spec in r.set_specs}
    assert used <= set(specs)


def test_get_record_in_both_formats(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema
) -> None:
    lom = next(r for r in records if r.metadata_format == "lom" and not r.deleted)
    root = oai(server, oai_schema, verb="GetRecord", identifier=lom.identifier, metadataPrefix="lom")
    record = root.find(f"{OAI}GetRecord/{OAI}record")
    assert record is not None
    assert record.findtext(f"{OAI}header/{OAI}identifier") == lom.identifier
    assert record.findtext(f"{OAI}header/{OAI}datestamp") == lom.datestamp
    assert record.xpath("o:header/o:setSpec/text()", namespaces=NS) == list(lom.set_specs)
    payload = record.find(f"{OAI}metadata")[0]  # type: ignore[index]
    assert payload.tag == "{http://ltsc.ieee.org/xsd/LOM}lom"
    root = oai(server, oai_schema, verb="GetRecord", identifier=lom.identifier, metadataPrefix="oai_dc")
    payload = root.find(f"{OAI}GetRecord/{OAI}record/{OAI}metadata")[0]  # type: ignore[index]
    assert payload.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"


def test_get_record_errors(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema
) -> None:
    dc = next(r for r in records if r.metadata_format == "oai_dc")
    cases = [
        ({"identifier": dc.identifier, "metadataPrefix": "lom"}, "cannotDisseminateFormat"),
        ({"identifier": dc.identifier, "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"identifier": "oai:demo.ren-index.example:99999", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"identifier": dc.identifier}, "badArgument"),
    ]
    for params, code in cases:
        assert error_code(oai(server, oai_schema, verb="GetRecord", **params)) == code, params


def test_deleted_record_is_a_header_without_metadata(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema
) -> None:
    gone = next(r for r in records if r.deleted)
    root = oai(server, oai_schema, verb="GetRecord", identifier=gone.identifier, metadataPrefix="oai_dc")
    record = root.find(f"{OAI}GetRecord/{OAI}record")
    assert record is not None
    assert record.find(f"{OAI}header").get("status") == "deleted"  # type: ignore[union-attr]
    assert record.find(f"{OAI}metadata") is None


@pytest.mark.parametrize(
    ("verb", "prefix"),
    [("ListRecords", "oai_dc"), ("ListRecords", "lom"), ("ListIdentifiers", "oai_dc")],
)
def test_paging_walks_every_record_exactly_once(
    server: DemoOaiServer,
    records: list[DemoRecord],
    oai_schema: etree.XMLSchema,
    verb: str,
    prefix: str,
) -> None:
    identifiers, tokens = walk(server, verb, oai_schema, metadataPrefix=prefix)
    expected = [r.identifier for r in records if prefix == "oai_dc" or r.metadata_format == "lom"]
    assert sorted(identifiers) == sorted(expected)
    assert len(identifiers) == len(set(identifiers))
    assert len(tokens) == -(-len(expected) // 50)  # one token per page after the first, + last
    assert [int(t.get("cursor", "-1")) for t in tokens] == list(range(0, len(expected), 50))
    assert {t.get("completeListSize") for t in tokens} == {str(len(expected))}
    assert tokens[-1].text is None  # the last page carries an empty token


def test_records_carry_their_deleted_status(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema
) -> None:
    deleted: set[str] = set()
    root = oai(server, oai_schema, verb="ListIdentifiers", metadataPrefix="oai_dc")
    while True:
        for header in root.iter(f"{OAI}header"):
            if header.get("status") == "deleted":
                deleted.add(header.findtext(f"{OAI}identifier") or "")
        token = root.findtext(f"{OAI}ListIdentifiers/{OAI}resumptionToken")
        if not token:
            break
        root = oai(server, verb="ListIdentifiers", resumptionToken=token)
    assert deleted == {r.identifier for r in records if r.deleted}


def test_small_pages(records: list[DemoRecord], oai_schema: etree.XMLSchema) -> None:
    few = records[:25]
    with DemoOaiServer(records=few, page_size=7) as small:
        identifiers, tokens = walk(small, "ListRecords", oai_schema, metadataPrefix="oai_dc")
    assert sorted(identifiers) == sorted(r.identifier for r in few)
    assert len(tokens) == 4


def test_single_page_has_no_resumption_token(records: list[DemoRecord], oai_schema: etree.XMLSchema) -> None:
    with DemoOaiServer(records=records[:10]) as small:
        root = oai(small, oai_schema, verb="ListRecords", metadataPrefix="oai_dc")
    assert root.find(f"{OAI}ListRecords/{OAI}resumptionToken") is None
    assert len(root.findall(f"{OAI}ListRecords/{OAI}record")) == 10


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"from": "2025-01-01"}, lambda s: s >= "2025-01-01"),
        ({"until": "2023-12-31"}, lambda s: s <= "2023-12-31T23:59:59Z"),
        (
            {"from": "2024-03-01T00:00:00Z", "until": "2024-06-30T12:00:00Z"},
            lambda s: "2024-03-01T00:00:00Z" <= s <= "2024-06-30T12:00:00Z",
        ),
    ],
)
def test_from_until_filters(
    server: DemoOaiServer,
    records: list[DemoRecord],
    oai_schema: etree.XMLSchema,
    params: dict[str, str],
    keep: object,
) -> None:
    identifiers, _ = walk(server, "ListIdentifiers", oai_schema, metadataPrefix="oai_dc", **params)
    expected = {r.identifier for r in records if keep(r.datestamp)}  # type: ignore[operator]
    assert expected and set(identifiers) == expected


def test_exact_datestamp_bounds_are_inclusive(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema
) -> None:
    rec = records[40]
    root = oai(
        server,
        oai_schema,
        verb="ListIdentifiers",
        metadataPrefix="oai_dc",
        **{"from": rec.datestamp, "until": rec.datestamp},
    )
    assert rec.identifier in root.xpath("//o:identifier/text()", namespaces=NS)


@pytest.mark.parametrize("spec", ["pavillon", "ecole-ouverte", "mathematiques"])
def test_set_filter(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema, spec: str
) -> None:
    identifiers, _ = walk(server, "ListRecords", oai_schema, metadataPrefix="oai_dc", set=spec)
    assert set(identifiers) == {r.identifier for r in records if spec in r.set_specs}


def test_set_and_prefix_and_dates_combine(
    server: DemoOaiServer, records: list[DemoRecord], oai_schema: etree.XMLSchema
) -> None:
    identifiers, _ = walk(
        server, "ListRecords", oai_schema, metadataPrefix="lom", set="pavillon", until="2025-06-30"
    )
    assert set(identifiers) == {
        r.identifier
        for r in records
        if r.metadata_format == "lom" and "pavillon" in r.set_specs and r.datestamp < "2025-07"
    }


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "ListThings"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "Identify", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-45"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2024-01-01",
                "until": "2024-02-01T00:00:00Z",
            },
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-01-01", "until": "2024-01-01"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2031-01-01"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "nowhere"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "resumptionToken": "not-a-token"}, "badResumptionToken"),
        ({"verb": "ListIdentifiers", "resumptionToken": "WyJ4Il0"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "abc"}, "badResumptionToken"),
        (
            {"verb": "ListRecords", "resumptionToken": "abc", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        ({"verb": "ListMetadataFormats", "identifier": "oai:x:1"}, "idDoesNotExist"),
    ],
)
def test_errors_are_well_formed_oai_errors(
    server: DemoOaiServer, oai_schema: etree.XMLSchema, params: dict[str, str], code: str
) -> None:
    root = oai(server, oai_schema, **params)
    assert error_code(root) == code
    error = root.find(f"{OAI}error")
    assert error is not None and (error.text or "").strip()
    request = root.find(f"{OAI}request")
    assert request is not None and request.text == server.url
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # an invalid request is not echoed


def test_repeated_arguments_are_refused(server: DemoOaiServer, oai_schema: etree.XMLSchema) -> None:
    url = f"{server.url}?verb=Identify&verb=Identify"
    assert error_code(parse_xml(requests.get(url, timeout=10).content)) == "badVerb"
    url = f"{server.url}?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=lom"
    root = parse_xml(requests.get(url, timeout=10).content)
    assert oai_schema.validate(root)
    assert error_code(root) == "badArgument"


def test_token_of_another_verb_is_refused(server: DemoOaiServer) -> None:
    root = oai(server, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.findtext(f"{OAI}ListIdentifiers/{OAI}resumptionToken")
    assert token
    assert error_code(oai(server, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    forged = base64.urlsafe_b64encode(b'["ListRecords","oai_dc",1,2,3,"x",null]').decode()
    assert error_code(oai(server, verb="ListRecords", resumptionToken=forged)) == "badResumptionToken"


def test_post_is_served_like_get(server: DemoOaiServer, oai_schema: etree.XMLSchema) -> None:
    response = requests.post(server.url, data={"verb": "Identify"}, timeout=10)
    root = parse_xml(response.content)
    assert oai_schema.validate(root)
    assert root.find(f"{OAI}Identify") is not None


def test_other_paths_are_not_found(server: DemoOaiServer) -> None:
    assert requests.get(server.url.replace("/oai", "/nope"), timeout=10).status_code == 404


def test_requests_are_recorded(server: DemoOaiServer) -> None:
    oai(server, verb="ListSets")
    assert server.requests[-1] == {"verb": ["ListSets"]}


def test_a_modified_catalogue_is_served(records: list[DemoRecord], oai_schema: etree.XMLSchema) -> None:
    changed = replace(records[0], title="Titre révisé", datestamp="2026-11-01T10:00:00Z")
    withdrawn = replace(records[1], deleted=True, datestamp="2026-11-02T10:00:00Z")
    with DemoOaiServer(records=[changed, withdrawn, *records[2:]]) as modified:
        root = oai(
            modified, oai_schema, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2026-11-01"}
        )
        headers = root.findall(f"{OAI}ListRecords/{OAI}record/{OAI}header")
        assert [h.findtext(f"{OAI}identifier") for h in headers] == [
            changed.identifier,
            withdrawn.identifier,
        ]
        assert headers[1].get("status") == "deleted"
        assert "Titre révisé" in etree.tostring(root, encoding="unicode")
        modified.set_records(records[:3])
        identifiers, _ = walk(modified, "ListIdentifiers", oai_schema, metadataPrefix="oai_dc")
        assert sorted(identifiers) == sorted(r.identifier for r in records[:3])


def test_lifecycle(records: list[DemoRecord]) -> None:
    server = DemoOaiServer(records=records[:5])
    with pytest.raises(RuntimeError):
        _ = server.url
    server.start()
    port = server.port
    try:
        assert port > 0
        assert server.url == f"http://127.0.0.1:{port}/oai"
        assert requests.get(server.url, params={"verb": "Identify"}, timeout=10).ok
    finally:
        server.stop()
        server.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/oai", timeout=2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_given_port_and_foreground_serving(records: list[DemoRecord]) -> None:
    """``serve_forever`` (the CLI's way) blocks until another thread stops the server."""
    port = _free_port()
    server = DemoOaiServer(records=records[:5], port=port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/oai", params={"verb": "Identify"}, timeout=2
                )
                break
            except requests.ConnectionError:
                time.sleep(0.02)
        assert response.ok
        assert server.url == f"http://127.0.0.1:{port}/oai"
    finally:
        server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
