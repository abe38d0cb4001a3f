"""Canonical landing URLs and language-neutral URLs: tables of values written by hand."""

from __future__ import annotations

import time

import pytest

from ren_index.duplicates.canonical import MAX_URL_LENGTH, canonical_url, language_neutral


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # scheme, host, www., ports, trailing slash
        ("https://example.org/a", "https://example.org/a"),
        ("http://example.org/a", "https://example.org/a"),
        ("HTTP://WWW.Example.ORG/Cours", "https://example.org/Cours"),  # the path's case is the server's
        ("http://www.cegepsherbrooke.qc.ca:80/", "https://cegepsherbrooke.qc.ca/"),
        ("https://www.cegepsherbrooke.qc.ca:443/programmes/", "https://cegepsherbrooke.qc.ca/programmes"),
        ("https://example.org:8443/a/", "https://example.org:8443/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/", "https://example.org/"),
        ("https://www.org/", "https://www.org/"),  # nothing left but a TLD: www. stays
        ("  https://example.org/a  ", "https://example.org/a"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://user:secret@example.org/a", "https://example.org/a"),
        ("https://example.org/a/./b/../c/", "https://example.org/a/c"),
        # index pages
        ("https://example.org/index.html", "https://example.org/"),
        ("https://www.cdc.qc.ca/ressources/index.htm", "https://cdc.qc.ca/ressources"),
        ("https://example.org/guide/index.php", "https://example.org/guide"),
        ("https://example.org/Pages/Default.aspx", "https://example.org/Pages"),
        ("https://example.org/index.html/extra", "https://example.org/index.html/extra"),
        ("https://example.org/myindex.html", "https://example.org/myindex.html"),
        # fragments: dropped, except single-page-application routes
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://example.org/#!/ressource/12", "https://example.org/#!/ressource/12"),
        # tracking parameters out, the others sorted by name
        (
            "https://www.eduq.info/xmlui/handle/11515/12345?utm_source=x",
            "https://eduq.info/xmlui/handle/11515/12345",
        ),
        (
            "https://ccdmd.qc.ca/ressources/?utm_medium=courriel&utm_campaign=rentree&id=44",
            "https://ccdmd.qc.ca/ressources?id=44",
        ),
        ("https://example.org/a?fbclid=IwAR0x&gclid=abc&_ga=2.1.2", "https://example.org/a"),
        ("https://example.org/a?mc_cid=1&mc_eid=2&ref=infolettre&source=rss", "https://example.org/a"),
        ("https://example.org/a?UTM_Source=x&pk_campaign=y", "https://example.org/a"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://example.org/a?id=2&id=1", "https://example.org/a?id=2&id=1"),  # repeated: order kept
        ("https://example.org/a?", "https://example.org/a"),
        ("https://example.org/a?&&x=1&", "https://example.org/a?x=1"),
        # percent-encoding: unreserved decoded, escapes upper-case, raw characters encoded
        ("https://example.org/%7Ecours/%61", "https://example.org/~cours/a"),
        ("https://example.org/caf%c3%a9", "https://example.org/caf%C3%A9"),
        ("https://example.org/café", "https://example.org/caf%C3%A9"),
        ("https://example.org/a%2Fb", "https://example.org/a%2Fb"),  # reserved: stays encoded
        ("https://example.org/a%00b", "https://example.org/a%00b"),  # kept escaped, never decoded
        # IDNA host (RFC 3492's example label)
        ("https://www.Bücher.example/livres", "https://xn--bcher-kva.example/livres"),
        ("https://xn--bcher-kva.example/livres", "https://xn--bcher-kva.example/livres"),
        # resolvers: DOI lower-cased, one host
        ("http://dx.doi.org/10.1000/ABC", "https://doi.org/10.1000/abc"),
        ("https://doi.org/10.1000/ABC?utm_source=x#top", "https://doi.org/10.1000/abc"),
        ("https://www.doi.org/10.1000%2FABC", "https://doi.org/10.1000/abc"),
        ("http://hdl.handle.net/10.1000/ABC", "https://doi.org/10.1000/abc"),
        ("http://hdl.handle.net/20.500.11794/123", "https://hdl.handle.net/20.500.11794/123"),
        ("https://hdl.handle.net/11515/ABC/", "https://hdl.handle.net/11515/abc"),
        ("https://doi.org/", "https://doi.org/"),  # no DOI in the path: an ordinary page
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "javascript:alert(1)",
        "JavaScript://example.org/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/a.pdf",
        "mailto:info@example.org",
        "doi:10.1000/abc",
        "//example.org/a",
        "example.org/a",
        "https://",
        "https:///a",
        "http://localhost/a",
        "https://exa mple.org/a",
        "https://example.org/a b",
        "https://example.org/a\x00b",
        "https://example.org:99999/a",
        "https://example.org:abc/a",
        "https://[::1/a",
        "https://" + "a" * 64 + ".org/",  # a DNS label is at most 63 characters
        "https://" + "a." * 126 + "org/",  # 255 characters: a DNS name is at most 253
        "https://example.org/" + "a" * 100_000,  # 100 KB
    ],
)
def test_not_a_canonical_url(raw: str) -> None:
    assert canonical_url(raw) is None


def test_length_cap_is_exact() -> None:
    base = "https://example.org/"
    fits = base + "a" * (MAX_URL_LENGTH - len(base))
    assert canonical_url(fits) == fits
    assert canonical_url(fits + "a") is None


