"""DOI, ISBN and Handle found in identifier entries, URLs and text: tables of values written by hand."""

from __future__ import annotations

import time

import pytest

from ren_index.duplicates.identifiers import (
    MAX_IDENTIFIERS,
    MAX_VALUE_LENGTH,
    MAX_VALUES,
    identifiers_of,
    isbn10_to_13,
    isbn10_valid,
    isbn13_valid,
    resource_identifiers,
)
from ren_index.model import Identifier, Provenance, Resource


def test_the_hand_computed_check_digits() -> None:
    """The ISBNs the tables below use, checked by arithmetic written out (not by the code)."""
    # 2-7605-2357-8 (ISBN-10): weights 10..1, the total a multiple of 11.
    assert 2 * 10 + 7 * 9 + 6 * 8 + 0 * 7 + 5 * 6 + 2 * 5 + 3 * 4 + 5 * 3 + 7 * 2 + 8 * 1 == 11 * 20
    # ... and with a final 5 it is not: 2-7605-2357-5 is a mistyped ISBN.
    assert (2 * 10 + 7 * 9 + 6 * 8 + 0 * 7 + 5 * 6 + 2 * 5 + 3 * 4 + 5 * 3 + 7 * 2 + 5 * 1) % 11 == 8
    # 978-2-7605-2357-9 (ISBN-13): weights 1, 3, 1, 3..., the total a multiple of 10.
    assert 9 + 7 * 3 + 8 + 2 * 3 + 7 + 6 * 3 + 0 + 5 * 3 + 2 + 3 * 3 + 5 + 7 * 3 + 9 == 130
    # 0-306-40615-2 -> 978-0-306-40615-7
    assert 0 * 10 + 3 * 9 + 0 * 8 + 6 * 7 + 4 * 6 + 0 * 5 + 6 * 4 + 1 * 3 + 5 * 2 + 2 * 1 == 11 * 12
    assert 9 + 7 * 3 + 8 + 0 * 3 + 3 + 0 * 3 + 6 + 4 * 3 + 0 + 6 * 3 + 1 + 5 * 3 + 7 == 100
    # 0-8044-2957-X (X = 10) -> 978-0-8044-2957-3
    assert 0 * 10 + 8 * 9 + 0 * 8 + 4 * 7 + 4 * 6 + 2 * 5 + 9 * 4 + 5 * 3 + 7 * 2 + 10 * 1 == 11 * 19
    assert 9 + 7 * 3 + 8 + 0 * 3 + 8 + 0 * 3 + 4 + 4 * 3 + 2 + 9 * 3 + 5 + 7 * 3 + 3 == 120
    # 979-10-90636-07-1 (no ISBN-10 form exists for 979)
    assert 9 + 7 * 3 + 9 + 1 * 3 + 0 + 9 * 3 + 0 + 6 * 3 + 3 + 6 * 3 + 0 + 7 * 3 + 1 == 130


@pytest.mark.parametrize(
    ("isbn10", "isbn13"),
    [("2760523578", "9782760523579"), ("0306406152", "9780306406157"), ("080442957X", "9780804429573")],
)
def test_isbn_arithmetic(isbn10: str, isbn13: str) -> None:
    assert isbn10_valid(isbn10)
    assert isbn13_valid(isbn13)
    assert isbn10_to_13(isbn10) == isbn13


@pytest.mark.parametrize("bad", ["2760523575", "276052357", "27605235788", "27605X3578", "２760523578"])
def test_isbn10_refused(bad: str) -> None:
    assert not isbn10_valid(bad)


