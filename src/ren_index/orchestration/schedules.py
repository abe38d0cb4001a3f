"""Planification des moissons / harvest schedules: one Prefect deployment per scheduled source.

Pourquoi un fichier d'état : sans serveur Prefect, chaque commande qui parle à l'API Prefect lance
un serveur temporaire (10 à 20 s par commande ici), et ce serveur temporaire ne fait pas tourner le
planificateur. Le « quoi » et le « en pause ou non » sont donc gardés dans
``$REN_DATA_DIR/schedules.json`` (écrit par ``schedule apply|pause|resume``, lu en quelques
millisecondes par ``schedule list``), et ``ren-index worker`` en construit les déploiements Prefect
(``harvest-<source>``, flux ``ren-index-pipeline``, paramètres ``{"source_ids": [source]}``, cron en
America/Montreal) qu'il sert avec un :class:`prefect.runner.Runner`. Sans ``PREFECT_API_URL``, le
worker démarre lui-même un serveur Prefect local (planificateur et interface compris) sur la base
SQLite de ``PREFECT_HOME``.

La santé des liens a son propre déploiement, ``links-check`` (flux ``ren-index-links``, sans
paramètre : toutes les sources), sur le cron de ``validation.yaml`` (``links.schedule``) : il est
dans le même fichier d'état sous la clé :data:`LINKS_KEY` (qui ne peut pas être un identifiant de
source), appliqué, listé, mis en pause et servi comme les autres. *Link health has its own
deployment, ``links-check``, on ``links.schedule``'s cron: kept in the same state file under a key
no source id can take, applied, listed, paused and served like the others; the pipeline never
waits for it.*

With a Prefect server (``PREFECT_API_URL`` set), ``apply`` and ``pause|resume`` also write the
deployments to it, so the Prefect UI and the state file agree; with ``--pool`` the deployments go
to a work pool and ``prefect worker start --pool ...`` runs them on any number of machines.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronsim import CronSim, CronSimError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ren_index.config.clock import MONTREAL, TIMEZONE
from ren_index.config.sources import SourceConfig
from ren_index.errors import ConfigError, RenIndexError
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun
from ren_index.runs.report import run_report
from ren_index.settings import Settings

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

log = logging.getLogger(__name__)

STATE_FILE = "schedules.json"
FLOW_NAME = "ren-index-pipeline"
LINKS_FLOW_NAME = "ren-index-links"
LINKS_KEY = "@links"
"""The state file's key of the ``links-check`` deployment: ``@`` is outside a source id's
``[a-z0-9-]+``, so no source can take it."""
LINKS_DEPLOYMENT = "links-check"
LINKS_SOURCE = "*"
"""What ``schedule list`` and ``apply`` say in the ``source`` column of ``links-check``: every source."""
SERVER_START_TIMEOUT = 90.0
"""Seconds the worker waits for its local Prefect server (migrations on a first start take a while)."""


def deployment_name(source_id: str) -> str:
    """``harvest-<source>`` (``links-check`` for :data:`LINKS_KEY`): the name people see in the
    Prefect UI and pass to ``prefect deployment``."""
    return LINKS_DEPLOYMENT if source_id == LINKS_KEY else f"harvest-{source_id}"


def flow_name(key: str) -> str:
    """The Prefect flow a state entry's deployment runs."""
    return LINKS_FLOW_NAME if key == LINKS_KEY else FLOW_NAME


def schedule_key(name: str, source_ids: Collection[str]) -> str:
    """The state key a person means: a source id, or ``links-check`` (or ``@links``) for the links
    deployment — unless a source is called ``links-check``, which then wins."""
    if name == LINKS_KEY or (name == LINKS_DEPLOYMENT and name not in source_ids):
        return LINKS_KEY
    return name


@dataclass(frozen=True)
class ScheduleEntry:
    """What ``schedule apply`` registered for one source, and whether a librarian paused it."""

    source_id: str
    cron: str
    paused: bool = False
    applied_at: str = ""


def check_cron(source_id: str, cron: str) -> None:
    """Refuse a cron string that cannot be read, naming the source (a config mistake, not a crash)."""
    try:
        CronSim(cron, datetime.now(MONTREAL))
    except CronSimError as exc:
        raise ConfigError(f"source {source_id!r}: schedule {cron!r} is not a valid cron: {exc}") from exc


def next_run(cron: str, after: datetime) -> datetime:
    """The next time ``cron`` fires after ``after``, read as Montreal wall-clock time (DST-aware).

    A time skipped by the spring change (02:30 on that Sunday) fires at 03:00, as Prefect does.
    """
    moment = next(CronSim(cron, after.astimezone(MONTREAL)))
    return moment.astimezone(MONTREAL)


def state_path(settings: Settings) -> Path:
    """``$REN_DATA_DIR/schedules.json``."""
    return settings.data_dir / STATE_FILE


