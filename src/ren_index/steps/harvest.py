"""Harvest step: pages from a source into the ledger, with a checkpoint after every page.

Each page's records and the checkpoint that follows them are written in one transaction. A run
killed at any point therefore leaves the ledger at a page boundary, and the next ``harvest`` of
the source resumes from the saved resumption token: no record is lost, none is stored twice.

Partner feeds (RSS/Atom, JSON-LD, CSV) go through the same loop: their harvesters have the OAI
harvester's ``identify()`` / ``pages()`` shape. What a feed needs from one run to the next (its
``ETag`` / ``Last-Modified``) comes back on its last page and is kept in the completed run's
``checkpoint`` under ``feed_state``. So do dumps of LOM files (``lom-files``: one page per file,
the next file's path as token). After a complete harvest of a source that does not report
deletions, what it no longer lists is withdrawn (:mod:`ren_index.steps.withdrawals`).

Two harvests of one source never overlap: the running run is a lock held by its process
(:mod:`ren_index.runs.lock`). A finished run goes past the anomaly guard (:mod:`ren_index.runs.guard`):
a suspicious one is ``held`` — withdrawals kept back, index changes waiting — until a librarian
releases it (:func:`ren_index.runs.holds.release_run`). Failed and held runs are notified
(:mod:`ren_index.runs.notify`).

Size: one run's life — claim or resume, store page by page, fail, judge and finish — reads best
in one module; splitting it would scatter the checkpoint's and the lock's rules over several.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rules import GuardRules, load_guard_rules
from ren_index.config.sources import SourceConfig
from ren_index.errors import ConfigError, HarvestError, UnexpectedHarvestError
from ren_index.harvest.addresses import AddressPolicy
from ren_index.harvest.base import Page
from ren_index.harvest.bounds import PageBounds
from ren_index.harvest.csv_source import CsvHarvester
from ren_index.harvest.documents import DocumentClient, DocumentHarvester
from ren_index.harvest.dump_files import MAX_ENTRIES
from ren_index.harvest.feeds import FeedHarvester
from ren_index.harvest.jsonld import JsonLdHarvester
from ren_index.harvest.lom_files import LomFilesHarvester, dump_location
from ren_index.harvest.oai import OaiHarvester, format_datestamp
from ren_index.harvest.oai_response import IdentifyInfo
from ren_index.ledger import store
from ren_index.ledger.models import HarvestRun, utcnow
from ren_index.ledger.raw_pages import upsert_page
from ren_index.runs import lock as run_lock
from ren_index.runs.guard import Hold, assess, effective_rules
from ren_index.runs.holds import guard_figures
from ren_index.runs.notify import notify_run
from ren_index.runs.report import RunReport, run_report
from ren_index.settings import Settings
from ren_index.steps.harvest_remedies import fix_for, window_fix, window_refusal
from ren_index.steps.withdrawals import absent_identifiers, withdraw_absent

log = logging.getLogger(__name__)

HARVEST_COUNTS = ("harvested", "new", "updated", "unchanged", "deleted", "withdrawn", "errors")
PageCallback = Callable[[Page, dict[str, int]], None]
Harvester = OaiHarvester | DocumentHarvester | LomFilesHarvester
REPORTED_WITHDRAWALS = 1000
"""At most this many withdrawn identifiers are listed in a run report (the count is exact)."""


def make_harvester(source: SourceConfig, settings: Settings) -> Harvester:
    """The harvester for a source's type, bound to the source's address policy and request deadline."""
    if source.type == "lom-files":  # a path, no address: read from the configuration folder
        return LomFilesHarvester(dump_location(source.path or "", settings.config_dir))
    try:
        policy = AddressPolicy(source.url, source.allow_hosts)
    except ValueError as exc:
        raise ConfigError(f"source {source.id!r}: allow_hosts: {exc}") from exc
    if source.type != "oai":
        client = DocumentClient(
            timeout=settings.harvest_timeout,
            max_retries=settings.harvest_max_retries,
            deadline=settings.harvest_request_deadline,
            policy=policy,
        )
        if source.type == "rss":
            return FeedHarvester(source.url, client)
        if source.type == "jsonld":
            return JsonLdHarvester(source.url, client)
        if source.type == "csv":
            return CsvHarvester(source.url, source.columns, client)
        raise ConfigError(f"source {source.id!r}: type {source.type!r} cannot be harvested")
    return OaiHarvester(
        source.url,
        source.metadata_prefix,
        timeout=settings.harvest_timeout,
        max_retries=settings.harvest_max_retries,
        max_retry_after=settings.harvest_max_retry_after,
        deadline=settings.harvest_request_deadline,
        policy=policy,
    )


def _resumable(session: Session, source_id: str) -> HarvestRun | None:
    """An interrupted or failed run whose checkpoint can be continued, if any."""
    run = store.last_run(session, source_id)
    if run is not None and run.status in ("running", "failed") and run.checkpoint:
        return run
    return None


def _start_run(
    session: Session,
    source: SourceConfig,
    *,
    full: bool,
    from_: str | None,
    until: str | None,
    owner: dict[str, Any],
) -> HarvestRun:
    """Claim the source's lock, then resume an interrupted run when allowed, else open a new one.

    The caller has synced the source row in an earlier transaction: here its update is the lock
    that serializes concurrent claims (:func:`run_lock.serialize_claims`).
    """
    run_lock.serialize_claims(session, source.id)
    run_lock.refuse_if_running(session, source.id)
    previous = _resumable(session, source.id)
    if previous is not None and not full and from_ is None and until is None:
        previous.checkpoint = run_lock.stamp(previous.checkpoint, owner)
        for stale in run_lock.running_runs(session, source.id):
            if stale.id != previous.id:
                _abandon(stale)
        log.info(
            "resuming run %s of %s at set #%s, token %r",
            previous.id,
            source.id,
            previous.checkpoint.get("set_index"),
            previous.checkpoint.get("token"),
        )
        previous.status = "running"
        previous.error = None
        return previous
    for stale in run_lock.running_runs(session, source.id):
        _abandon(stale)
    if from_ is None and not full:
        # A held run's records are in the ledger too: the next incremental run goes on from it.
        done = store.last_run(session, source.id, statuses=("completed", "held"))
        from_ = done.next_from if done else None
    run = HarvestRun(
        source_id=source.id,
        kind="harvest",
        status="running",
        # Complete = no date window, whatever the flag: the first harvest of a source is the
        # anomaly guard's baseline (else a later --full run dropping to a third goes unnoticed),
        # and a --full run with --from/--until saw only part of the list.
        full=from_ is None and until is None,
        window_from=from_,
        window_until=until,
        checkpoint=run_lock.stamp({"set_index": 0, "token": None}, owner),
        counts=dict.fromkeys(HARVEST_COUNTS, 0),
    )
    session.add(run)
    session.flush()
    return run


def _sync_source(factory: sessionmaker[Session], source: SourceConfig) -> None:
    """Register the source before claiming it (the claim locks its row, so the row must exist).

    Two processes starting the first harvest of a source together may both insert it; the loser
    of that race finds it registered on a second try.
    """
    try:
        with factory.begin() as session:
            store.sync_source(session, source)
    except IntegrityError:
        with factory.begin() as session:
            store.sync_source(session, source)


def _abandon(run: HarvestRun) -> None:
    """Close a dead run that will not be resumed (a ``--full`` or windowed run replaces it)."""
    run.status = "failed"
    run.finished_at = utcnow()
    run.checkpoint = run_lock.stamp(run.checkpoint or {}, None)
    run.error = {
        "message": "abandonnée : son processus a disparu / abandoned: its process is gone",
        "resume": f"ren-index harvest {run.source_id}",
    }


def _release_lock(factory: sessionmaker[Session], run_id: int) -> None:
    """Let go of the lock of a run interrupted in this process (it stays resumable)."""
    try:
        with factory.begin() as session:
            run = session.get_one(HarvestRun, run_id)
            run.checkpoint = run_lock.stamp(run.checkpoint or {}, None)
    except Exception:  # the ledger itself may be what failed; a stale lock is taken over later
        log.warning("run %s: lock not released; it will be taken over as stale", run_id, exc_info=True)


@dataclass
class _Progress:
    """What the page loop writes after every page, kept here between pages.

    Why not ``session.get_one(HarvestRun)`` in each page's transaction, as before: loading the run
    and flushing it through the ORM was a tenth of a harvest's time on SQLite (issue 17, cProfile
    of ``bench/harvest_scale.py``). The run is read once when it is claimed or resumed; each page
    then writes its counts, checkpoint and ``next_from`` with one ``UPDATE`` in the page's own
    transaction (exact resume is unchanged), and they are taken as the new state only once that
    transaction has committed.
    """

    run_id: int
    source_id: str
    owner: dict[str, Any]
    counts: dict[str, int]
    next_from: str | None


def _store_page(session: Session, progress: _Progress, page: Page, set_index: int) -> dict[str, int]:
    """Write one page's records and its problems (caller commits); the run's counts after it."""
    counts = dict(progress.counts)
    counts["harvested"] += len(page.records)
    # A problem line is a record, row or file that could not be read as it should: an error of the
    # run. The OAI harvester also writes one per record without identifier: the larger count, not
    # the sum, is the number of errors.
    anonymous = sum(1 for rec in page.records if rec.identifier is None)
    counts["errors"] += max(anonymous, len(page.problems))
    for outcome, n in upsert_page(session, progress.source_id, page.records, progress.run_id).items():
        counts[outcome] += n
    for problem in page.problems:
        store.record_event(
            session,
            actor="harvester",
            action="harvest_problem",
            source_id=progress.source_id,
            run_id=progress.run_id,
            comment=problem,
        )
    return counts


def _write_progress(
    session: Session,
    progress: _Progress,
    counts: dict[str, int],
    next_from: str | None,
    checkpoint: dict[str, Any],
) -> None:
    """The run's row after a page: counts, checkpoint (with a fresh heartbeat) and ``next_from``."""
    session.execute(
        update(HarvestRun)
        .where(HarvestRun.id == progress.run_id)
        .values(counts=counts, checkpoint=run_lock.stamp(checkpoint, progress.owner), next_from=next_from)
        .execution_options(synchronize_session=False)
    )