@pytest.mark.parametrize("bad", ["9782760523570", "978276052357", "978276052357X", "978２760523579"])
def test_isbn13_refused(bad: str) -> None:
    assert not isbn13_valid(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # ISBN: whole values, labelled values, hyphens and spaces, 10 -> 13
        ("2-7605-2357-8", {"isbn:9782760523579"}),
        ("2760523578", {"isbn:9782760523579"}),
        ("978-2-7605-2357-9", {"isbn:9782760523579"}),
        ("978 2 7605 2357 9", {"isbn:9782760523579"}),
        ("ISBN 2-7605-2357-8", {"isbn:9782760523579"}),
        ("ISBN-13: 978-2-7605-2357-9", {"isbn:9782760523579"}),
        ("urn:isbn:9782760523579", {"isbn:9782760523579"}),
        ("eISBN 9782760523579", {"isbn:9782760523579"}),
        ("Presses de l'Université du Québec, 1999. ISBN : 2-7605-2357-8 (br.)", {"isbn:9782760523579"}),
        ("0-8044-2957-X", {"isbn:9780804429573"}),
        ("isbn 0-8044-2957-x", {"isbn:9780804429573"}),
        ("ISBN 0-306-40615-2", {"isbn:9780306406157"}),
        ("979-10-90636-07-1", {"isbn:9791090636071"}),
        # invalid check digits, numbers that are not ISBNs
        ("2-7605-2357-5", set()),
        ("ISBN 2-7605-2357-5", set()),
        ("978-2-7605-2357-0", set()),
        ("ISBN 978-2-7605-2357-0", set()),
        ("0-306-40615-3", set()),
        ("1234567890128", set()),  # a valid EAN-13 check, but not a 978/979 book number
        ("Tél. : 514 555-1234, poste 2760523578", set()),  # a number in text without the ISBN label
        # DOI: lower-cased, trailing punctuation out, balanced brackets kept
        ("10.1000/ABC", {"doi:10.1000/abc"}),
        ("doi:10.1000/ABC", {"doi:10.1000/abc"}),
        ("DOI: 10.7202/1012345ar.", {"doi:10.7202/1012345ar"}),
        ("Voir l'article (https://doi.org/10.7202/1012345ar).", {"doi:10.7202/1012345ar"}),
        ("(doi:10.1002/(SICI)1097-4571(199806)49:8), p. 3", {"doi:10.1002/(sici)1097-4571(199806)49:8"}),
        ("http://dx.doi.org/10.1000/ABC", {"doi:10.1000/abc"}),
        ("https://doi.org/10.1000%2Fabc", {"doi:10.1000/abc"}),
        ("https://onlinelibrary.wiley.com/doi/full/10.1002/Tea.21", {"doi:10.1002/tea.21"}),
        ("https://example.org/lien?doi=10.1000%2Fxyz&page=2", {"doi:10.1000/xyz"}),
        ("10.123/abc", set()),  # a registrant code has 4 digits or more
        ("version 210.1000/abc", set()),
        # Handle: resolver, hdl: label, DSpace pages and OAI identifiers, DOIs behind the proxy
        ("http://hdl.handle.net/20.500.11794/123", {"hdl:20.500.11794/123"}),
        ("hdl:20.500.11794/123", {"hdl:20.500.11794/123"}),
        ("info:hdl/11515/12345", {"hdl:11515/12345"}),
        ("http://hdl.handle.net/10.1000/ABC", {"doi:10.1000/abc"}),
        ("https://www.eduq.info/xmlui/handle/11515/12345?utm_source=x", {"hdl:11515/12345"}),
        ("https://corpus.ulaval.ca/jspui/handle/20.500.11794/123/", {"hdl:20.500.11794/123"}),
        ("oai:www.eduq.info:11515/12345", {"hdl:11515/12345"}),
        ("https://www.eduq.info/xmlui/bitstream/handle/11515/12345/guide.pdf", set()),  # a file in it
        ("https://example.org/handle/cours/12", set()),  # not a numeric prefix
        # a publisher's catalogue page and an ?isbn= parameter
        ("https://www.puq.ca/catalogue/livres/978-2-7605-2357-9.html", {"isbn:9782760523579"}),
        ("https://example.org/notice?isbn=2-7605-2357-8", {"isbn:9782760523579"}),
        ("https://example.org/notice?id=2760523578", set()),  # any number in a query is not an ISBN
        # several in one text
        (
            "Édition papier ISBN 2-7605-2357-8 ; version numérique doi:10.1000/ABC ; hdl:11515/12345",
            {"isbn:9782760523579", "doi:10.1000/abc", "hdl:11515/12345"},
        ),
        # hostile and empty
        ("", set()),
        ("javascript:alert('10.1000/abc')", {"doi:10.1000/abc"}),  # text: the DOI is still a DOI
        ("https://example.org/%00", set()),
        ("10.1000/" + "<script>", set()),
    ],
)
def test_identifiers_of(value: str, expected: set[str]) -> None:
    assert identifiers_of([value]) == frozenset(expected)


