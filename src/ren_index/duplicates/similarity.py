"""The index of signatures that finds candidate pairs without comparing everything (docs/duplicates.md).

A new record is looked up, never compared with every other one: MinHash LSH (datasketch) finds
the records whose title + description shingles are likely to have a Jaccard similarity above the
threshold, and exact maps find the records with the same canonical URL, the same URL up to a
language segment, a shared identifier, the same folded title, or a URL one to three path segments
above or below (a chapter under its book). Adding 1,000 records to 100,000 costs 1,000 look-ups.

Every lookup goes through **keys** (:func:`stored_keys`, :func:`lookup_keys`): short hashes of a
kind and a value — the record's URL, its language-neutral URL, each identifier, its title core,
its title stem, each URL parent, and one key per LSH band (datasketch's own banding of the MinHash
for the threshold: 25 bands of 5 rows at 0.5). The in-memory :class:`SignatureIndex` and the
ledger's table of keys (:mod:`ren_index.ledger.duplicates`) hold the same keys and ask the same
questions, so a run over everything (``duplicates --find``) and the incremental one after
``process`` find the same candidates.

A key shared by more than :data:`BUCKET_CAP` records (:data:`BAND_CAP` for an LSH band) is generic
— a portal's home page given as every record's URL, « Notes de cours » as a title, a publisher's
boilerplate description — and says nothing about any one pair: it is ignored for queries (the
other keys still apply).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cache, lru_cache
from urllib.parse import urlsplit

from ren_index.duplicates.records import NUM_PERM, Signature, title_stem

ANCESTOR_LEVELS = 3
"""How far up a URL path a part looks for its whole (``/livre/chap-3/section-2`` → ``/livre``)."""


def url_ancestors(url: str | None, levels: int = ANCESTOR_LEVELS) -> list[str]:
    """The URL's parents, nearest first, never the bare host (every page of a site shares it)."""
    if not url:
        return []
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    out = []
    for cut in range(len(segments) - 1, max(len(segments) - 1 - levels, 0), -1):
        out.append(f"{parts.scheme}://{parts.netloc}/{'/'.join(segments[:cut])}")
    return out


BUCKET_CAP = 100
"""Records past which an exact key (URL, title…) is generic and ignored."""
BAND_CAP = 1000
"""Records past which an LSH band is generic (a template text copied across a catalogue)."""
KEY_CHARS = 32
"""A key is the first 32 hex digits of a SHA-1: fixed width for the ledger's column."""


def key(kind: str, value: str) -> str:
    """The key of one value of one kind (``u`` URL, ``n`` neutral URL, ``i`` identifier, ``t`` title
    core, ``s`` title stem, ``a`` a URL parent the record is under, ``b<N>`` LSH band N)."""
    return hashlib.sha1(f"{kind}\x1f{value}".encode(), usedforsecurity=False).hexdigest()[:KEY_CHARS]


def is_band(k: str) -> bool:
    """Whether a stored key is an LSH band (its cap is :data:`BAND_CAP`); bands are marked by a
    leading ``~`` so the cap can be told from the key alone."""
    return k.startswith("~")


@cache
def _bands(threshold: float) -> Sequence[tuple[int, int]]:
    """datasketch's banding for the threshold (its optimal b × r for :data:`NUM_PERM`; imported
    here, as in :mod:`.records`: datasketch loads scipy, which a command's start should not pay)."""
    from datasketch import MinHashLSH

    return tuple(MinHashLSH(threshold=threshold, num_perm=NUM_PERM).hashranges)


@lru_cache(maxsize=4096)
def band_keys(signature: Signature, threshold: float) -> tuple[str, ...]:
    """One key per LSH band: records sharing one are likely above the Jaccard ``threshold``.
    Cached (a signature is hashed by identity): filing a record and looking it up use the same."""
    values = signature.minhash.hashvalues
    out = []
    for n, (start, end) in enumerate(_bands(threshold)):
        band = bytes(values[start:end].byteswap().data).hex()
        out.append("~" + key(f"b{n}", band)[1:])
    return tuple(out)


