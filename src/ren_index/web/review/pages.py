"""The documentalists' pages: dashboard, queue, record and the audit trail as CSV (the reads).

Pages are readable by every logged-in person; every write needs a documentalist or an admin
(:data:`Decider`) and the session's CSRF token (checked app-wide). Writes call the review services
(:mod:`ren_index.review.decisions`), then publish the decided records at once
(:mod:`ren_index.review.publish`) and answer 303 with a flash message, so a reload never repeats a decision.

After approving or rejecting from a record page the person is taken to the next record of the
same filtered queue: working through a queue is the job, one record after another.

A platform's contribution (a record of a source of type ``contributions``) is shown like any
record, with what sets it apart: who contributed it and through which platform, and "received"
where a harvested record says "harvested" (:func:`_contribution`). The queue marks contributions and
filters on the origin; the dashboard marks the platforms among the sources.

Link health (issue 15, :mod:`ren_index.web.review.links`): the record page shows what the
record's link does and its last checks, with « Vérifier maintenant »; the queue filters and counts
by link state (``link``); the dashboard counts the live records per link state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import local_time
from ren_index.config.issue_codes import label as issue_label
from ren_index.config.languages import language_name
from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import TextRules, load_text_rules
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.models import Overlay, RawRecordRow, ResourceRow, SourceRow
from ren_index.model import Issue, Resource, Status
from ren_index.quality.score import PART_NAMES, score
from ren_index.review import queries as review_queries
from ren_index.review.duplicates_report import percent, source_figures
from ren_index.review.link_report import KINDS as LINK_KINDS
from ren_index.review.link_report import link_counts, record_link
from ren_index.review.source_report import iter_report_csv, report_records
from ren_index.web.auth import CurrentUser
from ren_index.web.deps import get_ledger, render
from ren_index.web.i18n import language_of, t
from ren_index.web.review.deps import PortalsDep, VocabulariesDep, record_url, resolve, source_names
from ren_index.web.review.forms import PAGE_SIZES, encode, positive_int, queue_filters, service_filters
from ren_index.web.review.history import actor_name, present_event
from ren_index.web.review.links import count_rows, present_link
from ren_index.web.review.team import claim_line, record_claim, view_links
from ren_index.web.review.view import (
    bounded_line,
    capitalized,
    concept_label,
    form_values,
    portal_name,
    present_issue,
    pretty_payload,
    record_detail,
)

router = APIRouter(prefix="/review", tags=["review"])


def _limits(request: Request) -> TextRules:
    """The text limits of ``validation.yaml`` (lists show titles cut there), read once per app."""
    state = request.app.state
    rulebook: Rulebook | None = getattr(state, "rulebook", None)
    if rulebook is not None:
        return rulebook.policy.rules.text
    limits: TextRules | None = getattr(state, "text_limits", None)
    if limits is None:
        limits = load_text_rules(state.settings.config_dir)
        state.text_limits = limits
    return limits


# Dashboard ------------------------------------------------------------------------------------------


def _waiting(iso: str, now: datetime) -> dict[str, Any]:
    when = datetime.fromisoformat(iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return {"date": local_time(when), "days": max(0, (now - when).days), "iso": iso}


@router.get("/", response_class=HTMLResponse, summary="Dashboard / tableau de bord")
def dashboard_page(request: Request, user: CurrentUser) -> HTMLResponse:
    factory = get_ledger(request)
    data = review_queries.dashboard(factory)
    now = datetime.now(UTC)
    limits = _limits(request)
    for item in data["oldest"]:
        bounded_line(item, limits)
        item["waiting"] = _waiting(item["waiting_since"], now)
    lang = language_of(request)
    with factory() as session:
        links = count_rows(link_counts(session))
        figures = source_figures(session)  # duplicates across sources: shown once a source has pairs
    duplicates = [dict(vars(f), share=percent(f.share, lang)) for f in figures if f.records or f.pairs]
    context = {
        "data": data,
        "link_rows": links,
        "duplicate_rows": duplicates if any(f.pairs for f in figures) else [],
        "issue_labels": {code: issue_label(code, lang) for code in data["issues"]},
        "platforms": set(data["platforms"]),
        "statuses": [s.value for s in Status],
        "status_max": max(data["statuses"].values(), default=0) or 1,
        "issue_max": max(data["issues"].values(), default=0) or 1,
        "source_names": source_names(factory),
        "page_title": t(request, "dashboard.title"),
    }
    return render(request, "dashboard.html", context)


# Queue ----------------------------------------------------------------------------------------------


def _facet(values: dict[str, int], current: str | None, label: Any, hint: Any = None) -> list[dict[str, Any]]:
    """A filter's options by label; ``hint(value)`` is the secondary text (an issue's code, shown
    as the option's title: people choose by the words, the code is there for who knows it)."""
    found = {**values, **({current: 0} if current and current not in values else {})}
    options = [
        {"value": v, "label": label(v), "count": n, "hint": hint(v) if hint else None}
        for v, n in found.items()
    ]
    return sorted(options, key=lambda o: str(o["label"]).casefold())


