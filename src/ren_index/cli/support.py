"""What every command shares: the context (settings, ledger, sources), output and error handling.

Logs and progress go to stderr; ``--json`` output is one JSON document on stdout, so scripts and
cron jobs can rely on it. A :class:`RenIndexError` becomes one line on stderr and exit status 1.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rules import PortalPolicy, load_portals
from ren_index.config.sources import SourceConfig, get_source, load_sources
from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.errors import RenIndexError
from ren_index.ledger.db import open_ledger
from ren_index.settings import Settings, load_settings

err_console = Console(stderr=True)
out_console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Un document JSON sur stdout.")]

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
    def sources(self) -> dict[str, SourceConfig]:
        return load_sources(self.settings.config_dir / "sources.yaml")

    @cached_property
    def portals(self) -> dict[str, PortalPolicy]:
        """The portals of ``portals.yaml`` (their ids name the filtered index aliases)."""
        return load_portals(self.settings.config_dir)

    @cached_property
    def vocabularies(self) -> Vocabularies:
        return load_vocabularies(self.settings.config_dir)

    def source(self, source_id: str) -> SourceConfig:
        return get_source(self.sources, source_id)


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr through rich; INFO with ``--verbose``, warnings otherwise."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, rich_tracebacks=False)],
        force=True,
    )


@contextmanager
def command_errors() -> Iterator[None]:
    """Turn a run-level error into one line on stderr and a non-zero exit status."""
    try:
        yield
    except RenIndexError as exc:
        err_console.print(f"[bold red]erreur / error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


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
    """A run report for people: status and counts on one or two lines, on stderr."""
    status = report.get("status", "?")
    colour = {"completed": "green", "failed": "red", "held": "yellow"}.get(status, "white")
    counts = ", ".join(f"{k}={v}" for k, v in report.get("counts", {}).items())
    err_console.print(
        f"[bold]{report.get('source', '')}[/] {report.get('kind', '')}: [{colour}]{status}[/] {counts}",
        highlight=False,
    )
    if report.get("error"):
        error = report["error"]
        err_console.print(f"  [red]{error.get('message')}[/]", highlight=False)
        if error.get("resume"):
            err_console.print(f"  reprendre / resume: {error['resume']}", highlight=False)


def finish(report: Mapping[str, Any], json_out: bool) -> None:
    """Print a run report (JSON or words); a failed run exits 1 after saying where it stopped."""
    if json_out:
        print_json(report)
    else:
        print_report(report)
    if report.get("status") == "failed":
        raise typer.Exit(1)
