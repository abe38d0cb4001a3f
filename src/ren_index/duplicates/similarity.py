"""The index of signatures that finds candidate pairs without comparing everything (docs/duplicates.md).

A new record is looked up, never compared with every other one: MinHash LSH (datasketch) finds
the records whose title + description shingles are likely to have a Jaccard similarity above the
threshold, and exact maps find the records with the same canonical URL, the same URL up to a
language segment, a shared identifier, the same folded title, or a URL one to three path segments
above or below (a chapter under its book). Adding 1,000 records to 100,000 costs 1,000 look-ups.

Buckets of the exact maps hold at most :attr:`SignatureIndex.bucket_cap` records: past that the key
is generic (a portal's home page given as every record's URL, « Notes de cours » as a title) and
says nothing about any one pair; the key is then ignored for queries (LSH and the other keys still
apply).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from datasketch import MinHashLSH

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


class _Buckets:
    """key → ids, with the reverse kept for removal."""

    def __init__(self) -> None:
        self.by_key: defaultdict[str, set[str]] = defaultdict(set)

    def add(self, key: str, id: str) -> None:
        self.by_key[key].add(id)

    def discard(self, key: str, id: str) -> None:
        bucket = self.by_key.get(key)
        if bucket is not None:
            bucket.discard(id)
            if not bucket:
                del self.by_key[key]

    def get(self, key: str | None, cap: int) -> set[str]:
        if key is None:
            return set()
        bucket = self.by_key.get(key)
        return bucket if bucket is not None and len(bucket) <= cap else set()


class SignatureIndex:
    """Signatures by LSH band and by exact key; incremental ``add`` / ``remove`` / ``candidates``."""

    def __init__(self, threshold: float = 0.5, *, bucket_cap: int = 100) -> None:
        self.threshold = threshold
        self.bucket_cap = bucket_cap
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, Signature] = {}
        self._url = _Buckets()
        self._neutral = _Buckets()
        self._identifier = _Buckets()
        self._title = _Buckets()
        self._under = _Buckets()
        """ancestor URL → the records below it."""
        self._stem = _Buckets()
        """title stem → the parts whose title starts with it (``title_stem``)."""

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, id: object) -> bool:
        return id in self._signatures

    def __iter__(self) -> Iterator[Signature]:
        return iter(self._signatures.values())

    def get(self, id: str) -> Signature:
        return self._signatures[id]

    @staticmethod
    def _title_key(signature: Signature) -> str | None:
        return signature.title_core or None

    def add(self, signature: Signature) -> None:
        """Index a signature; a signature already indexed under this id is replaced (a changed record)."""
        if signature.id in self._signatures:
            self.remove(signature.id)
        self._signatures[signature.id] = signature
        self._lsh.insert(signature.id, signature.minhash, check_duplication=False)
        for key, buckets in self._keys(signature):
            buckets.add(key, signature.id)

    def add_all(self, signatures: Iterable[Signature]) -> None:
        for signature in signatures:
            self.add(signature)

    def remove(self, id: str) -> None:
        """Forget a record (deleted, or about to be replaced); unknown ids are ignored."""
        signature = self._signatures.pop(id, None)
        if signature is None:
            return
        self._lsh.remove(id)
        for key, buckets in self._keys(signature):
            buckets.discard(key, id)

    def _keys(self, s: Signature) -> Iterator[tuple[str, _Buckets]]:
        if s.url:
            yield s.url, self._url
        if s.neutral_url and s.neutral_url != s.url:
            yield s.neutral_url, self._neutral
        for identifier in s.identifiers:
            yield identifier, self._identifier
        title = self._title_key(s)
        if title:
            yield title, self._title
        stem = title_stem(s.title)
        if stem:
            yield stem, self._stem
        for ancestor in url_ancestors(s.url):
            yield ancestor, self._under

    def candidates(self, signature: Signature) -> set[str]:
        """Ids of indexed records worth comparing with ``signature`` (never its own id)."""
        cap = self.bucket_cap
        found: set[str] = set(self._lsh.query(signature.minhash))
        found |= self._url.get(signature.url, cap)
        found |= self._under.get(signature.url, cap)
        for ancestor in url_ancestors(signature.url):
            found |= self._url.get(ancestor, cap)
        if signature.neutral_url:
            # /fr/x finds /en/x (same neutral URL) and the unsegmented /x (whose URL is /fr/x's
            # neutral one); /x finds /fr/x and /en/x through their neutral URL.
            found |= self._neutral.get(signature.neutral_url, cap)
            found |= self._url.get(signature.neutral_url, cap)
        if signature.url:
            found |= self._neutral.get(signature.url, cap)
        for identifier in signature.identifiers:
            found |= self._identifier.get(identifier, cap)
        title = self._title_key(signature)
        found |= self._title.get(title, cap)
        found |= self._stem.get(title, cap)
        found |= self._title.get(title_stem(signature.title), cap)
        found.discard(signature.id)
        return found
