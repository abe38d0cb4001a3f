"""``ren-index sources``: the configured sources, their counts per status and their last run.

A broken entry of ``sources.yaml`` is listed too, in its place, with its error: the list is where a
librarian looks first when a source does not run (``--json`` carries ``"error"``, null when valid).
The contributions platforms (``ren-index platforms``) follow, read from the ledger: they are sources
without a ``sources.yaml`` entry or a URL (``"platform": true``).

Each source says where to see it in the review UI: its page (``"page"``) and its check page filled
for it (``"check"``; ``null`` for a platform, which nothing harvests): absolute addresses under
``REN_PUBLIC_URL``, else their paths. A broken entry the ledger never saw has neither (``null``):
neither page could find it.

``sources report SOURCE`` is the feedback file for a partner (:mod:`ren_index.review.source_report`);
``sources check URL|ID`` tries a source before it is added (:mod:`ren_index.cli.source_check`).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from ren_index.cli.source_check import check
from ren_index.cli.support import AppContext, JsonOpt, handles_errors, line, out_console, print_json
from ren_index.config.clock import local_time
from ren_index.ledger import store
from ren_index.ledger.models import SourceRow
from ren_index.review.queries import CSV_BOM
from ren_index.review.source_page import source_links
from ren_index.review.source_report import iter_report_csv, report_json
from ren_index.runs.report import run_report

app = typer.Typer(help="Les sources configurées / configured sources.", no_args_is_help=True)

app.command("check")(handles_errors(check))

BROKEN = "invalide / broken"
PLATFORM = "contributions (plateforme / platform)"


@app.command("list")
@handles_errors
def sources_list(json_out: JsonOpt = False) -> None:
    """Les sources, leurs comptes par statut et leur dernière moisson / sources with counts and last run."""
    ctx = AppContext()
    sources = ctx.sources
    public_url = ctx.settings.public_url
    rows: list[dict[str, Any]] = []
    with ctx.ledger() as session:
        for source_id in sources.order:
            valid = sources.get(source_id)
            broken = sources.broken.get(source_id)
            last = store.last_run(session, source_id)
            rows.append(
                {
                    "id": source_id,
                    "name": valid.name if valid else broken.name if broken else None,
                    "type": valid.type if valid else broken.type if broken else None,
                    "url": (valid.url or None) if valid else broken.url if broken else None,
                    "path": valid.path if valid else None,
                    "platform": False,
                    "error": broken.error if broken else None,
                    "counts": store.status_counts(session, source_id),
                    "last_run": run_report(last) if last else None,
                    **_links(
                        source_id,
                        public_url,
                        known=valid is not None or bool(session.get(SourceRow, source_id)),
                    ),
                }
            )
        # Platforms are sources of the ledger only (``ren-index platforms add``), not of sources.yaml.
        platform_rows = session.scalars(
            select(SourceRow).where(SourceRow.type == "contributions").order_by(SourceRow.id)
        )
        for row in platform_rows:
            if row.id in sources.order:
                continue
            last = store.last_run(session, row.id)
            rows.append(
                {
                    "id": row.id,
                    "name": row.name,
                    "type": row.type,
                    "url": None,
                    "path": None,
                    "platform": True,
                    "error": None,
                    "counts": store.status_counts(session, row.id),
                    "last_run": run_report(last) if last else None,
                    **source_links(row.id, public_url, checkable=False),
                }
            )
    if json_out:
        print_json(rows)
        return
    table = Table(
        "source",
        "nom / name",
        "type",
        "total",
        "approuvés",
        "à réviser",
        "rejetés",
        "supprimés",
        "dernière moisson / last run",
    )
    for r in rows:
        c, last = r["counts"], r["last_run"]
        table.add_row(
            r["id"],
            r["name"] or "—",
            Text(BROKEN, style="bold red") if r["error"] else PLATFORM if r["platform"] else r["type"],
            str(c["total"]),
            str(c["approved"]),
            str(c["needs_review"]),
            str(c["rejected"]),
            str(c["deleted"]),
            f"{last['status']} {local_time(last['started_at'])}" if last else "—",
        )
    out_console.print(table)
    for r in rows:
        if r["error"]:
            out_console.print(line((BROKEN, "bold red"), f" {r['id']}: {r['error']}"), soft_wrap=True)
    _print_links(rows, public_url)


def _links(source_id: str, public_url: str | None, *, known: bool) -> dict[str, str | None]:
    """The source's page and check page; none for a broken entry the ledger never saw."""
    return source_links(source_id, public_url) if known else {"page": None, "check": None}


def _print_links(rows: list[dict[str, Any]], public_url: str | None) -> None:
    """Under the table, whole (a table cell would cut an address): where to see each source."""
    listed = [r for r in rows if r["page"]]
    if not listed:
        return
    out_console.print("Où les voir / where to see them:")
    for r in listed:
        check = f"  ·  essai / check: {r['check']}" if r["check"] else ""
        out_console.print(f"  {r['id']}  page: {r['page']}{check}", soft_wrap=True)
    if not public_url:
        out_console.print(
            "  (chemins de l'interface ; REN_PUBLIC_URL en fait des adresses complètes"
            " / paths in the review UI; REN_PUBLIC_URL makes them full addresses)",
            soft_wrap=True,
        )


class ReportFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.command("report")
@handles_errors
def sources_report(
    source_id: Annotated[str, typer.Argument(metavar="SOURCE")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="csv (Excel, UTF-8 avec BOM) | json")] = (
        ReportFormat.csv
    ),
) -> None:
    """Le rapport à envoyer au partenaire / the report to send to the partner.

    Every record of the source: status, portals, issues (French and English messages), quality score
    and what would raise it. A broken entry of sources.yaml is reported too (its records are still
    in the ledger); an unknown source is one line and exit 1.
    """
    ctx = AppContext()
    if source_id not in ctx.sources.broken:
        ctx.source(source_id)
    document = report_json(ctx.ledger, source_id, ctx.vocabularies)
    if fmt is ReportFormat.json:
        print_json(document)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(CSV_BOM.encode())  # UTF-8 whatever the terminal's locale: it is a file
    for chunk in iter_report_csv(document["records"]):
        sys.stdout.buffer.write(chunk.encode("utf-8"))
    sys.stdout.buffer.flush()