def harvest_source(
    factory: sessionmaker[Session],
    source: SourceConfig,
    settings: Settings,
    *,
    full: bool = False,
    from_: str | None = None,
    until: str | None = None,
    harvester: Harvester | None = None,
    on_page: PageCallback | None = None,
    apply_withdrawals: bool = True,
    guard: GuardRules | None = None,
) -> RunReport:
    """Harvest one source into the ledger and return its run report.

    No error of the harvest escapes: a :class:`HarvestError` — and any other exception, a bug or a
    structure that crashed a parser, wrapped as :class:`UnexpectedHarvestError` — marks the run
    ``failed`` with the error's context and a resume hint, releases the lock, tells the webhook,
    and the report says so (the caller decides the exit status). A run is never left ``running``
    by a crash. Only an interruption (Ctrl-C, ``SystemExit``) propagates, the lock released and
    the run resumable.

    Bounds (``Settings``): ``harvest_max_empty_pages`` pages in a row without a record but with a
    next page, or ``harvest_max_pages`` pages in one call, fail the run (its checkpoint kept).

    ``apply_withdrawals=False`` holds the withdrawals of a complete harvest: the report lists
    them (``withdrawn``, ``counts["withdrawn"]``) and the ledger keeps the records live. The
    anomaly guard (``guard``, default: ``validation.yaml`` with the source's overrides) may hold
    them too, and then the run is ``held``.

    Raises :class:`run_lock.HarvestInProgressError` when a live process is harvesting the source.
    """
    harvester = harvester or make_harvester(source, settings)
    rules = effective_rules(guard or load_guard_rules(settings.config_dir), source)
    owner = run_lock.new_owner()
    _sync_source(factory, source)
    with factory.begin() as session:
        run = _start_run(session, source, full=full, from_=from_, until=until, owner=owner)
        run_id = run.id
        window_from, window_until = run.window_from, run.window_until
        checkpoint = dict(run.checkpoint)
        progress = _Progress(run_id, source.id, owner, dict(run.counts), run.next_from)
        if isinstance(harvester, DocumentHarvester):
            harvester.state = _feed_state(session, source.id)
    feed_state: dict[str, Any] = {}
    sets: list[str | None] = list(source.sets) or [None]
    started = datetime.now(UTC)
    # A dump's listing is finite (one page per file, at most MAX_ENTRIES, an empty one per refused
    # file): the bounds of a list that might never end do not apply to it.
    dump = isinstance(harvester, LomFilesHarvester)
    bounds = PageBounds(
        endpoint=_where(source),
        metadata_prefix=source.metadata_prefix if source.type == "oai" else None,
        max_empty=MAX_ENTRIES + 1 if dump else settings.harvest_max_empty_pages,
        max_pages=MAX_ENTRIES + 1 if dump else settings.harvest_max_pages,
    )
    try:
        info = harvester.identify()
        refused = (
            window_refusal(from_, until, info.granularity) if isinstance(harvester, OaiHarvester) else None
        )
        if refused is not None:  # checked here, so no ListRecords carries the value
            fix = window_fix(source.id, info.granularity)
            return _fail(factory, source, settings, run_id, refused, fix=fix, resumable=False)
        for set_index in range(int(checkpoint.get("set_index") or 0), len(sets)):
            token = checkpoint.get("token") if set_index == checkpoint.get("set_index") else None
            for page in harvester.pages(
                set_spec=sets[set_index],
                from_=window_from,
                until=window_until,
                resumption_token=token,
            ):
                next_from = progress.next_from
                if next_from is None:
                    # The repository's clock at this run's first response: the safest `from` for
                    # the next run, kept across a resume.
                    moment = _parse_response_date(page.response_date) or started
                    next_from = format_datestamp(moment, info.granularity)
                with factory.begin() as session:
                    counts = _store_page(session, progress, page, set_index)
                    checkpoint = {"set_index": set_index, "token": page.next_token}
                    _write_progress(session, progress, counts, next_from, checkpoint)
                progress.counts, progress.next_from = counts, next_from  # committed
                counts = dict(counts)
                log.info(
                    "%s: set=%s token=%r cursor=%s records so far=%d",
                    source.id,
                    sets[set_index],
                    page.request_token,
                    page.cursor,
                    counts["harvested"],
                )
                if on_page is not None:
                    on_page(page, counts)
                feed_state = page.state or feed_state
                bounds.check(page, sets[set_index])
            with factory.begin() as session:
                run = session.get_one(HarvestRun, run_id)
                run.checkpoint = run_lock.stamp({"set_index": set_index + 1, "token": None}, owner)
        return _finish_run(
            factory, source, settings, run_id, harvester, info, feed_state, started, rules, apply_withdrawals
        )
    except HarvestError as exc:
        return _fail(factory, source, settings, run_id, exc)
    except ConfigError as exc:  # the source's entry, read as the harvest needed it
        error = HarvestError(str(exc), endpoint=_where(source))
        return _fail(factory, source, settings, run_id, error, fix=fix_for(source, exc, settings.config_dir))
    except Exception as exc:  # a crash of any kind ends the run `failed`, never `running`
        log.info("%s : trace de l'erreur / traceback", source.id, exc_info=True)
        return _fail(
            factory, source, settings, run_id, UnexpectedHarvestError.wrapping(exc, endpoint=_where(source))
        )
    except BaseException:
        _release_lock(factory, run_id)
        raise


