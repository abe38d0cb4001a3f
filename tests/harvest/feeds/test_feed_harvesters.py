"""The three partner-feed harvesters against a local HTTP server: pages, ids, bad rows, 304s."""

from __future__ import annotations

import json

import pytest

from ren_index.errors import HarvestError
from ren_index.harvest.csv_source import CsvHarvester, decode, sniff_delimiter
from ren_index.harvest.documents import DocumentClient
from ren_index.harvest.feeds import FeedHarvester, with_page
from ren_index.harvest.jsonld import JsonLdHarvester

from .conftest import FeedServer

RSS = "application/rss+xml; charset=utf-8"
CLIENT = DocumentClient(timeout=5.0, max_retries=0)


def wordpress(server: FeedServer) -> str:
    server.serve("/feed/?paged=2", "wordpress-2.xml", RSS)
    return server.serve("/feed/", "wordpress-1.xml", RSS)


def test_wordpress_feed_is_followed_page_by_page_until_404(feed_server: FeedServer) -> None:
    harvester = FeedHarvester(wordpress(feed_server), CLIENT)
    pages = list(harvester.pages())
    ids = [r.identifier for p in pages for r in p.records]
    assert ids == [
        "https://www.profweb.example/?p=101",  # guid
        "https://www.profweb.example/?p=102",
        "https://www.profweb.example/retroaction-audio/",  # no guid: the link
    ]
    assert [path for path, _ in feed_server.requests] == ["/feed/", "/feed/?paged=2", "/feed/?paged=3"]
    assert pages[0].next_token == feed_server.base + "/feed/?paged=2"
    assert pages[-1].state["etag"] and pages[-1].state["modified"]
    assert harvester.complete
    item = json.loads(pages[0].records[0].payload or "")
    assert item["language"] == "fr-CA" and item["authors"] == ["Marie Tremblay"]
    assert pages[0].records[0].metadata_prefix == "rss"


def test_wordpress_walk_is_bounded_by_max_pages(feed_server: FeedServer) -> None:
    harvester = FeedHarvester(wordpress(feed_server), CLIENT, max_pages=1)
    assert sum(len(p.records) for p in harvester.pages()) == 2
    assert harvester.truncated and not harvester.complete


def test_atom_next_links_are_followed(feed_server: FeedServer) -> None:
    feed_server.serve("/atom/2", "atom-2.xml", "application/atom+xml")
    url = feed_server.serve("/atom/1", "atom-1.xml", "application/atom+xml")
    pages = list(FeedHarvester(url, CLIENT).pages())
    assert [r.identifier for p in pages for r in p.records] == [
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "https://campus.example/linear-algebra",
    ]
    assert pages[0].next_token == feed_server.base + "/atom/2" and pages[-1].next_token is None


def test_conditional_get_answers_304_with_no_records(feed_server: FeedServer) -> None:
    url = wordpress(feed_server)
    first = FeedHarvester(url, CLIENT)
    state = list(first.pages())[-1].state
    second = FeedHarvester(url, CLIENT)
    second.state = state
    pages = list(second.pages())
    assert [len(p.records) for p in pages] == [0]
    assert second.not_modified and not second.complete
    assert pages[-1].state == state  # kept for the run after
    assert feed_server.requests[-1] == ("/feed/", state["etag"])


def test_an_unreachable_feed_is_a_harvest_error(feed_server: FeedServer) -> None:
    with pytest.raises(HarvestError) as caught:
        list(FeedHarvester(feed_server.base + "/missing", CLIENT).pages())
    assert caught.value.http_status == 404


def test_with_page_sets_the_paged_parameter() -> None:
    assert (
        with_page("https://x.example/feed/?lang=fr&paged=2", 3) == "https://x.example/feed/?lang=fr&paged=3"
    )


def test_semicolon_windows_1252_csv_with_a_bad_row(feed_server: FeedServer) -> None:
    url = feed_server.serve("/export.csv", "partenaire-1252.csv", "text/csv")
    columns = {
        "id": "identifiant",
        "title": "titre",
        "description": "description",
        "url": "lien",
        "language": "langue",
        "level": "niveau",
        "licence": "licence",
    }
    pages = list(CsvHarvester(url, columns, CLIENT).pages())
    records = [r for p in pages for r in p.records]
    assert [r.identifier for r in records] == ["R-1", "R-2", "R-4"]  # R-3 reported, R-4 still read
    assert pages[-1].problems == ["row 4: 9 cells where the header has 7"]
    row = json.loads(records[1].payload or "")
    assert row["title"] == "Électricité – circuits" and row["description"] == "Schémas et « exercices »"
    assert "_row" not in row and records[1].metadata_prefix == "csv"


