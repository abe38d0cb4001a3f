"""Bulk import of LOM files (``type: lom-files``) through the real harvest step, on SQLite and PostgreSQL.

The dump is :mod:`lom_dump`'s: 300-odd files in sub-folders, wrappers of several records, files
without identifier, and the broken and hostile files of real dumps. What is proved here is the
ledger contract of an import: what reaches it and under which identifier, one problem line (and
one error) per bad file, the same ledger from a zip as from the folder, from a run killed midway
and resumed as from one uninterrupted, nothing changed by a re-import, withdrawals under the
anomaly guard, and records the process step can read. PostgreSQL runs when
``REN_TEST_POSTGRES_URL`` is set (skipped otherwise; SQLite always runs).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lom_dump import DUPLICATED, SECRET, ZIP_ONLY, Manifest, lom, write_dump, write_zip
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.harvest.base import Page
from ren_index.harvest.dump_files import DumpBounds
from ren_index.harvest.lom_files import LomFilesHarvester
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Event, HarvestRun, RawRecordRow, ResourceRow
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source, make_harvester
from ren_index.steps.process import process_source

CONFIG = Path(__file__).resolve().parents[2] / "config"
Ledgers = Callable[..., sessionmaker[Session]]


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    return write_dump(tmp_path_factory.mktemp("lom") / "profweb-vte")


@pytest.fixture(scope="module")
def dump_zip(dump: Manifest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    target = tmp_path_factory.mktemp("zip") / "profweb-vte.zip"
    return target, write_zip(dump, target)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledgers(request: pytest.FixtureRequest, tmp_path: Path, ledger_url: Callable[..., str]) -> Ledgers:
    """``ledgers(name)``: a fresh migrated ledger on this test's backend."""
    if request.param == "postgresql" and not os.environ.get("REN_TEST_POSTGRES_URL"):
        pytest.skip("REN_TEST_POSTGRES_URL not set: no PostgreSQL to test against")

    def make(name: str = "ledger") -> sessionmaker[Session]:
        if request.param == "sqlite":
            return open_ledger(f"sqlite:///{tmp_path / name}.db")
        return open_ledger(ledger_url(name))

    return make


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path, config_dir=CONFIG)


def source(path: Path | str, source_id: str = "profweb") -> SourceConfig:
    return SourceConfig(id=source_id, name="Profweb et VTÉ", type="lom-files", path=str(path))


def raw_state(factory: sessionmaker[Session]) -> dict[str, tuple[str, bool, str | None]]:
    with factory() as session:
        return {
            r.identifier: (r.content_hash, r.deleted, r.payload)
            for r in session.scalars(select(RawRecordRow))
        }


