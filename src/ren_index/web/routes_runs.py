"""La page des moissons / the runs page: per source, its last runs and a chart of their counts.

Librarians watch how runs go: a glance must show a source whose harvest suddenly brought far
fewer records, or errors. The chart is an SVG drawn on the server (points computed here, markup
in ``runs.html`` with autoescaping), so the page needs no script and passes the CSP.
Each source also shows its documentary quality — how its records' scores spread over bands and
the elements most of them lack (:func:`ren_index.review.source_report.source_quality`) — and links
the report a librarian sends to the partner (``/review/sources/{id}/report.csv``).
The words live here rather than in the shared catalogue, beside the only page that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from ren_index.config.clock import local_time
from ren_index.ledger.models import HarvestRun, SourceRow
from ren_index.quality.summary import SourceQuality
from ren_index.review.source_report import source_quality
from ren_index.web.auth import CurrentUser
from ren_index.web.deps import DbSession, render
from ren_index.web.i18n import language_of
from ren_index.web.review.deps import VocabulariesDep

router = APIRouter(prefix="/review", tags=["review: runs"])

CHART_RUNS = 30
TABLE_RUNS = 10
SERIES = ("harvested", "new", "updated", "deleted", "errors")
COUNT_COLUMNS = ("harvested", "new", "updated", "unchanged", "deleted", "errors")
WIDTH, HEIGHT, PAD = 600, 160, 24

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Moissons",
        "intro": "Les dernières moissons de chaque source et leurs comptes (heure de Montréal).",
        "empty": "Aucune moisson enregistrée pour l'instant.",
        "chart": "Comptes des {n} dernières moissons de {source}",
        "status": "Statut",
        "started": "Début",
        "duration": "Durée",
        "no_runs": "Aucune moisson.",
        "harvested": "moissonnés",
        "new": "nouveaux",
        "updated": "modifiés",
        "unchanged": "inchangés",
        "deleted": "supprimés",
        "errors": "erreurs",
        "completed": "terminée",
        "failed": "échouée",
        "held": "retenue",
        "running": "en cours",
        "quality": "Qualité documentaire",
        "quality_summary": "{records} notices, score moyen {mean}, médian {median}",
        "quality_none": "Aucune notice à évaluer.",
        "quality_band": "Score",
        "quality_records": "Notices",
        "quality_weakest": "Ce qui manque le plus souvent",
        "report_csv": "Rapport pour le partenaire (CSV)",
    },
    "en": {
        "title": "Harvest runs",
        "intro": "The last runs of every source and their counts (Montreal time).",
        "empty": "No run recorded yet.",
        "chart": "Counts of the last {n} runs of {source}",
        "status": "Status",
        "started": "Started",
        "duration": "Duration",
        "no_runs": "No run.",
        "harvested": "harvested",
        "new": "new",
        "updated": "updated",
        "unchanged": "unchanged",
        "deleted": "deleted",
        "errors": "errors",
        "completed": "completed",
        "failed": "failed",
        "held": "held",
        "running": "running",
        "quality": "Documentary quality",
        "quality_summary": "{records} records, mean score {mean}, median {median}",
        "quality_none": "No record to score.",
        "quality_band": "Score",
        "quality_records": "Records",
        "quality_weakest": "What is missing most often",
        "report_csv": "Report for the partner (CSV)",
    },
}


@dataclass
class SourceRuns:
    """What the page shows for one source."""

    id: str
    name: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, str]] = field(default_factory=list)
    peak: int = 0
    quality: SourceQuality | None = None


def _duration(run: HarvestRun) -> str:
    if run.finished_at is None:
        return "—"
    seconds = int((run.finished_at - run.started_at).total_seconds())
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def chart_lines(runs: list[HarvestRun]) -> tuple[list[dict[str, str]], int]:
    """One polyline per series, oldest run on the left; the y scale is the largest count shown."""
    ordered = list(reversed(runs))
    peak = max((int((r.counts or {}).get(s, 0)) for r in ordered for s in SERIES), default=0)
    scale = peak or 1
    step = (WIDTH - 2 * PAD) / max(len(ordered) - 1, 1)
    lines = []
    height = HEIGHT - 2 * PAD
    for series in SERIES:
        values = [int((r.counts or {}).get(series, 0)) for r in ordered]
        points = " ".join(
            f"{PAD + i * step:.1f},{HEIGHT - PAD - v / scale * height:.1f}" for i, v in enumerate(values)
        )
        lines.append({"series": series, "points": points})
    return lines, peak


@router.get("/runs", response_class=HTMLResponse, summary="Les moissons par source / runs per source")
def runs_page(
    request: Request, user: CurrentUser, session: DbSession, vocabularies: VocabulariesDep
) -> HTMLResponse:
    """Every source of the ledger with its last runs (any logged-in role reads it)."""
    words = WORDS.get(language_of(request), WORDS["fr"])
    sources: list[SourceRuns] = []
    for row in session.scalars(select(SourceRow).order_by(SourceRow.id)):
        runs = list(
            session.scalars(
                select(HarvestRun)
                .where(HarvestRun.source_id == row.id, HarvestRun.kind == "harvest")
                .order_by(HarvestRun.id.desc())
                .limit(CHART_RUNS)
            )
        )
        lines, peak = chart_lines(runs)
        sources.append(
            SourceRuns(
                id=row.id,
                name=row.name,
                runs=[
                    {
                        "id": r.id,
                        "status": r.status,
                        "status_label": words.get(r.status, r.status),
                        "started": local_time(r.started_at),
                        "duration": _duration(r),
                        "counts": [int((r.counts or {}).get(c, 0)) for c in COUNT_COLUMNS],
                    }
                    for r in runs[:TABLE_RUNS]
                ],
                lines=lines if len(runs) > 1 else [],
                peak=peak,
                quality=source_quality(session, row.id, vocabularies),
            )
        )
    return render(
        request,
        "runs.html",
        {
            "page_title": words["title"],
            "words": words,
            "english": language_of(request) == "en",
            "sources": sources,
            "series": SERIES,
            "count_columns": COUNT_COLUMNS,
            "chart": {"width": WIDTH, "height": HEIGHT, "pad": PAD, "runs": CHART_RUNS},
        },
    )