def _status_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    counts = dict.fromkeys((s.value for s in Status), 0)
    with factory() as session:
        for status, n in session.execute(
            select(ResourceRow.status, func.count()).group_by(ResourceRow.status)
        ):
            counts[status] = n
    return counts


@router.get("/queue", response_class=HTMLResponse, summary="Review queue / file de validation")
def queue_page(
    request: Request, user: CurrentUser, vocabularies: VocabulariesDep, portals: PortalsDep
) -> HTMLResponse:
    factory = get_ledger(request)
    lang = language_of(request)
    filters = queue_filters(request.query_params)
    size = positive_int(request.query_params.get("size"), PAGE_SIZES[0], PAGE_SIZES)
    page_number = positive_int(request.query_params.get("page"), 1)
    result = review_queries.queue(
        factory,
        **service_filters(filters),
        user=user.name,
        page=page_number,
        size=size,
        vocabularies=vocabularies,
    )
    names = source_names(factory)
    now = datetime.now(UTC)
    limits = _limits(request)
    for item in result.items:
        bounded_line(item, limits)
        item["waiting"] = _waiting(item["waiting_since"], now)
        item["link"] = record_url(item["id"], filters)
        item["claim_line"] = claim_line(item.get("claim"), user.name, lang)
        item["issue_labels"] = [(code, issue_label(code, lang)) for code in item["issue_codes"]]
    statuses = _status_counts(factory)
    facets = {
        "source": _facet(result.counts.get("source", {}), filters.get("source"), lambda v: names.get(v, v)),
        "origin": _facet(
            result.counts.get("origin", {}), filters.get("origin"), lambda v: t(request, f"queue.origin.{v}")
        ),
        "portal": _facet(
            result.counts.get("portal", {}), filters.get("portal"), lambda v: portal_name(portals, v, lang)
        ),
        "issue": _facet(
            result.counts.get("issue", {}),
            filters.get("issue"),
            lambda v: issue_label(v, lang),
            lambda v: t(request, "queue.issue_code", code=v),
        ),
        "level": _facet(
            result.counts.get("level", {}),
            filters.get("level"),
            lambda v: concept_label(vocabularies.levels, v, lang),
        ),
        "language": _facet(
            result.counts.get("language", {}),
            filters.get("language"),
            lambda v: f"{capitalized(language_name(v, lang))} ({v})",
        ),
    }
    context = {
        "result": result,
        "filters": filters,
        "status": filters.get("status", Status.NEEDS_REVIEW.value),
        "sort": filters.get("sort", "oldest"),
        "size": size,
        "sizes": PAGE_SIZES,
        "statuses": statuses,
        "status_total": sum(statuses.values()),
        "facets": facets,
        "source_names": names,
        "filters_query": encode(filters).lstrip("?"),
        "claim_counts": result.counts.get("claim", {}),
        "link_counts": result.counts.get("link", {}),
        "link_kinds": LINK_KINDS,
        "views": view_links(request, user.name, filters),
        "page_link": lambda n: (
            "/review/queue" + encode(filters, page=n, size=size if size != PAGE_SIZES[0] else 0)
        ),
        "page_title": t(request, "queue.title"),
    }
    return render(request, "queue.html", context)


