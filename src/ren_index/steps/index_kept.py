"""The hashes of the documents a rebuild sent, kept on disk until its alias swap.

A rebuild (:func:`ren_index.steps.index.rebuild_index`) writes the ledger's ``indexed_hash`` only
once the new index is live — if it fails before, the ledger must still describe the old one — so it
keeps every hash it sent until then. As a dict that was ~250 bytes a record (a quarter of a GiB at
a million, issue 17, point 4); here they go to a SQLite file in a temporary folder, a batch at a
time, and are read back in order for the ledger in chunks. Removed with the folder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path


class KeptHashes:
    """record id → document hash, on disk in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._db = sqlite3.connect(folder / "rebuild-hashes.db", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")  # a scratch file: lost with the rebuild
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE kept (rid TEXT PRIMARY KEY, hash TEXT NOT NULL) WITHOUT ROWID")

    def add(self, items: Iterable[tuple[str, str]]) -> None:
        """Keep these (id, hash); a record kept again keeps its last hash."""
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO kept VALUES (?, ?)", items)
        self._db.execute("COMMIT")

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM kept").fetchone()[0])

    def chunks(self, size: int) -> Iterator[list[tuple[str, str]]]:
        """Every (id, hash) in id order, ``size`` at a time."""
        cursor = self._db.execute("SELECT rid, hash FROM kept ORDER BY rid")
        while rows := cursor.fetchmany(size):
            yield [(str(rid), str(digest)) for rid, digest in rows]

    def close(self) -> None:
        self._db.close()
