"""The documentalists' commands: ``queue`` and ``review show|approve|reject|undo ID``.

The same decisions as the web UI (:mod:`ren_index.review.decisions`), for the shell and scripts,
published the same way: at once (:func:`ren_index.review.publish.publish`), or — when OpenSearch
cannot be reached — by the next ``ren-index index``, which the command says in the web app's words.
A decision on a platform's contribution is then told to that platform, as the web app does
(:func:`ren_index.contributions.callbacks.deliver_pending`, which never fails the command).

``queue`` shows since when each record waits and ``review show`` the record's history, in Montreal
time with the zone like every date a person reads (``config.clock.local_time``). ``queue`` shows each
issue by its label with its code beside it (« Titre manquant
(TITLE_MISSING) », from :mod:`ren_index.config.issue_codes`); ``--json`` keeps the codes. An
``--issue``, ``--status``, ``--source`` or ``--link`` (what the record's link does now:
``broken``, ``soft_404``, ``ok``…) it does not know is refused with the known values (exit
2) rather than answered with an empty queue.

``review show`` prints the record's version; ``review approve|reject ID --version N`` decides only
if the record is still at that version, and otherwise says what changed since and exits 1 (a
script that read a record, then decides, never overwrites a colleague's decision unknowingly).
``review undo ID`` puts the record back as it was before the newest decision, within ten minutes,
by its author (``--as``) or an admin (:mod:`ren_index.review.undo`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

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
    refuse,
)
from ren_index.config.clock import local_time
from ren_index.config.issue_codes import canonical, known_codes, label
from ren_index.contributions.callbacks import deliver_pending
from ren_index.ledger.link_health import link_view
from ren_index.ledger.models import RawRecordRow, ResourceRow, SourceRow, User
from ren_index.ledger.record_json import record_view
from ren_index.model import Status
from ren_index.review.claims import live_claims
from ren_index.review.decisions import PersonDecision, decide_by_person, find_resource
from ren_index.review.link_report import KINDS as LINK_KINDS
from ren_index.review.link_report import kinds_of
from ren_index.review.queries import CONTRIBUTIONS, HARVESTED, history, platforms_of, source_types
from ren_index.review.undo import undo_decision

app = typer.Typer()
review_app = typer.Typer(help="Décisions sur un enregistrement / record decisions.", no_args_is_help=True)
app.add_typer(review_app, name="review")

STATUSES = (*(s.value for s in Status), "all")
"""What ``queue --status`` accepts."""


class Origin(StrEnum):
    """Where the records of ``queue --origin`` come from (``review.queries.ORIGINS``)."""

    CONTRIBUTIONS = CONTRIBUTIONS
    HARVESTED = HARVESTED


@app.command()
@handles_errors
def queue(
    source: Annotated[str | None, typer.Option("--source")] = None,
    issue: Annotated[
        str | None, typer.Option("--issue", help="Code d'anomalie / issue code, ex. TITLE_MISSING.")
    ] = None,
    status: Annotated[str, typer.Option("--status", help="|".join(STATUSES))] = "needs_review",
    origin: Annotated[
        Origin | None,
        typer.Option(
            "--origin", help="contributions (des plateformes / of platforms) | harvested (moissonnées)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit")] = 200,
    claimed: Annotated[
        str, typer.Option("--claimed", help="mine (les miens, avec --as) | unclaimed (non pris) | all.")
    ] = "all",
    actor: Annotated[str, typer.Option("--as", help="Qui « mine » désigne / whom mine means.")] = "cli",
    link: Annotated[
        str | None, typer.Option("--link", help="État du lien / link state: " + " | ".join(LINK_KINDS) + ".")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """La file de validation / the validation queue."""
    if link is not None and link not in LINK_KINDS:
        refuse("--link", link, LINK_KINDS, unknown_fr="état de lien inconnu", unknown_en="unknown link state")
    if claimed not in ("mine", "unclaimed", "all"):
        choices = ("mine", "unclaimed", "all")
        refuse("--claimed", claimed, choices, unknown_fr="valeur inconnue", unknown_en="unknown value")
    code = _issue_code(issue) if issue else None  # empty: no filter, as before
    if status not in STATUSES:
        refuse("--status", status, STATUSES, unknown_fr="statut inconnu", unknown_en="unknown status")
    ctx = AppContext()
    types = source_types(ctx.ledger)
    if source:
        _check_source(ctx, source, types)
    with ctx.ledger() as session:
        query = select(ResourceRow, RawRecordRow).join(RawRecordRow, ResourceRow.raw_id == RawRecordRow.id)
        if status != "all":
            query = query.where(ResourceRow.status == status)
        if source:
            query = query.where(ResourceRow.source_id == source)
        if origin is not None:
            platforms = select(SourceRow.id).where(SourceRow.type == CONTRIBUTIONS)
            inside = ResourceRow.source_id.in_(platforms)
            query = query.where(inside if origin is Origin.CONTRIBUTIONS else ~inside)
        views: list[dict[str, Any]] = []
        since: dict[str, datetime] = {}
        for r, raw in session.execute(query.order_by(ResourceRow.decided_at)):
            views.append(
                record_view(r, raw, vocabularies=ctx.vocabularies, source_type=types.get(r.source_id))
            )
            since[r.id] = r.decided_at
    if code is not None:
        views = [v for v in views if any(i["code"] == code for i in v["issues"])]
    if claimed != "all":  # claims of the review UI (issue 14): who has which record open now
        with ctx.ledger() as session:
            held = {rid: c.user_name for rid, c in live_claims(session).items()}
        mine = claimed == "mine"
        views = [v for v in views if (held.get(v["id"]) == actor if mine else v["id"] not in held)]
    if link is not None:  # what the link does now (review.link_report), as the web queue's filter
        with ctx.ledger() as session:
            kinds = kinds_of(session, [v["id"] for v in views])
        views = [v for v in views if kinds.get(v["id"]) == link]
    views = views[:limit]
    if json_out:
        print_json(views)
        return
    table = Table("id", "source", "statut", "depuis / since", "titre / title", "anomalies / issues")
    for v in views:
        table.add_row(
            v["id"][:12],
            v["source"] + (" (contribution)" if v["source_type"] == CONTRIBUTIONS else ""),
            v["status"],
            local_time(since[v["id"]]),
            (v["title"]["fr"] or v["title"]["en"] or "—")[:60],
            ", ".join(_issue_cell(str(i["code"])) for i in v["issues"]),
        )
    out_console.print(table)
    err_console.print(f"{len(views)} enregistrement(s) / record(s)")


def _issue_code(typed: str) -> str:
    """The catalogued code ``--issue`` names, whatever its case; an unknown one is refused.

    Refused rather than matched against nothing, which would print an empty queue as if no
    record had the issue.
    """
    code = canonical(typed)
    if code is None:
        known = [f"{c} ({label(c, 'fr')})" for c in known_codes()]
        refuse("--issue", typed, known, unknown_fr="code d'anomalie inconnu", unknown_en="unknown issue code")
    return code


def _check_source(ctx: AppContext, source: str, in_ledger: Mapping[str, str]) -> None:
    """Refuse a source neither ``sources.yaml`` nor the ledger knows (a platform is in the ledger).

    ``sources.yaml`` is read only for a source the ledger does not hold: one configured but never
    harvested yet is known (its queue is empty, truly), and a ledger source removed from the file
    since still has records to review.
    """
    if source in in_ledger:
        return
    known = sorted({*ctx.sources.order, *in_ledger})
    if source not in known:
        refuse("--source", source, known, unknown_fr="source inconnue", unknown_en="unknown source")


def _issue_cell(code: str) -> str:
    """« Titre manquant (TITLE_MISSING) »: the label people read, the code to type in ``--issue``."""
    words = label(code, "fr")
    return code if words == code else f"{words} ({code})"


@review_app.command("show")
@handles_errors
def review_show(record_id: str, json_out: JsonOpt = False) -> None:
    """Afficher un enregistrement et ses anomalies / show a record and its issues."""
    ctx = AppContext()
    with ctx.ledger() as session:
        row = find_resource(session, record_id)
        version = row.version or 1
        source = session.get(SourceRow, row.source_id)
        view = record_view(
            row,
            session.get(RawRecordRow, row.raw_id),
            vocabularies=ctx.vocabularies,
            source_type=source.type if source else None,
        )
        view["link"] = link_view(session, row.id)
    if json_out:
        print_json({**view, "version": version})
        return
    out_console.print(line((view["title"]["fr"] or view["title"]["en"] or "—", "bold")), soft_wrap=True)
    for key in ("id", "source", "source_identifier", "status", "portals", "url", "languages"):
        out_console.print(f"  {key}: {view[key]}", highlight=False, soft_wrap=True)
    out_console.print(
        f"  version: {version}  (review approve|reject {view['id'][:12]} --version {version})",
        highlight=False,
        soft_wrap=True,
    )
    contributor = view["contributor"] or {}
    if view["source_type"] == CONTRIBUTIONS:
        who = contributor.get("display_name") or contributor.get("id") or "—"
        org = f" ({contributor['organisation']})" if contributor.get("organisation") else ""
        out_console.print(f"  contribution de / contributed by: {who}{org}", highlight=False, soft_wrap=True)
    for issue in view["issues"]:
        out_console.print(
            line("  ", (str(issue["code"]), "yellow"), f" ({issue['severity']}) {issue['message_fr']}"),
            soft_wrap=True,
        )
    _print_history(history(ctx.ledger, view["id"]))


def _print_history(events: list[dict[str, Any]]) -> None:
    """The record's audit trail, newest first, each event at its Montreal time with the zone."""
    if not events:
        return
    out_console.print("  historique / history:", highlight=False)
    for event in events:
        before = (event.get("before") or {}).get("status")
        after = (event.get("after") or {}).get("status")
        change = f" {before or '—'} → {after}" if after and after != before else ""
        comment = f" « {event['comment']} »" if event.get("comment") else ""
        out_console.print(
            f"    {local_time(event['at'])}  {event['actor']}  {event['action']}{change}{comment}",
            highlight=False,
            soft_wrap=True,
        )


