"""Runs started from the librarians' console: run now, resume, release, pause a schedule.

A librarian who fixed a partner's export wants to see the result now, not after tonight's
schedule; one whose harvest failed on page 40 wants it resumed from there. The web app cannot
wait for a harvest (minutes, hours), so :func:`run_now` starts harvest → process → index for one
source in a background thread of the server and returns at once; the run row appears in the
ledger as soon as the harvest claims the source, and the pages read it from there.

The steps are called directly rather than through the Prefect flow: the flow reads its settings
from the environment and needs a Prefect home, while the web app runs with the settings it was
given (tests run two apps with two ledgers). The order and the rules are the flow's — a failed
harvest is not processed, a held one is processed but the index step leaves its source alone
(:func:`ren_index.runs.holds.held_sources`), an OpenSearch that does not answer is said in the
run's events and the next ``ren-index index`` catches up.

Two harvests of one source never run together: the run lock (:mod:`ren_index.runs.lock`) is asked
before the thread starts, so the librarian reads the refusal on the page; a request that loses a
race with another process is refused by the harvest step itself and leaves an event saying so.

Every request is an event of the audit trail naming the person (``source_run_requested``,
``run_resume_requested``, ``schedule_paused``, ``schedule_resumed``; ``run_released`` is written by
:func:`~ren_index.runs.holds.release_run`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import load_portals
from ren_index.config.sources import SourceConfig
from ren_index.errors import ConfigError, RenIndexError
from ren_index.ledger import store
from ren_index.ledger.models import Event, HarvestRun
from ren_index.orchestration import schedules
from ren_index.review.source_page import find_source, resumable_run
from ren_index.runs import lock as run_lock
from ren_index.runs.holds import release_run
from ren_index.runs.report import RunReport, merge_process_counts
from ren_index.settings import Settings

log = logging.getLogger(__name__)

CATCH_UP = "le prochain « ren-index index » rattrapera / the next `ren-index index` catches up"
HARVESTED_TYPES = frozenset({"oai", "rss", "jsonld", "csv", "lom-files"})
"""Source types the console can harvest; a contributions platform pushes its records instead."""


class LaunchRefused(RenIndexError):
    """The request cannot be started: a platform, a run that cannot be resumed…"""


class UnknownSourceError(LaunchRefused):
    """Neither sources.yaml nor the ledger knows the source (or the run)."""


@dataclass
class Launch:
    """A pipeline started in the background: its thread, and what it came to once done."""

    source_id: str
    action: str
    thread: threading.Thread | None = None
    reports: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the pipeline to end (tests, a CLI); True when it has."""
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True


def harvestable(factory: sessionmaker[Session], settings: Settings, source_id: str) -> SourceConfig:
    """The source to harvest, or :class:`LaunchRefused` saying why it cannot be."""
    with factory() as session:
        source, _configured = find_source(session, settings.config_dir, source_id)
    if source is None:
        raise UnknownSourceError(f"source inconnue / unknown source: {source_id}")
    if source.type not in HARVESTED_TYPES:
        raise LaunchRefused(
            f"{source_id} est une plateforme de contributions : rien à moissonner"
            f" / {source_id} is a contributions platform: nothing to harvest"
        )
    return source


def run_now(
    factory: sessionmaker[Session],
    settings: Settings,
    rulebook: Rulebook,
    source_id: str,
    *,
    actor: str,
    action: str = "source_run_requested",
    run_id: int | None = None,
) -> Launch:
    """Start harvest → process → index of one source in the background, the request recorded.

    Raises :class:`~ren_index.runs.lock.HarvestInProgressError` when a live process harvests the
    source (nothing is started, nothing recorded) and :class:`LaunchRefused` for a source that
    cannot be harvested. An interrupted or failed last run is resumed from its checkpoint.
    """
    source = harvestable(factory, settings, source_id)
    with factory.begin() as session:
        run_lock.refuse_if_running(session, source.id)
        store.record_event(session, actor=actor, action=action, source_id=source.id, run_id=run_id)
        session.flush()
        request_id = session.scalar(
            select(Event.id)
            .where(Event.action == action, Event.actor == actor, Event.source_id == source.id)
            .order_by(Event.id.desc())
            .limit(1)
        )
    launch = Launch(source.id, action)
    launch.thread = threading.Thread(
        target=_guarded,
        args=(launch, _pipeline, factory, settings, rulebook, source, request_id),
        name=f"ren-index-{action}-{source.id}",
        daemon=True,
    )
    launch.thread.start()
    return launch


