"""Le rapport d'une source / a source's report: every record, its issues, its score, what would raise it.

Why: the file a librarian sends to a partner (issue 11, point 5). A partner fixes its export, so the
report lists every record the ledger holds for the source — status, portals, issues with their
French and English messages, the quality score and the ``missing`` parts that would raise it —
and, on top, the source's distribution of scores and its weakest elements
(:mod:`ren_index.quality.summary`). The same rows serve ``ren-index sources report`` (CSV or JSON)
and the web download, and the CSV goes through the audit export's cell writer
(:func:`ren_index.review.queries.csv_cell`): no formula a spreadsheet would run.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.ledger.record_json import record_view
from ren_index.model import Issue, Resource
from ren_index.quality.score import score
from ren_index.quality.summary import SourceQuality, summarize
from ren_index.review.queries import csv_cell

ISSUE_KEYS = ("code", "severity", "field", "value", "message_fr", "message_en")
"""What a partner reads of each issue (``value``: what the record said)."""

CSV_COLUMNS = (
    "id",
    "source_identifier",
    "title",
    "status",
    "portals",
    "quality_score",
    "issue_codes",
    "issues_fr",
    "issues_en",
    "to_raise_fr",
    "to_raise_en",
)


def report_records(
    factory: sessionmaker[Session], source_id: str, vocabularies: Vocabularies | None
) -> list[dict[str, Any]]:
    """Every record of the source, by source identifier: the contract's fields for a partner."""
    records = []
    with factory() as session:
        query = (
            select(ResourceRow, RawRecordRow)
            .join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
            .where(ResourceRow.source_id == source_id)
            .order_by(RawRecordRow.identifier)
        )
        for row, raw in session.execute(query.execution_options(yield_per=500)):
            view = record_view(row, raw, vocabularies=vocabularies)
            records.append(
                {
                    "id": view["id"],
                    "source_identifier": view["source_identifier"],
                    "title": view["title"],
                    "status": view["status"],
                    "portals": view["portals"],
                    "issues": [
                        {
                            k: i.get(k)
                            for k in ("code", "severity", "field", "value", "message_fr", "message_en")
                        }
                        for i in view["issues"]
                    ],
                    "quality": view["quality"],
                }
            )
    return records


def source_quality(session: Session, source_id: str, vocabularies: Vocabularies | None) -> SourceQuality:
    """The distribution of the source's scores and its weakest elements (deleted records left out).

    Scores are recomputed from the records (not read from ``quality_score``) because the weakest
    elements need each record's ``missing`` list; a few tenths of a second for thousands of records.
    """
    qualities = []
    query = select(ResourceRow.record, ResourceRow.issues).where(
        ResourceRow.source_id == source_id, ResourceRow.status != "deleted", ResourceRow.record.is_not(None)
    )
    for record, issues in session.execute(query.execution_options(yield_per=500)):
        resource = Resource.model_validate(record)
        qualities.append(score(resource, [Issue.model_validate(i) for i in issues or ()], vocabularies))
    return summarize(qualities)


def repeated_titles(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The dataset-level pattern on the source: each title that ``TITLE_REPEATED_IN_SOURCE`` flagged,
    with how many records carry it, most repeated first (read from the records' own issues, so the
    threshold is the one of ``validation.yaml`` the records were judged with)."""
    counts = Counter(
        str(issue["value"])
        for record in records
        for issue in record["issues"]
        if issue["code"] == "TITLE_REPEATED_IN_SOURCE" and issue.get("value")
    )
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"title": title, "records": n} for title, n in ordered]


def report_json(
    factory: sessionmaker[Session], source_id: str, vocabularies: Vocabularies | None
) -> dict[str, Any]:
    """``{"source", "quality": {records, mean, median, distribution, weakest}, "repeated_titles":
    [{"title", "records"}], "records": [...]}``."""
    with factory() as session:
        summary = source_quality(session, source_id, vocabularies)
    records = report_records(factory, source_id, vocabularies)
    return {
        "source": source_id,
        "quality": asdict(summary),
        "repeated_titles": repeated_titles(records),
        "records": records,
    }


def _title(title: dict[str, str | None]) -> str:
    return " / ".join(t for t in (title.get("fr"), title.get("en")) if t)


def _csv_row(record: dict[str, Any]) -> list[str]:
    quality = record["quality"] or {"score": None, "missing": []}
    issues = record["issues"]
    missing = quality["missing"]
    values = {
        "id": record["id"],
        "source_identifier": record["source_identifier"],
        "title": _title(record["title"]),
        "status": record["status"],
        "portals": "; ".join(record["portals"]),
        "quality_score": quality["score"],
        "issue_codes": "; ".join(i["code"] for i in issues),
        "issues_fr": "\n".join(f"{i['code']} : {i['message_fr']}" for i in issues),
        "issues_en": "\n".join(f"{i['code']}: {i['message_en']}" for i in issues),
        "to_raise_fr": "\n".join(f"{m['label_fr']} (+{m['points']})" for m in missing),
        "to_raise_en": "\n".join(f"{m['label_en']} (+{m['points']})" for m in missing),
    }
    return [csv_cell(values[c]) for c in CSV_COLUMNS]


def iter_report_csv(records: list[dict[str, Any]]) -> Iterator[str]:
    """The report as CSV (header first, no byte-order mark: the caller adds :data:`CSV_BOM`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for n, record in enumerate(records, 1):
        writer.writerow(_csv_row(record))
        if n % 500 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