def stored_keys(signature: Signature, threshold: float) -> list[str]:
    """The keys a record is filed under (without repeats)."""
    s = signature
    out: list[str] = []
    if s.url:
        out.append(key("u", s.url))
    if s.neutral_url and s.neutral_url != s.url:
        out.append(key("n", s.neutral_url))
    if s.moved_url:
        out.append(key("u", s.moved_url))
    out.extend(key("i", identifier) for identifier in sorted(s.identifiers))
    if s.title_core:
        out.append(key("t", s.title_core))
    stem = title_stem(s.title)
    if stem:
        out.append(key("s", stem))
    out.extend(key("a", ancestor) for ancestor in url_ancestors(s.url))
    out.extend(band_keys(s, threshold))
    return list(dict.fromkeys(out))


def lookup_keys(signature: Signature, threshold: float) -> list[str]:
    """The keys under which a record's candidates are filed.

    By address: the same URL (or the address the record's URL redirects to); a record under this
    URL (a chapter of this book) or this URL under a record's (this chapter's book); the same
    neutral URL (``/fr/x`` finds ``/en/x``), a record whose
    URL is this one's neutral URL (``/fr/x`` finds ``/x``) or whose neutral URL is this URL; a shared
    identifier. By title: the same title core; a part whose stem is this title, or the whole whose
    title is this one's stem. By text: a shared LSH band.
    """
    s = signature
    out: list[str] = []
    if s.url:
        out += [key("u", s.url), key("a", s.url), key("n", s.url)]
        out += [key("u", ancestor) for ancestor in url_ancestors(s.url)]
    if s.neutral_url:
        out += [key("n", s.neutral_url), key("u", s.neutral_url)]
    if s.moved_url:
        out.append(key("u", s.moved_url))
    out.extend(key("i", identifier) for identifier in sorted(s.identifiers))
    if s.title_core:
        out += [key("t", s.title_core), key("s", s.title_core)]
    stem = title_stem(s.title)
    if stem:
        out.append(key("t", stem))
    out.extend(band_keys(s, threshold))
    return list(dict.fromkeys(out))


def cap_of(k: str, bucket_cap: int = BUCKET_CAP, band_cap: int = BAND_CAP) -> int:
    """How many records a key may hold before it is ignored."""
    return band_cap if is_band(k) else bucket_cap


class SignatureIndex:
    """Signatures by key, in memory; incremental ``add`` / ``remove`` / ``candidates``."""

    def __init__(
        self, threshold: float = 0.5, *, bucket_cap: int = BUCKET_CAP, band_cap: int = BAND_CAP
    ) -> None:
        self.threshold = threshold
        self.bucket_cap = bucket_cap
        self.band_cap = band_cap
        self._signatures: dict[str, Signature] = {}
        self._keys: dict[str, list[str]] = {}
        self._by_key: defaultdict[str, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, id: object) -> bool:
        return id in self._signatures

    def __iter__(self) -> Iterator[Signature]:
        return iter(self._signatures.values())

    def get(self, id: str) -> Signature:
        return self._signatures[id]

    def add(self, signature: Signature) -> None:
        """Index a signature; a signature already indexed under this id is replaced (a changed record)."""
        if signature.id in self._signatures:
            self.remove(signature.id)
        keys = stored_keys(signature, self.threshold)
        self._signatures[signature.id] = signature
        self._keys[signature.id] = keys
        for k in keys:
            self._by_key[k].add(signature.id)

    def add_all(self, signatures: Iterable[Signature]) -> None:
        for signature in signatures:
            self.add(signature)

    def remove(self, id: str) -> None:
        """Forget a record (deleted, or about to be replaced); unknown ids are ignored."""
        if self._signatures.pop(id, None) is None:
            return
        for k in self._keys.pop(id):
            bucket = self._by_key[k]
            bucket.discard(id)
            if not bucket:
                del self._by_key[k]

    def candidates(self, signature: Signature) -> set[str]:
        """Ids of indexed records worth comparing with ``signature`` (never its own id)."""
        found: set[str] = set()
        for k in lookup_keys(signature, self.threshold):
            bucket = self._by_key.get(k)
            if bucket and len(bucket) <= cap_of(k, self.bucket_cap, self.band_cap):
                found |= bucket
        found.discard(signature.id)
        return found
