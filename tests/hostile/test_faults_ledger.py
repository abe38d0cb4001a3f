"""A ledger file that cannot be used (issue 10, point 8): one line, not a 300-line traceback.

Corrupt, truncated, not SQLite at all, or locked by another process: ``ren-index queue`` and
``ren-index serve`` each print one line on stderr that names the file and says what to do, and
exit 1 (``serve`` without starting). Each command runs as a real process, as an operator would
run it. A lock is held here, in the test process; the command waits one second for it instead
of thirty (``ledger.db.LOCK_TIMEOUT``, set by a two-line launcher).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ren_index.errors import LedgerError, RenIndexError
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Event, RawRecordRow, ResourceRow, SourceRow
from ren_index.ledger.store import resource_id
from ren_index.model import General, Provenance, Resource

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = (
    "import sys, ren_index.ledger.db as db; db.LOCK_TIMEOUT = float(sys.argv.pop(1)); "
    "from ren_index.cli.main import main; main()"
)


def _ledger(path: Path) -> None:
    """A real ledger: events first, then the records of the queue, so these sit in the last pages."""
    factory = open_ledger(f"sqlite:///{path}")
    with factory.begin() as session:
        session.add(SourceRow(id="s", name="S", type="oai", url="http://127.0.0.1:9/oai"))
        session.add_all(Event(actor="test", action="note", comment="x" * 300) for _ in range(2_000))
        session.flush()
        for n in range(300):
            raw = RawRecordRow(
                source_id="s", identifier=f"oai:s:{n}", metadata_prefix="oai_dc", content_hash="0"
            )
            session.add(raw)
            session.flush()
            resource = Resource(
                provenance=Provenance(source="s", identifier=f"oai:s:{n}", metadata_format="oai_dc"),
                general=General(title={"fr": f"Fiche {n} " + "des fractions " * 20}),
            )
            session.add(
                ResourceRow(
                    id=resource_id("s", f"oai:s:{n}"),
                    raw_id=raw.id,
                    source_id="s",
                    record=resource.model_dump(mode="json", exclude_defaults=True),
                    status="needs_review",
                )
            )
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(ResourceRow)) == 300
    factory.kw["bind"].dispose()
    checkpoint = sqlite3.connect(path)
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
    checkpoint.close()


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a healthy ledger file (WAL checkpointed into it)."""
    path = tmp_path_factory.mktemp("good") / "ren-index.db"
    _ledger(path)
    data = path.read_bytes()
    assert len(data) > 200_000
    return data


def _truncated(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


def _corrupt_inside(data: bytes) -> bytes:
    """The queue's pages (the end of the file) overwritten; the header and schema intact."""
    cut = len(data) * 3 // 4
    return data[:cut] + bytes(range(256)) * ((len(data) - cut) // 256 + 1)


def _corrupt_schema(data: bytes) -> bytes:
    """Page 1 (the schema) overwritten after the 100-byte header."""
    return data[:100] + b"\xde\xad\xbe\xef" * 1_000 + data[4_100:]


DAMAGED: dict[str, Callable[[bytes], bytes]] = {
    "truncated": _truncated,
    "truncated-header": lambda data: data[:60],
    "corrupt-inside": _corrupt_inside,
    "corrupt-schema": _corrupt_schema,
    "not-sqlite-text": lambda data: b"id,title\n1,Les fractions\n" * 1_000,
    "not-sqlite-zip": lambda data: b"PK\x03\x04" + bytes(4_000),
    "not-sqlite-random": lambda data: bytes((n * 7919) % 256 for n in range(16_384)),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(path: Path, *args: str, lock_timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REN_DATA_DIR": str(path.parent),
        "REN_DATABASE_URL": f"sqlite:///{path}",
        "REN_CONFIG_DIR": str(ROOT / "config"),
        "REN_OPENSEARCH_URL": "http://127.0.0.1:9",
        "COLUMNS": "100",
    }
    if lock_timeout is None:
        command = [str(Path(sys.executable).parent / "ren-index"), *args]
    else:
        command = [sys.executable, "-c", LAUNCHER, str(lock_timeout), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def _one_line(result: subprocess.CompletedProcess[str], path: Path) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-3000:]
    line = lines[0]
    assert line.startswith("erreur / error: le registre") and str(path) in line
    return line


COMMANDS = {"queue": ("queue",), "serve": ("serve", "--port")}


def _args(command: str) -> tuple[str, ...]:
    return (*COMMANDS[command], str(_free_port())) if command == "serve" else COMMANDS[command]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_ledger_is_one_line(tmp_path: Path, good: bytes, damage: str, command: str) -> None:
    path = tmp_path / "ren-index.db"
    path.write_bytes(DAMAGED[damage](good))
    line = _one_line(_run(path, *_args(command)), path)
    assert "illisible" in line and "unreadable" in line
    assert "restaurez-le d'une sauvegarde" in line and "restore it from a backup" in line


@pytest.fixture
def locked(tmp_path: Path, good: bytes) -> Iterator[Path]:
    """A healthy ledger that this process keeps locked (exclusive, as a stuck writer would)."""
    path = tmp_path / "ren-index.db"
    path.write_bytes(good)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE events SET comment = 'held' WHERE id = 1")
    try:
        yield path
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_locked_ledger_is_one_line(locked: Path, command: str) -> None:
    line = _one_line(_run(locked, *_args(command), lock_timeout=1), locked)
    assert "verrouillé par un autre processus" in line and "locked by another process" in line
    assert "1 s" in line


def test_the_healthy_ledger_still_opens(tmp_path: Path, good: bytes) -> None:
    path = tmp_path / "ren-index.db"
    path.write_bytes(good)
    result = _run(path, "queue", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"id"' in result.stdout


def test_create_app_raises_a_ledger_error(tmp_path: Path, good: bytes) -> None:
    """What ``serve`` relies on: the app is never built over a damaged ledger."""
    from ren_index.settings import load_settings
    from ren_index.web.app import create_app

    path = tmp_path / "ren-index.db"
    path.write_bytes(_truncated(good))
    with pytest.raises(LedgerError) as raised:
        create_app(load_settings(data_dir=tmp_path, database_url=f"sqlite:///{path}"))
    assert isinstance(raised.value, RenIndexError) and str(path) in str(raised.value)
