"""Tables for the value normalizers: dates, yes/no, licence URLs, sizes, vCard names."""

from __future__ import annotations

import pytest

from ren_index.normalize.mappers.values import is_url, iso_date, licence_uri, size_in_bytes, yes_no
from ren_index.normalize.mappers.vcard import is_vcard, vcard_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2010", "2010"),
        ("2010-05", "2010-05"),
        ("2021-09-15", "2021-09-15"),
        (" 2021-09-15 ", "2021-09-15"),
        ("2000-05-28T23:00:00.0-05:00", "2000-05-28"),  # the offset must not move the day
        ("2015-05-22T19:20:30", "2015-05-22"),
        ("2011-01-10T10:19:23Z", "2011-01-10"),
        ("2013-01-13 23:48:50", "2013-01-13"),
        ("2013-01-13T23:48:50.000+0100", "2013-01-13"),
        ("2010-13-01", None),
        ("2010-02-30", None),
        ("printemps 2008", None),
        ("s.d.", None),
        ("[2010]", None),
        ("15/09/2021", None),
        ("2010-2012", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_date(raw: str | None, expected: str | None) -> None:
    assert iso_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("Yes ", True),
        ("oui", True),
        ("true", True),
        ("http://data.education.fr/voc/scolomfr/concept/yes_2", True),
        ("http://data.education.fr/voc/scolomfr/concept/yes", True),
        ("no", False),
        ("NON", False),
        ("false", False),
        ("http://data.education.fr/voc/scolomfr/concept/no", False),
        ("peut-être", None),
        ("", None),
        (None, None),
    ],
)
def test_yes_no(raw: str | None, expected: bool | None) -> None:
    assert yes_no(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "http://creativecommons.org/licenses/by/4.0/",
            "http://creativecommons.org/licenses/by/4.0/",
        ),
        (
            " https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode ",
            "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode",
        ),
        ("https://opensource.org/licenses/MIT", "https://opensource.org/licenses/MIT"),
        (
            "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/deed.fr).",
            "https://creativecommons.org/licenses/by/4.0/deed.fr",
        ),
        ("Voir https://exemple.org/conditions pour les conditions.", None),
        ("CC BY-SA 3.0 : paternité, partage à l'identique", None),
        ("info:eu-repo/semantics/openAccess", None),
        ("© CCDMD 2011", None),
        ("", None),
        (None, None),
    ],
)
def test_licence_uri(raw: str | None, expected: str | None) -> None:
    assert licence_uri(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://exemple.qc.ca/r/1", True),
        ("http://ntic.org/a.doc", True),
        ("oai:exemple:1", False),
        ("ISBN 978-2-550", False),
        ("https://exemple.qc.ca/a b", False),
    ],
)
def test_is_url(raw: str, expected: bool) -> None:
    assert is_url(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("29841", 29841), (" 0 ", 0), ("12 MB", None), ("1.5", None), ("-3", None), (None, None)],
)
def test_size_in_bytes(raw: str | None, expected: int | None) -> None:
    assert size_in_bytes(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BEGIN:VCARD\nVERSION:3.0\nFN:Myriam Germain\nN:;;;;\nEND:VCARD", "Myriam Germain"),
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Marie Tremblay\r\nEND:VCARD\r\n", "Marie Tremblay"),
        ("BEGIN:VCARD\rFN:Retours seuls\rEND:VCARD", "Retours seuls"),
        (
            "BEGIN:VCARD\nFN;ENCODING=8BIT;CHARSET=UTF-8;LANGUAGE=fr-FR:Julie Martini\nEND:VCARD",
            "Julie Martini",
        ),
        ("BEGIN:VCARD VERSION:3.0 N:EDUMEDIA FN:EDUMEDIA END:VCARD", "EDUMEDIA"),
        ("BEGIN:VCARD VERSION:3.0 FN:Zone académique : Paris END:VCARD", "Zone académique : Paris"),
        (
            "BEGIN:VCARD\nFN:Centre de services\n  scolaire\nEND:VCARD",
            "Centre de services scolaire",
        ),
        ("BEGIN:VCARD\nitem1.FN:Groupé\nEND:VCARD", "Groupé"),
        ("BEGIN:VCARD\nFN:Dupont\\, Jean\nEND:VCARD", "Dupont, Jean"),
        (
            "BEGIN:VCARD\nN:Toma;Antoine;Antoine;;;\nFN:Antoine Toma;Antoine\nEND:VCARD",
            "Antoine Toma",
        ),
        ("BEGIN:VCARD\nN:Côté;Sylvie;;;\nEND:VCARD", "Sylvie Côté"),
        (
            "BEGIN:VCARD\nFN:\nN:;;;;\nORG:Cégep de l'Exemple;Département\nEND:VCARD",
            "Cégep de l'Exemple",
        ),
        ("BEGIN:VCARD\nVERSION:3.0\nEMAIL:x@exemple.org\nEND:VCARD", None),
        ("BEGIN:VCARD\nEND:VCARD", None),
    ],
)
def test_vcard_name(raw: str, expected: str | None) -> None:
    assert vcard_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BEGIN:VCARD\nFN:X\nEND:VCARD", True),
        ("begin:vcard fn:x end:vcard", True),
        ("Marie Tremblay", False),
        ("", False),
    ],
)
def test_is_vcard(raw: str, expected: bool) -> None:
    assert is_vcard(raw) is expected
