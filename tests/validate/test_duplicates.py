"""Duplicates by normalized URL, looked up through the context (the ledger stays outside)."""

from __future__ import annotations

import pytest
import rdflib

from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import Provenance, Resource
from ren_index.validate import ValidationContext
from ren_index.validate.duplicates import check_duplicates
from ren_index.validate.urls import check_url

KNOWN = {"https://example.org/fractions": "eduq:oai:eduq:42"}
"""What the ledger already holds: normalized URL -> record id."""


def _ctx(known: dict[str, str] | None = None) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    table = KNOWN if known is None else known
    return ValidationContext(
        vocabularies=Vocabularies(levels=empty, licences=empty, resource_types=empty),
        duplicate_of=table.get,
    )


def _checked(location: str, ctx: ValidationContext) -> Resource:
    """A record with this location, after check_url (which runs first in the pipeline)."""
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc"))
    resource.technical.locations = [location]
    updates, _ = check_url(resource, ctx)
    resource.controlled = resource.controlled.model_copy(update=updates)
    return resource


@pytest.mark.parametrize(
    "location",
    [
        "https://example.org/fractions",
        "HTTPS://EXAMPLE.org/fractions/",
        "https://example.org:443/fractions?utm_source=newsletter#haut",
        "http://example.org/fractions",  # http and https are the same address
        "https://example.org/./fractions",
    ],
)
def test_same_normalized_url_is_a_duplicate(location: str) -> None:
    ctx = _ctx()
    updates, issues = check_duplicates(_checked(location, ctx), ctx)
    assert updates == {}
    assert [(i.code, i.severity, i.field, i.suggestion) for i in issues] == [
        ("DUPLICATE_URL", "warning", "technical.location", "eduq:oai:eduq:42")
    ]
    assert issues[0].value is not None and issues[0].value.endswith("://example.org/fractions")
    assert issues[0].message_fr == "Même URL que la notice eduq:oai:eduq:42."
    assert issues[0].message_en == "Same URL as record eduq:oai:eduq:42."


@pytest.mark.parametrize(
    "location",
    [
        "https://example.org/fractions-2",
        "https://example.org/fractions?id=2",
        "https://other.example/fractions",
    ],
)
def test_other_url_is_not_a_duplicate(location: str) -> None:
    ctx = _ctx()
    assert check_duplicates(_checked(location, ctx), ctx) == ({}, [])


def test_https_record_finds_an_http_one() -> None:
    ctx = _ctx({"http://example.org/fractions": "csv:7"})
    _, issues = check_duplicates(_checked("https://example.org/fractions", ctx), ctx)
    assert [i.suggestion for i in issues] == ["csv:7"]


def test_no_controlled_url_asks_nothing() -> None:
    asked: list[str] = []

    def spy(url: str) -> str | None:
        asked.append(url)
        return "x"

    ctx = ValidationContext(vocabularies=_ctx().vocabularies, duplicate_of=spy)
    resource = _checked("htp://example.org/fractions", ctx)
    assert check_duplicates(resource, ctx) == ({}, [])
    assert asked == []


def test_default_context_finds_no_duplicates() -> None:
    ctx = ValidationContext(vocabularies=_ctx().vocabularies)
    assert check_duplicates(_checked("https://example.org/fractions", ctx), ctx) == ({}, [])
