"""OAI-PMH 2.0 conformance of ``/oai``: each verb, each error condition, GET and POST.

Every response goes through the official schemas (``Provider.parse``), and again at teardown.
"""

from __future__ import annotations

import httpx
import pytest
from lxml import etree
from sqlalchemy import select

from ren_index.ledger.models import ResourceRow

from .conftest import Provider
from .expected import expected, oai_id
from .schemas import NS, require

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def error_code(root: etree._Element) -> str | None:
    error = root.find("o:error", NS)
    return error.get("code") if error is not None else None


def request_args(root: etree._Element) -> dict[str, str]:
    request = root.find("o:request", NS)
    assert request is not None
    return dict(request.attrib)


def headers(root: etree._Element) -> list[etree._Element]:
    return root.findall(".//o:header", NS)


def test_identify(provider: Provider) -> None:
    root = provider.get(verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify is not None
    text = {etree.QName(el).localname: el.text for el in identify}
    assert text["baseURL"] == provider.url
    assert text["protocolVersion"] == "2.0"
    assert text["deletedRecord"] == "persistent"
    assert text["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    assert text["adminEmail"] == "admin@example.org"
    assert text["repositoryName"].startswith("ren-index")
    earliest = text["earliestDatestamp"]
    listed = provider.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    stamps = [h.findtext("o:datestamp", namespaces=NS) for h in headers(listed)]
    assert earliest == min(stamps)
    assert request_args(root) == {"verb": "Identify"}


def test_identify_reads_the_settings(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    """``REN_OAI_REPOSITORY_ID``, ``_NAME`` and ``_ADMIN_EMAIL`` (parsed in tests/test_settings.py)."""
    monkeypatch.setattr(provider.settings, "oai_repository_id", "oai.campus.example")
    monkeypatch.setattr(provider.settings, "oai_repository_name", "Pavillon")
    monkeypatch.setattr(provider.settings, "oai_admin_email", "oai@pavillon.example")
    identify = provider.get(verb="Identify").find("o:Identify", NS)
    assert identify is not None
    assert identify.findtext("o:repositoryName", namespaces=NS) == "Pavillon"
    assert identify.findtext("o:adminEmail", namespaces=NS) == "oai@pavillon.example"
    assert "oai:oai.campus.example:" in etree.tostring(identify).decode()


def test_list_metadata_formats(provider: Provider) -> None:
    expect = expected(provider.ledger)
    for params in ({}, {"identifier": oai_id(sorted(expect.approved)[0])}):
        root = provider.get(verb="ListMetadataFormats", **params)
        prefixes = [el.text for el in root.iterfind(".//o:metadataPrefix", NS)]
        assert prefixes == ["oai_dc", "lom"]
    namespaces = [el.text for el in root.iterfind(".//o:metadataNamespace", NS)]
    assert namespaces == ["http://www.openarchives.org/OAI/2.0/oai_dc/", "http://ltsc.ieee.org/xsd/LOM"]


def test_list_sets(provider: Provider) -> None:
    root = provider.get(verb="ListSets")
    sets = {
        el.findtext("o:setSpec", namespaces=NS): el.findtext("o:setName", namespaces=NS)
        for el in root.iterfind(".//o:set", NS)
    }
    assert sets["portal:pavillon"] == "Portail Pavillon"
    assert sets["portal:ecole-ouverte"] == "Portail École ouverte"
    assert {"portal", "source", "source:demo-lom", "source:demo-dc"} <= set(sets)


def test_get_record_in_both_formats(provider: Provider) -> None:
    expect = expected(provider.ledger)
    rid = sorted(expect.approved)[0]
    resource = expect.approved[rid]
    dc = provider.get(verb="GetRecord", identifier=oai_id(rid), metadataPrefix="oai_dc")
    assert request_args(dc) == {"verb": "GetRecord", "identifier": oai_id(rid), "metadataPrefix": "oai_dc"}
    assert dc.findtext(".//o:header/o:identifier", namespaces=NS) == oai_id(rid)
    assert dc.findtext(".//dc:title", namespaces=NS) in resource.general.title.values()
    lom = provider.get(verb="GetRecord", identifier=oai_id(rid), metadataPrefix="lom")
    assert (
        lom.findtext(".//lom:general/lom:title/lom:string", namespaces=NS) in resource.general.title.values()
    )
    assert lom.findtext(".//lom:technical/lom:location", namespaces=NS) == resource.controlled.url


def test_normetic_vocabularies_in_lom(provider: Provider) -> None:
    """Levels go out as Normetic 5.6 terms (or LOM values), exact levels beside them as concept URIs."""
    root = provider.get(verb="ListRecords", metadataPrefix="lom")
    contexts = [
        (c.findtext("lom:source", namespaces=NS), c.findtext("lom:value", namespaces=NS))
        for c in root.iterfind(".//lom:educational/lom:context", NS)
    ]
    sources = {source for source, _ in contexts}
    assert "http://eureka.ntic.org/vdex/NORMETICv1.0_element_5_6_contexte_voc.xml" in sources
    normetic = {v for s, v in contexts if s and "NORMETIC" in s}
    assert normetic <= {
        "education prescolaire", "education primaire", "education secondaire", "formation professionnelle",
        "cegep", "formation technique", "universite premier cycle", "universite second cycle",
        "universite troisieme cycle", "formation continue", "formation en entreprise",
    }  # fmt: skip
    rights = root.findtext(".//lom:rights/lom:description/lom:string[@language='fr']", namespaces=NS)
    assert rights is not None and " — http" in rights


def test_deleted_records_are_headers_only(provider: Provider) -> None:
    expect = expected(provider.ledger)
    assert len(expect.deleted) >= 2  # the rejected one and the one deleted at its source
    for rid in expect.deleted:
        root = provider.get(verb="GetRecord", identifier=oai_id(rid), metadataPrefix="lom")
        record = root.find(".//o:record", NS)
        assert record is not None
        assert record.find("o:header", NS).get("status") == "deleted"  # type: ignore[union-attr]
        assert record.find("o:metadata", NS) is None


def test_never_approved_records_do_not_exist(provider: Provider) -> None:
    expect = expected(provider.ledger)
    assert expect.hidden
    for rid in sorted(expect.hidden)[:5]:
        root = provider.get(verb="GetRecord", identifier=oai_id(rid), metadataPrefix="oai_dc")
        assert error_code(root) == "idDoesNotExist"


def harvest_all(provider: Provider, verb: str, **params: str) -> list[etree._Element]:
    """Every header of a list request, following resumption tokens."""
    found: list[etree._Element] = []
    root = provider.get(verb=verb, **params)
    while True:
        found += headers(root)
        token = root.findtext(".//o:resumptionToken", namespaces=NS)
        if not token:
            return found
        root = provider.get(verb=verb, resumptionToken=token)


def test_list_identifiers_is_the_exposed_set(provider: Provider) -> None:
    expect = expected(provider.ledger)
    found = harvest_all(provider, "ListIdentifiers", metadataPrefix="oai_dc")
    ids = [h.findtext("o:identifier", namespaces=NS) for h in found]
    assert len(ids) == len(set(ids))
    assert set(ids) == {oai_id(r) for r in expect.exposed}
    deleted = {h.findtext("o:identifier", namespaces=NS) for h in found if h.get("status") == "deleted"}
    assert deleted == {oai_id(r) for r in expect.deleted}


def test_headers_carry_portal_and_source_sets(provider: Provider) -> None:
    with provider.ledger() as session:
        rows = {r.id: r for r in session.scalars(select(ResourceRow))}
    for header in harvest_all(provider, "ListIdentifiers", metadataPrefix="lom"):
        row = rows[(header.findtext("o:identifier", namespaces=NS) or "").rsplit(":", 1)[-1]]
        specs = [s.text for s in header.iterfind("o:setSpec", NS)]
        assert specs == [f"portal:{p}" for p in row.portals] + [f"source:{row.source_id}"]


@pytest.mark.parametrize(
    "set_spec", ["portal:pavillon", "portal:ecole-ouverte", "source:demo-dc", "portal", "source"]
)
def test_selective_harvesting_by_set(provider: Provider, set_spec: str) -> None:
    """A set holds the records whose headers name it or one of its subsets; a deleted record whose
    portals were emptied is announced in every portal set (any portal may hold a copy)."""
    everything = harvest_all(provider, "ListIdentifiers", metadataPrefix="oai_dc")

    def member(header: etree._Element) -> bool:
        specs = [s.text or "" for s in header.iterfind("o:setSpec", NS)]
        if any(s == set_spec or s.startswith(set_spec + ":") for s in specs):
            return True
        no_portal = not any(s.startswith("portal:") for s in specs)
        return set_spec.startswith("portal") and header.get("status") == "deleted" and no_portal

    want = [h.findtext("o:identifier", namespaces=NS) for h in everything if member(h)]
    got = [
        h.findtext("o:identifier", namespaces=NS)
        for h in harvest_all(provider, "ListIdentifiers", metadataPrefix="oai_dc", set=set_spec)
    ]
    assert got and got == want


def stamps(found: list[etree._Element]) -> list[str]:
    return [h.findtext("o:datestamp", namespaces=NS) or "" for h in found]


def test_from_and_until_at_both_granularities(provider: Provider) -> None:
    everything = harvest_all(provider, "ListIdentifiers", metadataPrefix="oai_dc")
    all_stamps = stamps(everything)
    assert all_stamps == sorted(all_stamps)
    middle = all_stamps[len(all_stamps) // 2]
    after = stamps(harvest_all(provider, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": middle}))
    assert after == [s for s in all_stamps if s >= middle]
    before = stamps(harvest_all(provider, "ListIdentifiers", metadataPrefix="oai_dc", until=middle))
    assert before == [s for s in all_stamps if s <= middle]
    day = middle[:10]
    that_day = harvest_all(
        provider, "ListIdentifiers", metadataPrefix="oai_dc", **{"from": day, "until": day}
    )
    assert stamps(that_day) == [s for s in all_stamps if s.startswith(day)]
    later = provider.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2999-01-01"})
    assert error_code(later) == "noRecordsMatch"


def test_post_answers_like_get(provider: Provider) -> None:
    params = {"verb": "ListIdentifiers", "metadataPrefix": "lom", "set": "source:demo-lom"}
    by_get, by_post = provider.get(**params), provider.post(**params)
    assert [h.findtext("o:identifier", namespaces=NS) for h in headers(by_get)] == [
        h.findtext("o:identifier", namespaces=NS) for h in headers(by_post)
    ]
    assert request_args(by_post) == params


def test_post_must_be_form_encoded(provider: Provider) -> None:
    response = httpx.post(provider.url, content=b"verb=Identify", headers={"content-type": "text/plain"})
    assert response.status_code == 415


BAD_ARGUMENTS: list[dict[str, str] | list[tuple[str, str]]] = [
    {"verb": "Identify", "foo": "bar"},
    {"verb": "GetRecord", "metadataPrefix": "oai_dc"},
    {"verb": "ListRecords"},
    [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("metadataPrefix", "lom")],
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-45"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T00:00Z"},
    {
        "verb": "ListRecords",
        "metadataPrefix": "oai_dc",
        "from": "2024-01-01",
        "until": "2024-02-01T00:00:00Z",
    },
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-01", "until": "2024-01-01"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
    {"verb": "GetRecord", "identifier": "x", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
    {"verb": "ListMetadataFormats", "identifier": ""},
]


@pytest.mark.parametrize("params", BAD_ARGUMENTS)
def test_bad_arguments(provider: Provider, params: dict[str, str] | list[tuple[str, str]]) -> None:
    response = httpx.get(provider.url, params=params)
    root = provider.parse(response)
    assert error_code(root) == "badArgument"
    assert request_args(root) == {}  # spec 3.2: no attributes echoed for badVerb / badArgument


@pytest.mark.parametrize("params", [[], [("verb", "Harvest")], [("verb", "Identify"), ("verb", "Identify")]])
def test_bad_verbs(provider: Provider, params: list[tuple[str, str]]) -> None:
    root = provider.parse(httpx.get(provider.url, params=params))
    assert error_code(root) == "badVerb"
    assert request_args(root) == {}


def first_token(provider: Provider, verb: str = "ListIdentifiers") -> str:
    root = provider.get(verb=verb, metadataPrefix="oai_dc")
    token = root.findtext(".//o:resumptionToken", namespaces=NS)
    assert token
    return token


def test_bad_resumption_tokens(provider: Provider) -> None:
    token = first_token(provider)
    body, _, signature = token.partition(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + signature
    for bad in ("garbage", tampered, token + "x", "." + signature):
        root = provider.get(verb="ListIdentifiers", resumptionToken=bad)
        assert error_code(root) == "badResumptionToken", bad
        assert request_args(root) == {"verb": "ListIdentifiers", "resumptionToken": bad}
    other_verb = provider.get(verb="ListRecords", resumptionToken=token)
    assert error_code(other_verb) == "badResumptionToken"
    assert error_code(provider.get(verb="ListSets", resumptionToken=token)) == "badResumptionToken"


def test_other_error_conditions(provider: Provider) -> None:
    expect = expected(provider.ledger)
    rid = sorted(expect.approved)[0]
    cases = [
        (
            {"verb": "GetRecord", "identifier": oai_id(rid), "metadataPrefix": "marc21"},
            "cannotDisseminateFormat",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "identifier": "oai:elsewhere:1", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
        ),
        ({"verb": "GetRecord", "identifier": oai_id("0" * 40), "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"verb": "ListMetadataFormats", "identifier": oai_id("nope")}, "idDoesNotExist"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "portal:nowhere"}, "noRecordsMatch"),
        ({"verb": "ListRecords", "metadataPrefix": "lom", "until": "2000-01-01"}, "noRecordsMatch"),
    ]
    for params, code in cases:
        root = provider.get(**params)
        assert error_code(root) == code, params
        assert request_args(root) == params  # a valid request is echoed


def test_hostile_arguments_are_answered_not_crashed(provider: Provider) -> None:
    for identifier in ("oai:x:\x00", "<script>", "a" * 5000, "é\u0007"):
        root = provider.get(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
        assert error_code(root) == "idDoesNotExist"


def test_the_official_schemas_check_every_response(provider: Provider) -> None:
    """Says plainly when the schema checks are skipped (``../shared`` absent) instead of passing."""
    schemas = require(provider.schemas)
    for params in ({"verb": "Identify"}, {"verb": "ListRecords", "metadataPrefix": "lom"}):
        body = httpx.get(provider.url, params=params).content
        assert schemas.check(body) is not None
    with pytest.raises(AssertionError, match=r"OAI-PMH\.xsd rejects"):
        schemas.check(body.replace(b"<responseDate>", b"<responseDate>not a date "))