def _fail(
    factory: sessionmaker[Session],
    source: SourceConfig,
    settings: Settings,
    run_id: int,
    exc: HarvestError,
    *,
    fix: str | None = None,
    resumable: bool = True,
) -> RunReport:
    """Close the run ``failed`` with the error and what to do, release its lock, tell the webhook.

    What to do is ``resume`` when resuming can help, else ``fix`` (:mod:`.harvest_remedies`). A
    refused ``--from``/``--until`` (not ``resumable``) leaves no checkpoint: the next
    ``harvest`` must not resume that window. When the ledger itself cannot record the failure, the
    webhook still hears of it and a :class:`HarvestError` says both problems in one line.
    """
    fix = fix or fix_for(source, exc, settings.config_dir)
    try:
        with factory.begin() as session:
            run = session.get_one(HarvestRun, run_id)
            run.status = "failed"
            run.finished_at = utcnow()
            run.checkpoint = run_lock.stamp(run.checkpoint or {}, None) if resumable else {}
            todo = (
                {"fix": fix}
                if fix
                else {
                    "resume": (
                        f"ren-index harvest {source.id}  # resumes from the saved checkpoint"
                        f" (set #{run.checkpoint.get('set_index')}, token"
                        f" {run.checkpoint.get('token')!r})"
                    ),
                }
            )
            run.error = {"message": exc.message, **exc.context(), **todo}
            failed = run_report(run)
    except Exception as ledger_exc:
        log.info("%s : trace de l'erreur du registre / ledger traceback", source.id, exc_info=True)
        _release_lock(factory, run_id)
        notify_run(
            settings,
            {
                "run_id": run_id,
                "source": source.id,
                "kind": "harvest",
                "status": "failed",
                "counts": {},
                "error": {
                    "message": exc.message,
                    **exc.context(),
                    **({"fix": fix} if fix else {"resume": f"ren-index harvest {source.id}"}),
                },
            },
        )
        raise HarvestError(
            f"moisson en échec, non enregistrée au registre / harvest failed and could not be recorded"
            f" in the ledger: {exc.message} — {type(ledger_exc).__name__}: {ledger_exc}",
            endpoint=_where(source),
        ) from ledger_exc
    log.warning("%s : moisson en échec / harvest failed — %s", source.id, exc.message)
    notify_run(settings, failed)
    return failed


