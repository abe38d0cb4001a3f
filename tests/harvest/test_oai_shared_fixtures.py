"""Replay every response of the shared OAI-PMH corpus (../shared/fixtures/oai) through the parser.

Each body must give records/headers (none dropped: as many as the document holds) or a typed
HarvestError; nothing may crash with another exception. Bare LOM records are not OAI responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from lxml import etree

from ren_index.errors import HarvestError, NotOaiResponseError, OaiProtocolError
from ren_index.harvest.base import Page
from ren_index.harvest.oai import IdentifyInfo, RequestContext, parse_response

SHARED = Path(__file__).parents[2].parent / "shared" / "fixtures" / "oai"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
LOM_RECORD_DIRS = {"GTN-Quebec__lom2mlr", "jdpro__scolomfr3utils"}


@dataclass(frozen=True)
class Body:
    name: str
    data: bytes
    status: int | None


def _cassette_bodies(path: Path) -> list[Body]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    bodies = []
    for n, interaction in enumerate(doc.get("interactions") or []):
        response = interaction["response"]
        status = response.get("status")
        code = status.get("code") if isinstance(status, dict) else status
        body = response.get("body") or {}
        text = body.get("string", body.get("content")) if isinstance(body, dict) else body
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text or b"")
        bodies.append(Body(f"{path.relative_to(SHARED)}#{n}", data, int(code) if code else None))
    return bodies


def _bodies() -> list[Body]:
    if not SHARED.is_dir():
        return []
    bodies: list[Body] = []
    for path in sorted(SHARED.rglob("*")):
        if not path.is_file() or path.suffix == ".md":
            continue
        if path.suffix in (".yaml", ".yml"):
            bodies.extend(_cassette_bodies(path))
        else:
            bodies.append(Body(str(path.relative_to(SHARED)), path.read_bytes(), None))
    return bodies


BODIES = _bodies()

# What some files must give; any file not named here must give records or a typed HarvestError.
EXPECTED_ERRORS: dict[str, type[HarvestError] | str] = {
    "mloesch__sickle/ListRecordsBroken.xml": NotOaiResponseError,
    "infrae__pyoai/fake3/00001.xml": NotOaiResponseError,
    "infrae__pyoai/fake4/00001.xml": NotOaiResponseError,
    "inveniosoftware__invenio-oaiharvester/sample_arxiv_response_no_namespace.xml": (NotOaiResponseError),
    # SOURCES.md says "trailing junk after </OAI-PMH>"; the stored bytes have none: a plain error.
    "caseyamcl__phpoaipmh/BadResponseInvalidRecord.xml": "idDoesNotExist",
    "infrae__pyoai/OAI-PMH.xsd": NotOaiResponseError,
    "mloesch__sickle/badArgument.xml": "badArgument",
    "mloesch__sickle/badResumptionToken.xml": "badResumptionToken",
    "mloesch__sickle/cannotDisseminateFormat.xml": "cannotDisseminateFormat",
    "mloesch__sickle/idDoesNotExist.xml": "idDoesNotExist",
    "mloesch__sickle/noSetHierarchy.xml": "noSetHierarchy",
    "mloesch__sickle/undefinedError.xml": "undefinedError",
    "caseyamcl__phpoaipmh/BadResponseNonExistentVerb.xml": "badVerb",
    "vufind-org__vufindharvest/token_error_response.xml": "badResumptionToken",
    "afuetterer__oaipmh-scythe/id_does_not_exist.yaml#0": "idDoesNotExist",
}
EMPTY_LISTS = {  # noRecordsMatch: zero records, not a failure
    "mloesch__sickle/noRecordsMatch.xml",
    "inveniosoftware__invenio-oaiharvester/sample_empty_response.xml",
}


def _count_items(data: bytes) -> tuple[str | None, int]:
    """The verb and the number of <record> (or ListIdentifiers <header>) elements, counted apart."""
    root = etree.fromstring(
        data.lstrip(), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    )
    for verb in ("ListRecords", "GetRecord", "ListIdentifiers"):
        if root.find(OAI + verb) is not None:
            item = "header" if verb == "ListIdentifiers" else "record"
            return verb, sum(1 for _ in root.iter(OAI + item))
    return None, 0


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared OAI-PMH corpus not found at {SHARED}")
@pytest.mark.parametrize("body", BODIES, ids=[b.name for b in BODIES])
def test_shared_fixture_replays(body: Body) -> None:
    context = RequestContext(endpoint="https://replay.invalid/oai", http_status=body.status)
    try:
        result = parse_response(body.data, context=context)
    except HarvestError as exc:
        expected = EXPECTED_ERRORS.get(body.name)
        top = body.name.split("/", 1)[0]
        if top in LOM_RECORD_DIRS:
            assert isinstance(exc, NotOaiResponseError)
        elif isinstance(expected, str):
            assert isinstance(exc, OaiProtocolError) and exc.code == expected
        elif expected is not None:
            assert isinstance(exc, expected)
        assert exc.endpoint == "https://replay.invalid/oai"
        if body.data.strip():
            assert exc.snippet
        return
    assert body.name not in EXPECTED_ERRORS, f"{body.name} should have failed"
    assert body.name.split("/", 1)[0] not in LOM_RECORD_DIRS, "a bare LOM record is not OAI-PMH"
    if isinstance(result, IdentifyInfo):
        assert result.granularity in ("YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ")
        return
    assert isinstance(result, Page)
    verb, expected_count = _count_items(body.data)
    assert len(result.records) == expected_count
    if body.name in EMPTY_LISTS:
        assert result.records == [] and result.next_token is None
    if verb in ("ListRecords", "GetRecord"):
        for record in result.records:
            if record.deleted:
                assert record.payload is None
            elif record.payload is None:
                assert any("no metadata" in p for p in result.problems)
            else:
                etree.fromstring(record.payload.encode("utf-8"))  # a well-formed element
    unnamed = sum(1 for r in result.records if r.identifier is None)
    assert sum("without an identifier" in p for p in result.problems) == unnamed


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared OAI-PMH corpus not found at {SHARED}")
def test_shared_sickle_chain_keeps_the_deleted_header_without_identifier() -> None:
    page = parse_response(
        (SHARED / "mloesch__sickle" / "ListRecords4.xml").read_bytes(),
        context=RequestContext(verb="ListRecords", metadata_prefix="oai_dc"),
    )
    assert isinstance(page, Page)
    assert page.next_token is None
    assert any(r.deleted and r.identifier is None for r in page.records)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared OAI-PMH corpus not found at {SHARED}")
def test_shared_nsdl_chain_ends_on_empty_token() -> None:
    tokens = []
    for n in range(1, 5):
        data = (SHARED / "caseyamcl__phpoaipmh" / f"GoodResponseFourPage_{n}.xml").read_bytes()
        page = parse_response(data, context=RequestContext(verb="ListIdentifiers"))
        assert isinstance(page, Page) and page.records
        tokens.append(page.next_token)
    assert all(tokens[:3]) and tokens[3] is None
