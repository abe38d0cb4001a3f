"""``ren-index serve``: the web app (review UI, portal API, OAI-PMH provider).

The web stack (FastAPI, uvicorn) is imported only when the command runs, so the others stay quick.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ren_index.cli.support import AppContext, err_console, handles_errors

app = typer.Typer()


@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute / listen address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
) -> None:
    """L'application web : révision, API, OAI-PMH / the web app (review UI, portal API, OAI-PMH)."""
    import uvicorn

    from ren_index.web.app import create_app

    ctx = AppContext()
    web_app = create_app(ctx.settings)
    err_console.print(f"ren-index: http://{host}:{port}/review/", highlight=False)
    uvicorn.run(web_app, host=host, port=port, proxy_headers=True, log_level="info")
