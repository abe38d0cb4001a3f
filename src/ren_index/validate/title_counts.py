"""How many records of a source carry each title key, in eight bytes a record (issue 17, point 4).

``TITLE_REPEATED_IN_SOURCE`` (:mod:`ren_index.validate.patterns`) asks, for each title key of a
record, how many live records of its source carry it. A ``Counter`` of the keys themselves grows
with the source — about 140 bytes a distinct title: some 140 MiB at a million records in the
process step's writer, and as much again in every pool worker it is sent to. Only repeated keys
matter (a key seen once is the record alone, and the check needs at least two records), so keys
are counted here as 64-bit digests in a flat array while records are read, and once every record
is counted (:meth:`TitleCounts.freeze`) only the digests seen twice or more are kept, with their
counts: what stays, and what the workers receive, is as large as the source's repeats, not as the
source.

Two different keys share a digest with a chance of one in 2^64 for a pair (for a million distinct
titles, about one in 37 million that any two do); they would then count together.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable

DIGEST_TYPE = "q"
"""The array's item: a signed 64-bit integer."""


def digest(key: str) -> int:
    """A title key's 64-bit digest (BLAKE2b, eight bytes): the same in every process and run."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def digests_of(keys: Iterable[str]) -> array[int]:
    """Many keys' digests, as a pool worker sends them back (eight bytes each)."""
    return array(DIGEST_TYPE, map(digest, keys))


class TitleCounts:
    """Title key → number of records carrying it; counting first (:meth:`update`, :meth:`add`),
    then :meth:`freeze` once, then read (``counts[key]``)."""

    def __init__(self) -> None:
        self._digests: array[int] | None = array(DIGEST_TYPE)
        self._repeated: dict[int, int] = {}

    def update(self, keys: Iterable[str]) -> None:
        """Count the keys of one record (or of several: each key once per record carrying it)."""
        self.add(digests_of(keys))

    def add(self, digests: array[int]) -> None:
        """Count digests made elsewhere (:func:`digests_of`, in a pool worker)."""
        if self._digests is None:
            raise RuntimeError("title counts already frozen")
        self._digests.extend(digests)

    def freeze(self) -> TitleCounts:
        """Keep only the repeated digests and their counts; the array is let go. Returns itself."""
        if self._digests is not None:
            import numpy as np  # already loaded by the duplicates step; not at every command's start

            values, counts = np.unique(np.frombuffer(self._digests, dtype=np.int64), return_counts=True)
            many = counts >= 2
            self._repeated = dict(zip(values[many].tolist(), counts[many].tolist(), strict=True))
            self._digests = None
        return self

    def __getitem__(self, key: str) -> int:
        """Records carrying ``key``: its count when repeated, else 1 (the record asking, alone)."""
        if self._digests is not None:
            raise RuntimeError("title counts read before freeze()")
        return self._repeated.get(digest(key), 1)

    def __len__(self) -> int:
        """How many distinct title keys are repeated (carried by two records or more)."""
        return len(self._repeated)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TitleCounts) and (self._digests, self._repeated) == (
            other._digests,
            other._repeated,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable while counting