def load_state(path: Path) -> dict[str, ScheduleEntry]:
    """The applied schedules; an absent file means nothing was applied yet."""
    if not path.exists():
        return {}
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return {e["source_id"]: ScheduleEntry(**e) for e in data.get("schedules", [])}
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(
            f"{path}: unreadable schedule state ({exc}); run `ren-index schedule apply`"
        ) from exc


def save_state(path: Path, entries: dict[str, ScheduleEntry]) -> None:
    """Write atomically (temporary file + rename) so a worker never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"timezone": TIMEZONE, "schedules": [asdict(entries[k]) for k in sorted(entries)]}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def plan(
    sources: Mapping[str, SourceConfig],
    current: dict[str, ScheduleEntry],
    now: datetime,
    links_cron: str | None = None,
) -> tuple[dict[str, ScheduleEntry], list[dict[str, str]]]:
    """The state after ``apply`` and what changed; a paused schedule stays paused across an apply.

    ``links_cron``: ``validation.yaml``'s ``links.schedule`` (``None``: no ``links-check``).
    """
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    entries: dict[str, ScheduleEntry] = {}
    changes: list[dict[str, str]] = []
    wanted = [(source.id, source.schedule) for source in sources.values() if source.schedule]
    if links_cron:
        wanted.append((LINKS_KEY, links_cron))
    for key, cron in wanted:
        check_cron(key, cron)
        old = current.get(key)
        if old is None:
            action = "created"
        elif old.cron != cron:
            action = "updated"
        else:
            action = "unchanged"
        paused = old.paused if old else False
        entries[key] = ScheduleEntry(
            key, cron, paused, stamp if action != "unchanged" or not old else old.applied_at
        )
        changes.append(_change(key, action, cron))
    for key in sorted(set(current) - set(entries)):
        changes.append(_change(key, "removed", current[key].cron))
    return entries, changes


def _change(key: str, action: str, cron: str) -> dict[str, str]:
    source = LINKS_SOURCE if key == LINKS_KEY else key
    return {"source": source, "deployment": deployment_name(key), "action": action, "cron": cron}


def apply_schedules(
    settings: Settings,
    sources: Mapping[str, SourceConfig],
    *,
    now: datetime | None = None,
    links_cron: str | None = None,
) -> list[dict[str, str]]:
    """Write the state file from ``sources.yaml`` (and ``links.schedule``); one change per deployment."""
    path = state_path(settings)
    entries, changes = plan(sources, load_state(path), now or datetime.now(UTC), links_cron)
    save_state(path, entries)
    return changes


def set_paused(settings: Settings, source_id: str, paused: bool) -> ScheduleEntry:
    """Pause or resume one applied schedule (the next ``apply`` keeps the choice); ``source_id``
    is a source's, or :data:`LINKS_KEY` for ``links-check``."""
    path = state_path(settings)
    entries = load_state(path)
    if source_id not in entries:
        known = ", ".join(sorted(deployment_name(k) if k == LINKS_KEY else k for k in entries)) or "(none)"
        raise ConfigError(
            f"no applied schedule for {source_id!r} (scheduled: {known}); add `schedule:` to the source "
            "in sources.yaml and run `ren-index schedule apply`"
        )
    entries[source_id] = replace(entries[source_id], paused=paused)
    save_state(path, entries)
    return entries[source_id]


def schedule_rows(
    session: Session,
    sources: Mapping[str, SourceConfig],
    entries: dict[str, ScheduleEntry],
    now: datetime,
    links_cron: str | None = None,
) -> list[dict[str, Any]]:
    """One row per source — its cron, applied or not, paused or not, last run (ledger), next run —
    then the ``links-check`` row (``source`` ``*``, ``kind`` ``links``; ``links_cron``: the cron
    ``validation.yaml`` asks for), whose last run is the newest links run of any source."""
    rows: list[dict[str, Any]] = []
    for source in sources.values():
        rows.append(
            _row(source.id, source.schedule, entries.get(source.id), store.last_run(session, source.id), now)
        )
    newest_links = session.scalar(
        select(HarvestRun).where(HarvestRun.kind == "links").order_by(HarvestRun.id.desc()).limit(1)
    )
    rows.append(_row(LINKS_KEY, links_cron, entries.get(LINKS_KEY), newest_links, now))
    return rows


def _row(
    key: str, wanted: str | None, entry: ScheduleEntry | None, last: HarvestRun | None, now: datetime
) -> dict[str, Any]:
    cron = entry.cron if entry else None
    if entry is None:
        state = "not_applied" if wanted else "unscheduled"
    elif entry.paused:
        state = "paused"
    elif wanted != entry.cron:
        state = "changed"  # the configuration says something else: apply again
    else:
        state = "active"
    upcoming = next_run(cron, now) if cron and entry and not entry.paused else None
    return {
        "source": LINKS_SOURCE if key == LINKS_KEY else key,
        "kind": "links" if key == LINKS_KEY else "harvest",
        "deployment": deployment_name(key),
        "schedule": wanted,
        "applied": cron,
        "timezone": TIMEZONE,
        "state": state,
        "paused": bool(entry and entry.paused),
        "last_run": run_report(last) if last else None,
        "next_run": upcoming.isoformat() if upcoming else None,
    }


