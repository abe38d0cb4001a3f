"""CSV harvester: a partner's spreadsheet export, one row = one raw record (stored as JSON).

Spreadsheets export in whatever their locale says: ``,`` or ``;`` or tab as separator, UTF-8 with
or without a BOM, or Windows-1252 (Excel on a French Windows). The separator is read from the
header line; the encoding is UTF-8 when the file decodes as such (or mostly does, with a few bad
lines), else Windows-1252. The file name is ``csv_source`` because ``csv`` would shadow the
standard library module inside the package.

The librarian's ``columns:`` mapping (``{title: titre, url: lien, ...}``) says which column holds
which canonical field; the payload holds those fields under their canonical names, and nothing
else: not the row number, because a row moving down when a line is inserted above it is not a
change of the record (it would reset a documentalist's decision). Problems name the spreadsheet
row (header = row 1) so the librarian can find the line to fix. A bad row —
wrong number of cells, bytes that are not text, a cell over :data:`MAX_CELL_CHARS` — becomes a
``Page.problems`` line naming the row and is skipped: never the end of the file.

Cell size is bounded here, deliberately, and not by the :mod:`csv` module: its own limit (128 Ki
characters by default) raises in the middle of a row, and the reader, resuming inside a quoted
cell, would misread the rows after it. So the file is read with the module's limit out of the way
(:func:`_csv_limit_lifted`; the file is already bounded by the download's size cap) and every
row holding a cell longer than :data:`MAX_CELL_CHARS` is refused whole, on its own.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ren_index.errors import HarvestError
from ren_index.harvest.base import Page, RawRecord
from ren_index.harvest.documents import DocumentClient, DocumentHarvester, failed, short_hash

log = logging.getLogger(__name__)

FORMAT = "csv"
DELIMITERS = (",", ";", "\t")
MAX_CELL_CHARS = 1024 * 1024
"""A cell may hold up to 1,048,576 characters (a long description with its HTML fits many times);
a row with a longer cell is a problem line and is skipped, the other rows are harvested."""
_LIFTED_LIMIT = 2**31 - 1
"""The :mod:`csv` module's field limit while a file is read: above any file the download accepts."""

_LIMIT_LOCK = threading.Lock()
_LIMIT_STATE: dict[str, int] = {"users": 0, "saved": 0}


@contextmanager
def _csv_limit_lifted() -> Iterator[None]:
    """Lift :func:`csv.field_size_limit` (process-wide) while a file is read, then put it back.

    Counted, so that harvests in several threads share it: the first in lifts it, the last out
    restores it. The bound that matters is :data:`MAX_CELL_CHARS`, checked on every row.
    """
    with _LIMIT_LOCK:
        if _LIMIT_STATE["users"] == 0:
            _LIMIT_STATE["saved"] = csv.field_size_limit(_LIFTED_LIMIT)
        _LIMIT_STATE["users"] += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _LIMIT_STATE["users"] -= 1
            if _LIMIT_STATE["users"] == 0:
                csv.field_size_limit(_LIMIT_STATE["saved"])


def read_rows(text: str, delimiter: str) -> tuple[list[str] | None, list[tuple[int, list[str] | str]]]:
    """The header and every row with its spreadsheet number (header = 1), read whole.

    A row the :mod:`csv` module cannot read comes back as the text of its error, to become a
    problem line; the rows after it are read as usual.
    """
    rows: list[tuple[int, list[str] | str]] = []
    with _csv_limit_lifted():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = next(reader, None)
        number = 1
        while True:
            number += 1
            line = reader.line_num
            try:
                rows.append((number, next(reader)))
            except StopIteration:
                break
            except csv.Error as exc:
                rows.append((number, str(exc)))
                if reader.line_num == line:  # nothing consumed: stop rather than loop
                    break
    return header, rows


def decode(body: bytes) -> tuple[str, str]:
    """The text of the file and the encoding used (``utf-8`` or ``cp1252``).

    Undecodable bytes survive as lone surrogates (``surrogateescape``), so the rows holding them
    can be reported one by one instead of failing the whole file.
    """
    try:
        return body.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = body.splitlines()
    utf8_lines = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            pass
    if utf8_lines:  # a UTF-8 file with a few broken lines: keep UTF-8, report those lines
        return body.decode("utf-8-sig", "surrogateescape"), "utf-8"
    return body.decode("cp1252", "surrogateescape"), "cp1252"


