"""What is stored of a harvested OAI-PMH page is pinned, byte for byte (issue 17, point 3).

The page reader was made faster (one pass over each record's children instead of a ``find`` per
field, issue 17); the stored payloads and hashes must stay those of before, or every record of
every source would look changed at the next harvest and be processed and indexed again. The
fixture, ``tests/fixtures/oai/stored_bytes_page.xml``, was written for this test: namespaces
declared on the root and used inside the metadata, ``xsi:schemaLocation``, entity and character
references, CDATA, a comment and a processing instruction in a record, a comment cutting an
identifier, non-ASCII text (accents, CJK, an emoji), a tab, repeated and blank ``setSpec``, two
elements in one ``<metadata>``, deleted headers (one with no identifier) and a record with no
metadata. The pinned values were computed with the reader as it was before (commit c220af5).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from oai_server import Reply, ScriptedServer, fixture_bytes
from sqlalchemy import select, text

from ren_index.config.sources import SourceConfig
from ren_index.harvest.base import Page
from ren_index.harvest.oai_response import RequestContext, parse_response
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import RawRecordRow
from ren_index.settings import load_settings
from ren_index.steps.harvest import harvest_source

ROOT = Path(__file__).resolve().parents[2]
PAGE = fixture_bytes("stored_bytes_page.xml")
DELETED = "1185f37d33b0f89e331f101a51bb8e51165c7efda15950b86a3ebcbb363f898e"  # sha256("deleted")
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256("")

# identifier, datestamp, deleted, set specs, content hash (= sha256 of the payload's UTF-8 bytes), bytes
PINNED = [
    ("oai:dépôt:1", "2026-03-01T10:00:00Z", False, ("math", "collégial"),
     "ee80f0db3e6ee8573fe70907c2a148d927fe4adb7fc4c19d48a121be5b2bab8d", 786),
    ("oai:dépôt:2", "2026-03-02", True, ("math",), DELETED, None),
    ("oai:dépôt:3", "2026-03-03", False, (),
     "e5b201797d2ec9fb5da807eff7a73471d3f8e9826934bb61b98e393a4358d4a0", 234),
    ("oai:dépôt:4", "2026-03-04", False, ("cdata:set",),
     "58e911e80a6d633f5b56ab6d957456f2de6cbc21a546946445622369d756504c", 209),
    (None, "2026-03-05", True, (), DELETED, None),
    ("oai:dépôt:6", "2026-03-06", False, (), EMPTY, None),
]  # fmt: skip
PROBLEMS = [
    "record oai:dépôt:3: <metadata> holds 2 elements; only the first is kept",
    "deleted header without an identifier (datestamp '2026-03-05')",
    "record oai:dépôt:6: not deleted but carries no metadata",
]
FIRST_PAYLOAD_STARTS = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.openarchives.org/OAI/2.0/"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def read_page() -> Page:
    context = RequestContext(
        endpoint="https://depot.example.qc.ca/oai", verb="ListRecords", metadata_prefix="oai_dc"
    )
    page = parse_response(PAGE, context=context)
    assert isinstance(page, Page)
    return page


def test_the_page_reads_as_pinned() -> None:
    page = read_page()
    got = [
        (
            r.identifier,
            r.datestamp,
            r.deleted,
            r.set_specs,
            r.content_hash,
            None if r.payload is None else len(r.payload.encode("utf-8")),
        )
        for r in page.records
    ]
    assert got == PINNED
    assert page.problems == PROBLEMS
    assert (page.next_token, page.cursor, page.complete_list_size) == (None, 0, 6)
    first = page.records[0].payload or ""
    # The namespaces in scope come with the record; CDATA is kept as escaped text; references resolved.
    assert first.startswith(FIRST_PAYLOAD_STARTS)
    assert "Notes &lt;b&gt;brutes&lt;/b&gt; &amp; « guillemets » puis du texte" in first
    assert "été — 漢字 🙂" in first and "<!-- un commentaire dans la notice -->" in first


def test_the_ledger_stores_the_pinned_bytes(
    oai_server: ScriptedServer, ledger_url: Callable[..., str], tmp_path: Path
) -> None:
    """End to end on both ledgers: what the harvest stores is what was read, hashes as pinned."""
    settings = load_settings(
        data_dir=tmp_path / "var",
        database_url=ledger_url(folder=tmp_path),
        config_dir=ROOT / "config",
        harvest_max_retries=0,
        harvest_timeout=5.0,
    )
    ledger = open_ledger(settings.db_url)
    oai_server.script(Reply(fixture_bytes("identify_seconds.xml")), Reply(PAGE))
    source = SourceConfig(id="depot", name="Dépôt", type="oai", url=oai_server.url, metadata_prefix="oai_dc")
    report = harvest_source(ledger, source, settings)
    assert report["status"] == "completed"
    assert {k: report["counts"][k] for k in ("harvested", "new", "deleted", "errors")} == {
        "harvested": 6,
        "new": 4,
        "deleted": 1,
        "errors": 3,
    }
    page = read_page()
    with ledger() as session:
        rows = {
            row.identifier: row
            for row in session.scalars(select(RawRecordRow).where(RawRecordRow.source_id == "depot"))
        }
        specs = dict(
            session.execute(
                text("SELECT identifier, CAST(set_specs AS TEXT) FROM raw_records WHERE source_id = 'depot'")
            ).all()
        )
    assert sorted(rows) == sorted(p[0] for p in PINNED if p[0] is not None)
    for record, (identifier, datestamp, deleted, set_specs, digest, size) in zip(
        page.records, PINNED, strict=True
    ):
        if identifier is None:
            continue
        row = rows[identifier]
        assert (row.datestamp, row.deleted, tuple(row.set_specs), row.content_hash) == (
            datestamp,
            deleted,
            set_specs,
            digest,
        )
        assert row.payload == record.payload
        assert (None if row.payload is None else len(row.payload.encode("utf-8"))) == size
    assert specs["oai:dépôt:1"] == '["math", "coll\\u00e9gial"]'
    assert specs["oai:dépôt:6"] == "[]"
