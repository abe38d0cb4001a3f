"""JSON-LD nested without bound is a problem of that record, never a crash (issue 10, point 4).

A partner's document, served by a local HTTP server as a ``jsonld`` source, holds well-formed
records beside one whose value is an array nested 100,000 deep and one whose objects nest 5,000
deep: both used to raise ``RecursionError`` out of the harvester (``json.loads`` gives up near
1,000 levels, rdflib near 350). Now the run completes, the deep records are problem lines naming
them, and the others are harvested and normalized. The bound itself (``MAX_JSON_DEPTH``) is held
at its edge, and brackets inside strings are text, not nesting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.harvest.jsondepth import MAX_JSON_DEPTH
from ren_index.harvest.jsonld import JsonLdHarvester
from ren_index.ledger.models import Event, ResourceRow
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import BodyServer

CONFIG = Path(__file__).resolve().parents[2] / "config"
PARTNER = "https://partenaire.example/r/"


def good(slug: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org/",
        "@type": "LearningResource",
        "@id": PARTNER + slug,
        "name": {"@value": f"Ressource {slug}", "@language": "fr"},
        "inLanguage": "fr",
        "url": f"https://partenaire.example/{slug}",
    }


def nested_arrays(depth: int) -> str:
    """JSON text of ``"x"`` inside ``depth`` arrays (built as text: json.dumps would recurse)."""
    return "[" * depth + '"x"' + "]" * depth


def nested_objects(depth: int) -> str:
    """JSON text of ``depth`` objects, each the ``hasPart`` of the one around it."""
    return '{"@type": "CreativeWork", "hasPart": ' * depth + '"x"' + "}" * depth


def with_raw(record: dict[str, Any], key: str, raw: str) -> str:
    """The record as JSON text with ``key`` holding ``raw`` JSON text."""
    text = json.dumps(record)
    return text[:-1] + f', "{key}": {raw}' + "}"


def run(ledger: sessionmaker[Session], settings: Settings, url: str) -> tuple[dict[str, Any], list[str]]:
    src = SourceConfig.model_validate(
        {"id": "partenaire-jsonld", "name": "Partenaire", "type": "jsonld", "url": url}
    )
    report = harvest_source(ledger, src, settings)
    process_source(ledger, src, Rulebook.load(CONFIG))
    with ledger() as session:
        problems = [
            e.comment or "" for e in session.scalars(select(Event).where(Event.action == "harvest_problem"))
        ]
    return dict(report), problems


def titles(ledger: sessionmaker[Session]) -> dict[str, dict[str, str]]:
    with ledger() as session:
        return {
            row.record["provenance"]["identifier"]: row.record["general"]["title"]
            for row in session.scalars(select(ResourceRow))
            if row.record
        }


def test_deep_arrays_and_objects_are_problems_of_their_records_only(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    body = (
        "["
        + ", ".join(
            [
                json.dumps(good("avant")),
                with_raw(good("tableaux-profonds"), "keywords", nested_arrays(100_000)),
                with_raw(good("objets-profonds"), "hasPart", nested_objects(5_000)),
                json.dumps(good("apres")),
            ]
        )
        + "]"
    )
    report, problems = run(ledger, settings, docs.serve("/ressources.jsonld", body))
    assert report["status"] == "completed", report.get("error")
    assert titles(ledger) == {PARTNER + s: {"fr": f"Ressource {s}"} for s in ("avant", "apres")}
    assert len(problems) == 2
    for slug, problem in zip(("tableaux-profonds", "objets-profonds"), problems, strict=True):
        assert PARTNER + slug in problem and f"{MAX_JSON_DEPTH} levels" in problem and "niveaux" in problem


def test_a_deep_script_of_an_html_page_leaves_the_other_scripts(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    page = (
        "<html><head>"
        f'<script type="application/ld+json">{nested_arrays(100_000)}</script>'
        f'<script type="application/ld+json">{json.dumps(good("dans-la-page"))}</script>'
        "</head><body></body></html>"
    )
    report, problems = run(ledger, settings, docs.serve("/catalogue.html", page, "text/html; charset=utf-8"))
    assert report["status"] == "completed", report.get("error")
    assert list(titles(ledger)) == [PARTNER + "dans-la-page"]
    assert len(problems) == 1 and problems[0].startswith("document 1, notice #1")


def test_a_deep_shared_part_loses_its_document_not_the_run(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    body = '{"@context": ' + nested_arrays(100_000) + ', "@graph": [' + json.dumps(good("partage")) + "]}"
    report, problems = run(ledger, settings, docs.serve("/partage.jsonld", body))
    assert report["status"] == "completed", report.get("error")
    assert titles(ledger) == {}
    assert len(problems) == 1 and "@graph" in problems[0]


@pytest.mark.parametrize(("depth", "harvested"), [(MAX_JSON_DEPTH, True), (MAX_JSON_DEPTH + 1, False)])
def test_the_bound_is_exact(docs: BodyServer, depth: int, harvested: bool) -> None:
    """The document is level 1, the record level 2: its keywords fill the levels left."""
    record = with_raw(good("limite"), "keywords", nested_arrays(depth - 2))
    page = next(JsonLdHarvester(docs.serve("/limite.jsonld", f"[{record}]")).pages())
    assert [r.identifier for r in page.records] == ([PARTNER + "limite"] if harvested else [])
    assert bool(page.problems) is not harvested


def test_brackets_inside_strings_are_text(docs: BodyServer) -> None:
    title = "[" * 500 + "{" * 500 + ' \\" ' + "]" * 3
    record = {**good("crochets"), "name": title}
    page = next(JsonLdHarvester(docs.serve("/crochets.jsonld", json.dumps(record))).pages())
    assert page.problems == []
    assert json.loads(page.records[0].payload or "")["name"] == [title]


def test_an_integer_of_thousands_of_digits_is_kept_as_text(docs: BodyServer) -> None:
    """Python refuses to read such a number (a ValueError for the whole document)."""
    record = with_raw(good("nombre"), "size", "9" * 5_000)
    page = next(JsonLdHarvester(docs.serve("/nombre.jsonld", record)).pages())
    assert [r.identifier for r in page.records] == [PARTNER + "nombre"]
    assert json.loads(page.records[0].payload or "")["size"] == ["9" * 5_000]


def test_a_lone_half_of_a_utf16_pair_loses_its_record_not_the_run(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    """``"\\ud800"`` alone is no character (json.loads keeps it, UTF-8 cannot hold it): its record
    is a problem naming it, the others are harvested, and a whole pair stays the emoji it is."""
    isolee = json.dumps(good("isolee")).replace('"Ressource isolee"', '"Ressource \\ud800 isolee"')
    paire = json.dumps(good("paire")).replace('"Ressource paire"', '"Ressource \\ud83d\\ude00 paire"')
    assert "\\ud800" in isolee and "\\ud83d\\ude00" in paire
    body = "[" + ", ".join([json.dumps(good("avant")), isolee, paire]) + "]"
    report, problems = run(ledger, settings, docs.serve("/moities.jsonld", body))
    assert report["status"] == "completed", report.get("error")
    assert len(problems) == 1 and PARTNER + "isolee" in problems[0] and "illisible" in problems[0]
    assert titles(ledger) == {
        PARTNER + "avant": {"fr": "Ressource avant"},
        PARTNER + "paire": {"fr": "Ressource \U0001f600 paire"},
    }