def resume(
    factory: sessionmaker[Session], settings: Settings, rulebook: Rulebook, run_id: int, *, actor: str
) -> Launch:
    """Resume a failed or interrupted harvest from its checkpoint (it must be its source's last run)."""
    with factory() as session:
        run = session.get(HarvestRun, run_id)
        if run is None:
            raise UnknownSourceError(f"aucune moisson n° {run_id} / no run {run_id}")
        if resumable_run(session, run.source_id) != run_id:
            raise LaunchRefused(
                f"la moisson n° {run_id} ne peut pas être reprise (statut {run.status}) : seule la"
                f" dernière moisson échouée ou interrompue d'une source reprend / run {run_id} cannot"
                f" be resumed (status {run.status}): only a source's last failed or interrupted run can"
            )
        source_id = run.source_id
    return run_now(
        factory, settings, rulebook, source_id, actor=actor, action="run_resume_requested", run_id=run_id
    )


def release(
    factory: sessionmaker[Session], settings: Settings, rulebook: Rulebook, run_id: int, *, actor: str
) -> tuple[RunReport, Launch]:
    """Release a held run (its withdrawals applied, ``run_released`` naming ``actor``), then process
    and index its source in the background, as ``runs release`` then ``index`` would."""
    report = release_run(factory, run_id, actor=actor)
    launch = Launch(report["source"], "run_released")
    with factory() as session:
        source, _configured = find_source(session, settings.config_dir, report["source"])
    if source is not None and source.type in HARVESTED_TYPES:
        launch.thread = threading.Thread(
            target=_guarded,
            args=(launch, _after_release, factory, settings, rulebook, source),
            name=f"ren-index-release-{run_id}",
            daemon=True,
        )
        launch.thread.start()
    return report, launch


def _guarded(launch: Launch, work: Any, *args: Any) -> None:
    """Run ``work`` in the thread; whatever it raises ends as the launch's error and an event."""
    try:
        launch.reports = work(*args)
    except Exception as exc:  # a background thread has nobody to raise to
        launch.error = " ".join(str(exc).split()) or type(exc).__name__
        log.warning("%s of %s stopped: %s", launch.action, launch.source_id, launch.error, exc_info=True)
        factory: sessionmaker[Session] = args[0]
        try:
            with factory.begin() as session:
                store.record_event(
                    session,
                    actor="harvester",
                    action="source_run_refused"
                    if isinstance(exc, run_lock.HarvestInProgressError)
                    else "source_run_failed",
                    source_id=launch.source_id,
                    comment=launch.error,
                )
        except Exception:  # the ledger may be what failed
            log.warning("could not record the failure of %s", launch.source_id, exc_info=True)


def _pipeline(
    factory: sessionmaker[Session],
    settings: Settings,
    rulebook: Rulebook,
    source: SourceConfig,
    request_id: int | None = None,
) -> dict[str, Any]:
    """Harvest → process → index for one source, like the flow: a failed harvest stops there.

    The request's event is tied to the run the harvest opened (or resumed), so the run's log
    starts with who asked for it.
    """
    from ren_index.steps.harvest import harvest_source
    from ren_index.steps.process import process_source

    harvested = harvest_source(factory, source, settings)
    reports: dict[str, Any] = {"harvest": harvested}
    if request_id is not None and harvested.get("run_id") is not None:
        with factory.begin() as session:
            event = session.get(Event, request_id)
            if event is not None and event.run_id is None:
                event.run_id = harvested.get("run_id")
    if harvested["status"] == "failed":
        return reports
    processed = process_source(factory, source, rulebook)
    run_id = harvested.get("run_id")
    if run_id is not None:
        reports["report"] = merge_process_counts(factory, run_id, processed)
    reports["process"] = processed
    reports["index"] = _index(factory, settings, rulebook, source.id, run_id)
    return reports