def test_identifiers_of_many_values() -> None:
    values = ["https://www.eduq.info/xmlui/handle/11515/12345", "ISBN 2-7605-2357-8", "2-7605-2357-8", ""]
    assert identifiers_of(values) == frozenset({"hdl:11515/12345", "isbn:9782760523579"})
    assert identifiers_of(iter(values)) == identifiers_of(values)
    assert identifiers_of([]) == frozenset()


def test_bounds() -> None:
    """Only the first MAX_VALUES values are read; a value over MAX_VALUE_LENGTH is skipped whole
    (never cut: a cut DOI would be a wrong DOI); at most MAX_IDENTIFIERS come back."""
    filler = ["rien"] * MAX_VALUES
    assert identifiers_of([*filler, "doi:10.1000/late"]) == frozenset()
    long_text = "doi:10.1000/abc " + " " * MAX_VALUE_LENGTH
    assert identifiers_of([long_text]) == frozenset()
    many = [f"doi:10.1000/{n}" for n in range(MAX_IDENTIFIERS * 2)]
    assert len(identifiers_of(many)) == MAX_IDENTIFIERS
    endless = (f"doi:10.1000/{n}" for n in range(10**9))  # a generator is read lazily
    assert len(identifiers_of(endless)) == MAX_IDENTIFIERS


def test_hostile_values_are_fast() -> None:
    chunk = MAX_VALUE_LENGTH
    values = [
        ("10.1000/" + ")" * chunk)[:chunk],
        ("10.12345/" * chunk)[:chunk],
        ("oai:" + "a" * chunk)[:chunk],
        ("oai:" * chunk)[:chunk],
        ("hdl:1" + "." * chunk)[:chunk],
        ("ISBN " * chunk)[:chunk],
        ("isbn 1-1-1-1-1-1-1-1-1-1-1-1-1 " * chunk)[:chunk],
        ("https://example.org/" + "http://" * chunk)[:chunk],
        ("http://a " * chunk)[:chunk],
        ("%" * chunk)[:chunk],
        "https://example.org/" + "a" * 100_000,
    ]
    start = time.monotonic()
    identifiers_of(values * (MAX_VALUES // len(values)))
    assert time.monotonic() - start < 5.0


def _resource(identifiers: list[Identifier], locations: list[str]) -> Resource:
    resource = Resource(provenance=Provenance(source="eduq", identifier="oai:x:1", metadata_format="oai_dc"))
    resource.general.identifiers = identifiers
    resource.technical.locations = locations
    return resource


def test_resource_identifiers() -> None:
    resource = _resource(
        [
            Identifier(catalog="ISBN", entry="2760523578"),
            Identifier(catalog="DOI", entry="10.1000/ABC"),
            Identifier(catalog="handle", entry="11515/12345"),
            Identifier(catalog="URI", entry="http://hdl.handle.net/20.500.11794/123"),
            Identifier(catalog=None, entry="5145551234"),  # not an ISBN (check digit)
        ],
        ["https://www.eduq.info/xmlui/handle/11515/99999"],
    )
    assert resource_identifiers(resource) == frozenset(
        {
            "isbn:9782760523579",
            "doi:10.1000/abc",
            "hdl:11515/12345",
            "hdl:20.500.11794/123",
            "hdl:11515/99999",
        }
    )


def test_resource_url_from_an_identifier() -> None:
    """A record with no location: its URL is a URL-shaped identifier, read once."""
    resource = _resource([Identifier(catalog="URI", entry="https://doi.org/10.7202/1012345AR")], [])
    assert resource_identifiers(resource) == frozenset({"doi:10.7202/1012345ar"})
    assert resource_identifiers(_resource([], [])) == frozenset()


def test_catalog_label_does_not_override_a_labelled_entry() -> None:
    resource = _resource([Identifier(catalog="ISBN", entry="ISBN: 2-7605-2357-5")], [])
    assert resource_identifiers(resource) == frozenset()  # a mistyped ISBN stays refused
