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


def prepare_prefect_environment(*, verbose: bool = False) -> None:
    """Point Prefect at the data directory unless the operator configured it.

    Prefect logs warnings and errors by default; ``verbose`` (``ren-index -v run``) lets its INFO
    lines through too (task starts and ends), for whoever wants to see Prefect at work.
    """
    settings = load_settings()
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")


def run_pipeline(source_ids: list[str], *, full: bool = False, verbose: bool = False) -> dict[str, Any]:
    """Run the pipeline flow and return its result: every report, also when something failed.

    The flow ends ``Failed`` with its reports as data (a
    :class:`~ren_index.orchestration.flow.FlowFailed`) when a harvest or the index step failed
    (:mod:`ren_index.orchestration.flow`); a run-level error that stopped it altogether becomes a
    failed result with that ``error``. Anything else is a bug and is raised as is.
    """
    prepare_prefect_environment(verbose=verbose)
    from ren_index.orchestration.flow import FlowFailed, pipeline

    state = pipeline(source_ids, full=full, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, FlowFailed):  # a step failed: every report is in it
        return outcome.result
    if isinstance(outcome, RenIndexError):
        return {"status": "failed", "error": str(outcome), "sources": {}, "index": {}}
    if isinstance(outcome, BaseException):
        raise outcome
    if not isinstance(outcome, dict):
        raise TypeError(f"the pipeline flow returned {outcome!r}, not its reports")
    return outcome
