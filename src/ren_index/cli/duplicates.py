"""``ren-index duplicates``: suspected duplicates across sources, and the documentalists' word on them.

- ``duplicates [--source S] [--status pending|confirmed|rejected] [--json] [--find]`` lists the
  pairs (titles, sources, relation, score and reasons in words), the groups (primary marked) and
  each source's share of records also described by another source
  (:mod:`ren_index.review.duplicates_report`); ``--json`` prints the report as one document.
  ``--find`` first compares every live record again (:func:`ren_index.steps.duplicates.find_duplicates`
  with ``everything``), with the thresholds of ``validation.yaml`` — what to run after tuning them.
- ``duplicates label ID_A ID_B same|version|translation|part|different [--as NAME]`` and
  ``duplicates primary ID [--as NAME]`` are the web queue's buttons for the shell
  (:mod:`ren_index.review.duplicate_actions`): audited, regrouped, then the records whose documents
  change are published at once as ``review approve`` does — or by the next ``ren-index index``
  when OpenSearch cannot be reached (the label stands either way, exit 0).

An unknown record or relation is one line and exit 1; an unknown ``--status`` or ``--source`` is
refused with the known values (exit 2), as ``queue`` does.
"""

from __future__ import annotations

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
from ren_index.ledger.duplicates import LABELS, STATUSES
from ren_index.ledger.models import SourceRow
from ren_index.review.duplicate_actions import RELATION_WORDS, DuplicateActionResult, choose_primary, label
from ren_index.review.duplicates_report import (
    PAIR_STATUS_WORDS,
    REASON_WORDS,
    duplicates_report,
    percent,
    sources_of,
    titles_of,
)

app = typer.Typer(help="Doublons entre sources / duplicates across sources.", invoke_without_command=True)

TITLE_WIDTH = 70
ID_WIDTH = 12
"""Ids are printed by their first 12 characters: ``label`` and ``primary`` accept such a prefix."""
MEMBER_WORDS = {
    "primary": ("principale", "primary"),
    "same": ("même ressource", "same resource"),
    "version": ("autre version", "another version"),
}
GRADED_REASONS = ("title", "text")
"""Reasons whose value is a degree of likeness (shown as a percentage); the others are yes/no."""


