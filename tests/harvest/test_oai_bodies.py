"""Bodies that are not OAI-PMH must fail loudly, with the request context, never end a list."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from oai_server import Reply, ScriptedServer, SleepRecorder, fixture_bytes

from ren_index.errors import NotOaiResponseError
from ren_index.harvest.base import Page
from ren_index.harvest.oai import OaiHarvester, RequestContext, parse_response

BROKEN = [
    ("html_page.html", "not well-formed"),
    ("truncated.xml", "not well-formed"),
    ("junk_after_root.xml", "not well-formed"),
    ("no_namespace.xml", "root element is 'OAI-PMH'"),
    ("xxe.xml", "unsafe"),
    ("billion_laughs.xml", "unsafe"),
]


@pytest.mark.parametrize(("name", "reason"), BROKEN)
def test_broken_first_page_raises_with_context(
    oai_server: ScriptedServer, sleeps: SleepRecorder, name: str, reason: str
) -> None:
    oai_server.script(Reply(fixture_bytes(name)))
    harvester = OaiHarvester(oai_server.url, "oai_lom", sleep=sleeps)
    with pytest.raises(NotOaiResponseError) as caught:
        list(harvester.pages(set_spec="primaire", from_="2025-01-01"))
    err = caught.value
    assert reason in err.message
    assert err.endpoint == oai_server.url
    assert err.verb == "ListRecords"
    assert err.set_spec == "primaire"
    assert err.metadata_prefix == "oai_lom"
    assert err.resumption_token is None
    assert err.http_status == 200
    assert err.snippet and fixture_bytes(name).decode("utf-8").startswith(err.snippet[:100])
    assert sleeps.calls == []


@pytest.mark.parametrize(("name", "reason"), BROKEN)
def test_broken_later_page_raises_after_the_good_ones(
    oai_server: ScriptedServer, sleeps: SleepRecorder, name: str, reason: str
) -> None:
    oai_server.script(Reply(fixture_bytes("lom_page1.xml")), Reply(fixture_bytes(name)))
    pages = OaiHarvester(oai_server.url, "oai_lom", sleep=sleeps).pages(set_spec="primaire")
    assert len(next(pages).records) == 3
    with pytest.raises(NotOaiResponseError) as caught:
        next(pages)
    assert caught.value.resumption_token == "primaire|2025-01-01||3"
    assert caught.value.set_spec == "primaire"


@pytest.mark.parametrize("body", [b"", b"   \n", b"broken xml"])
def test_empty_or_text_bodies(body: bytes) -> None:
    with pytest.raises(NotOaiResponseError):
        parse_response(body, context=RequestContext(verb="ListRecords"))


def test_identify_answered_with_a_list_is_not_accepted() -> None:
    with pytest.raises(NotOaiResponseError, match="<Identify>"):
        parse_response(fixture_bytes("lom_page3.xml"), context=RequestContext(verb="Identify"))


def test_xxe_never_reads_the_file(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    secret = Path("/etc/passwd").read_text() if Path("/etc/passwd").exists() else "root:x:0:0"
    marker = secret.splitlines()[0]
    oai_server.script(Reply(fixture_bytes("xxe.xml")))
    with pytest.raises(NotOaiResponseError) as caught:
        list(OaiHarvester(oai_server.url, "oai_dc", sleep=sleeps).pages())
    err = caught.value
    for text in (str(err), err.message, err.snippet or "", repr(err.context())):
        assert marker not in text


def test_billion_laughs_fails_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(NotOaiResponseError):
        parse_response(fixture_bytes("billion_laughs.xml"), context=RequestContext(verb="ListRecords"))
    assert time.perf_counter() - started < 1.0


def test_billion_laughs_after_a_long_prologue_is_refused() -> None:
    body = fixture_bytes("billion_laughs.xml").replace(b"?>\n", b"?>\n<!-- " + b"x" * 8000 + b" -->\n", 1)
    started = time.perf_counter()
    with pytest.raises(NotOaiResponseError):  # refused by libxml2's amplification guard or xmlsafe
        parse_response(body, context=RequestContext(verb="ListRecords"))
    assert time.perf_counter() - started < 1.0


def test_utf16_xxe_is_refused() -> None:
    body = fixture_bytes("xxe.xml").decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    with pytest.raises(NotOaiResponseError, match="unsafe"):
        parse_response(body.encode("utf-16"), context=RequestContext(verb="ListRecords"))


def test_leading_whitespace_before_declaration_is_forgiven() -> None:
    page = parse_response(
        b"\n\n" + fixture_bytes("lom_page3.xml"), context=RequestContext(verb="ListRecords")
    )
    assert isinstance(page, Page) and len(page.records) == 1
