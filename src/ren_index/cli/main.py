"""The ``ren-index`` command line (DESIGN.md, "Command line"), assembled from one module per group.

Every command is a thin shell over a step or a domain package; each group lives in its own module
(``cli/pipeline.py``, ``cli/review.py``…) with its own ``typer.Typer``, and this module only lists
them. Nothing registers itself by being imported: a new command group is one module and one line
below.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ren_index import __version__
from ren_index.cli import (
    demo,
    duplicates,
    links,
    openapi,
    opensearch,
    pipeline,
    platforms,
    review,
    runs,
    schedule,
    search,
    serve,
    sources,
    users,
)
from ren_index.cli.support import out_console, setup_logging

app = typer.Typer(
    help="ren-index : moissonnage, validation et indexation des REN / harvest, validate, index.",
    no_args_is_help=True,
    add_completion=False,
)
# Groups with a name are sub-commands (``ren-index sources list``); the others add their commands
# to the top level (``ren-index harvest``).
app.add_typer(sources.app, name="sources")
app.add_typer(pipeline.app)
app.add_typer(review.app)
app.add_typer(search.app)
app.add_typer(runs.app)
app.add_typer(schedule.app)
app.add_typer(users.app, name="users")
app.add_typer(platforms.app, name="platforms")
app.add_typer(serve.app)
app.add_typer(opensearch.app, name="opensearch")
app.add_typer(demo.app)
app.add_typer(links.app, name="links")
app.add_typer(duplicates.app, name="duplicates")
app.add_typer(openapi.app)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Journal détaillé (stderr).")] = False,
) -> None:
    setup_logging(verbose)


@app.command()
def version() -> None:
    """Print the version."""
    out_console.print(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
