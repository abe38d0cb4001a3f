"""Running the Prefect flow from the command line.

Prefect is imported only here (it costs about a second), and its home defaults to
``$REN_DATA_DIR/prefect`` so a laptop's ``~/.prefect`` is left alone. Without a Prefect server
configured, the flow runs in Prefect's local ephemeral mode.
"""

from __future__ import annotations

import os
from typing import Any

from ren_index.errors import RenIndexError
from ren_index.settings import load_settings


def prepare_prefect_environment() -> None:
    """Point Prefect at the data directory unless the operator configured it."""
    settings = load_settings()
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def run_pipeline(source_ids: list[str], *, full: bool = False) -> dict[str, Any]:
    """Run the pipeline flow and return its result; a failed flow becomes a failed result."""
    prepare_prefect_environment()
    from ren_index.orchestration.flow import pipeline

    try:
        result: dict[str, Any] = pipeline(source_ids, full=full)
    except RenIndexError as exc:
        return {"status": "failed", "error": str(exc), "sources": {}, "index": {}}
    return result