# Record ---------------------------------------------------------------------------------------------


def _shortcuts(
    request: Request, previous: bool, following: bool, approve: bool
) -> list[tuple[list[str], str]]:
    """The record page's keyboard shortcuts this person can use here: ``(keys, what they do)``."""
    shortcuts = [
        (["j", "n"], "record.keys.next", following),
        (["k", "p"], "record.keys.previous", previous),
        (["a"], "record.keys.approve", approve),
        (["u"], "record.keys.queue", True),
    ]
    return [(keys, t(request, key)) for keys, key, usable in shortcuts if usable]


def _publication(row: ResourceRow) -> str:
    """Where the record stands with the index: ``published``, ``pending``, ``pending_removal`` or ``none``."""
    if row.status == Status.APPROVED.value:
        if row.indexed_hash is None or (row.indexed_at is not None and row.indexed_at < row.decided_at):
            return "pending"
        return "published"
    return "pending_removal" if row.indexed_hash is not None else "none"


@router.get("/records/{record_id}", response_class=HTMLResponse, summary="One record / une notice")
def record_page(
    request: Request, record_id: str, user: CurrentUser, vocabularies: VocabulariesDep, portals: PortalsDep
) -> HTMLResponse:
    factory = get_ledger(request)
    lang = language_of(request)
    filters = queue_filters(request.query_params)
    rid = resolve(factory, record_id)
    with factory() as session:
        row = session.get_one(ResourceRow, rid)
        raw = session.get(RawRecordRow, row.raw_id)
        corrected = {
            o.field: {"actor": o.actor, "at": local_time(o.at)}
            for o in session.scalars(select(Overlay).where(Overlay.resource_id == rid))
        }
        detail = record_detail(row, raw, vocabularies, portals, lang)
        payload_kind, payload = pretty_payload(raw.payload if raw else None)
        issues = [present_issue(issue, i, vocabularies, lang) for i, issue in enumerate(row.issues or [])]
        quality = _quality(detail.get("resource"), row.issues or [], vocabularies, lang)
        source_id = row.source_id
        source = session.get(SourceRow, source_id)
        contribution = _contribution(source.type if source else None, detail.get("resource"), raw)
        state = {
            "id": row.id,
            "status": row.status,
            "source": row.source_id,
            "decided_by": actor_name(row.decided_by, lang),
            "decided_at": local_time(row.decided_at),
            "publication": _publication(row),
            "indexed_at": local_time(row.indexed_at) if row.indexed_at else None,
            "version": row.version or 1,  # every form posts it back: a stale page is refused (409)
        }
        link = present_link(record_link(session, rid))
    previous_id, next_id = review_queries.neighbours(
        factory, rid, **service_filters(filters), user=user.name, vocabularies=vocabularies
    )
    claim = record_claim(
        request, rid, user.name, user.can_decide and state["status"] != Status.DELETED.value, lang
    )
    events = review_queries.history(factory, rid)
    events = [present_event(event, vocabularies, portals, lang) for event in events]
    for event in events:
        event["when"] = local_time(event["at"])
    previous_link = record_url(previous_id, filters) if previous_id else None
    next_link = record_url(next_id, filters) if next_id else None
    can_approve = user.can_decide and state["status"] not in (Status.APPROVED.value, Status.DELETED.value)
    context = {
        "record": state,
        "detail": detail,
        "issues": issues,
        "quality": quality,
        "corrected": corrected,
        "payload": payload,
        "payload_kind": payload_kind,
        "events": events,
        "form": form_values(detail.get("resource"), vocabularies, lang) if user.can_decide else {},
        "filters": filters,
        "filters_query": encode(filters).lstrip("?"),
        "queue_link": "/review/queue" + encode(filters),
        "previous_link": previous_link,
        "next_link": next_link,
        "shortcuts": _shortcuts(request, bool(previous_link), bool(next_link), can_approve),
        "source_name": source_names(factory).get(source_id, source_id),
        "contribution": contribution,
        "claim": claim,
        "link": link,
    }
    return render(request, "record.html", context)


