"""Resumption tokens: several pages, ``cursor`` / ``completeListSize``, and changes mid-harvest."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from lxml import etree

from ren_index.ledger.models import ResourceRow, utcnow

from .conftest import Provider
from .expected import expected, oai_id
from .schemas import NS

PAGE = 7


@pytest.fixture
def small_pages(provider: Provider, monkeypatch: pytest.MonkeyPatch) -> int:
    """``REN_OAI_PAGE_SIZE=7`` for the provider under test (its settings are read per request)."""
    monkeypatch.setattr(provider.settings, "oai_page_size", PAGE)
    return PAGE


def ids(root: etree._Element) -> list[str]:
    return [h.findtext("o:identifier", namespaces=NS) or "" for h in root.iterfind(".//o:header", NS)]


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_pages_carry_cursor_and_complete_list_size(provider: Provider, small_pages: int, verb: str) -> None:
    expect = expected(provider.ledger)
    total = len(expect.exposed)
    assert total > 3 * small_pages
    seen: list[str] = []
    root = provider.get(verb=verb, metadataPrefix="lom")
    pages = 0
    while True:
        pages += 1
        page = ids(root)
        token = root.find(".//o:resumptionToken", NS)
        assert token is not None  # on every page of an incomplete list, and on the last one
        assert token.get("cursor") == str(len(seen))
        assert token.get("completeListSize") == str(total)
        seen += page
        if not token.text:
            assert len(page) <= small_pages
            break
        assert len(page) == small_pages
        root = provider.get(verb=verb, resumptionToken=token.text)
    assert pages == -(-total // small_pages)
    assert len(seen) == len(set(seen)) == total
    assert set(seen) == {oai_id(r) for r in expect.exposed}


def test_a_token_works_twice(provider: Provider, small_pages: int) -> None:
    """Idempotent (spec 3.5.1): a harvester retrying a page gets the same page."""
    token = provider.get(verb="ListIdentifiers", metadataPrefix="oai_dc").findtext(
        ".//o:resumptionToken", namespaces=NS
    )
    assert token
    first = ids(provider.get(verb="ListIdentifiers", resumptionToken=token))
    again = ids(provider.get(verb="ListIdentifiers", resumptionToken=token))
    assert first == again and len(first) == small_pages


def touch(provider: Provider, resource_id: str) -> None:
    """A documentalist edit, as the ledger records it: the record's content changed now."""
    with provider.ledger.begin() as session:
        row = session.get_one(ResourceRow, resource_id)
        row.updated_at = utcnow() + timedelta(seconds=1)


def test_tokens_survive_changes_during_the_harvest(provider: Provider, small_pages: int) -> None:
    """Records changed between two pages leave this harvest (their datestamp passed the snapshot
    taken at the first request) without shifting the others: every unchanged record is delivered
    exactly once. The next incremental harvest, from the first responseDate, brings the changed
    ones with their new datestamp."""
    first = provider.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    response_date = first.findtext("o:responseDate", namespaces=NS)
    sent = ids(first)
    full = [oai_id(r) for r in sorted(expected(provider.ledger).exposed)]
    token = first.findtext(".//o:resumptionToken", namespaces=NS)
    assert token and response_date
    # change one record already sent and two not sent yet
    pending_probe = ids(provider.get(verb="ListIdentifiers", resumptionToken=token))
    changed = [sent[0], pending_probe[0], pending_probe[-1]]
    for identifier in changed:
        touch(provider, identifier.rsplit(":", 1)[-1])
    while token:
        root = provider.get(verb="ListIdentifiers", resumptionToken=token)
        sent += ids(root)
        token = root.findtext(".//o:resumptionToken", namespaces=NS)
    assert len(sent) == len(set(sent))
    unchanged = set(full) - set(changed)
    assert unchanged <= set(sent)
    assert not set(changed[1:]) & set(sent)
    # `touch` dates the changes one second ahead (so they are strictly after responseDate at
    # seconds granularity); a request bounds its list at "now", so let the clock pass them first.
    time.sleep(1.2)
    later = provider.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": response_date})
    found = ids(later)
    token = later.findtext(".//o:resumptionToken", namespaces=NS)
    while token:  # records processed in the same second as responseDate come too: follow the list
        later = provider.get(verb="ListIdentifiers", resumptionToken=token)
        found += ids(later)
        token = later.findtext(".//o:resumptionToken", namespaces=NS)
    assert set(changed) <= set(found)