def problem_lines(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        query = select(Event.comment).where(Event.action == "harvest_problem").order_by(Event.id)
        return [c or "" for c in session.scalars(query)]


def test_folder_import_counts_identifiers_and_problems(
    ledgers: Ledgers, settings: Settings, dump: Manifest
) -> None:
    factory = ledgers()
    report = harvest_source(factory, source(dump.root), settings)
    assert report["status"] == "completed", report
    counts = report["counts"]
    assert counts["harvested"] == counts["new"] == len(dump.records) >= 300
    assert counts["errors"] == len(dump.problems)  # one error per problem file
    state = raw_state(factory)
    assert set(state) == set(dump.records)
    # A LOM identifier, a relative path, a path with the record's number in a file of several.
    assert "https://www.profweb.example.qc.ca/ressources/12" in state
    assert "vte/sans-identifiant/vte-001.xml" in state
    assert {"vte/lots/lot-03.xml#2", "vte/lots/lot-03.xml#4", "vte/oai/page-1.xml#3"} <= set(state)
    assert "vte/lots/lot-03.xml#1" not in state  # record 1 has its LOM identifier
    # Each problem line names its file; nothing of the hostile files, nothing from outside the dump.
    lines = problem_lines(factory)
    assert len(lines) == len(dump.problems)
    for label in dump.problems:
        assert sum(line.startswith(label + " ") for line in lines) == 1, label
    assert SECRET not in state and not any("hostile.example" in i for i in state)
    assert not any("root:" in (payload or "") for _, _, payload in state.values())  # no /etc/passwd
    # The first file giving an identifier keeps it; the copy is a problem line.
    assert "Copie" not in (state[DUPLICATED][2] or "")
    # The payload is the LOM element, as the OAI harvester stores a metadata child.
    payload = state["vte/oai/page-1.xml#1"][2] or ""
    assert payload.startswith('<lom xmlns="http://ltsc.ieee.org/xsd/LOM"') and "OAI-PMH" not in payload


def test_zip_import_gives_the_folders_ledger(
    ledgers: Ledgers, settings: Settings, dump: Manifest, dump_zip: tuple[Path, dict[str, str]]
) -> None:
    archive, zip_problems = dump_zip
    from_folder, from_zip = ledgers("folder"), ledgers("zip")
    folder_report = harvest_source(from_folder, source(dump.root), settings)
    zip_report = harvest_source(from_zip, source(archive), settings)
    assert zip_report["status"] == "completed", zip_report  # the bomb and the escapes end nothing
    assert raw_state(from_zip) == raw_state(from_folder)
    assert zip_report["counts"]["harvested"] == folder_report["counts"]["harvested"]
    assert zip_report["counts"]["errors"] == len(zip_problems)
    lines = problem_lines(from_zip)
    assert len(lines) == len(zip_problems)
    for name in ZIP_ONLY:
        assert sum(name in line or repr(name) in line for line in lines) == 1, name
    assert any("bombe zip" in line for line in lines)


def test_killed_midway_resumes_to_the_ledger_of_an_uninterrupted_import(
    ledgers: Ledgers, settings: Settings, dump: Manifest
) -> None:
    factory = ledgers("killed")
    tokens: list[str | None] = []

    def kill_after_240_files(page: Page, counts: dict[str, int]) -> None:
        tokens.append(page.next_token)
        if len(tokens) == 240:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        harvest_source(factory, source(dump.root), settings, on_page=kill_after_240_files)
    with factory() as session:
        run = session.scalars(select(HarvestRun)).one()
        assert run.status == "running" and run.checkpoint["token"] == tokens[-1]
        stored = len(session.scalars(select(RawRecordRow)).all())
    assert 0 < stored < len(dump.records), "the kill must land midway"
    # The first file giving DUPLICATED was read before the kill, its copy comes after: the resumed
    # run must still know the identifier is taken.
    assert DUPLICATED in raw_state(factory) and tokens[-1] < "vte/doublons/pw-7-copie.xml"

    resumed = harvest_source(factory, source(dump.root), settings)
    assert resumed["status"] == "completed" and resumed["run_id"] == run.id

    reference = ledgers("reference")
    uninterrupted = harvest_source(reference, source(dump.root), settings)
    assert raw_state(factory) == raw_state(reference)
    for key in ("harvested", "new", "errors", "withdrawn"):
        assert resumed["counts"][key] == uninterrupted["counts"][key], key
    assert sorted(problem_lines(factory)) == sorted(problem_lines(reference))


def test_reimport_of_the_same_dump_changes_nothing(
    ledgers: Ledgers, settings: Settings, dump: Manifest
) -> None:
    factory = ledgers()
    harvest_source(factory, source(dump.root), settings)
    before = raw_state(factory)
    again = harvest_source(factory, source(dump.root), settings)
    assert again["status"] == "completed"
    counts = again["counts"]
    assert counts["new"] == counts["updated"] == counts["withdrawn"] == counts["deleted"] == 0
    assert counts["unchanged"] == counts["harvested"] == len(dump.records)
    assert raw_state(factory) == before


def test_removed_file_is_withdrawn_and_mass_removal_is_held(
    ledgers: Ledgers, settings: Settings, dump: Manifest, tmp_path: Path
) -> None:
    small = write_dump(tmp_path / "small", singles=30, anonymous=10, hostile=False)
    factory = ledgers()
    assert harvest_source(factory, source(small.root), settings)["status"] == "completed"
    (small.root / "vte/lots/lot-02.xml").unlink()  # five records in one file
    (small.root / small.single[0]).unlink()
    gone = {i for i, label in small.records.items() if label in ("vte/lots/lot-02.xml", small.single[0])}
    report = harvest_source(factory, source(small.root), settings)
    assert report["status"] == "completed"
    assert set(report["withdrawn"]) == gone and report["counts"]["withdrawn"] == len(gone) == 6
    assert {i for i, (_, deleted, _) in raw_state(factory).items() if deleted} == gone

    for label in small.single[1:31]:  # most of the dump vanishes: the guard holds the withdrawals
        (small.root / label).unlink()
    held = harvest_source(factory, source(small.root), settings)
    assert held["status"] == "held" and held["withdrawals_held"]
    assert "RECORD_COUNT_DROP" in held["hold"]["reasons"]
    assert sum(deleted for _, deleted, _ in raw_state(factory).values()) == len(gone)  # none applied


def test_imported_records_are_processed_by_the_lom_mapper(
    ledgers: Ledgers, settings: Settings, dump: Manifest
) -> None:
    factory = ledgers()
    harvest_source(factory, source(dump.root), settings)
    report = process_source(factory, source(dump.root), Rulebook.load(CONFIG))
    assert report["status"] == "completed"
    assert report["counts"]["processed"] == len(dump.records)
    with factory() as session:
        rows = session.scalars(select(ResourceRow)).all()
    statuses = {row.status for row in rows}
    assert {"approved", "needs_review"} <= statuses
    codes = {issue["code"] for row in rows for issue in row.issues}
    assert "LICENCE_MISSING" in codes  # one profweb file in five has no licence
    assert not codes & {"MAPPING_FAILED", "PAYLOAD_INVALID", "PAYLOAD_MISSING"}
    titled = [row for row in rows if row.record and row.record["general"]["title"]]
    assert len(titled) == len(rows)


def test_a_dump_is_not_an_endless_list(settings: Settings, tmp_path: Path) -> None:
    """Page bounds are for lists that may never end: 60 bad files in a row, 69 pages, still complete."""
    root = tmp_path / "dump"
    for n in range(60):
        (root / "a-mauvais").mkdir(parents=True, exist_ok=True)
        (root / "a-mauvais" / f"{n:02d}.xml").write_text("<pas-du-lom/>")
    for n in range(9):  # fewer than the guard's min_records: the error rate is not judged here
        (root / "b-bons").mkdir(parents=True, exist_ok=True)
        (root / "b-bons" / f"{n:02d}.xml").write_text(
            lom(n, identifier=None, title=f"T {n}", discipline="Chimie", level="secondaire", licence=None)
        )
    factory = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    tight = load_settings(
        data_dir=tmp_path, config_dir=CONFIG, harvest_max_pages=5, harvest_max_empty_pages=3
    )
    report = harvest_source(factory, source(root), tight)
    assert report["status"] == "completed", report
    assert report["counts"]["harvested"] == 9 and report["counts"]["errors"] == 60


def test_relative_path_is_read_from_the_configuration_folder(tmp_path: Path) -> None:
    config = tmp_path / "conf"
    harvester = make_harvester(source("dumps/profweb"), load_settings(data_dir=tmp_path, config_dir=config))
    assert isinstance(harvester, LomFilesHarvester)
    assert harvester.path == config / "dumps/profweb"
    absolute = make_harvester(
        source(tmp_path / "ailleurs"), load_settings(data_dir=tmp_path, config_dir=config)
    )
    assert isinstance(absolute, LomFilesHarvester) and absolute.path == tmp_path / "ailleurs"


def test_missing_dump_fails_the_run_naming_its_path(settings: Settings, tmp_path: Path) -> None:
    factory = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    report = harvest_source(factory, source(tmp_path / "introuvable.zip"), settings)
    assert report["status"] == "failed"
    error = report["error"]
    assert "introuvable" in error["message"] and error["endpoint"] == str(tmp_path / "introuvable.zip")
    # Resuming would meet the same missing path: the report says what to fix instead (issue 13).
    assert "resume" not in error and error["fix"].startswith("corriger path dans sources.yaml")


@pytest.fixture
def small_zip(tmp_path: Path) -> Path:
    target = tmp_path / "petit.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n in range(8):
            archive.writestr(
                f"fiches/{n}.xml",
                lom(
                    n,
                    identifier=None,
                    title=f"Fiche {n}",
                    discipline="Chimie",
                    level="secondaire",
                    licence=None,
                ),
            )
    return target


@pytest.mark.parametrize(
    ("bounds", "said"),
    [
        (DumpBounds(max_entries=5), "8 entrées"),  # found in the end record, before zipfile reads
        (DumpBounds(max_total_bytes=4000), "octets en tout"),  # the sum of the declared sizes
        (DumpBounds(max_central_directory_bytes=100), "octets de répertoire"),
    ],
)
def test_an_archive_beyond_its_bounds_is_refused_whole(
    small_zip: Path, settings: Settings, tmp_path: Path, bounds: DumpBounds, said: str
) -> None:
    factory = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    report = harvest_source(
        factory, source(small_zip), settings, harvester=LomFilesHarvester(small_zip, bounds=bounds)
    )
    assert report["status"] == "failed", report
    assert said in report["error"]["message"] and report["error"]["endpoint"] == str(small_zip)
    assert raw_state(factory) == {}


def test_an_entry_whose_header_lies_is_a_problem_line(settings: Settings, tmp_path: Path) -> None:
    """An entry declaring 100 bytes that inflate to more: never read past what it declares."""
    target = tmp_path / "menteur.zip"
    record = lom(
        1,
        identifier="https://x.example/1",
        title="Menteur",
        discipline="Chimie",
        level="secondaire",
        licence=None,
    )
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a-menteur.xml", record)
        archive.writestr("b-honnete.xml", record.replace("https://x.example/1", "https://x.example/2"))
    data = bytearray(target.read_bytes())
    central = data.index(b"PK\x01\x02")  # the first central directory entry: a-menteur.xml
    struct.pack_into("<L", data, central + 24, 100)  # its uncompressed size
    struct.pack_into("<L", data, data.index(b"PK\x03\x04") + 22, 100)  # and the local header's
    target.write_bytes(bytes(data))
    factory = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    report = harvest_source(factory, source(target), settings)
    assert report["status"] == "completed"
    assert set(raw_state(factory)) == {"https://x.example/2"}
    assert report["counts"]["errors"] == 1
    assert problem_lines(factory)[0].startswith("a-menteur.xml : ")


def test_cli_imports_a_dump_named_relative_to_the_configuration(tmp_path: Path) -> None:
    """``ren-index harvest profweb`` as a librarian runs it: sources.yaml with a relative ``path:``."""
    config = tmp_path / "conf"
    shutil.copytree(CONFIG, config)
    small = write_dump(config / "dumps" / "profweb", singles=12, anonymous=3, hostile=False)
    (config / "sources.yaml").write_text(
        "sources:\n  profweb:\n    name: Profweb\n    type: lom-files\n    path: dumps/profweb\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "REN_CONFIG_DIR": str(config),
        "REN_DATA_DIR": str(tmp_path / "data"),
        "REN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "ren_index", "harvest", "profweb", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the configuration folder: the path is read from REN_CONFIG_DIR
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["status"] == "completed" and report["counts"]["new"] == len(small.records)


def test_links_swapped_in_after_the_listing_are_not_followed(settings: Settings, tmp_path: Path) -> None:
    """A file, or a folder on its path, replaced by a link between the listing and the read."""
    root, outside = tmp_path / "dump", tmp_path / "dehors"
    outside.mkdir()
    secret = lom(1, identifier=SECRET, title="Secret", discipline="Chimie", level="secondaire", licence=None)
    (outside / "b.xml").write_text(secret)
    (outside / "x.xml").write_text(secret)
    (root / "sous").mkdir(parents=True)
    for name in ("a.xml", "b.xml", "sous/x.xml"):
        (root / name).write_text(
            lom(2, identifier=None, title=name, discipline="Chimie", level="secondaire", licence=None)
        )

    def swap(page: Page, counts: dict[str, int]) -> None:
        if page.request_token == "a.xml":  # a.xml is read; b.xml and sous/ are listed, not yet read
            (root / "b.xml").unlink()
            (root / "b.xml").symlink_to(outside / "b.xml")
            (root / "sous").rename(tmp_path / "sous-ailleurs")
            (root / "sous").symlink_to(outside)

    factory = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    report = harvest_source(factory, source(root), settings, on_page=swap)
    assert report["status"] == "completed"
    assert set(raw_state(factory)) == {"a.xml"}
    lines = problem_lines(factory)
    assert [line.split(" ")[0] for line in lines] == ["b.xml", "sous/x.xml"]
    assert all("illisible" in line for line in lines)


def test_folders_nested_too_deep_are_not_walked(settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "dump"
    deep = root.joinpath(*(f"n{k}" for k in range(40)))
    deep.mkdir(parents=True)
    (deep / "fond.xml").write_text(
        lom(1, identifier=None, title="Fond", discipline="Chimie", level="secondaire", licence=None)
    )
    (root / "surface.xml").write_text(
        lom(2, identifier=None, title="Surface", discipline="Chimie", level="secondaire", licence=None)
    )
    factory = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    report = harvest_source(factory, source(root), settings)
    assert report["status"] == "completed" and set(raw_state(factory)) == {"surface.xml"}
    (line,) = problem_lines(factory)
    assert "plus de 32 niveaux" in line and line.startswith("/".join(f"n{k}" for k in range(33)) + " ")
