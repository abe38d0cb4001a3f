"""Dates that reach the record must be W3CDTF; a repair is suggested only when it is certain."""

from __future__ import annotations

import pytest
import rdflib

from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.model import Contribution, Provenance, Resource
from ren_index.validate import ValidationContext
from ren_index.validate.dates import check_dates, is_w3cdtf, suggest_w3cdtf


def _ctx() -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    return ValidationContext(vocabularies=Vocabularies(levels=empty, licences=empty, resource_types=empty))


def _resource(lifecycle: str | None = None, datestamp: str | None = None, *contributions: str) -> Resource:
    provenance = Provenance(source="t", identifier="oai:t:1", metadata_format="lom", datestamp=datestamp)
    resource = Resource(provenance=provenance)
    resource.lifecycle.date = lifecycle
    resource.lifecycle.contributions = [Contribution(entities=["X"], date=d) for d in contributions]
    return resource


@pytest.mark.parametrize(
    "value",
    [
        "2011",
        "2011-09",
        "2011-09-15",
        "2011-09-15T10:30Z",
        "2011-09-15T10:30:45Z",
        "2011-09-15T10:30:45.123Z",
        "2011-09-15T10:30:45-05:00",
        "2000-05-28T23:00:00.0-05:00",
        "2016-02-29",
        "2016-12-31T23:59:60Z",  # a leap second
    ],
)
def test_valid_w3cdtf(value: str) -> None:
    assert is_w3cdtf(value)
    assert check_dates(_resource(value), _ctx()) == ({}, [])


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("2011/09/15", "2011-09-15"),
        ("2011.09.15", "2011-09-15"),
        ("2011/9/5", "2011-09-05"),
        ("2011-9-5", "2011-09-05"),
        ("2011/09", "2011-09"),
        ("20110915", "2011-09-15"),
        ("15/09/2011", "2011-09-15"),  # 15 cannot be a month
        ("09/15/2011", "2011-09-15"),  # American order, just as certain
        ("05/09/2011", None),  # 5 May or 9 September: no guess
        ("07/07/2011", "2011-07-07"),  # both readings agree
        ("15 septembre 2011", "2011-09-15"),
        ("1er août 2011", "2011-08-01"),
        ("septembre 2011", "2011-09"),
        ("Sept. 2011", "2011-09"),
        ("September 15, 2011", "2011-09-15"),
        ("[2008]", "2008"),
        ("c. 2008", "2008"),
        ("vers 2008", "2008"),
        ("2008?", "2008"),
        ("2011-09-15 10:30:00Z", "2011-09-15T10:30:00Z"),
        ("2011-09-15T10:30:00+0500", "2011-09-15T10:30:00+05:00"),
        ("2011-09-15T10:30:00,5Z", "2011-09-15T10:30:00.5Z"),
        ("2011-09-15T10:30:00", "2011-09-15"),  # no time zone: the day is certain, the time is not
        (" 2011-09-15 ", "2011-09-15"),
        ("2011-13-45", None),
        ("2011-02-30", None),
        ("31/02/2011", None),
        ("2011-09-15T25:00Z", None),
        ("printemps 2008", None),
        ("s.d.", None),
        ("0000", None),
    ],
)
def test_invalid_dates_table(value: str, suggestion: str | None) -> None:
    assert not is_w3cdtf(value)
    assert suggest_w3cdtf(value) == suggestion
    updates, issues = check_dates(_resource(value), _ctx())
    assert updates == {}
    assert [(i.code, i.severity, i.field, i.value, i.suggestion) for i in issues] == [
        ("DATE_INVALID", "warning", "lifecycle.date", value, suggestion)
    ]


def test_every_date_of_the_record_is_checked_and_named() -> None:
    resource = _resource("2011-09-15", "2021/01/02", "2019-03-01", "mars 2020")
    _, issues = check_dates(resource, _ctx())
    assert [(i.field, i.value, i.suggestion) for i in issues] == [
        ("lifecycle.contributions[1].date", "mars 2020", "2020-03"),
        ("provenance.datestamp", "2021/01/02", "2021-01-02"),
    ]
    assert "« mars 2020 »" in issues[0].message_fr
    assert '"mars 2020"' in issues[0].message_en


def test_a_record_without_dates_has_nothing_to_say() -> None:
    assert check_dates(_resource(), _ctx()) == ({}, [])
    assert check_dates(_resource("  "), _ctx()) == ({}, [])