def _finish_run(
    factory: sessionmaker[Session],
    source: SourceConfig,
    settings: Settings,
    run_id: int,
    harvester: Harvester,
    info: IdentifyInfo,
    feed_state: dict[str, Any],
    started: datetime,
    rules: GuardRules,
    apply_withdrawals: bool,
) -> RunReport:
    """Judge the finished run, apply (or hold) its withdrawals, close it, and tell if it is held."""
    hold: Hold | None = None
    with factory.begin() as session:
        run = session.get_one(HarvestRun, run_id)
        complete = _complete(harvester, info, run.window_from, run.window_until)
        withdrawn = absent_identifiers(session, source.id, run_id) if complete else []
        counts = {**dict.fromkeys(HARVEST_COUNTS, 0), **run.counts}
        saw_everything = complete or (run.full and not _not_modified(harvester))
        hold = assess(guard_figures(session, run, counts, saw_everything, len(withdrawn)), rules)
        apply = apply_withdrawals and hold is None
        if complete:
            count = withdraw_absent(session, source.id, run_id, hold=not apply)
            counts["withdrawn"] = count
            if apply:
                counts["deleted"] += count
        run.counts = counts
        run.full = saw_everything
        run.status = "held" if hold is not None else "completed"
        run.finished_at = utcnow()
        checkpoint: dict[str, Any] = {"feed_state": feed_state} if feed_state else {}
        if hold is not None:
            checkpoint["hold"] = {**hold.as_json(), "withdrawn": withdrawn}
        run.checkpoint = checkpoint
        if run.next_from is None:
            run.next_from = format_datestamp(started, info.granularity)
        report = run_report(run)
    report["withdrawn"] = withdrawn[:REPORTED_WITHDRAWALS]
    report["withdrawals_held"] = bool(withdrawn) and not apply
    if hold is not None:
        log.warning(
            "%s : %s Libérer / release: ren-index runs release %s", source.id, hold.message_fr, run_id
        )
        notify_run(settings, report)
    return report


