"""``ren-index openapi [--out FILE]``: the portals' OpenAPI schema, as ``/openapi.json`` serves it.

``docs/openapi.json`` is this command's output, committed so portal developers can read the
contract without running the service (and review its changes in a diff); a test fails when it
is stale, naming this command. The schema comes from the app itself, built over a throw-away
data folder and ledger: exporting never touches the real ones.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ren_index.cli.support import err_console, handles_errors

app = typer.Typer()

DEFAULT_OUT = Path("docs/openapi.json")


def export_text() -> str:
    """The schema's text: what ``/openapi.json`` answers, keys sorted, ending in a newline."""
    from ren_index.settings import load_settings
    from ren_index.web.app import create_app
    from ren_index.web.openapi_schema import schema_text

    with tempfile.TemporaryDirectory(prefix="ren-openapi-") as folder:
        data = Path(folder)
        web_app = create_app(load_settings(data_dir=data, database_url=f"sqlite:///{data / 'openapi.db'}"))
        try:
            return schema_text(web_app.openapi())
        finally:
            web_app.state.ledger.kw["bind"].dispose()


@app.command()
@handles_errors
def openapi(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Fichier à écrire (sinon stdout) / file to write (else stdout)."),
    ] = None,
) -> None:
    """Le schéma OpenAPI des portails / the portals' OpenAPI schema (docs/openapi.json)."""
    text = export_text()
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    err_console.print(f"ren-index: {out}", highlight=False)
