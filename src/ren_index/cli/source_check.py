"""``ren-index sources check``: a source tried before it is added, told to a librarian.

The judgment itself is :func:`ren_index.steps.source_check.check_source` (nothing written to the
ledger); here is only how it reads on a terminal: what the repository says of itself, its formats
and first sets, the projected outcome per portal, the issues by count with their labels and three
examples each, the field coverage, and the ``sources.yaml`` entry to paste. ``--json`` prints the
report as the check built it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from ren_index.cli.support import AppContext, out_console, print_json
from ren_index.config.issue_codes import label
from ren_index.config.sources import SourceConfig

STATUS_WORDS = {
    "approved": "approuvées / approved",
    "needs_review": "à réviser / to review",
    "rejected": "rejetées / rejected",
}
FIELD_WORDS = {
    "title": "titre / title",
    "description": "description",
    "language": "langue / language",
    "level": "niveau / level",
    "licence": "licence",
    "url": "URL",
}


class CheckType(StrEnum):
    oai = "oai"
    rss = "rss"
    jsonld = "jsonld"
    csv = "csv"
    lom_files = "lom-files"


def candidate(
    ctx: AppContext, target: str, kind: CheckType | None, prefix: str | None, set_spec: str | None
) -> SourceConfig:
    """The configured source named ``target``, else a candidate at that URL or path."""
    if target in ctx.sources and kind is None:
        source = ctx.sources[target]
        update: dict[str, Any] = {}
        if prefix:
            update["metadata_prefix"] = prefix
        if set_spec:
            update["sets"] = [set_spec]
        return source.model_copy(update=update) if update else source
    kind = kind or CheckType.oai
    where = {"path": target} if kind is CheckType.lom_files else {"url": target}
    return SourceConfig.model_validate(
        {
            "id": "candidate",
            "name": "candidate",
            "type": kind.value,
            **where,
            **({"metadata_prefix": prefix} if prefix else {}),
            "sets": [set_spec] if set_spec else [],
        }
    )


def check(
    target: Annotated[
        str, typer.Argument(metavar="URL|ID", help="L'adresse à essayer, ou une source configurée.")
    ],
    kind: Annotated[
        CheckType | None, typer.Option("--type", help="oai (défaut), rss, jsonld, csv, lom-files")
    ] = None,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="Format OAI-PMH (le meilleur offert sinon).")
    ] = None,
    set_spec: Annotated[str | None, typer.Option("--set", help="Un ensemble OAI-PMH.")] = None,
    sample: Annotated[int, typer.Option("--sample", min=1, max=1000, help="Notices à juger (50).")] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="Un document JSON sur stdout.")] = False,
) -> None:
    """Essayer une source sans l'ajouter / try a source before adding it (nothing is written)."""
    from ren_index.config.rulebook import Rulebook
    from ren_index.steps.source_check import check_source

    ctx = AppContext()
    source = candidate(ctx, target, kind, prefix, set_spec)
    rulebook = Rulebook.load(ctx.settings.config_dir)
    report = check_source(source, ctx.settings, rulebook, sample=sample, prefix=prefix)
    if json_out:
        print_json(report)
    else:
        render(report, ctx)
    if report["stopped"] is not None and report["sample"]["count"] == 0:
        raise typer.Exit(1)


def render(report: dict[str, Any], ctx: AppContext) -> None:
    """The report for a librarian, French first."""
    say = out_console.print
    about = report["source"]
    say(
        f"Dépôt / repository: {about.get('name') or '—'}  ({about.get('url') or about.get('path')})",
        soft_wrap=True,
    )
    if report["formats"]:
        say("Formats : " + ", ".join(f["prefix"] for f in report["formats"]), soft_wrap=True)
    if about.get("granularity"):
        say(
            f"Granularité / granularity: {about['granularity']} · suppressions / deletions:"
            f" {about.get('deleted_record') or '—'} · depuis / earliest:"
            f" {about.get('earliest_datestamp') or '—'}",
            soft_wrap=True,
        )
    if report["sets"]:
        more = " …" if report["sets_truncated"] else ""
        say(
            f"Ensembles / sets ({len(report['sets'])}{more}): "
            + ", ".join(s["spec"] for s in report["sets"][:10])
        )
    sample = report["sample"]
    say(f"\nÉchantillon / sample: {sample['count']} notices (+ {sample['deleted']} supprimées / deleted)")
    outcomes = Table("issue projetée / projected outcome", "notices")
    for status, words in STATUS_WORDS.items():
        outcomes.add_row(words, str(sample["outcomes"][status]))
    say(outcomes)
    names = {pid: policy.label for pid, policy in ctx.portals.items()}
    for portal, counts in sample["portals"].items():
        shown = ", ".join(
            f"{STATUS_WORDS[s].split(' / ')[0]} {n}" for s, n in counts.items() if s in STATUS_WORDS
        )
        say(f"  {names.get(portal, portal)} : {shown}", soft_wrap=True)
    if sample["issues"]:
        issues = Table("anomalie / issue", "notices", "exemples / examples")
        for code, n in sample["issues"].items():
            examples = "; ".join(e["title"] or e["identifier"] for e in sample["examples"].get(code, []))
            issues.add_row(f"{label(code)} ({code})", str(n), examples)
        say(issues)
    coverage = Table("champ / field", "présent / present")
    for field, share in sample["coverage"].items():
        coverage.add_row(FIELD_WORDS.get(field, field), f"{share:.0%}")
    say(coverage)
    if report["stopped"]:
        stopped = report["stopped"]
        say(
            f"Arrêt / stopped after {stopped['after_records']} notices: {stopped['message']}",
            soft_wrap=True,
            style="bold red",
        )
    say("\nÀ coller dans sources.yaml / to paste into sources.yaml:")
    say(
        yaml.safe_dump({"sources": report["config"]}, allow_unicode=True, sort_keys=False).rstrip(),
        soft_wrap=True,
    )
