"""The duplicates signatures a ``process --workers N`` pass's workers computed, kept on disk until the
duplicates step that follows the pass reads them (issue 17, point 4).

Why: the workers sign every record they build (:func:`ren_index.steps.duplicates.prepare`, in
parallel), but held in memory the signatures grow with the pass (a few KiB each), so only the
first 20,000 were kept and the duplicates step, in the single writer, signed every other record
again: at a million records, 980,000 signatures computed a second time on one core. Here they go
to a SQLite file in the pass's temporary folder, written a thousand at a time, read back one by
one in the order the duplicates step asks for them; memory holds one buffer, whatever the pass.
About 1.4 KiB a record on disk (the MinHash values packed, four bytes each), removed with the
folder when the pass ends.
"""

from __future__ import annotations

import pickle
import sqlite3
from array import array
from pathlib import Path
from typing import Any

BUFFER = 1_000
"""Signatures written together (one ``executemany``)."""


def _pack(signature: dict[str, Any]) -> bytes:
    """A signature's JSON as bytes: the MinHash values packed (they are most of its size), in four
    bytes each when they fit (the ``affine32`` scheme's do), else eight."""
    values = list(signature.get("minhash") or ())
    code = "I" if array("I").itemsize == 4 and all(0 <= v < 2**32 for v in values) else "Q"
    rest = {k: v for k, v in signature.items() if k != "minhash"}
    return pickle.dumps((rest, code, array(code, values).tobytes()), protocol=pickle.HIGHEST_PROTOCOL)


def _unpack(data: bytes) -> dict[str, Any]:
    """What :func:`_pack` was given (this pass's own file: nobody else writes it)."""
    rest, code, packed = pickle.loads(data)
    values = array(code)
    values.frombytes(packed)
    return {**rest, "minhash": values.tolist()}


class PreparedSignatures:
    """record id → (the record's fingerprint, its signature JSON), on disk in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._db = sqlite3.connect(folder / "prepared-signatures.db", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")  # a scratch file: lost with the pass, never resumed
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS prepared (rid TEXT PRIMARY KEY, fp TEXT, sig BLOB)")
        self._buffer: list[tuple[str, str, bytes]] = []
        self._count = 0

    def __setitem__(self, rid: str, value: tuple[str, dict[str, Any]]) -> None:
        fingerprint, signature = value
        self._buffer.append((rid, fingerprint, _pack(signature)))
        self._count += 1
        if len(self._buffer) >= BUFFER:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered."""
        if self._buffer:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO prepared VALUES (?, ?, ?)", self._buffer)
            self._db.execute("COMMIT")
            self._buffer = []

    def get(self, rid: str) -> tuple[str, dict[str, Any]] | None:
        """The record's prepared signature, or None."""
        self.flush()
        row = self._db.execute("SELECT fp, sig FROM prepared WHERE rid = ?", (rid,)).fetchone()
        return None if row is None else (str(row[0]), _unpack(row[1]))

    def __len__(self) -> int:
        """Signatures received (a record signed twice counts twice; the last one is kept)."""
        return self._count

    def close(self) -> None:
        self._db.close()