VersionOpt = Annotated[
    int | None,
    typer.Option(
        "--version",
        min=1,
        help="La version vue (review show) : refus si la notice a changé depuis / the version you saw"
        " (review show): refused if the record changed since.",
    ),
]


@review_app.command("approve")
@handles_errors
def review_approve(
    record_id: str,
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    version: VersionOpt = None,
) -> None:
    """Approuver et publier un enregistrement / approve a record and publish it at once."""
    _decide_and_publish(AppContext(), record_id, "approved", actor=actor, comment=comment, version=version)


@review_app.command("reject")
@handles_errors
def review_reject(
    record_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Motif du rejet / reason.")],
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
    version: VersionOpt = None,
) -> None:
    """Rejeter un enregistrement / reject a record (and take it out of the index at once)."""
    _decide_and_publish(AppContext(), record_id, "rejected", actor=actor, comment=reason, version=version)


@review_app.command("undo")
@handles_errors
def review_undo(
    record_id: str,
    actor: Annotated[str, typer.Option("--as", help="L'auteur de la décision / who decided.")] = "cli",
    version: VersionOpt = None,
) -> None:
    """Annuler la dernière décision (10 min) / undo the newest decision (within 10 minutes).

    By its author (``--as`` the name it was taken under) or by an account whose role is admin.
    """
    from ren_index.review.publish import publish

    ctx = AppContext()
    with ctx.ledger() as session:
        full_id = find_resource(session, record_id).id
        account = session.scalar(select(User).where(User.name == actor))
        role = account.role if account is not None else None
    done = undo_decision(ctx.ledger, full_id, actor=actor, role=role, expected_version=version)
    err_console.print(
        f"{full_id}: {done.undone_action} annulée / undone → {done.status}", highlight=False, soft_wrap=True
    )
    with library_logs_hidden("opensearch", "ren_index.review.publish"):
        result = publish(ctx.ledger, ctx.settings, ctx.vocabularies, [full_id])
    err_console.print(
        line((f"{result.message_fr} / {result.message_en}", "green" if result.published else "yellow")),
        soft_wrap=True,
    )
    _tell_platforms(ctx, full_id)


