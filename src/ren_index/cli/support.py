"""What every command shares: the context (settings, ledger, sources), output and error handling.

Logs and progress go to stderr; ``--json`` output is one JSON document on stdout, so scripts and
cron jobs can rely on it. A :class:`RenIndexError` becomes one line on stderr and exit status 1.

Everything printed is data first: titles, OAI-PMH error texts, source names and URLs come from
partners and from ``sources.yaml``, and a title holding ``[/bold]`` must print as is, not crash the
command (or, worse, turn into a hyperlink). So both consoles interpret **no** markup and no emoji
codes (``markup=False, emoji=False``): a plain string is always printed literally, whoever writes
the ``print``. Our own colours are explicit: :func:`line` pieces a line together from ``(words,
style)`` pairs and plain data, and table cells that need a colour are :class:`rich.text.Text`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rules import PortalPolicy, load_portals
from ren_index.config.sources import SourceConfig, Sources, get_source, load_sources
from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.errors import RenIndexError
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import SourceRow
from ren_index.runs.report import problems_hint
from ren_index.settings import Settings, load_settings

# No markup, no emoji codes: harvested and configured text is printed literally (see above).
err_console = Console(stderr=True, markup=False, emoji=False)
out_console = Console(markup=False, emoji=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Un document JSON sur stdout.")]

STATUS_COLOURS = {"completed": "green", "failed": "red", "held": "yellow", "running": "cyan"}

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class AppContext:
    """Lazily opened resources of one command invocation (nothing is opened at import)."""

    settings: Settings = field(default_factory=load_settings)

    @cached_property
    def ledger(self) -> sessionmaker[Session]:
        return open_ledger(self.settings.db_url)

    @cached_property
    def sources(self) -> Sources:
        """The valid sources; the broken entries wait in ``sources.broken`` with their error."""
        return load_sources(self.settings.config_dir / "sources.yaml")

    @cached_property
    def portals(self) -> dict[str, PortalPolicy]:
        """The portals of ``portals.yaml`` (their ids name the filtered index aliases)."""
        return load_portals(self.settings.config_dir)

    @cached_property
    def vocabularies(self) -> Vocabularies:
        return load_vocabularies(self.settings.config_dir)

    def source(self, source_id: str) -> SourceConfig:
        """The named source, or one line: its entry's error, or the sources that exist."""
        return get_source(self.sources, source_id)

    def platforms(self) -> list[SourceConfig]:
        """The contributing platforms (``ren-index platforms add``): sources of the ledger only.

        They are processed like the sources of ``sources.yaml`` (a rules change redoes their
        records too) but never harvested: their platform pushes.
        """
        with self.ledger() as session:
            rows = session.scalars(
                select(SourceRow).where(SourceRow.type == "contributions").order_by(SourceRow.id)
            ).all()
            return [SourceConfig.model_validate(r.config) for r in rows if r.id not in self.sources]

    def processable(self, source_id: str) -> SourceConfig:
        """A source of ``sources.yaml`` or a platform, by id (what ``process`` accepts)."""
        for platform in self.platforms():
            if platform.id == source_id and source_id not in self.sources:
                return platform
        return self.source(source_id)


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr through rich; INFO with ``--verbose``, warnings otherwise.

    The handler prints a record's message as plain text (``markup=False``, rich's default, kept
    explicit): messages carry harvested text too.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=False, markup=False)],
        force=True,
    )


def is_verbose() -> bool:
    """Whether ``-v`` was given (the root logger then takes INFO records)."""
    return logging.getLogger().isEnabledFor(logging.INFO)


class _DropLoggers(logging.Filter):
    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(record.name == n or record.name.startswith(n + ".") for n in self.names)


@contextmanager
def library_logs_hidden(*names: str) -> Iterator[None]:
    """Keep these libraries' log records off the terminal, unless ``-v``.

    Used where a library logs its own view of a failure we report ourselves in one line:
    Prefect's task and flow logs (with their tracebacks) when indexing fails during ``run``, the
    OpenSearch client's warnings when a decision cannot be published at once. With ``-v`` they
    all show, as they happen; Prefect's own handlers (its API, its UI) are not touched.
    """
    if is_verbose():
        yield
        return
    drop = _DropLoggers(names)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(drop)


def line(*parts: str | tuple[str, str]) -> Text:
    """One line of output: ``(words, style)`` pairs are our colours, plain strings are data.

    Nothing in it is read as markup, so a title or an error text from a partner is printed as
    it is, whatever brackets it holds: ``line(("erreur / error:", "bold red"), " ", message)``.
    """
    return Text.assemble(*parts)


@contextmanager
def command_errors() -> Iterator[None]:
    """Turn a run-level error into one line on stderr and a non-zero exit status."""
    try:
        yield
    except RenIndexError as exc:
        err_console.print(error_line(str(exc)), soft_wrap=True)
        raise typer.Exit(1) from exc


def error_line(message: str) -> Text:
    """The one line a command ends with when it could not do its job."""
    return line(("erreur / error:", "bold red"), " ", " ".join(message.split()))


def refuse(option: str, value: str, known: Iterable[str], *, unknown_fr: str, unknown_en: str) -> NoReturn:
    """Refuse an option's value the command does not know: one line listing the known ones, exit 2.

    Answering nothing to ``--issue TITEL_MISSING`` would read as "no such record"; the refusal
    says the mistake and what would work (``unknown_fr`` = "statut inconnu", ``unknown_en`` =
    "unknown status"). Exit 2 like click's usage errors, apart from 1: the command never ran.
    """
    listed = ", ".join(known) or "—"
    err_console.print(
        error_line(
            f"{option} : {unknown_fr} « {value} » / {unknown_en} '{value}';"
            f" valeurs connues / known values: {listed}"
        ),
        soft_wrap=True,
    )
    raise typer.Exit(2)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`command_errors` for typer commands."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with command_errors():
            return func(*args, **kwargs)

    return wrapper


def print_json(document: Any) -> None:
    """One JSON document on stdout (never through rich, which would wrap lines)."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_report(report: Mapping[str, Any]) -> None:
    """A run report for people: status and counts on one or two lines, on stderr.

    A harvest with errors says where to read them (« 3 problème(s) : ren-index runs 7 »); a failed
    one says what to do: ``fix`` (correct something first) or ``resume`` (run it again).
    """
    status = str(report.get("status", "?"))
    colour = STATUS_COLOURS.get(status, "white")
    counts = ", ".join(f"{k}={v}" for k, v in report.get("counts", {}).items())
    err_console.print(
        line(
            (str(report.get("source", "")), "bold"),
            f" {report.get('kind', '')}: ",
            (status, colour),
            f" {counts}",
        ),
        highlight=False,
        soft_wrap=True,
    )
    hint = problems_hint(report)
    if hint:  # errors=N never alone: where to read them
        err_console.print(line("  ", (hint, "yellow")), highlight=False, soft_wrap=True)
    if report.get("error"):
        error = report["error"]
        err_console.print(line("  ", (str(error.get("message")), "red")), highlight=False, soft_wrap=True)
        if error.get("fix"):
            err_console.print(f"  corriger / fix: {error['fix']}", highlight=False, soft_wrap=True)
        elif error.get("resume"):
            err_console.print(f"  reprendre / resume: {error['resume']}", highlight=False, soft_wrap=True)


def finish(report: Mapping[str, Any], json_out: bool) -> None:
    """Print a run report (JSON or words); a failed run exits 1 after saying where it stopped."""
    if json_out:
        print_json(report)
    else:
        print_report(report)
    if report.get("status") == "failed":
        raise typer.Exit(1)
