"""Links step: check the landing URL of every live record that is due, and apply what was found.

One pass, in order:

1. **Plan** (:func:`ren_index.links.patience.plan`): the live records (``approved``, then
   ``needs_review``) of the sources asked, whose link is due — never checked, or checked longer
   ago than ``links.recheck_days`` (``recheck_broken_days`` for a failing one).
2. **Check** them (:func:`ren_index.links.checker.run_checks`) within ``validation.yaml``'s
   politeness and the address policy of ``REN_LINKS_ALLOW_HOSTS``, each with its source's
   soft-404 phrases.
3. **Outages** (:mod:`ren_index.links.outage`): a host whose links mostly failed the same way was
   down; its failures are kept but not judged, so no record's counter moves for its bad night.
4. **Judge** the rest (patience rules), keep every check and the new state, and **apply** at once
   (:mod:`ren_index.steps.link_apply`): issues, status, audit events (actor ``links``), versions.
5. **Publish**: the records whose status changed, or whose link as the portals are told it
   changed (:func:`ren_index.index.documents.public_link`: ``unchecked`` → ``ok``, ``ok`` →
   ``redirected``, a kept-published record's link broken or back), go through the index step now
   (:func:`ren_index.steps.index.index_changes`, the path decisions take); when OpenSearch cannot
   be reached the ledger is right and the next ``ren-index index`` sends them.

Runs: one ``harvest_runs`` row of kind ``links`` per source of the pass (a run is "one command on
one source" everywhere else: a source's page and ``runs SOURCE`` list its own links runs, and no
pseudo-source appears among the real ones), sharing one check of the network — politeness and
outages are per host, whatever the source. The pass's report adds them up (``source`` ``*`` over
several sources, ``runs`` naming each row). Results are applied in batches, each its own
transaction: a crash leaves every row ``failed`` with what to run, and running it again checks
what the crash left, since what was applied is no longer due.

Size: one pass in one module on purpose — planning, running the runs' rows, applying in batches
and publishing share the pass's run ids and counts; the judging itself is in ``link_apply``.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import OpenSearchException
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import LinkRules
from ren_index.config.sources import SourceConfig
from ren_index.errors import ConfigError, IndexingError
from ren_index.index.client import make_client
from ren_index.index.documents import public_link
from ren_index.index.schema import IndexLayout
from ren_index.ledger.link_health import add_checks, health_from_json, load_rows, prune_checks
from ren_index.ledger.models import HarvestRun, LinkHealthRow, ResourceRow, SourceRow, utcnow
from ren_index.links.checker import CheckerConfig, CheckRun, run_checks
from ren_index.links.outage import find_outages, spare
from ren_index.links.outcomes import LinkResult, LinkTarget, Outcome
from ren_index.links.patience import Candidate, LinkState, for_url, judge, plan
from ren_index.model import Resource, Status
from ren_index.runs.notify import notify_run
from ren_index.runs.report import RunReport, run_report
from ren_index.settings import Settings
from ren_index.steps.index import index_changes
from ren_index.steps.link_apply import apply_judgement, redecide

log = logging.getLogger(__name__)

KIND = "links"
LINK_COUNTS = ("checked", "ok", "redirected", "broken", "soft_404", "unreachable", "skipped")
APPLIED = ("declared_broken", "recovered", "moved", "kept_published", "unpublished", "restored", "spared")
NOT_CHECKED = frozenset({"deadline", "max_targets"})
"""Results the checker gave back unasked (the run's deadline, its size bound): not kept, not
judged, still due next run."""
LIVE = (Status.APPROVED.value, Status.NEEDS_REVIEW.value)
BROKEN = LinkState.BROKEN.value
RECORDS_SCOPE, SOURCES_SCOPE = "records", "sources"
"""A pass over chosen records (« check now ») or over whole sources (the nightly pass)."""
RECENT_RUNS = 50
"""Completed links runs looked through for the last whole pass's outages (one run per source)."""
BATCH = 200

Checker = Callable[..., CheckRun]
""":func:`ren_index.links.checker.run_checks`'s shape: ``(targets, config, *, on_result=None)``."""


@dataclass(frozen=True)
class Due:
    """A live record whose link this pass checks."""

    record_id: str
    source_id: str
    url: str


def checker_config(settings: Settings, rules: LinkRules, **overrides: object) -> CheckerConfig:
    """The checker's bounds from ``validation.yaml``'s ``links:`` and the settings (User-Agent
    contact, ``REN_LINKS_ALLOW_HOSTS``); ``overrides`` for tests and « check now »."""
    return CheckerConfig.from_settings(settings, rules, **overrides)


def landing_url(record: Mapping[str, Any] | None) -> str | None:
    """The record's landing URL (:attr:`ren_index.model.Resource.url`), ``None`` for a record without."""
    if not record:
        return None
    try:
        return Resource.model_validate(record).url
    except ValueError:
        return None


def due_records(
    session: Session,
    source_ids: Collection[str] | None,
    now: datetime,
    rules: LinkRules,
    record_ids: Collection[str] | None = None,
) -> list[Due]:
    """The live records whose link is due at ``now``, in the order a pass checks them.

    ``record_ids``: only these records, due or not (« Vérifier maintenant / check now »: a person
    asked, so the recheck interval does not hold it back).
    """
    query = (
        select(
            ResourceRow.id,
            ResourceRow.source_id,
            ResourceRow.status,
            ResourceRow.record,
            LinkHealthRow.health,
        )
        .outerjoin(LinkHealthRow, LinkHealthRow.resource_id == ResourceRow.id)
        .where(
            or_(
                ResourceRow.status.in_(LIVE),
                and_(ResourceRow.status == Status.REJECTED.value, LinkHealthRow.state == BROKEN),
            )
        )
    )
    if source_ids is not None:
        query = query.where(ResourceRow.source_id.in_(sorted(source_ids)))
    if record_ids is not None:
        query = query.where(ResourceRow.id.in_(sorted(record_ids)))
    candidates: list[Candidate] = []
    found: dict[str, Due] = {}
    for rid, source_id, status, record, health in session.execute(query):
        url = landing_url(record)
        if url is None:
            continue
        candidates.append(Candidate(rid, status, for_url(health_from_json(health), url)))
        found[rid] = Due(rid, source_id, url)
    if record_ids is not None:
        return [found[c.record_id] for c in candidates]
    return [found[c.record_id] for c in plan(candidates, now, rules)]


def check_links(
    factory: sessionmaker[Session],
    settings: Settings,
    rulebook: Rulebook,
    *,
    sources: Mapping[str, SourceConfig] | None = None,
    source_ids: Sequence[str] | None = None,
    now: datetime | None = None,
    config: CheckerConfig | None = None,
    checker: Checker = run_checks,
    client: OpenSearch | None = None,
    on_result: Callable[[LinkResult], None] | None = None,
    record_ids: Collection[str] | None = None,
) -> RunReport:
    """One links pass over ``source_ids`` (every source with live records when ``None``).

    ``sources``: ``sources.yaml``'s configuration (soft-404 phrases, ``review:``), else the
    ledger's copy of each source. ``record_ids``: only these live records, checked whether due
    or not (« check now », :mod:`ren_index.steps.link_one`). ``now``: the pass's clock; when
    given, every result is dated by it (tests of the patience rules), else by the checker. Never
    raises for a failure of the pass itself: the report says ``failed``, with the command that
    resumes it.
    """
    rules = rulebook.policy.rules.links
    moment = now or datetime.now(UTC)
    started = datetime.now(UTC)
    with factory.begin() as session:
        configs = _source_configs(session, sources or {}, source_ids)
        due = due_records(session, configs.keys(), moment, rules, record_ids)
        down_since = previous_hosts_down(session)
        run_ids = {}
        for source_id in configs:
            run = HarvestRun(
                source_id=source_id, kind=KIND, status="running", counts=dict.fromkeys(LINK_COUNTS, 0)
            )
            session.add(run)
            session.flush()
            run_ids[source_id] = run.id
    resume = "ren-index links check " + (" ".join(source_ids) if source_ids else "--all")
    try:
        targets = [
            LinkTarget(d.record_id, d.url, d.source_id, tuple(configs[d.source_id].links.soft_404))
            for d in due
        ]
        checked = checker(targets, config or checker_config(settings, rules), on_result=on_result)
        results = [replace(r, checked_at=now) if now else r for r in checked.results]
        outages = find_outages(results, rules, now=moment, down_since=down_since)
        hosts_down = [o.as_json() for o in outages.values()]
        source_of = {d.record_id: d.source_id for d in due}
        counts, applied, touched = _apply(factory, results, outages, configs, source_of, run_ids, rulebook)
        applied.update(_publish(factory, settings, rulebook, touched, client))
    except BaseException as exc:
        report = _fail(factory, settings, run_ids, exc, resume, started)
        if not isinstance(exc, Exception):
            raise
        return report
    scope = RECORDS_SCOPE if record_ids is not None else SOURCES_SCOPE
    return _finish(factory, settings, run_ids, counts, applied, hosts_down, started, scope)


def _source_configs(
    session: Session, sources: Mapping[str, SourceConfig], source_ids: Sequence[str] | None
) -> dict[str, SourceConfig]:
    """The configuration of each source of the pass: those asked, else those with live records."""
    if source_ids is None:
        wanted = sorted(
            set(session.scalars(select(ResourceRow.source_id).where(ResourceRow.status.in_(LIVE)).distinct()))
        )
    else:
        wanted = list(dict.fromkeys(source_ids))
    configs: dict[str, SourceConfig] = {}
    for source_id in wanted:
        row = session.get(SourceRow, source_id)
        if row is None:
            known = ", ".join(sorted(session.scalars(select(SourceRow.id)))) or "—"
            raise ConfigError(
                f"source inconnue du registre / source not in the ledger: {source_id}"
                f" (connues / known: {known})"
            )
        configs[source_id] = sources.get(source_id) or SourceConfig.model_validate(row.config)
    return configs


def judged_status(status: str, health: LinkHealthRow | None) -> bool:
    """Whether a record's link is judged: a live record's, and a rejected one's whose link is
    broken — a record its broken link took off (a ``review: never`` source rejects on errors)
    must be able to come back when the link answers again."""
    return status in LIVE or (
        status == Status.REJECTED.value and health is not None and health.state == BROKEN
    )


def previous_hosts_down(session: Session) -> dict[str, datetime]:
    """The hosts down in the last links pass that finished, each with the start of its outage.

    A « check now » of one record (``scope: records``) says nothing of a host's outage: it is
    passed over, or one click between two nightly passes would make the next forget when an
    outage began (``outage_max_days``).
    """
    recent = session.scalars(
        select(HarvestRun)
        .where(HarvestRun.kind == KIND, HarvestRun.status == "completed")
        .order_by(HarvestRun.id.desc())
        .limit(RECENT_RUNS)
    )
    run = next((r for r in recent if (r.checkpoint or {}).get("scope") != RECORDS_SCOPE), None)
    found: dict[str, datetime] = {}
    for entry in ((run.checkpoint or {}).get("hosts_down") or []) if run else []:
        try:
            found[str(entry["host"])] = datetime.fromisoformat(str(entry["since"]))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def _apply(
    factory: sessionmaker[Session],
    results: list[LinkResult],
    outages: Mapping[str, Any],
    configs: Mapping[str, SourceConfig],
    source_of: Mapping[str, str],
    run_ids: Mapping[str, int],
    rulebook: Rulebook,
) -> tuple[dict[str, Counter[str]], Counter[str], set[str]]:
    """Keep, judge and apply ``results`` in batches; counts per source, what was applied, and the
    records whose status changed (to publish)."""
    rules = rulebook.policy.rules
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    applied: Counter[str] = Counter()
    touched: set[str] = set()
    kept = [r for r in results if r.extra.get("skip") not in NOT_CHECKED]
    judged, spared = spare(kept, outages)
    spared_ids = {r.record_id for r in spared}
    applied["spared"] = len(spared)
    for result in results:
        source_id = source_of.get(result.record_id, "*")
        counts[source_id][result.outcome.value] += 1
        if result.outcome is not Outcome.SKIPPED:
            counts[source_id]["checked"] += 1
    to_judge = {r.record_id for r in judged}
    for start in range(0, len(kept), BATCH):
        batch = kept[start : start + BATCH]
        ids = [r.record_id for r in batch]
        with factory.begin() as session:
            rows = {r.id: r for r in session.scalars(select(ResourceRow).where(ResourceRow.id.in_(ids)))}
            present = [r for r in batch if r.record_id in rows]
            health_rows = load_rows(session, [r.record_id for r in present])
            for result in present:
                row = rows[result.record_id]
                run_id = run_ids.get(row.source_id)
                add_checks(session, [result], run_id=run_id, spared=spared_ids)
                health_row = health_rows.get(row.id)
                if result.record_id not in to_judge or not judged_status(row.status, health_row):
                    continue
                if landing_url(row.record) != result.url:  # corrected meanwhile: judged next run
                    continue
                previous = health_from_json(health_row.health if health_row else None)
                judgement = judge(previous, result, rules.links)
                source = configs.get(row.source_id)
                outcome = apply_judgement(
                    session,
                    row,
                    health_row,
                    judgement,
                    rules=rules,
                    review=source.review if source else "on-issues",
                    run_id=run_id,
                    reason=result.reason,
                )
                _count_applied(
                    applied, judgement.action.value, outcome.kept, outcome.unpublished, outcome.restored
                )
                if redecide(session, row, judgement, rulebook):
                    applied["restored"] += row.status == Status.APPROVED.value
                link_moved = public_link(previous, result.url) != public_link(judgement.health, result.url)
                if outcome.changed or (link_moved and row.status == Status.APPROVED.value):
                    touched.add(row.id)
            session.flush()
            prune_checks(session, [r.record_id for r in present])
    return counts, applied, touched


def _count_applied(applied: Counter[str], action: str, kept: bool, unpublished: bool, restored: bool) -> None:
    names = {"declare_broken": "declared_broken", "recovered": "recovered", "moved": "moved"}
    if action in names:
        applied[names[action]] += 1
    applied["kept_published"] += kept
    applied["unpublished"] += unpublished
    applied["restored"] += restored


def _publish(
    factory: sessionmaker[Session],
    settings: Settings,
    rulebook: Rulebook,
    touched: Collection[str],
    client: OpenSearch | None,
) -> dict[str, int]:
    """Send the changed records to the index now; a deferred publication is counted, not raised."""
    if not touched:
        return {"indexed": 0, "removed": 0, "publish_deferred": 0}
    own = client is None
    client = client or make_client(settings)
    try:
        report = index_changes(
            factory,
            client,
            settings.index_prefix,
            portals=list(rulebook.policy.portals),
            vocabularies=rulebook.vocabularies,
            resource_ids=sorted(touched),
            layout=IndexLayout.from_settings(settings),
        )
    except (OpenSearchException, IndexingError, OSError) as exc:
        log.warning(
            "liens : publication différée, le prochain « ren-index index » l'enverra / links: publication"
            " deferred to the next `ren-index index` (%d record(s)): %s",
            len(touched),
            exc,
        )
        return {"indexed": 0, "removed": 0, "publish_deferred": len(touched)}
    finally:
        if own:
            client.close()
    counts = report["counts"]
    return {"indexed": counts["indexed"], "removed": counts["removed"], "publish_deferred": counts["errors"]}


def _finish(
    factory: sessionmaker[Session],
    settings: Settings,
    run_ids: Mapping[str, int],
    counts: Mapping[str, Counter[str]],
    applied: Counter[str],
    hosts_down: list[dict[str, object]],
    started: datetime,
    scope: str,
) -> RunReport:
    """Close every run of the pass ``completed``; the pass's report; the webhook told of outages."""
    source_of_run = {run_id: source_id for source_id, run_id in run_ids.items()}
    with factory.begin() as session:
        reports = []
        for run_id, source_id in source_of_run.items():
            run = session.get_one(HarvestRun, run_id)
            run.counts = {key: int(counts.get(source_id, Counter())[key]) for key in LINK_COUNTS}
            run.checkpoint = {
                "scope": scope,
                "hosts_down": hosts_down,
                "applied": {k: int(applied[k]) for k in sorted(applied)},
            }
            run.status = "completed"
            run.finished_at = utcnow()
            reports.append(run_report(run))
    report = pass_report(reports, run_ids, started, hosts_down, applied)
    if hosts_down:
        notify_run(settings, report)
    return report


def pass_report(
    reports: Sequence[RunReport],
    run_ids: Mapping[str, int],
    started: datetime,
    hosts_down: list[dict[str, object]],
    applied: Mapping[str, int],
    status: str = "completed",
) -> RunReport:
    """The report of a whole pass: the runs' counts added up (``source`` ``*`` over several)."""
    total = Counter[str]()
    for each in reports:
        total.update(each["counts"])
    duration = round((datetime.now(UTC) - started).total_seconds(), 3)
    report: RunReport = {
        "run_id": min(run_ids.values()) if run_ids else None,
        "source": next(iter(run_ids)) if len(run_ids) == 1 else "*",
        "kind": KIND,
        "status": status,
        "counts": {key: int(total[key]) for key in LINK_COUNTS},
        "hosts_down": hosts_down,
        "duration_s": duration,
        "throughput": round(total["checked"] / duration, 1) if duration else None,
        "applied": {
            key: int(applied.get(key, 0)) for key in (*APPLIED, "indexed", "removed", "publish_deferred")
        },
        "runs": dict(run_ids),
    }
    return report


def _fail(
    factory: sessionmaker[Session],
    settings: Settings,
    run_ids: Mapping[str, int],
    exc: BaseException,
    resume: str,
    started: datetime,
) -> RunReport:
    """Close the pass's runs ``failed`` with one line and the command that resumes it; tell the webhook."""
    what = str(exc) or type(exc).__name__
    message = (
        f"vérification des liens interrompue ({type(exc).__name__} : {what}) ; ce qui a été appliqué"
        f" reste / link check stopped ({type(exc).__name__}: {what}); what was applied stays"
    )
    log.info("links: traceback", exc_info=True)
    error = {"message": " ".join(message.split()), "resume": resume}
    reports: list[RunReport] = []
    with factory.begin() as session:
        for run_id in run_ids.values():
            run = session.get_one(HarvestRun, run_id)
            if run.status == "running":
                run.status = "failed"
                run.error = error
                run.finished_at = utcnow()
            reports.append(run_report(run))
    report = pass_report(reports, run_ids, started, [], {}, status="failed")
    report["error"] = error
    notify_run(settings, report)
    return report