def sniff_delimiter(text: str) -> str:
    """The separator most present in the header line (``,`` when there is none)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _undecodable(values: list[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for value in values for ch in value)


class CsvHarvester(DocumentHarvester):
    """Harvest one CSV file, in pages of ``page_size`` rows (one transaction each)."""

    metadata_prefix = FORMAT

    def __init__(
        self,
        url: str,
        columns: dict[str, str] | None = None,
        client: DocumentClient | None = None,
        *,
        page_size: int = 500,
    ) -> None:
        super().__init__(url, client)
        self.columns = dict(columns or {})
        self.page_size = page_size

    def pages(
        self,
        *,
        set_spec: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[Page]:
        """The file's rows, ``page_size`` at a time; a resumption token is the row to restart at."""
        fetched = (
            self.fetch_first(self.url)
            if resumption_token is None
            else self.client.get(self.url, policy=self.policy)
        )
        if fetched is not None and fetched.status != 200:
            raise failed(fetched, "the CSV file could not be fetched")
        if fetched is None:
            yield Page(records=[], request_token=None, next_token=None, state=self.next_state())
            return
        text, encoding = decode(fetched.body)
        delimiter = sniff_delimiter(text)
        header, rows = read_rows(text, delimiter)
        if header is None:
            raise HarvestError("the CSV file is empty (no header line)", endpoint=self.url)
        if any(len(name) > MAX_CELL_CHARS for name in header):
            raise HarvestError(
                f"la ligne d'en-tête a une cellule de plus de {MAX_CELL_CHARS} caractères / the header "
                f"line has a cell of more than {MAX_CELL_CHARS} characters",
                endpoint=self.url,
            )
        fields = self._field_columns([h.strip() for h in header])
        log.info("%s: %s, separator %r, %d columns", self.url, encoding, delimiter, len(header))
        start = int(resumption_token) if resumption_token and resumption_token.isdigit() else 2
        records: list[RawRecord] = []
        problems: list[str] = []
        seen: set[str] = set()
        for row_number, row in rows:
            if row_number < start:
                continue
            if isinstance(row, str):
                problems.append(
                    f"ligne {row_number} : illisible, ignorée / row {row_number}: unreadable ({row})"
                )
                continue
            if not any(cell.strip() for cell in row):
                continue
            record = self._record(row, row_number, header, fields, seen, problems)
            if record is not None:
                records.append(record)
            if len(records) >= self.page_size:
                yield Page(records, str(start) if start > 2 else None, str(row_number + 1), problems=problems)
                start, records, problems = row_number + 1, [], []
        request = str(start) if start > 2 else None
        yield Page(records, request, None, problems=problems, state=self.next_state())

    def _field_columns(self, header: list[str]) -> dict[str, int]:
        """Canonical field -> column index; every mapped column must exist (case-insensitive)."""
        index = {name.lower(): i for i, name in enumerate(header)}
        if not self.columns:
            return {name.lower(): i for i, name in enumerate(header) if name}
        missing = [col for col in self.columns.values() if col.strip().lower() not in index]
        if missing:
            raise HarvestError(
                f"columns {missing} of the source's `columns:` mapping are not in the file's header "
                f"{header}; fix sources.yaml or the export",
                endpoint=self.url,
            )
        return {field: index[col.strip().lower()] for field, col in self.columns.items()}

    def _record(
        self,
        row: list[str],
        row_number: int,
        header: list[str],
        fields: dict[str, int],
        seen: set[str],
        problems: list[str],
    ) -> RawRecord | None:
        """One row as a raw record, or ``None`` with a problem line saying why it was skipped."""
        longest = max((len(cell) for cell in row), default=0)
        if longest > MAX_CELL_CHARS:
            problems.append(
                f"ligne {row_number} : une cellule de {longest} caractères dépasse la limite de "
                f"{MAX_CELL_CHARS}, ligne ignorée / row {row_number}: a cell of {longest} characters "
                f"is over the {MAX_CELL_CHARS}-character limit, row skipped"
            )
            return None
        if len(row) != len(header):
            problems.append(f"row {row_number}: {len(row)} cells where the header has {len(header)}")
            return None
        if _undecodable(row):
            problems.append(f"row {row_number}: bytes that are neither UTF-8 nor Windows-1252 text")
            return None
        values: dict[str, Any] = {f: row[i].strip() for f, i in fields.items() if row[i].strip()}
        payload = json.dumps(values, ensure_ascii=False, sort_keys=True)
        identifier = values.get("id") or values.get("url") or short_hash(payload)
        if identifier in seen:
            problems.append(f"row {row_number}: identifier {identifier!r} already used by an earlier row")
            return None
        seen.add(identifier)
        return RawRecord(
            identifier=identifier,
            datestamp=None,
            deleted=False,
            metadata_prefix=FORMAT,
            payload=payload,
        )