def test_utf8_bom_comma_csv_identified_by_id_column(feed_server: FeedServer) -> None:
    url = feed_server.serve("/bom.csv", "partenaire-bom.csv", "text/csv")
    pages = list(CsvHarvester(url, {"id": "id", "title": "title", "keywords": "keywords"}, CLIENT).pages())
    records = [r for p in pages for r in p.records]
    assert [r.identifier for r in records] == ["U-1", "U-2"]  # the empty row is skipped silently
    assert json.loads(records[0].payload or "")["title"] == "Les volcans, en bref"
    assert pages[-1].problems == []


def test_csv_without_id_column_uses_url_then_a_hash(feed_server: FeedServer) -> None:
    feed_server.routes["/x.csv"] = (b"titre;lien\nA;https://a.example\nB;\n", "text/csv")
    harvester = CsvHarvester(feed_server.base + "/x.csv", {"title": "titre", "url": "lien"}, CLIENT)
    records = next(iter(harvester.pages()))
    assert records.records[0].identifier == "https://a.example"
    assert records.records[1].identifier.startswith("sha1:")


def test_csv_mapping_naming_a_missing_column_fails_clearly(feed_server: FeedServer) -> None:
    url = feed_server.serve("/bom.csv", "partenaire-bom.csv", "text/csv")
    with pytest.raises(HarvestError, match="titre"):
        list(CsvHarvester(url, {"title": "titre"}, CLIENT).pages())


def test_csv_pages_and_undecodable_rows(feed_server: FeedServer) -> None:
    body = b"titre,lien\n" + "".join(f"Élément {i},https://e.example/{i}\n" for i in range(5)).encode()
    feed_server.routes["/p.csv"] = (body + b"Bad \xff\xfe,https://e.example/bad\n", "text/csv")
    pages = list(CsvHarvester(feed_server.base + "/p.csv", {}, CLIENT, page_size=2).pages())
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [p.next_token for p in pages] == ["4", "6", None]
    assert pages[-1].problems == ["row 7: bytes that are neither UTF-8 nor Windows-1252 text"]


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        ("é;è".encode(), "utf-8"),
        (b"\xef\xbb\xbfa,b", "utf-8"),
        ("é;è – «»".encode("cp1252"), "cp1252"),
        (b"plain", "utf-8"),
    ],
)
def test_decode(raw: bytes, encoding: str) -> None:
    assert decode(raw)[1] == encoding


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("titre", ","), ("a;b,c;d", ";")],
)
def test_sniff_delimiter(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header + "\n1,2\n") == delimiter


def test_jsonld_listing_with_graph(feed_server: FeedServer) -> None:
    url = feed_server.serve("/ressources.jsonld", "listing.jsonld", "application/ld+json")
    page = next(JsonLdHarvester(url, CLIENT).pages())
    assert [r.identifier for r in page.records] == [
        "https://partenaire.example/ressources/fractions",
        "https://partenaire.example/ressources/volcans",
    ]  # the Person is a value, not a resource
    node = json.loads(page.records[0].payload or "")
    assert node["name"] == [{"@value": "Les fractions au quotidien", "@language": "fr"}]
    assert node["educationalLevel"][0]["termCode"] == ["P3"]
    assert page.records[0].metadata_prefix == "lrmi" and page.records[0].datestamp == "2024-02-10"
    assert page.problems == []  # https://schema.org/ is a known context: never fetched


def test_html_page_with_two_ld_json_scripts(feed_server: FeedServer) -> None:
    url = feed_server.serve("/catalogue.html", "page.html", "text/html; charset=utf-8")
    page = next(JsonLdHarvester(url, CLIENT).pages())
    assert sorted(r.identifier for r in page.records) == [
        "https://ecole.example/atelier-ecriture",  # a blank node: identified by its url
        "https://ecole.example/cours/geo",  # its hasPart stays inside it
    ]
    assert len(page.problems) == 1 and "script 3" in page.problems[0]


def test_unknown_remote_context_is_not_fetched(feed_server: FeedServer) -> None:
    doc = {"@context": "https://contexts.example/ctx.jsonld", "@type": "LearningResource", "@id": "urn:x:1"}
    feed_server.routes["/doc.json"] = (json.dumps(doc).encode(), "application/json")
    page = next(JsonLdHarvester(feed_server.base + "/doc.json", CLIENT).pages())
    assert [r.identifier for r in page.records] == ["urn:x:1"]
    assert "not fetched" in page.problems[0]
    assert [p for p, _ in feed_server.requests] == ["/doc.json"]