def _decide_and_publish(
    ctx: AppContext,
    record_id: str,
    decision: PersonDecision,
    *,
    actor: str,
    comment: str | None,
    version: int | None = None,
) -> None:
    """The decision, then its publication, as the web app does; the decision stands either way.

    When OpenSearch cannot be reached the decision is saved all the same and the command says
    that the next ``ren-index index`` publishes it (exit 0: the decision, its job, is done).
    """
    from ren_index.review.publish import publish

    with ctx.ledger() as session:
        full_id = find_resource(session, record_id).id  # a prefix names one record; publish needs its id
    status = decide_by_person(
        ctx.ledger, full_id, decision, actor=actor, comment=comment, expected_version=version
    )
    err_console.print(f"{full_id}: {status}", highlight=False)
    with library_logs_hidden("opensearch", "ren_index.review.publish"):
        result = publish(ctx.ledger, ctx.settings, ctx.vocabularies, [full_id])
    err_console.print(
        line((f"{result.message_fr} / {result.message_en}", "green" if result.published else "yellow")),
        soft_wrap=True,
    )
    _tell_platforms(ctx, full_id)


def _tell_platforms(ctx: AppContext, record_id: str) -> None:
    """Tell the platform of a decided contribution (nothing for a harvested record: one query).

    After the publication, as in the web app; ``deliver_pending`` never raises and is bounded in
    time, so a platform that is down costs the command a few seconds at most and never its exit
    status. What it could not deliver waits in the audit trail for the next decision or command.
    """
    for name in platforms_of(ctx.ledger, [record_id]):
        with library_logs_hidden("ren_index.contributions.callbacks"):
            counts = deliver_pending(ctx.ledger, ctx.settings, platform=name)
        if counts.get("delivered"):
            err_console.print(
                f"{name}: {counts['delivered']} avis envoyé(s) / notice(s) sent",
                highlight=False,
                soft_wrap=True,
            )
        elif counts.get("failed") or counts.get("errors"):
            err_console.print(
                line(
                    (
                        f"{name}: avis non envoyé, nouvel essai plus tard / notice not sent, retried later",
                        "yellow",
                    )
                ),
                soft_wrap=True,
            )