def _not_modified(harvester: Harvester) -> bool:
    """A feed that answered 304: nothing was read because nothing changed (no count to judge)."""
    return isinstance(harvester, DocumentHarvester) and not harvester.complete


def _feed_state(session: Session, source_id: str) -> dict[str, Any]:
    """What the last completed run of a feed kept for this one (validators for a conditional GET)."""
    done = store.last_run(session, source_id, statuses=("completed", "held"))
    state = (done.checkpoint or {}).get("feed_state") if done is not None else None
    return dict(state) if isinstance(state, dict) else {}


def _complete(
    harvester: Harvester, info: IdentifyInfo, window_from: str | None, window_until: str | None
) -> bool:
    """Whether this run saw everything a source without deletions lists (so absence = withdrawal).

    A feed, JSON-LD page, CSV file or dump of LOM files is read whole every time — unless it
    answered 304 (nothing was read because nothing changed) or a page bound stopped the walk. An
    OAI-PMH repository qualifies only when it says ``deletedRecord=no`` and the run had no date
    window: with ``transient`` or ``persistent`` it reports deletions itself, and an incremental run
    sees only what changed.
    """
    if isinstance(harvester, DocumentHarvester | LomFilesHarvester):
        return harvester.complete
    return info.deleted_record == "no" and window_from is None and window_until is None


def _where(source: SourceConfig) -> str:
    """What a source's errors name: its URL, or the path of a ``lom-files`` dump."""
    return source.url or source.path or ""


def _parse_response_date(value: str | None) -> datetime | None:
    """The repository's own clock at the first response (best ``from`` for the next run)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
