"""Reading a dump of files — a folder or a ``.zip`` — as hostile input: bounded, no escape.

Why a module of its own: a dump is handed over by a partner (2,500 LOM files from Profweb and
VTÉ, a ``.zip`` sent by mail), and the dangers of *reading* it have nothing to do with LOM. A zip
entry named ``../../etc/cron.d/x`` or ``C:\\x``, a symbolic link to ``/etc/shadow``, a 40 KB
archive that inflates to 40 GB (a zip bomb), a header that lies about an entry's size, a FIFO
that blocks a read forever, a folder nested a thousand deep: each one is refused here, the same
way for every format a dump may one day hold. :mod:`ren_index.harvest.lom_files` only sees
:class:`DumpFile` entries and their bytes.

What a dump is, for the harvester:

- its files ending in ``.xml`` (any case), in sub-folders too, sorted by :attr:`DumpFile.label`
  (the relative path with ``/``, Unicode NFC): the same order, the same labels, from a folder
  and from a zip of that folder — so both give the same identifiers and the same resume token;
- hidden files and folders (``.DS_Store``, ``.git``) and ``__MACOSX`` (macOS's resource forks,
  ``._a.xml``, which look like XML files but are not) are skipped without a word, and so are
  files that are not ``.xml`` (a partner's PDFs beside their records);
- an entry refused while listing (a path out of the archive, a link, a name with control
  characters, too big, a bomb) is a *problem line* of :class:`Listing`, never the end of the
  read; only what spoils the whole dump (missing, not a zip, too many entries, too many bytes in
  all) raises :class:`HarvestError`.

Bounds are module constants (:class:`DumpBounds` carries them so a test can lower one): a file
is read in chunks and never past :data:`MAX_FILE_BYTES` + 1 bytes, whatever its header or
``stat`` said; a zip entry is read only when stored or deflated (bzip2 and LZMA inflate a whole
block in one call, past any cap), and its central directory is bounded *before* :mod:`zipfile`
reads it (:func:`_zip_directory_bounds`), since :mod:`zipfile` builds an object per entry.
A folder is walked through directory descriptors opened with ``O_NOFOLLOW``, component by
component, so no symbolic link — among the files or in their path, even one swapped in between
the listing and the read — is ever followed.

Size: the folder and the zip readers share their listing rules, labels, problem lines and bounds;
kept together, one can check that both refuse the same things the same way.
"""

from __future__ import annotations

import os
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from ren_index.errors import HarvestError

MAX_ENTRIES = 100_000
"""Entries of a zip's central directory, or entries met walking a folder (files, folders, others)."""
MAX_DEPTH = 32
"""Folders nested deeper than this are not walked (a problem line names the folder)."""
MAX_FILE_BYTES = 32 * 1024 * 1024
"""One file: a LOM record weighs 5 to 50 KB; a wrapper of 2,500 records stays well below."""
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
"""The XML files of a dump, uncompressed, in all (declared sizes when listing, bytes read after)."""
MAX_RATIO = 100
"""Uncompressed / compressed size of a zip entry: XML deflates 5 to 20 times, a bomb 1,000 times."""
RATIO_FLOOR = 1024 * 1024
"""The ratio is judged only above this many uncompressed bytes (a small file may deflate well)."""
MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024
"""A zip's central directory (its list of entries), checked before :mod:`zipfile` reads it."""
MAX_LABEL_CHARS = 1000
"""A relative path longer than this is refused (identifiers are at most 512 characters)."""
CHUNK = 1024 * 1024
SKIPPED_FOLDERS = frozenset({"__MACOSX"})

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_TAIL = 22 + 65_535
"""The end-of-central-directory record (22 bytes) and at most a 64 KiB comment after it."""


@dataclass(frozen=True)
class DumpBounds:
    """The limits of one read of a dump (defaults: the module constants)."""

    max_entries: int = MAX_ENTRIES
    max_depth: int = MAX_DEPTH
    max_file_bytes: int = MAX_FILE_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_ratio: int = MAX_RATIO
    ratio_floor: int = RATIO_FLOOR
    max_central_directory_bytes: int = MAX_CENTRAL_DIRECTORY_BYTES


@dataclass(frozen=True)
class DumpFile:
    """One file of the dump that may be read."""

    label: str
    """Relative path, ``/``-separated, NFC: the identifier's material and the resume token."""
    name: str
    """Where it is: the relative path in the folder, or the zip entry's own name."""
    size: int
    """Its size as listed (``stat``, or the zip header): a hint, never trusted for a read."""


