# mypy: disable-error-code="import-untyped"
"""LOM files harvester (``type: lom-files``): a dump of LOM / Normetic XML files, not a repository.

Why: collections migrated from older systems arrive as files — Éductive took 2,500 resources
from Profweb and VTÉ as a folder (or a ``.zip``) of LOM records — and no server to ask. This
harvester gives such a dump the face of every other one (``identify()``, ``pages()``,
``complete``), so the harvest step keeps its checkpoints, run reports, withdrawals and anomaly
guard unchanged (:mod:`ren_index.steps.harvest`), and the LOM mapper normalizes the records.

- **One page per file**, in the order of their relative paths (:mod:`ren_index.harvest.dump_files`
  lists and reads the dump, safely): the harvest step stores each file's records and the
  checkpoint after it in one transaction. A page's ``next_token`` is the relative path of the
  next file, so a run killed midway and run again goes on at that file and ends with the ledger
  of an uninterrupted import.
- **A file** holds one record (root ``lom`` in :data:`LOM_NS`) or a wrapper with LOM records
  among its descendants (a saved OAI-PMH page, an export of many): each outermost ``lom`` is a
  record. Its identifier is its first non-empty ``general/identifier/entry``, else the file's
  relative path — with ``#n``, the record's number in the file, when the file holds several.
  The payload is the ``lom`` element serialized, as the OAI harvester stores a metadata child.
- **A problem line** (``Page.problems``: an audit event and an error of the run) is written for
  a file that is not well-formed, not LOM, refused by the hardened parser
  (:func:`ren_index.xmlsafe.parse_xml`: entities, DTD, size), refused while listing (a link, a
  path out of the archive, a zip bomb, too big), or a record whose identifier an earlier file
  already gave (the first one, in file order, is kept; a resumed run reads the files before its
  token again to know them, so it decides as an uninterrupted one would). Never the end of the
  import: only what spoils the whole dump raises :class:`HarvestError`.
- **Every run reads the dump whole**: ``identify()`` says ``deletedRecord=no`` and the run is
  complete once the last file is read, so a record whose file left the dump is withdrawn (under
  the anomaly guard); a re-import of the same dump changes nothing (content hashes). A date
  window (``--from`` / ``--until``) does not apply to files and is ignored.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from ren_index.harvest.base import Page, RawRecord
from ren_index.harvest.dump_files import Dump, DumpBounds, DumpFile, FileRefused, check_dump_path, open_dump
from ren_index.harvest.oai_response import IdentifyInfo
from ren_index.xmlsafe import UnsafeXmlError, parse_xml

log = logging.getLogger(__name__)

FORMAT = "lom"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_TAG = f"{{{LOM_NS}}}lom"
_ENTRY = f"{{{LOM_NS}}}general/{{{LOM_NS}}}identifier/{{{LOM_NS}}}entry"
MAX_RECORDS_PER_FILE = 10_000
"""A file holding more LOM records than this is refused whole (a problem line): split it."""
MAX_IDENTIFIER_CHARS = 512
"""The ledger's identifier column; a longer identifier is a problem line for its record."""


def dump_location(path: str, config_dir: Path) -> Path:
    """Where a source's ``path:`` points: as written when absolute, else under the configuration folder.

    The configuration folder, not the working directory: ``sources.yaml`` is read from there, and a
    scheduled run does not start where the librarian typed the command.
    """
    where = Path(path)
    return where if where.is_absolute() else config_dir / where


def _identifier(lom: etree._Element) -> str | None:
    for entry in lom.iterfind(_ENTRY):
        text = "".join(entry.itertext()).strip()
        if text:
            return text
    return None


def _lom_elements(root: etree._Element) -> list[etree._Element]:
    """The outermost ``lom`` elements (at most one more than :data:`MAX_RECORDS_PER_FILE`)."""
    if root.tag == LOM_TAG:
        return [root]
    found: list[etree._Element] = []
    for element in root.iter(LOM_TAG):
        if next(element.iterancestors(LOM_TAG), None) is None:
            found.append(element)
            if len(found) > MAX_RECORDS_PER_FILE:
                break
    return found


