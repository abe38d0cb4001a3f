"""The documentalists' commands: ``queue`` and ``review show|approve|reject ID``.

The same decisions as the web UI (:mod:`ren_index.review.decisions`), for the shell and scripts,
published the same way: at once (:func:`ren_index.review.publish.publish`), or — when OpenSearch
cannot be reached — by the next ``ren-index index``, which the command says in the web app's words.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from ren_index.cli.support import (
    AppContext,
    JsonOpt,
    err_console,
    handles_errors,
    library_logs_hidden,
    line,
    out_console,
    print_json,
)
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.ledger.record_json import record_view
from ren_index.review.decisions import PersonDecision, decide_by_person, find_resource

app = typer.Typer()
review_app = typer.Typer(help="Décisions sur un enregistrement / record decisions.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@app.command()
@handles_errors
def queue(
    source: Annotated[str | None, typer.Option("--source")] = None,
    issue: Annotated[str | None, typer.Option("--issue", help="Code d'anomalie, ex. TITLE_MISSING.")] = None,
    status: Annotated[
        str, typer.Option("--status", help="needs_review|approved|rejected|deleted|all")
    ] = "needs_review",
    limit: Annotated[int, typer.Option("--limit")] = 200,
    json_out: JsonOpt = False,
) -> None:
    """La file de validation / the validation queue."""
    ctx = AppContext()
    with ctx.ledger() as session:
        query = select(ResourceRow, RawRecordRow).join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
        if status != "all":
            query = query.where(ResourceRow.status == status)
        if source:
            query = query.where(ResourceRow.source_id == source)
        views = [
            record_view(r, raw, vocabularies=ctx.vocabularies)
            for r, raw in session.execute(query.order_by(ResourceRow.decided_at))
        ]
    if issue:
        views = [v for v in views if any(i["code"] == issue for i in v["issues"])]
    views = views[:limit]
    if json_out:
        print_json(views)
        return
    table = Table("id", "source", "statut", "titre / title", "anomalies / issues")
    for v in views:
        table.add_row(
            v["id"][:12],
            v["source"],
            v["status"],
            (v["title"]["fr"] or v["title"]["en"] or "—")[:60],
            ", ".join(i["code"] for i in v["issues"]),
        )
    out_console.print(table)
    err_console.print(f"{len(views)} enregistrement(s) / record(s)")


@review_app.command("show")
@handles_errors
def review_show(record_id: str, json_out: JsonOpt = False) -> None:
    """Afficher un enregistrement et ses anomalies / show a record and its issues."""
    ctx = AppContext()
    with ctx.ledger() as session:
        row = find_resource(session, record_id)
        view = record_view(row, session.get(RawRecordRow, row.raw_id), vocabularies=ctx.vocabularies)
    if json_out:
        print_json(view)
        return
    out_console.print(line((view["title"]["fr"] or view["title"]["en"] or "—", "bold")), soft_wrap=True)
    for key in ("id", "source", "source_identifier", "status", "portals", "url", "languages"):
        out_console.print(f"  {key}: {view[key]}", highlight=False, soft_wrap=True)
    for issue in view["issues"]:
        out_console.print(
            line("  ", (str(issue["code"]), "yellow"), f" ({issue['severity']}) {issue['message_fr']}"),
            soft_wrap=True,
        )


@review_app.command("approve")
@handles_errors
def review_approve(
    record_id: str,
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
    comment: Annotated[str | None, typer.Option("--comment")] = None,
) -> None:
    """Approuver et publier un enregistrement / approve a record and publish it at once."""
    _decide_and_publish(AppContext(), record_id, "approved", actor=actor, comment=comment)


@review_app.command("reject")
@handles_errors
def review_reject(
    record_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Motif du rejet / reason.")],
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
) -> None:
    """Rejeter un enregistrement / reject a record (and take it out of the index at once)."""
    _decide_and_publish(AppContext(), record_id, "rejected", actor=actor, comment=reason)


def _decide_and_publish(
    ctx: AppContext, record_id: str, decision: PersonDecision, *, actor: str, comment: str | None
) -> None:
    """The decision, then its publication, as the web app does; the decision stands either way.

    When OpenSearch cannot be reached the decision is saved all the same and the command says
    that the next ``ren-index index`` publishes it (exit 0: the decision, its job, is done).
    """
    from ren_index.review.publish import publish

    with ctx.ledger() as session:
        full_id = find_resource(session, record_id).id  # a prefix names one record; publish needs its id
    status = decide_by_person(ctx.ledger, full_id, decision, actor=actor, comment=comment)
    err_console.print(f"{full_id}: {status}", highlight=False)
    with library_logs_hidden("opensearch", "ren_index.review.publish"):
        result = publish(ctx.ledger, ctx.settings, ctx.vocabularies, [full_id])
    err_console.print(
        line((f"{result.message_fr} / {result.message_en}", "green" if result.published else "yellow")),
        soft_wrap=True,
    )