def _after_release(
    factory: sessionmaker[Session], settings: Settings, rulebook: Rulebook, source: SourceConfig
) -> dict[str, Any]:
    from ren_index.steps.process import process_source

    processed = process_source(factory, source, rulebook)
    return {"process": processed, "index": _index(factory, settings, rulebook, source.id, None)}


def _index(
    factory: sessionmaker[Session], settings: Settings, rulebook: Rulebook, source_id: str, run_id: int | None
) -> dict[str, Any]:
    """Send the source's changes; an unreachable OpenSearch is an event of the run, not a crash."""
    from ren_index.index.client import make_client, ping_or_raise
    from ren_index.index.schema import IndexLayout
    from ren_index.steps.index import index_changes

    client = make_client(settings)
    try:
        ping_or_raise(client, settings.opensearch_url)
        report: dict[str, Any] = dict(
            index_changes(
                factory,
                client,
                settings.index_prefix,
                portals=list(load_portals(settings.config_dir)),
                source_id=source_id,
                vocabularies=rulebook.vocabularies,
                layout=IndexLayout.from_settings(settings),
            )
        )
        return report
    except Exception as exc:  # OpenSearch down or breaking off: the next `index` catches up
        reason = " ".join(str(exc).split()) or type(exc).__name__
        with factory.begin() as session:
            store.record_event(
                session,
                actor="indexer",
                action="index_failed",
                source_id=source_id,
                run_id=run_id,
                comment=f"{reason} — {CATCH_UP}",
            )
        return {"status": "failed", "error": {"message": reason, "resume": "ren-index index"}}
    finally:
        client.close()


# -- schedules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleView:
    """A source's schedule as its page shows it."""

    cron: str | None
    """``schedule:`` of sources.yaml (``None``: the source is not scheduled)."""
    applied: bool
    """``schedule apply`` registered it (the state file has it): only then can it be paused."""
    paused: bool
    next_run: datetime | None
    """The next time it fires (Montreal), none when paused or not applied."""
    changed: bool = False
    """sources.yaml says another cron than the one applied: ``schedule apply`` again."""


def schedule_view(settings: Settings, source: SourceConfig, now: datetime) -> ScheduleView:
    """The source's cron, whether it is applied and paused (state file), and its next run."""
    try:
        entry = schedules.load_state(schedules.state_path(settings)).get(source.id)
    except ConfigError:
        entry = None
    cron = entry.cron if entry else source.schedule
    paused = bool(entry and entry.paused)
    upcoming = schedules.next_run(entry.cron, now) if entry and not paused else None
    return ScheduleView(
        cron=cron,
        applied=entry is not None,
        paused=paused,
        next_run=upcoming,
        changed=bool(entry and source.schedule and source.schedule != entry.cron),
    )


def set_schedule_paused(
    factory: sessionmaker[Session], settings: Settings, source_id: str, paused: bool, *, actor: str
) -> schedules.ScheduleEntry:
    """Pause or resume a source's applied schedule (the state file; the Prefect server too when one
    is configured), recorded as ``schedule_paused`` / ``schedule_resumed``.

    :class:`~ren_index.errors.ConfigError` when the source has no applied schedule.
    """
    entry = schedules.set_paused(settings, source_id, paused)
    mirrored: bool | None = None
    if schedules.api_configured():
        try:
            mirrored = schedules.set_paused_on_server(source_id, paused)
        except Exception:  # the state file is the reference; the worker applies it at start
            log.warning("Prefect server not updated for %s", source_id, exc_info=True)
            mirrored = False
    with factory.begin() as session:
        store.record_event(
            session,
            actor=actor,
            action="schedule_paused" if paused else "schedule_resumed",
            source_id=source_id,
            before={"paused": not paused},
            after={
                "paused": paused,
                "cron": entry.cron,
                **({"prefect": mirrored} if mirrored is not None else {}),
            },
        )
    return entry