@app.callback()
@handles_errors
def duplicates(
    context: typer.Context,
    source: Annotated[str | None, typer.Option("--source", help="Une source / one source.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="|".join(STATUSES))] = None,
    find: Annotated[
        bool,
        typer.Option(
            "--find",
            help="Comparer d'abord toutes les notices à nouveau / first compare every record again.",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Les doublons entre sources / duplicates across sources: pairs, groups, shares per source."""
    if context.invoked_subcommand is not None:
        return
    if status is not None and status not in STATUSES:
        refuse("--status", status, STATUSES, unknown_fr="statut inconnu", unknown_en="unknown status")
    ctx = AppContext()
    if source is not None:
        _check_source(ctx, source)
    if find:
        _find_again(ctx)
    with ctx.ledger() as session:
        report = duplicates_report(session, source=source, status=status)
        ids = {p[k] for p in report["pairs"] for k in ("a", "b")}
        ids |= {m["id"] for g in report["groups"] for m in g["members"]}
        titles = titles_of(session, ids)
        sources = sources_of(session, ids)
    if json_out:
        print_json(report)
        return
    _print_pairs(report["pairs"], titles, sources)
    _print_groups(report["groups"], titles)
    _print_sources(report["sources"])


def _check_source(ctx: AppContext, source: str) -> None:
    """Refuse a source neither the ledger nor ``sources.yaml`` knows (empty would read as « none »)."""
    with ctx.ledger() as session:
        in_ledger = set(session.scalars(select(SourceRow.id)))
    if source in in_ledger:
        return
    known = sorted(in_ledger | set(ctx.sources.order))
    if source not in known:
        refuse("--source", source, known, unknown_fr="source inconnue", unknown_en="unknown source")


def _find_again(ctx: AppContext) -> None:
    """Every live record signed and compared again, with the configured thresholds."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.duplicates.matcher import rules_from
    from ren_index.steps.duplicates import find_duplicates

    rules = rules_from(Rulebook.load(ctx.settings.config_dir).policy.rules.duplicates)
    run = find_duplicates(ctx.ledger, everything=True, rules=rules)
    err_console.print(run.line(), highlight=False, soft_wrap=True)
    if run.moved:
        err_console.print(
            f"{len(run.moved)} notice(s) à republier : ren-index index"
            f" / {len(run.moved)} record(s) to publish again: ren-index index",
            highlight=False,
            soft_wrap=True,
        )


def _short(title: str) -> str:
    return title if len(title) <= TITLE_WIDTH else title[: TITLE_WIDTH - 1].rstrip() + "…"


def _both(words: tuple[str, str]) -> str:
    return f"{words[0]} / {words[1]}"


def reasons_in_words(reasons: dict[str, Any]) -> str:
    """« titres semblables 100 %, éditions différentes / similar titles 100%, different editions »."""
    fr: list[str] = []
    en: list[str] = []
    for code, value in reasons.items():
        word_fr, word_en = REASON_WORDS.get(code, (code, code))
        if code in GRADED_REASONS and isinstance(value, int | float):
            word_fr, word_en = f"{word_fr} {percent(value, 'fr')}", f"{word_en} {percent(value, 'en')}"
        fr.append(word_fr)
        en.append(word_en)
    return f"{', '.join(fr)} / {', '.join(en)}" if fr else "—"


def _print_pairs(pairs: list[dict[str, Any]], titles: dict[str, str], sources: dict[str, str]) -> None:
    out_console.print(line((f"Paires / pairs ({len(pairs)})", "bold")), soft_wrap=True)
    if not pairs:
        out_console.print(
            "  aucune paire / no pair (ren-index duplicates --find compare tout / compares everything)",
            highlight=False,
            soft_wrap=True,
        )
    for pair in pairs:
        relation = _both(RELATION_WORDS.get(pair["relation"], (pair["relation"], pair["relation"])))
        status = _both(PAIR_STATUS_WORDS.get(pair["status"], (pair["status"], pair["status"])))
        out_console.print(
            line(
                "  ",
                (percent(pair["score"]), "bold"),
                f"  {relation} — ",
                (status, "yellow" if pair["status"] == "pending" else "green"),
            ),
            soft_wrap=True,
        )
        for rid in (pair["a"], pair["b"]):
            out_console.print(
                f"    « {_short(titles.get(rid, '—'))} » ({sources.get(rid, '?')}, {rid[:ID_WIDTH]})",
                highlight=False,
                soft_wrap=True,
            )
        out_console.print(
            f"    raisons / reasons: {reasons_in_words(pair['reasons'])}", highlight=False, soft_wrap=True
        )


def _print_groups(groups: list[dict[str, Any]], titles: dict[str, str]) -> None:
    out_console.print(line((f"Groupes / groups ({len(groups)})", "bold")), soft_wrap=True)
    for group in groups:
        out_console.print(
            f"  groupe / group {group['id'][:ID_WIDTH]} : {len(group['members'])} notices / records",
            highlight=False,
            soft_wrap=True,
        )
        for member in group["members"]:
            words = _both(MEMBER_WORDS.get(member["relation"], (member["relation"], member["relation"])))
            mark = "★" if member["relation"] == "primary" else " "
            out_console.print(
                f"    {mark} {words} : « {_short(titles.get(member['id'], '—'))} »"
                f" ({member['source']}, {member['id'][:ID_WIDTH]})",
                highlight=False,
                soft_wrap=True,
            )


def _print_sources(figures: dict[str, dict[str, Any]]) -> None:
    table = Table(
        "source",
        "notices / records",
        "décrites aussi ailleurs / duplicated elsewhere",
        "part / share",
        title="Doublons entre sources / duplicates across sources",
    )
    for sid, figure in figures.items():
        table.add_row(
            sid, str(figure["records"]), str(figure["duplicated_elsewhere"]), percent(figure["share"])
        )
    out_console.print(table)


def _publish(ctx: AppContext, result: DuplicateActionResult) -> None:
    """Send the records whose documents changed to the index now, as ``review approve`` does."""
    from ren_index.review.publish import publish

    with library_logs_hidden("opensearch", "ren_index.review.publish"):
        published = publish(ctx.ledger, ctx.settings, ctx.vocabularies, sorted(result.affected))
    err_console.print(
        line(
            (f"{published.message_fr} / {published.message_en}", "green" if published.published else "yellow")
        ),
        soft_wrap=True,
    )


@app.command("label")
@handles_errors
def label_command(
    record_a: Annotated[str, typer.Argument(metavar="ID_A")],
    record_b: Annotated[str, typer.Argument(metavar="ID_B")],
    relation: Annotated[str, typer.Argument(metavar="RELATION", help="|".join(LABELS))],
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
) -> None:
    """Dire ce que sont deux notices / say what two records are to each other.

    ``same``, ``version``, ``translation``, ``part`` (the pair is confirmed) or ``different``
    (rejected: never proposed again unless one of the records changes).
    """
    ctx = AppContext()
    result = label(ctx.ledger, record_a, record_b, relation, actor)
    words = _both(RELATION_WORDS[relation])
    status = _both(PAIR_STATUS_WORDS.get(result.status, (result.status, result.status)))
    err_console.print(f"{result.a} ~ {result.b} : {words} — {status}", highlight=False, soft_wrap=True)
    _publish(ctx, result)


@app.command("primary")
@handles_errors
def primary_command(
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    actor: Annotated[str, typer.Option("--as", help="Qui décide / who decides.")] = "cli",
) -> None:
    """Faire d'une notice la principale de son groupe / make a record its group's primary."""
    ctx = AppContext()
    result = choose_primary(ctx.ledger, record_id, actor)
    err_console.print(
        f"{result.a} : notice principale de son groupe / its group's primary record",
        highlight=False,
        soft_wrap=True,
    )
    _publish(ctx, result)