def build_deployments(entries: dict[str, ScheduleEntry]) -> list[RunnerDeployment]:
    """The Prefect deployments of the applied schedules (a paused one is registered paused)."""
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from ren_index.orchestration.flow import links_check, pipeline

    deployments: list[RunnerDeployment] = []
    for entry in entries.values():
        if entry.source_id == LINKS_KEY:
            flow: Any = links_check
            parameters: dict[str, Any] = {}
            tags = ["ren-index", "links"]
            description = "Vérification planifiée des liens / scheduled link check (every source)"
        else:
            flow = pipeline
            parameters = {"source_ids": [entry.source_id]}
            tags = ["ren-index", f"source:{entry.source_id}"]
            description = f"Moisson planifiée / scheduled harvest: {entry.source_id}"
        deployments.append(
            flow.to_deployment(
                # Always the synchronous path: Prefect returns a coroutine instead when the calling
                # thread runs an event loop (a notebook, a test session driving a browser).
                _sync=True,
                name=deployment_name(entry.source_id),
                parameters=parameters,
                schedule=Cron(entry.cron, timezone=TIMEZONE),
                paused=entry.paused,
                tags=tags,
                description=description,
                # A module path, not a file path: the worker finds the flow from any directory.
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    return deployments


def push_to_server(entries: dict[str, ScheduleEntry], pool: str | None) -> list[str]:
    """Create or update the deployments on the Prefect server of ``PREFECT_API_URL``.

    With ``pool``, the deployments belong to that work pool (``prefect worker start --pool``
    runs them, on as many machines as wanted); without, ``ren-index worker`` serves them.
    """
    ids = []
    for deployment in build_deployments(entries):
        if pool:
            deployment.work_pool_name = pool
        ids.append(str(deployment.apply()))
    return ids


def set_paused_on_server(source_id: str, paused: bool) -> bool:
    """Mirror a pause on the Prefect server; ``False`` when it has no such deployment yet."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(
                f"{flow_name(source_id)}/{deployment_name(source_id)}"
            )
        except ObjectNotFound:
            return False
        if paused:
            client.pause_deployment(deployment.id)
        else:
            client.resume_deployment(deployment.id)
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def local_server_environment(port: int, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of the worker's local Prefect server on ``port``: its UI talks to its own API.

    Why: ``prefect server start --port N`` serves on N, but its UI reads the API's address from
    the settings (``PREFECT_SERVER_UI_API_URL``, else ``PREFECT_API_URL``, else
    ``PREFECT_SERVER_API_HOST``/``_PORT``: 4200 by default), so a UI served on another port looked
    for :4200 and showed nothing. Every one of them is set to the server's own address here,
    whatever the operator's environment held for another server.
    """
    api = f"http://127.0.0.1:{port}/api"
    return {
        **base,
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_UI_API_URL": api,
        "PREFECT_UI_API_URL": api,
        "PREFECT_UI_URL": f"http://127.0.0.1:{port}",
    }


def start_local_server(port: int) -> tuple[subprocess.Popen[bytes], str]:
    """A Prefect server with its scheduler, on this machine's ``PREFECT_HOME`` database.

    Prefect's temporary (ephemeral) server does not run the scheduler, so scheduled runs would
    never be created: the worker starts a real one, bound to 127.0.0.1, and stops it on exit. Its
    UI is on the same port and talks to that server (:func:`local_server_environment`).
    """
    import httpx

    port = port or _free_port()
    url = f"http://127.0.0.1:{port}/api"
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=local_server_environment(port, os.environ),
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RenIndexError(f"the local Prefect server stopped at start (port {port} taken?)")
        try:
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_process(process)
    raise RenIndexError(
        f"the local Prefect server did not answer on {url} within {SERVER_START_TIMEOUT:.0f} s"
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(entries: dict[str, ScheduleEntry], *, announce: Any, limit: int | None = None) -> None:
    """Register the deployments with a Runner and execute their runs here until interrupted.

    ``pause_on_shutdown=False``: stopping a worker (a restart, a deploy) must not pause the
    librarians' schedules, which Prefect's default would do.
    """
    import asyncio

    from prefect.runner import Runner

    async def _run() -> None:
        runner = (
            Runner(name="ren-index-worker", pause_on_shutdown=False, limit=limit)
            if limit
            else Runner(name="ren-index-worker", pause_on_shutdown=False)
        )
        for deployment in deployments:
            await runner.aadd_deployment(deployment)
        announce(len(entries))
        await runner.start()

    # Built outside the event loop: inside it, Prefect's ``to_deployment`` returns a coroutine.
    deployments = build_deployments(entries)
    asyncio.run(_run())


def api_configured() -> bool:
    """Whether an operator pointed Prefect at a server (``PREFECT_API_URL``)."""
    return bool(os.environ.get("PREFECT_API_URL"))