def _said(exc: Exception) -> str:
    """A parser's message on one line, cut short (it may quote the file)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:299] + "…"


def lom_records(data: bytes, label: str) -> tuple[list[RawRecord], list[str]]:
    """The LOM records of one file (identified as the module says), and its problem lines."""
    trimmed = data.lstrip(b" \t\r\n")  # blank lines before the XML declaration hide nothing
    if trimmed.startswith(b"<"):
        data = trimmed
    try:
        root = parse_xml(data)
    except UnsafeXmlError as exc:
        return [], [
            f"{label} : XML refusé (entités, DTD, taille) / XML refused (entities, DTD, size): {_said(exc)}"
        ]
    except (etree.LxmlError, ValueError) as exc:
        return [], [f"{label} : XML mal formé / XML not well-formed: {_said(exc)}"]
    loms = _lom_elements(root)
    if not loms:
        tag = str(root.tag)[:200]
        return [], [
            f"{label} : aucune notice LOM (élément lom de {LOM_NS}), la racine est {tag} / no LOM record"
            f" (element lom of {LOM_NS}), the root is {tag}"
        ]
    if len(loms) > MAX_RECORDS_PER_FILE:
        return [], [
            f"{label} : plus de {MAX_RECORDS_PER_FILE} notices dans un fichier, ignoré ; le scinder / more"
            f" than {MAX_RECORDS_PER_FILE} records in one file, skipped; split it"
        ]
    records: list[RawRecord] = []
    problems: list[str] = []
    for number, lom in enumerate(loms, start=1):
        identifier = _identifier(lom) or (label if len(loms) == 1 else f"{label}#{number}")
        if len(identifier) > MAX_IDENTIFIER_CHARS:
            problems.append(
                f"{label} : notice {number}, identifiant de plus de {MAX_IDENTIFIER_CHARS} caractères,"
                f" ignorée / record {number}, an identifier longer than {MAX_IDENTIFIER_CHARS} characters,"
                " skipped"
            )
            continue
        payload = etree.tostring(lom, encoding="unicode", with_tail=False)
        records.append(RawRecord(identifier, None, False, FORMAT, payload))
    return records, problems


class LomFilesHarvester:
    """Harvest a dump of LOM files (a folder or a ``.zip``), one page per file (see the module)."""

    metadata_prefix = FORMAT

    def __init__(self, path: Path, *, bounds: DumpBounds | None = None) -> None:
        self.path = path
        self.bounds = bounds or DumpBounds()
        self._complete = False

    @property
    def complete(self) -> bool:
        """True once this run read the last file: what the dump no longer holds is withdrawn."""
        return self._complete

    def identify(self) -> IdentifyInfo:
        """No Identify in a folder: a complete listing (absence from the dump means withdrawal)."""
        check_dump_path(self.path)
        return IdentifyInfo.complete_listing(str(self.path))

    def pages(
        self,
        *,
        set_spec: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[Page]:
        """One page per file from ``resumption_token`` (a relative path) on; the window is ignored.

        The entries refused while listing are the first page's problem lines in a run that starts
        from the beginning (a resumed run stored them before it stopped).
        """
        self._complete = False
        with open_dump(self.path, self.bounds) as dump:
            listing = dump.listing()
            files = listing.files
            log.info("%s: %d XML files, %d refused", self.path, len(files), len(listing.problems))
            start = bisect_left([f.label for f in files], resumption_token) if resumption_token else 0
            seen: dict[str, str] = {}
            for item in files[:start]:  # identifiers given before the resume point: first one wins
                self._file_records(dump, item, seen)
            pending = [] if resumption_token else list(listing.problems)
            if start >= len(files):
                yield Page([], resumption_token, None, problems=pending)
            for index in range(start, len(files)):
                item = files[index]
                records, problems = self._file_records(dump, item, seen)
                following = files[index + 1].label if index + 1 < len(files) else None
                yield Page(records, item.label, following, cursor=index, problems=[*pending, *problems])
                pending = []
        self._complete = True

    def _file_records(
        self, dump: Dump, item: DumpFile, seen: dict[str, str]
    ) -> tuple[list[RawRecord], list[str]]:
        """One file's records not given before (``seen``: identifier → file), and its problem lines."""
        try:
            data = dump.read(item)
        except FileRefused as exc:
            return [], [str(exc)]
        records, problems = lom_records(data, item.label)
        kept: list[RawRecord] = []
        here: set[str] = set()
        for record in records:
            identifier = record.identifier or ""  # lom_records always names its records
            first = seen.setdefault(identifier, item.label)
            if first == item.label and identifier not in here:
                here.add(identifier)
                kept.append(record)
                continue
            problems.append(
                f"{item.label} : identifiant {identifier!r} déjà donné par {first}, notice ignorée /"
                f" identifier {identifier!r} already given by {first}, record skipped"
            )
        return kept, problems
