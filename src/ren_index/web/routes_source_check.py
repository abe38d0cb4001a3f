"""``/review/sources/check``: try a source before adding it, from the browser.

The judgment is :func:`ren_index.steps.source_check.check_source` (the same as ``ren-index
sources check``, nothing written to the ledger); this page turns the form into the source to try
and the report into words: what the repository says, its formats and first sets, the projected
outcome per portal (the portal's name from ``portals.yaml``), the issues by count with their
labels and three examples, the field coverage, why it stopped, and the entry to paste.

A check reads the network for seconds or minutes: the POST route is a plain ``def``, which
FastAPI runs in its thread pool, so the server's event loop keeps answering others meanwhile. The
sample is bounded (at most :data:`~ren_index.steps.source_check.MAX_SAMPLE`). Only librarians
and admins may make the server fetch an address; a ``lom-files`` path must stay inside the
configuration folder (a relative path without ``..``), as one in ``sources.yaml`` would.

``GET /review/sources/check?source=ID`` fills the form for a known source (the link on its page
and in ``ren-index sources list``): a source of ``sources.yaml`` by its id — so the check uses
its whole entry, columns and defaults included — with its type, prefix and set shown; one the
ledger alone remembers by its URL or path. Nothing is fetched on GET: a check runs on POST only
(with the session's CSRF token). An unknown id, or a contributions platform, is said on the page.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from ren_index.config.clock import local_time
from ren_index.config.issue_codes import label as issue_label
from ren_index.config.sources import SourceConfig, load_sources
from ren_index.errors import ConfigError, RenIndexError
from ren_index.review.source_page import find_source
from ren_index.settings import Settings
from ren_index.steps.source_check import DEFAULT_SAMPLE, MAX_SAMPLE, check_source
from ren_index.web.auth import Operator
from ren_index.web.console_view import one_line
from ren_index.web.deps import SettingsDep, get_ledger, render
from ren_index.web.i18n import language_of, t
from ren_index.web.review.deps import PortalsDep, RulebookDep
from ren_index.web.review.view import portal_name

router = APIRouter(prefix="/review", tags=["review: sources"])

TYPES = ("oai", "rss", "jsonld", "csv", "lom-files")
MAX_TARGET = 2000
OUTCOMES = ("approved", "needs_review", "rejected")


class CheckRequestError(ValueError):
    """The form asks for something that cannot be tried (said on the page, nothing fetched)."""


def candidate(
    settings: Settings, target: str, kind: str | None, prefix: str | None, set_spec: str | None
) -> SourceConfig:
    """The configured source named ``target`` (its prefix or set replaced if asked), else a
    candidate at that URL or path, as ``sources check`` builds it."""
    target = target.strip()
    if not target or len(target) > MAX_TARGET:
        raise CheckRequestError("adresse ou identifiant requis / an address or a source id is required")
    if kind is not None and kind not in TYPES:
        raise CheckRequestError(f"type inconnu / unknown type {kind!r}")
    try:
        sources = load_sources(settings.config_dir / "sources.yaml")
    except ConfigError:
        sources = None
    if sources is not None and target in sources and kind in (None, sources[target].type):
        update: dict[str, Any] = {}
        if prefix:
            update["metadata_prefix"] = prefix
        if set_spec:
            update["sets"] = [set_spec]
        return sources[target].model_copy(update=update)
    kind = kind or "oai"
    if kind == "lom-files":
        path = PurePosixPath(target)
        if path.is_absolute() or ".." in path.parts or "\\" in target:
            raise CheckRequestError(
                "un chemin relatif au dossier de configuration, sans « .. » / a path relative to the"
                " configuration folder, without '..'"
            )
        where = {"path": target}
    else:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CheckRequestError("une adresse http(s) complète / a full http(s) address")
        where = {"url": target}
    try:
        return SourceConfig.model_validate(
            {
                "id": "candidate",
                "name": "candidate",
                "type": kind,
                **where,
                **({"metadata_prefix": prefix} if prefix else {}),
                "sets": [set_spec] if set_spec else [],
            }
        )
    except ValidationError as exc:
        raise CheckRequestError(one_line(exc)) from None


def present(report: dict[str, Any], portals: Any, lang: str) -> dict[str, Any]:
    """The check's report in the page's words: portal names, issue labels, the YAML to paste."""
    sample = report["sample"]
    earliest = report["source"].get("earliest_datestamp")
    return {
        **report,
        # A moment in Montreal time; a day (granularity YYYY-MM-DD) as the repository wrote it.
        "earliest": local_time(earliest) if isinstance(earliest, str) and "T" in earliest else earliest,
        "portals": [
            {"name": portal_name(portals, pid, lang), "counts": [counts.get(s, 0) for s in OUTCOMES]}
            for pid, counts in sample["portals"].items()
        ],
        "issues": [
            {
                "code": code,
                "label": issue_label(code, lang),
                "count": n,
                "examples": [e.get("title") or e.get("identifier") for e in sample["examples"].get(code, [])],
            }
            for code, n in sample["issues"].items()
        ],
        "yaml": yaml.safe_dump({"sources": report["config"]}, allow_unicode=True, sort_keys=False).rstrip(),
    }


def _page(request: Request, form: dict[str, Any], *, status: int | None = None, **extra: Any) -> HTMLResponse:
    context = {
        "page_title": t(request, "check.title"),
        "form": form,
        "types": TYPES,
        "outcomes": OUTCOMES,
        "max_sample": MAX_SAMPLE,
        **extra,
    }
    code = status if status is not None else 200 if "error" not in extra else 400
    return render(request, "source_check.html", context, status_code=code)


def _empty_form(target: str = "") -> dict[str, Any]:
    return {"target": target[:MAX_TARGET], "type": "", "prefix": "", "set": "", "sample": DEFAULT_SAMPLE}


def _prefilled(request: Request, settings: Settings, source_id: str) -> HTMLResponse:
    """The form filled for a known source; an unknown id or a platform refused in words (no fetch)."""
    source_id = source_id.strip()[:MAX_TARGET]
    with get_ledger(request)() as session:
        source, configured = find_source(session, settings.config_dir, source_id)
    if source is None:
        error = t(request, "check.unknown_source", id=source_id)
        return _page(request, _empty_form(), status=404, error=error)
    if source.type not in TYPES:
        error = t(request, "check.not_checkable", id=source_id)
        return _page(request, _empty_form(), status=400, error=error)
    where = source.path or source.url
    form = {
        # A configured source is tried by its id: its whole entry (columns, defaults) is used.
        "target": source.id if configured else where,
        "type": source.type,
        "prefix": source.metadata_prefix if source.type == "oai" else "",
        # One set is shown; several are kept by leaving the field empty (the entry's sets are used).
        "set": source.sets[0] if len(source.sets) == 1 else "",
        "sample": DEFAULT_SAMPLE,
    }
    about = t(request, "check.prefilled", name=source.name, id=source.id, kind=source.type, where=where)
    return _page(request, form, prefilled=about)


@router.get("/sources/check", response_class=HTMLResponse, summary="Essayer une source / try a source")
def check_form(
    request: Request, user: Operator, settings: SettingsDep, target: str = "", source: str = ""
) -> HTMLResponse:
    """The form: empty, or filled for a known source (``?source=ID``); ``?target=`` puts text in the
    address field as it is. Never runs the check (that is the POST)."""
    if source.strip():
        return _prefilled(request, settings, source)
    return _page(request, _empty_form(target))


@router.post("/sources/check", response_class=HTMLResponse, summary="Essayer une source / try a source")
def check_submit(
    request: Request,
    user: Operator,
    settings: SettingsDep,
    rulebook: RulebookDep,
    portals: PortalsDep,
    target: Annotated[str, Form()] = "",
    kind: Annotated[str, Form(alias="type")] = "",
    prefix: Annotated[str, Form()] = "",
    set_spec: Annotated[str, Form(alias="set")] = "",
    sample: Annotated[str, Form()] = str(DEFAULT_SAMPLE),
) -> HTMLResponse:
    """Run the check (in the thread pool: this is a plain ``def``) and show its report."""
    form = {"target": target[:MAX_TARGET], "type": kind, "prefix": prefix, "set": set_spec, "sample": sample}
    try:
        size = int(sample)
        if not 1 <= size <= MAX_SAMPLE:
            raise CheckRequestError(f"échantillon de 1 à {MAX_SAMPLE} / sample of 1 to {MAX_SAMPLE}")
        source = candidate(settings, target, kind or None, prefix.strip() or None, set_spec.strip() or None)
    except ValueError as exc:
        reason = str(exc) if isinstance(exc, CheckRequestError) else f"échantillon / sample: {sample!r}"
        return _page(request, form, error=t(request, "check.invalid", reason=reason))
    try:
        report = check_source(source, settings, rulebook, sample=size, prefix=prefix.strip() or None)
    except RenIndexError as exc:  # a source that cannot even be tried (a dump that is not there…)
        return _page(request, form, error=t(request, "check.invalid", reason=one_line(exc, 500)))
    return _page(request, form, report=present(report, portals, language_of(request)))