@dataclass
class Listing:
    """The files to read, sorted by label, and the entries refused while listing them."""

    files: list[DumpFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class FileRefused(Exception):
    """One file cannot be read (too big, vanished, a bad zip entry): a problem line, not the end."""


class Dump(Protocol):
    """A folder or an archive, listed once, then read file by file."""

    def listing(self) -> Listing: ...

    def read(self, item: DumpFile) -> bytes: ...


def shown(name: str) -> str:
    """A name as it can be printed in a problem line: quoted, control characters escaped."""
    text = repr(name)
    return text if len(text) <= 200 else text[:199] + "…"


def _bad_characters(name: str) -> bool:
    """Control characters or undecodable bytes (``surrogateescape``) in a name."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name)


def _wanted(parts: list[str]) -> bool:
    """An ``.xml`` file outside hidden folders and ``__MACOSX``, not hidden itself."""
    if any(part.startswith(".") or part in SKIPPED_FOLDERS for part in parts):
        return False
    return parts[-1].lower().endswith(".xml")


def _finish(files: list[DumpFile], problems: list[str], bounds: DumpBounds, where: Path) -> Listing:
    """Sort by label, refuse a second file with the same label, bound the bytes in all."""
    files.sort(key=lambda f: (f.label, f.name))
    kept: list[DumpFile] = []
    for item in files:
        if kept and kept[-1].label == item.label:
            problems.append(
                f"{shown(item.name)} : même chemin qu'un autre fichier (Unicode), ignoré / the same path as"
                f" another file (Unicode), skipped"
            )
            continue
        kept.append(item)
    total = sum(item.size for item in kept)
    if total > bounds.max_total_bytes:
        raise HarvestError(
            f"les fichiers XML font {total} octets en tout, au-delà de la limite de {bounds.max_total_bytes}"
            f" : import refusé / the XML files hold {total} bytes in all, beyond the limit of"
            f" {bounds.max_total_bytes}: import refused",
            endpoint=str(where),
        )
    return Listing(kept, problems)


def _too_big(label: str, size: int, bounds: DumpBounds) -> str:
    return (
        f"{label} : fichier de {size} octets, au-delà de la limite de {bounds.max_file_bytes}, ignoré /"
        f" a file of {size} bytes, beyond the limit of {bounds.max_file_bytes}, skipped"
    )


def read_capped(stream: IO[bytes], cap: int) -> bytes | None:
    """At most ``cap`` bytes of ``stream``, read in chunks; ``None`` when it holds more."""
    chunks: list[bytes] = []
    total = 0
    while total <= cap:
        chunk = stream.read(min(CHUNK, cap + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    return None


class _Budget:
    """The bytes actually read in one pass over the dump, against :data:`MAX_TOTAL_BYTES`."""

    def __init__(self, bounds: DumpBounds, where: Path) -> None:
        self.left = bounds.max_total_bytes
        self.where = where

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise HarvestError(
                "les fichiers lus dépassent la limite d'octets en tout (ils ont grossi depuis la liste)"
                " / the files read go past the limit of bytes in all (they grew since the listing)",
                endpoint=str(self.where),
            )


class DirectoryDump:
    """A folder walked without following any symbolic link (see the module's docstring)."""

    def __init__(self, root: Path, bounds: DumpBounds) -> None:
        self.root = root
        self.bounds = bounds
        self.budget = _Budget(bounds, root)

    def _open_dir(self, parts: list[str]) -> int:
        """A descriptor of the folder ``parts`` under the root, no link followed on the way."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts:
                child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def listing(self) -> Listing:
        files: list[DumpFile] = []
        problems: list[str] = []
        pending: list[list[str]] = [[]]
        entries = 0
        while pending:
            parts = pending.pop()
            where = "/".join(parts) or "."
            try:
                fd = self._open_dir(parts)
            except OSError as exc:
                if not parts:  # the dump itself: nothing can be read, so nothing may be withdrawn
                    raise HarvestError(
                        f"dossier illisible / unreadable folder: {exc.strerror}", endpoint=str(self.root)
                    ) from exc
                problems.append(f"{shown(where)} : dossier illisible / unreadable folder ({exc.strerror})")
                continue
            try:
                with os.scandir(fd) as found:
                    for entry in found:
                        entries += 1
                        if entries > self.bounds.max_entries:
                            raise HarvestError(
                                f"plus de {self.bounds.max_entries} entrées dans le dossier : import"
                                f" refusé / more than {self.bounds.max_entries} entries in the folder:"
                                " import refused",
                                endpoint=str(self.root),
                            )
                        try:
                            self._entry(entry, parts, files, problems, pending)
                        except OSError as exc:  # gone or unreadable since the folder was read
                            name = "/".join([*parts, entry.name])
                            problems.append(f"{shown(name)} : illisible / unreadable ({exc.strerror})")
            except OSError as exc:
                problems.append(f"{shown(where)} : dossier illisible / unreadable folder ({exc.strerror})")
            finally:
                os.close(fd)
        return _finish(files, problems, self.bounds, self.root)

    def _entry(
        self,
        entry: os.DirEntry[str],
        parts: list[str],
        files: list[DumpFile],
        problems: list[str],
        pending: list[list[str]],
    ) -> None:
        """Sort one folder entry: a file to read, a folder to walk, or a problem line."""
        path = [*parts, entry.name]
        rel = "/".join(path)
        if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
            return
        if _bad_characters(entry.name) or len(rel) > MAX_LABEL_CHARS:
            problems.append(
                f"{shown(rel)} : nom illisible ou trop long, ignoré / unreadable or too long a name, skipped"
            )
            return
        if entry.is_symlink():
            problems.append(
                f"{rel} : lien symbolique, non suivi (copier le fichier lui-même) / a symbolic link, not"
                " followed (copy the file itself)"
            )
            return
        if entry.is_dir(follow_symlinks=False):
            if len(path) > self.bounds.max_depth:
                problems.append(
                    f"{rel} : dossier à plus de {self.bounds.max_depth} niveaux, non lu / a folder more"
                    f" than {self.bounds.max_depth} levels deep, not read"
                )
            else:
                pending.append(path)
            return
        if not _wanted(path):
            return
        if not entry.is_file(follow_symlinks=False):  # a FIFO would block the read forever
            problems.append(f"{rel} : pas un fichier ordinaire, ignoré / not a regular file, skipped")
            return
        size = entry.stat(follow_symlinks=False).st_size
        if size > self.bounds.max_file_bytes:
            problems.append(_too_big(rel, size, self.bounds))
            return
        files.append(DumpFile(unicodedata.normalize("NFC", rel), rel, size))

    def read(self, item: DumpFile) -> bytes:
        parts = item.name.split("/")
        try:
            folder = self._open_dir(parts[:-1])
            try:
                fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
            finally:
                os.close(folder)
            with open(fd, "rb", closefd=True) as stream:
                if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                    raise FileRefused(
                        f"{item.label} : n'est plus un fichier ordinaire / is no longer a regular file"
                    )
                data = read_capped(stream, self.bounds.max_file_bytes)
        except OSError as exc:
            raise FileRefused(
                f"{item.label} : illisible (lien, disparu, droits) / unreadable (a link, gone, permissions):"
                f" {exc.strerror}"
            ) from exc
        if data is None:
            raise FileRefused(_too_big(item.label, self.bounds.max_file_bytes + 1, self.bounds))
        self.budget.spend(len(data))
        return data


def _zip_directory_bounds(path: Path, bounds: DumpBounds) -> None:
    """Refuse an archive whose central directory is too large *before* :mod:`zipfile` reads it.

    Reads the end-of-central-directory record (and its Zip64 twin) the way :mod:`zipfile` finds
    it: the last signature in the file's last 64 KiB.
    """
    with path.open("rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        start = max(size - _TAIL, 0)
        stream.seek(start)
        tail = stream.read(_TAIL)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise HarvestError(
                "n'est pas une archive zip lisible / is not a readable zip archive", endpoint=str(path)
            )
        entries, directory = struct.unpack("<HL", tail[at + 10 : at + 16])
        locator = at - 20
        zip64 = entries == 0xFFFF or directory == 0xFFFFFFFF
        if zip64 and locator >= 0 and tail[locator : locator + 4] == _EOCD64_LOCATOR:
            (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
            stream.seek(min(offset, size))
            record = stream.read(56)
            if len(record) == 56 and record[:4] == _EOCD64:
                entries, directory = struct.unpack("<QQ", record[24:40])
    if entries > bounds.max_entries or directory > bounds.max_central_directory_bytes:
        raise HarvestError(
            f"archive de {entries} entrées ({directory} octets de répertoire), au-delà des limites"
            f" ({bounds.max_entries} entrées) : import refusé / an archive of {entries} entries ({directory}"
            f" bytes of directory), beyond the limits ({bounds.max_entries} entries): import refused",
            endpoint=str(path),
        )


def _zip_label(info: zipfile.ZipInfo) -> tuple[list[str] | None, str]:
    """The entry's path segments (``None`` when it escapes the archive) and its name as written.

    Names without the UTF-8 flag are cp437 to :mod:`zipfile`; many tools write UTF-8 without the
    flag, so such a name is read as UTF-8 when it decodes as such (what ``unzip`` does too).
    """
    name = info.filename
    if not info.flag_bits & 0x800:
        with suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    text = name.replace("\\", "/")
    absolute = text.startswith("/") or (text[:1].isalpha() and text[1:2] == ":")  # C:
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if absolute or ".." in parts or not parts or _bad_characters(text) or len(text) > MAX_LABEL_CHARS:
        return None, name
    return parts, name


class ZipDump:
    """A ``.zip`` read entry by entry, each in chunks, each checked (see the module's docstring)."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, bounds: DumpBounds) -> None:
        self.path = path
        self.archive = archive
        self.bounds = bounds
        self.budget = _Budget(bounds, path)
        self.entries: dict[str, zipfile.ZipInfo] = {}

    def listing(self) -> Listing:
        infos = self.archive.infolist()
        if len(infos) > self.bounds.max_entries:
            raise HarvestError(
                f"archive de {len(infos)} entrées, au-delà de {self.bounds.max_entries} : import refusé /"
                f" an archive of {len(infos)} entries, beyond {self.bounds.max_entries}: import refused",
                endpoint=str(self.path),
            )
        files: list[DumpFile] = []
        problems: list[str] = []
        for info in infos:
            parts, name = _zip_label(info)
            if parts is None:
                problems.append(
                    f"{shown(name)} : chemin refusé (hors de l'archive, illisible ou trop long) / path"
                    " refused (out of the archive, unreadable or too long)"
                )
                continue
            label = unicodedata.normalize("NFC", "/".join(parts))
            if stat.S_ISLNK(info.external_attr >> 16):
                problems.append(
                    f"{label} : lien symbolique dans l'archive, refusé / a symbolic link in the archive,"
                    " refused"
                )
                continue
            if info.is_dir() or not _wanted(parts):
                continue
            problem = self._refusal(info, label)
            if problem is not None:
                problems.append(problem)
                continue
            self.entries.setdefault(info.filename, info)  # a name written twice: the first is read
            files.append(DumpFile(label, info.filename, info.file_size))
        return _finish(files, problems, self.bounds, self.path)

    def _refusal(self, info: zipfile.ZipInfo, label: str) -> str | None:
        """Why this XML entry is not read, or ``None``."""
        if info.flag_bits & 0x1:
            return f"{label} : entrée chiffrée, ignorée / an encrypted entry, skipped"
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return (
                f"{label} : compression n° {info.compress_type} non lue (seules stored et deflate le"
                f" sont) / compression method {info.compress_type} not read (only stored and deflate)"
            )
        if info.file_size > self.bounds.max_file_bytes:
            return _too_big(label, info.file_size, self.bounds)
        if self._bomb(info.file_size, info.compress_size):
            return self._bomb_line(label, info.file_size, info.compress_size)
        return None

    def _bomb(self, inflated: int, compressed: int) -> bool:
        return inflated > self.bounds.ratio_floor and inflated > max(compressed, 1) * self.bounds.max_ratio

    def _bomb_line(self, label: str, inflated: int, compressed: int) -> str:
        return (
            f"{label} : {compressed} octets qui en donnent {inflated} (plus de {self.bounds.max_ratio}"
            f" fois) : bombe zip refusée / {compressed} bytes inflating to {inflated} (over"
            f" {self.bounds.max_ratio} times): zip bomb refused"
        )

    def read(self, item: DumpFile) -> bytes:
        info = self.entries[item.name]
        try:
            with self.archive.open(info) as stream:
                data = read_capped(stream, min(self.bounds.max_file_bytes, info.file_size))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError) as exc:
            raise FileRefused(f"{item.label} : entrée illisible / unreadable entry: {exc}") from exc
        if data is None:
            raise FileRefused(
                f"{item.label} : plus d'octets que l'en-tête n'en annonce, refusé / more bytes than its"
                " header declares, refused"
            )
        if self._bomb(len(data), info.compress_size):
            raise FileRefused(self._bomb_line(item.label, len(data), info.compress_size))
        self.budget.spend(len(data))
        return data


@contextmanager
def open_dump(path: Path, bounds: DumpBounds | None = None) -> Iterator[Dump]:
    """The dump at ``path``: a folder, or a ``.zip`` (kept open while the caller reads it)."""
    bounds = bounds or DumpBounds()
    if path.is_dir():
        yield DirectoryDump(path, bounds)
        return
    check_dump_path(path)
    _zip_directory_bounds(path, bounds)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise HarvestError(
            f"archive zip illisible / unreadable zip archive: {exc}", endpoint=str(path)
        ) from exc
    with archive:
        yield ZipDump(path, archive, bounds)


def check_dump_path(path: Path) -> None:
    """:class:`HarvestError` unless ``path`` is a folder or a ``.zip`` file that exists."""
    if path.is_dir():
        return
    if not path.exists():
        raise HarvestError(
            f"dossier ou archive introuvable : {path} (path: de sources.yaml, relatif au dossier de"
            f" configuration) / folder or archive not found: {path} (path: of sources.yaml, relative"
            " to the configuration folder)",
            endpoint=str(path),
        )
    if not path.is_file() or path.suffix.lower() != ".zip":
        raise HarvestError(
            f"{path} n'est ni un dossier ni une archive .zip / is neither a folder nor a .zip archive",
            endpoint=str(path),
        )