def test_hostile_inputs_are_fast() -> None:
    """Long, repetitive values are refused or handled in linear time, never an exception."""
    values = [
        "https://example.org/" + "%" * 4000,
        "https://example.org/?" + "&" * 4000,
        "https://example.org/?" + "a=1&" * 1000,
        "https://" + "a." * 2000 + "org/",
        "https://example.org/" + "/." * 2000,
        "http://" + "\u0430" * 3000 + ".org/",
        "https://example.org/" + "x" * 10_000_000,
    ]
    start = time.monotonic()
    for value in values:
        result = canonical_url(value)
        assert result is None or result.startswith("https://example.org/")
        language_neutral(value)
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize(
    ("raw", "neutral", "language"),
    [
        ("https://www.canada.ca/fr/services/jeunesse.html", "https://canada.ca/services/jeunesse.html", "fr"),
        ("https://www.canada.ca/en/services/jeunesse.html", "https://canada.ca/services/jeunesse.html", "en"),
        ("https://example.org/fr-ca/guide/", "https://example.org/guide", "fr"),
        ("https://example.org/EN-CA/guide/", "https://example.org/guide", "en"),
        ("https://example.org/fr/", "https://example.org/", "fr"),
        ("https://example.org/fr/index.html", "https://example.org/", "fr"),
        ("https://example.org/ressources/en/cours-12", "https://example.org/ressources/cours-12", "en"),
        ("https://example.org/francais/guide.html", "https://example.org/guide.html", "fr"),
        ("https://example.org/fran%C3%A7ais/guide.html", "https://example.org/guide.html", "fr"),
        ("https://example.org/english/guide.html", "https://example.org/guide.html", "en"),
        # a subject, not a language version: only the first folder names a language
        ("https://example.org/programmes/francais/", "https://example.org/programmes/francais", None),
        ("https://example.org/cours/anglais/", "https://example.org/cours/anglais", None),
        # parameters
        ("https://example.org/guide?lang=fr&id=3", "https://example.org/guide?id=3", "fr"),
        ("https://example.org/guide?id=3&langue=en", "https://example.org/guide?id=3", "en"),
        ("https://example.org/guide?hl=fr-CA", "https://example.org/guide", "fr"),
        ("https://example.org/guide?locale=en_CA", "https://example.org/guide", "en"),
        ("https://example.org/guide?lang=de", "https://example.org/guide?lang=de", None),
        # subdomains (three labels at least)
        (
            "https://fr.wikipedia.org/wiki/Photosynth%C3%A8se",
            "https://wikipedia.org/wiki/Photosynth%C3%A8se",
            "fr",
        ),
        ("https://en.example.org/a", "https://example.org/a", "en"),
        ("https://fr.ca/a", "https://fr.ca/a", None),
        # file-name suffixes
        ("https://example.org/docs/guide-fr.pdf", "https://example.org/docs/guide.pdf", "fr"),
        ("https://example.org/docs/guide_EN.pdf", "https://example.org/docs/guide.pdf", "en"),
        ("https://example.org/docs/index.fr.html", "https://example.org/docs", "fr"),
        ("https://example.org/docs/screen.pdf", "https://example.org/docs/screen.pdf", None),
        ("https://example.org/docs/-fr.pdf", "https://example.org/docs/-fr.pdf", None),
        # several markers that agree are all removed; that disagree, none
        ("https://fr.example.org/fr/guide-fr.pdf?lang=fr", "https://example.org/guide.pdf", "fr"),
        ("https://fr.example.org/en/guide", "https://fr.example.org/en/guide", None),
        ("https://example.org/fr/guide?lang=en", "https://example.org/fr/guide?lang=en", None),
        # no marker; canonical form all the same
        ("http://www.example.org/guide/?utm_source=x", "https://example.org/guide", None),
        # resolvers name an identifier: left alone
        ("https://doi.org/10.1000/guide-fr", "https://doi.org/10.1000/guide-fr", None),
        # not a URL
        ("javascript:alert(1)", "", None),
        ("https://example.org/" + "a" * 100_000, "", None),
    ],
)
def test_language_neutral(raw: str, neutral: str, language: str | None) -> None:
    assert language_neutral(raw) == (neutral, language)


def test_french_and_english_twins_meet() -> None:
    french = language_neutral("https://www.example.qc.ca/fr/cours/chimie-101?utm_source=infolettre")
    english = language_neutral("http://example.qc.ca/en/cours/chimie-101/")
    assert french == ("https://example.qc.ca/cours/chimie-101", "fr")
    assert english == ("https://example.qc.ca/cours/chimie-101", "en")


@pytest.mark.parametrize(
    "canonical",
    [
        "https://example.org/",
        "https://example.org/a?a=1&b=2",
        "https://eduq.info/xmlui/handle/11515/12345",
        "https://example.org/caf%C3%A9",
        "https://example.org/a%2Fb",
        "https://example.org/a%00b",
        "https://xn--bcher-kva.example/livres",
        "https://example.org/#!/ressource/12",
        "https://example.org:8443/a",
        "https://doi.org/10.1000/abc",
        "https://doi.org/10.1002/(sici)1097-4571(199806)49:8",
        "https://hdl.handle.net/20.500.11794/123",
    ],
)
def test_canonical_form_is_a_fixed_point(canonical: str) -> None:
    """The matcher canonicalizes once and may pass the result on (to language_neutral): a second
    pass must change nothing."""
    assert canonical_url(canonical) == canonical
    assert language_neutral(canonical) == (canonical, None)