def _contribution(
    source_type: str | None, resource: Resource | None, raw: RawRecordRow | None
) -> dict[str, Any] | None:
    """What the record page says of a contribution (``None`` for a harvested record).

    The contributor is the platform's public view of the person (display name, organisation), as
    the platform sent it: text for the template to escape, like every submitted value. "Received"
    is when the platform last sent this version (the provenance's date, else the raw record's).
    """
    if review_queries.origin_of(source_type) != review_queries.CONTRIBUTIONS:
        return None
    provenance = resource.provenance if resource else None
    contributor = provenance.contributor if provenance else None
    received = (provenance.harvested_at if provenance else None) or (raw.last_seen if raw else None)
    return {
        "name": (contributor.display_name or contributor.id) if contributor else None,
        "organisation": contributor.organisation if contributor else None,
        "received": local_time(received) if received else None,
    }


def _quality(
    resource: Resource | None, issues: list[dict[str, Any]], vocabularies: Vocabularies, lang: str
) -> dict[str, Any] | None:
    """The record's score explained in the page's language: parts earned, penalty, what would raise it."""
    if resource is None:
        return None
    found = score(resource, [Issue.model_validate(i) for i in issues], vocabularies)
    english = lang == "en"
    return {
        "score": found.score,
        "penalty": found.penalty,
        "parts": [
            {"name": PART_NAMES[p.code][english], "earned": p.earned, "weight": p.weight, "code": p.code}
            for p in found.parts
        ],
        "missing": [
            {"code": m.code, "points": m.points, "label": m.label_en if english else m.label_fr}
            for m in found.missing
        ],
    }


# Audit trail ----------------------------------------------------------------------------------------


def _csv(chunks: Iterator[str], filename: str) -> StreamingResponse:
    """CSV with a byte-order mark, so spreadsheets open the accents right."""

    def body() -> Iterator[bytes]:
        yield review_queries.CSV_BOM.encode()
        for chunk in chunks:
            yield chunk.encode("utf-8")

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/events.csv", summary="The audit trail as CSV / journal en CSV")
def events_csv(request: Request, user: CurrentUser) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return _csv(review_queries.iter_events_csv(get_ledger(request)), f"ren-index-journal-{stamp}.csv")


@router.get("/records/{record_id}/history.csv", summary="One record's history as CSV / historique")
def record_history_csv(request: Request, record_id: str, user: CurrentUser) -> Response:
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    text = review_queries.events_csv(factory, rid)
    return _csv(iter([text]), f"ren-index-historique-{rid[:12]}.csv")


@router.get(
    "/sources/{source_id}/report.csv", summary="A source's report for its partner / rapport d'une source"
)
def source_report_csv(
    request: Request, source_id: str, user: CurrentUser, vocabularies: VocabulariesDep
) -> Response:
    """Every record of the source with its issues, score and what would raise it (``sources report``)."""
    factory = get_ledger(request)
    with factory() as session:
        if session.get(SourceRow, source_id) is None:
            raise HTTPException(status_code=404)
    records = report_records(factory, source_id, vocabularies)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return _csv(iter_report_csv(records), f"ren-index-rapport-{source_id}-{stamp}.csv")
