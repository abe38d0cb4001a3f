"""No JSON-LD context is ever loaded but the bundled ones, at any depth (issue 10, point 2).

A partner's JSON-LD document, served by a local HTTP server as a ``jsonld`` source, holds well-
formed records and records whose contexts point elsewhere — a term's (property-scoped) context, a
type's, an ``@import``, a node's own ``@context``, a context written as a context document — at:
(a) a listener that must receive no connection, (b) a listener that accepts and never answers (the
harvest must end quickly all the same), (c) a real local file holding a secret (which must appear
nowhere in the ledger) and (d) a file that does not exist (nothing observable may differ from (c):
no existence oracle). Each such record is harvested with a ``JSONLD_REMOTE_CONTEXT`` issue; the
well-formed records of the same document are harvested and normalized as usual. The last tests
hold the seam in rdflib itself: what the rewriting could miss is refused there, unopened.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph
from rdflib.plugins.shared.jsonld import context as rdflib_context
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.harvest import jsonld
from ren_index.harvest.jsonld_contexts import KNOWN_CONTEXTS, ContextNotBundled, bundled_contexts_only
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Base, Event, HarvestRun, ResourceRow
from ren_index.normalize.mappers import lrmi
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import BodyServer

CONFIG = Path(__file__).resolve().parents[2] / "config"
CODE = "JSONLD_REMOTE_CONTEXT"
PARTNER = "https://partenaire.example/r/"
GOOD = ("bon-premier", "bon-dernier")
SEAM = "source_to_json"


class Listener:
    """A real socket on 127.0.0.1 that counts connections and never answers any of them.

    A trap closes each connection at once (its count must stay 0; a fetch fails fast instead of
    hanging the test); ``hold=True`` keeps them open without a byte, a server that never answers
    (a client with no deadline would wait forever). The count is final after ``__exit__``, which
    also takes what is still waiting in the backlog.
    """

    def __init__(self, *, hold: bool = False) -> None:
        self.hold = hold
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.hold:
                self._held.append(conn)  # kept open, never a byte sent
            else:
                conn.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.setblocking(False)
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                break
            self.connections += 1
            conn.close()
        for conn in self._held:
            conn.close()
        self.sock.close()


def jsonld_source(url: str) -> SourceConfig:
    return SourceConfig.model_validate(
        {"id": "partenaire-jsonld", "name": "Partenaire", "type": "jsonld", "url": url}
    )


def good(slug: str) -> dict[str, Any]:
    """A well-formed record with the bundled schema.org context."""
    return {
        "@context": "https://schema.org/",
        "@type": "LearningResource",
        "@id": PARTNER + slug,
        "name": {"@value": f"Ressource {slug}", "@language": "fr"},
        "description": "Une séquence d'activités sur les fractions pour la classe de mathématiques.",
        "inLanguage": "fr",
        "url": f"https://partenaire.example/{slug}",
        "educationalLevel": "Secondaire 1",
        "license": "https://creativecommons.org/licenses/by/4.0/",
    }


def hostile(target: str) -> dict[str, dict[str, Any]]:
    """One record per place a context can hide, each pointing at ``target``."""
    lr = {"@id": "http://schema.org/LearningResource"}
    placements: dict[str, tuple[Any, dict[str, Any]]] = {
        "portee-propriete": (
            ["https://schema.org/", {"about": {"@id": "http://schema.org/about", "@context": target}}],
            {"about": {"name": "fractions"}},
        ),
        "portee-type": (["https://schema.org/", {"LearningResource": {**lr, "@context": target}}], {}),
        "import": (["https://schema.org/", {"@import": target}], {}),
        "import-dans-portee": (
            [
                "https://schema.org/",
                {"about": {"@id": "http://schema.org/about", "@context": {"@import": target}}},
            ],
            {"about": {"name": "fractions"}},
        ),
        "contexte-de-noeud": (
            "https://schema.org/",
            {"author": {"@context": target, "@type": "Person", "name": "X"}},
        ),
        "document-de-contexte": (["https://schema.org/", {"@context": target}], {}),
    }
    return {
        slug: {**good(slug), "@context": context, **extra} for slug, (context, extra) in placements.items()
    }


PLACEMENTS = sorted(hostile("urn:x"))


def document(target: str, *only: str) -> list[dict[str, Any]]:
    """A top-level array: a good record, the hostile placements (all, or ``only``), a good record."""
    placed = [item for slug, item in hostile(target).items() if not only or slug in only]
    return [good(GOOD[0]), *placed, good(GOOD[1])]


def harvest_and_process(ledger: sessionmaker[Session], settings: Settings, url: str) -> dict[str, Any]:
    src = jsonld_source(url)
    report = harvest_source(ledger, src, settings)
    assert report["status"] == "completed", report
    process_source(ledger, src, Rulebook.load(CONFIG))
    return dict(report)


def resources(ledger: sessionmaker[Session]) -> dict[str, tuple[str, list[str], dict[str, str]]]:
    """Identifier -> (status, issue codes, title) of every normalized record."""
    with ledger() as session:
        return {
            row.record["provenance"]["identifier"]: (
                row.status,
                [issue["code"] for issue in row.issues],
                row.record["general"]["title"],
            )
            for row in session.scalars(select(ResourceRow))
            if row.record
        }


def assert_flagged_and_the_others_normalized(ledger: sessionmaker[Session], target: str, *only: str) -> None:
    found = resources(ledger)
    flagged = only or tuple(hostile(target))
    assert sorted(found) == sorted(PARTNER + slug for slug in [*GOOD, *flagged])
    for slug in flagged:
        status, codes, title = found[PARTNER + slug]
        assert CODE in codes, (slug, codes)
        assert status == "needs_review", slug
        assert title == {"fr": f"Ressource {slug}"}  # read as schema.org, with nothing loaded
    for slug in GOOD:
        status, codes, title = found[PARTNER + slug]
        assert CODE not in codes and title == {"fr": f"Ressource {slug}"}, (slug, codes)
        assert status in ("approved", "needs_review")


def test_contexts_pointing_at_a_local_listener_connect_to_nothing(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    with Listener() as trap:
        target = trap.url("/contexte.jsonld")
        report = harvest_and_process(ledger, settings, docs.serve("/ressources.jsonld", document(target)))
    assert trap.connections == 0
    assert report["counts"]["new"] == len(GOOD) + len(hostile(target))
    assert_flagged_and_the_others_normalized(ledger, target)
    with ledger() as session:
        problems = [
            e.comment or "" for e in session.scalars(select(Event).where(Event.action == "harvest_problem"))
        ]
    assert len(problems) == len(hostile(target)) and all(target in p and "non chargé" in p for p in problems)


def test_a_context_server_that_never_answers_cannot_hang_the_harvest(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    outcome: list[dict[str, Any]] = []
    with Listener(hold=True) as silent:
        target = silent.url("/contexte-lent.jsonld")
        url = docs.serve("/ressources.jsonld", document(target))
        started = time.monotonic()
        worker = threading.Thread(target=lambda: outcome.append(harvest_and_process(ledger, settings, url)))
        worker.daemon = True
        worker.start()
        worker.join(timeout=60)
        elapsed = time.monotonic() - started
        assert not worker.is_alive(), "the harvest waits on a context server that never answers"
    assert silent.connections == 0
    assert outcome and elapsed < 30
    assert_flagged_and_the_others_normalized(ledger, target)


def ledger_text(factory: sessionmaker[Session]) -> str:
    """Every row of every table of the ledger, as text (SQLite or PostgreSQL alike)."""
    with factory() as session:
        return "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(table.select())
        )


def secret_context(path: Path, secret: str) -> None:
    """A JSON-LD context file whose content, once applied, would show in the records."""
    path.write_text(json.dumps({"@context": {"@vocab": f"urn:{secret}:", "name": f"urn:{secret}:titre"}}))


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_a_local_file_named_as_a_context_is_never_read(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer, tmp_path: Path, placement: str
) -> None:
    secret = "SECRET-7f3a9c2e41d8"
    context_file = tmp_path / "contexte-local.jsonld"
    secret_context(context_file, secret)
    target = context_file.as_uri()
    assert secret not in target
    harvest_and_process(ledger, settings, docs.serve("/ressources.jsonld", document(target, placement)))
    assert secret not in ledger_text(ledger)  # raw payloads included: the source sent a path only
    assert_flagged_and_the_others_normalized(ledger, target, placement)


def observable(factory: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """What anyone can see of a harvest: events, runs, records with their issues and status."""
    with factory() as session:
        return {
            "events": sorted(
                (e.actor, e.action, e.resource_id, e.comment, json.dumps([e.before, e.after], sort_keys=True))
                for e in session.scalars(select(Event))
            ),
            "runs": sorted(
                (r.kind, r.status, json.dumps(r.counts, sort_keys=True), json.dumps(r.error, sort_keys=True))
                for r in session.scalars(select(HarvestRun))
            ),
            "resources": sorted(
                (r.id, r.status, json.dumps(r.issues, sort_keys=True))
                for r in session.scalars(select(ResourceRow))
            ),
        }


def test_an_existing_and_a_missing_file_look_the_same(
    tmp_path: Path, ledger_url: Callable[..., str], docs: BodyServer
) -> None:
    context_file = tmp_path / "contexte-local.jsonld"
    target = context_file.as_uri()
    url = docs.serve("/ressources.jsonld", document(target))
    seen = []
    ledgers = []
    for name, exists in (("present", True), ("absent", False)):
        if exists:
            secret_context(context_file, "SECRET-0b5e")
        else:
            context_file.unlink()
        folder = tmp_path / name
        folder.mkdir()
        settings = load_settings(
            data_dir=folder, database_url=ledger_url(name), harvest_timeout=5.0, harvest_max_retries=0
        )
        ledger = open_ledger(settings.db_url)
        harvest_and_process(ledger, settings, url)
        seen.append(observable(ledger))
        ledgers.append(ledger)
    assert seen[0] == seen[1]
    for ledger in ledgers:
        assert_flagged_and_the_others_normalized(ledger, target)


def test_a_shared_context_flags_every_record_of_the_document(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer
) -> None:
    with Listener() as trap:
        target = trap.url("/commun.jsonld")
        doc = {
            "@context": [
                "https://schema.org/",
                {"LearningResource": {"@id": "http://schema.org/LearningResource", "@context": target}},
            ],
            "@graph": [{k: v for k, v in good(slug).items() if k != "@context"} for slug in GOOD],
        }
        harvest_and_process(ledger, settings, docs.serve("/graphe.jsonld", doc))
    assert trap.connections == 0
    found = resources(ledger)
    assert sorted(found) == sorted(PARTNER + slug for slug in GOOD)
    assert all(CODE in codes for _status, codes, _title in found.values())


def scoped(target: str) -> str:
    """A document whose type-scoped context is ``target``: rdflib loads it when it meets the type."""
    lr = {"@id": "http://schema.org/LearningResource", "@context": target}
    doc = {"@context": {"@vocab": "http://schema.org/", "LearningResource": lr}, "@type": "LearningResource"}
    return json.dumps({**doc, "name": "x"})


def test_the_seam_refuses_in_rdflib_what_the_rewriting_could_miss() -> None:
    """rdflib itself, given a remote scoped context, asks our loader, which opens nothing."""
    original = getattr(rdflib_context, SEAM)
    with Listener() as trap:
        target = trap.url("/portee.jsonld")
        with bundled_contexts_only(), pytest.raises(ContextNotBundled) as refused:
            Graph().parse(data=scoped(target), format="json-ld", base="http://127.0.0.1/")
    assert refused.value.reference == target
    assert trap.connections == 0
    assert getattr(rdflib_context, SEAM) is original  # rdflib's own loader is back once we leave


def test_without_the_seam_rdflib_would_connect() -> None:
    """The control: the document above really makes rdflib fetch (else the test proves nothing)."""
    with Listener() as trap, pytest.raises(Exception):  # noqa: B017 - the listener hangs up: any error
        Graph().parse(data=scoped(trap.url("/portee.jsonld")), format="json-ld", base="http://127.0.0.1/")
    assert trap.connections == 1


def test_the_seam_serves_bundled_contexts_without_changing_them() -> None:
    """rdflib merges an ``@import`` into what it loaded: each record gets a fresh copy."""
    before = json.dumps(KNOWN_CONTEXTS, sort_keys=True)
    for term in ("titre", "intitule"):
        doc = {
            "@context": {"@import": "https://schema.org/", term: "http://schema.org/name"},
            "@type": "LearningResource",
            term: "Les volcans",
        }
        graph = Graph()
        with bundled_contexts_only():
            graph.parse(data=json.dumps(doc), format="json-ld", base="http://127.0.0.1/")
        assert [str(o) for o in graph.objects()] and "Les volcans" in {str(o) for o in graph.objects()}
    assert json.dumps(KNOWN_CONTEXTS, sort_keys=True) == before


def test_a_reference_the_rewriting_missed_is_refused_by_the_seam_for_that_record_only(
    ledger: sessionmaker[Session], settings: Settings, docs: BodyServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the rewriting switched off, rdflib meets every reference itself: still nothing loaded."""
    monkeypatch.setattr(jsonld, "localize", lambda value: (value, []))
    with Listener() as trap:
        target = trap.url("/manque.jsonld")
        harvest_and_process(ledger, settings, docs.serve("/ressources.jsonld", document(target)))
    assert trap.connections == 0
    found = resources(ledger)
    assert sorted(found) == sorted(PARTNER + slug for slug in [*GOOD, *hostile(target)])
    for identifier, (_status, codes, title) in found.items():
        flagged = identifier.removeprefix(PARTNER) not in GOOD
        assert (CODE in codes) is flagged, identifier
        if not flagged:  # schema.org served by the seam: the good records read as usual
            assert title == {"fr": f"Ressource {identifier.removeprefix(PARTNER)}"}


def test_a_source_cannot_write_the_marker_itself(docs: BodyServer) -> None:
    """The refused-references key is the harvester's: a source sending it is not believed."""
    forged = {**good("contrefait"), jsonld.NOT_LOADED: "https://faux.example/"}
    page = next(jsonld.JsonLdHarvester(docs.serve("/contrefait.jsonld", forged)).pages())
    assert [r.identifier for r in page.records] == [PARTNER + "contrefait"]
    assert jsonld.NOT_LOADED not in json.loads(page.records[0].payload or "")
    assert page.problems == []


def test_the_harvester_and_the_mapper_name_the_marker_alike() -> None:
    assert jsonld.NOT_LOADED == lrmi.NOT_LOADED
