"""A huge CSV cell costs its row, never the file (issue 10, point 4).

The :mod:`csv` module refuses a cell over 128 Ki characters with ``_csv.Error``, which used to
drop the whole file. Now cells up to ``MAX_CELL_CHARS`` (1,048,576 characters) are read, a row
with a longer cell is a problem line naming it, and every other row — including those after a
huge *quoted* cell holding line breaks and separators, which a reader resuming mid-cell would
misread — is harvested. The module's process-wide limit is left as it was found.
"""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.harvest.csv_source import MAX_CELL_CHARS, CsvHarvester
from ren_index.ledger.models import Event, RawRecordRow
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source

from .conftest import BodyServer

CSV = "text/csv; charset=utf-8"

HEADER = "id,title,url,description\n"


def row(ident: str, description: str) -> str:
    quoted = '"' + description.replace('"', '""') + '"'
    return f"{ident},Titre {ident},https://partenaire.example/{ident},{quoted}\n"


def huge(size: int) -> str:
    """``size`` characters of text that look like rows to a reader resuming inside the cell."""
    unit = 'x\nR-9,Faux titre,https://faux.example/,"faux"\n'
    return (unit * (size // len(unit) + 1))[:size]


def csv_source(url: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "partenaire-csv", "name": "Partenaire", "type": "csv", "url": url}
    )


def test_a_row_with_a_huge_cell_is_a_problem_line_and_the_others_are_harvested(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    long_but_fine = "d" * (200 * 1024)  # over the csv module's 128 Ki default, under our bound
    text = HEADER + row("R-1", "court") + row("R-2", long_but_fine)
    text += row("R-3", huge(MAX_CELL_CHARS + 1)) + row("R-4", "après la grande cellule")
    limit_before = csv.field_size_limit()
    report = harvest_source(ledger, csv_source(docs.serve("/export.csv", text, CSV)), settings)
    assert csv.field_size_limit() == limit_before
    assert report["status"] == "completed", report.get("error")
    with ledger() as session:
        payloads = {r.identifier: json.loads(r.payload or "") for r in session.scalars(select(RawRecordRow))}
        problems = [
            e.comment for e in session.scalars(select(Event).where(Event.action == "harvest_problem"))
        ]
    assert sorted(payloads) == ["R-1", "R-2", "R-4"]  # no "R-9" read from inside the huge cell
    assert payloads["R-2"]["description"] == long_but_fine
    assert payloads["R-4"]["title"] == "Titre R-4"
    assert problems == [
        f"ligne 4 : une cellule de {MAX_CELL_CHARS + 1} caractères dépasse la limite de {MAX_CELL_CHARS}, "
        f"ligne ignorée / row 4: a cell of {MAX_CELL_CHARS + 1} characters is over the "
        f"{MAX_CELL_CHARS}-character limit, row skipped"
    ]


@pytest.mark.parametrize(("size", "harvested"), [(MAX_CELL_CHARS, True), (MAX_CELL_CHARS + 1, False)])
def test_the_cell_bound_is_exact(docs: BodyServer, size: int, harvested: bool) -> None:
    text = HEADER + row("R-1", "d" * size) + row("R-2", "suivante")
    pages = list(CsvHarvester(docs.serve("/limite.csv", text, CSV)).pages())
    identifiers = [r.identifier for page in pages for r in page.records]
    assert identifiers == (["R-1", "R-2"] if harvested else ["R-2"])
    assert bool([p for page in pages for p in page.problems]) is not harvested


def test_a_header_with_a_huge_cell_fails_the_harvest_in_one_line(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    text = "id,title," + "t" * (MAX_CELL_CHARS + 1) + "\n" + "R-1,Titre,x\n"
    limit_before = csv.field_size_limit()
    report = harvest_source(ledger, csv_source(docs.serve("/entete.csv", text, CSV)), settings)
    assert csv.field_size_limit() == limit_before
    assert report["status"] == "failed"
    message = str((report.get("error") or {}).get("message"))
    assert "en-tête" in message and "header" in message and len(message) < 300
