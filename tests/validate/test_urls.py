"""The resource's address: missing, malformed (with a repair when one follows), normalized."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import rdflib

from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import Identifier, Provenance, Resource
from ren_index.validate import ValidationContext
from ren_index.validate.urls import InvalidUrl, check_url, normalize_url, scheme_variants, suggest_url


def _ctx() -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    return ValidationContext(vocabularies=Vocabularies(levels=empty, licences=empty, resource_types=empty))


def _resource(locations: Sequence[str] = (), identifiers: Sequence[str] = ()) -> Resource:
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="oai_dc"))
    resource.technical.locations = list(locations)
    resource.general.identifiers = [Identifier(entry=e) for e in identifiers]
    return resource


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("HTTPS://Example.ORG/Path", "https://example.org/Path"),  # path case is the server's
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("http://example.org:443/a", "http://example.org:443/a"),  # not http's default port
        ("https://example.org", "https://example.org/"),
        ("https://example.org/", "https://example.org/"),
        ("https://example.org/a/b/", "https://example.org/a/b"),
        ("https://example.org/a/./b/../c", "https://example.org/a/c"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://example.org/app#!/resource/12", "https://example.org/app#!/resource/12"),
        ("https://example.org/app#/resource/12", "https://example.org/app#/resource/12"),
        ("https://example.org/a?utm_source=x&utm_medium=y", "https://example.org/a"),
        ("https://example.org/a?id=3&UTM_Campaign=z&lang=fr", "https://example.org/a?id=3&lang=fr"),
        ("https://example.org/a?fbclid=abc&id=3", "https://example.org/a?id=3"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"),  # order kept
        ("https://example.org/a?", "https://example.org/a"),
        ("https://example.org/%7Euser/%41bc", "https://example.org/~user/Abc"),
        ("https://example.org/a%2fb", "https://example.org/a%2Fb"),  # an escaped slash stays escaped
        ("https://example.org/caf%c3%a9", "https://example.org/caf%C3%A9"),
        ("https://example.org/café", "https://example.org/caf%C3%A9"),
        ("https://example.org/100%", "https://example.org/100%25"),
        ("https://École.Example.ca/été", "https://xn--cole-9oa.example.ca/%C3%A9t%C3%A9"),
        ("https://example.org./a", "https://example.org/a"),
        ("http://192.0.2.10/a", "http://192.0.2.10/a"),
        ("http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
        ("https://example.org/q?x=a+b&y=%e9", "https://example.org/q?x=a+b&y=%E9"),
        ("https://example.org/q?x=a|b&y={1}", "https://example.org/q?x=a%7Cb&y=%7B1%7D"),
    ],
)
def test_normalize_url(raw: str, normalized: str) -> None:
    assert normalize_url(raw) == normalized
    assert normalize_url(normalized) == normalized  # idempotent


@pytest.mark.parametrize(
    ("raw", "suggestion"),
    [
        ("www.example.org/x", "https://www.example.org/x"),
        ("www.example.org", "https://www.example.org"),
        ("ressources.example.qc.ca/fractions", "https://ressources.example.qc.ca/fractions"),
        ("htp://example.org/x", "http://example.org/x"),
        ("hhtp://example.org/x", "http://example.org/x"),
        ("htps://example.org/x", "https://example.org/x"),
        ("http//example.org/x", "http://example.org/x"),
        ("http:/example.org/x", "http://example.org/x"),
        ("https:example.org/x", "https://example.org/x"),
        ("http:\\\\example.org\\x", "http://example.org/x"),
        ("http://http://example.org/x", "http://example.org/x"),
        ("https://example.org/mon document.pdf", "https://example.org/mon%20document.pdf"),
        ("http://exa mple.org/x", None),  # the host itself is broken: no guess
        ("https://", None),
        ("https:///x", None),
        ("http://example.org:99999/x", None),
        ("http://example.org:port/x", None),
        ("http://localhost/x", None),
        ("http://example..org/x", None),
        ("http://999.1.1.1/x", None),
        ("ftp://example.org/x", None),
        ("https://exa<mple>.org/", None),
        ("C:\\Documents\\fractions.pdf", None),
        ("mailto:info@example.org", None),
    ],
)
def test_invalid_location_table(raw: str, suggestion: str | None) -> None:
    updates, issues = check_url(_resource([raw]), _ctx())
    assert [(i.code, i.severity, i.field, i.value) for i in issues] == [
        ("URL_INVALID", "error", "technical.location", raw)
    ]
    assert issues[0].suggestion == suggestion
    assert updates == {}
    with pytest.raises(InvalidUrl):
        normalize_url(raw)


def test_valid_url_sets_the_normalized_controlled_url() -> None:
    updates, issues = check_url(_resource(["HTTPS://Example.org/a/?utm_source=rss#top"]), _ctx())
    assert issues == []
    assert updates == {"url": "https://example.org/a"}


def test_no_location_and_no_url_shaped_identifier_is_missing() -> None:
    updates, issues = check_url(
        _resource([], ["oai:example.org:12", "ISBN 978-2-550-12345-6", "notes.pdf"]), _ctx()
    )
    assert [(i.code, i.severity, i.value) for i in issues] == [("URL_MISSING", "error", None)]
    assert updates == {}


def test_url_identifier_is_the_address_when_there_is_no_location() -> None:
    updates, issues = check_url(_resource([], ["oai:x:1", "https://example.org/r/"]), _ctx())
    assert issues == []
    assert updates == {"url": "https://example.org/r"}


def test_misspelled_identifier_is_invalid_not_missing() -> None:
    # oai_dc puts "htp://..." among identifiers (it is not a URL), so resource.url is None.
    resource = _resource([], ["oai:x:1", "htp://example.org/r"])
    assert resource.url is None
    _, issues = check_url(resource, _ctx())
    assert [(i.code, i.value, i.suggestion) for i in issues] == [
        ("URL_INVALID", "htp://example.org/r", "http://example.org/r")
    ]


def test_broken_first_location_reported_but_good_one_normalized() -> None:
    updates, issues = check_url(_resource(["https://exa mple.org/r", "https://example.org/r"]), _ctx())
    assert [(i.code, i.value) for i in issues] == [("URL_INVALID", "https://exa mple.org/r")]
    assert updates == {"url": "https://example.org/r"}


def test_scheme_variants() -> None:
    assert scheme_variants("https://example.org/a") == ["https://example.org/a", "http://example.org/a"]
    assert scheme_variants("http://example.org/a") == ["http://example.org/a", "https://example.org/a"]


@pytest.mark.parametrize("raw", ["https://example.org/a", "  "])
def test_suggest_nothing_for_valid_or_empty(raw: str) -> None:
    assert suggest_url(raw) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.org:99999/x", "bad port"),
        ("http://example.org:0/x", "bad port"),
        ("http://localhost/x", "not a public host name"),
        ("http://localhost:99999/x", "not a public host name"),  # the host is checked first
        ("http://999.1.1.1/x", "bad IPv4 address"),
    ],
)
def test_host_and_port_verdict_is_the_same_every_time(url: str, reason: str) -> None:
    """Host and port are remembered per netloc: the second and third URLs on that netloc (another
    path, the same one again) are refused for the same reason as the first."""
    for candidate in (url, url + "/y", url):
        with pytest.raises(InvalidUrl, match=reason):
            normalize_url(candidate)


def test_a_netloc_seen_before_still_normalizes_each_path() -> None:
    assert normalize_url("HTTPS://Exämple.ORG:443/a/./b") == "https://xn--exmple-cua.org/a/b"
    assert normalize_url("https://EXÄMPLE.org:8443/c?utm_source=x") == "https://xn--exmple-cua.org:8443/c"
    assert normalize_url("https://user@exämple.org:443/d") == "https://user@xn--exmple-cua.org/d"
