"""« Vérifier maintenant / check now »: one record's link, checked at once by the links step itself.

A documentalist who has just corrected an address, or who doubts a « brisé » verdict, wants the
answer now, not after tonight's pass. The check goes through :func:`ren_index.steps.links.check_links`
with ``record_ids`` (the record is checked whether due or not), so everything a nightly pass does
happens here too, the same way: the address policy and ``robots.txt``, the patience rules (one
success clears a broken link; one more failure counts as one, and the span rule still holds, so
pressing the button again and again cannot declare a link broken faster), the issues, the status,
the audit events (actor ``links``), the ``links`` run row of the record's source, and the index.

Bounds: the run's ``deadline`` is :data:`DEADLINE_S` (a person waits for the page) and the
per-request timeout no more than :data:`TIMEOUT_S`; the per-host delay of ``validation.yaml`` is
kept (politeness does not depend on who asks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from opensearchpy import OpenSearch
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.ledger.models import ResourceRow
from ren_index.links.checker import CheckerConfig
from ren_index.links.outcomes import LinkResult
from ren_index.runs.report import RunReport
from ren_index.settings import Settings
from ren_index.steps.links import LIVE, check_links, checker_config, landing_url

DEADLINE_S = 30.0
"""Seconds the whole check may take (robots.txt, HEAD, GET, redirects): a person is waiting."""
TIMEOUT_S = 10.0
"""Seconds one request may take, at most (``links.timeout_s`` when lower)."""


@dataclass(frozen=True)
class CheckNow:
    """What « check now » did: the check's result and the pass's report, or why nothing was asked."""

    record_id: str
    refused: str | None = None
    """``missing`` (no such record), ``not_live`` (rejected or withdrawn: never checked), ``no_url``
    (no web address to check); ``None`` when the check ran."""
    result: LinkResult | None = None
    report: RunReport | None = None


def check_config(settings: Settings, rulebook: Rulebook) -> CheckerConfig:
    """The checker's bounds for one link a person is waiting for (:data:`DEADLINE_S`, :data:`TIMEOUT_S`)."""
    rules = rulebook.policy.rules.links
    return checker_config(
        settings, rules, deadline=DEADLINE_S, request_timeout=min(float(rules.timeout_s), TIMEOUT_S)
    )


def check_now(
    factory: sessionmaker[Session],
    settings: Settings,
    rulebook: Rulebook,
    record_id: str,
    *,
    sources: Mapping[str, SourceConfig] | None = None,
    config: CheckerConfig | None = None,
    client: OpenSearch | None = None,
    now: datetime | None = None,
) -> CheckNow:
    """Check ``record_id``'s landing URL now and apply what was found (never raises for the link)."""
    with factory() as session:
        row = session.get(ResourceRow, record_id)
        if row is None:
            return CheckNow(record_id, refused="missing")
        if row.status not in LIVE:
            return CheckNow(record_id, refused="not_live")
        if landing_url(row.record) is None:
            return CheckNow(record_id, refused="no_url")
        source_id = row.source_id
    found: list[LinkResult] = []
    report = check_links(
        factory,
        settings,
        rulebook,
        sources={source_id: sources[source_id]} if sources and source_id in sources else None,
        source_ids=[source_id],
        record_ids=[record_id],
        now=now,
        config=config or check_config(settings, rulebook),
        client=client,
        on_result=found.append,
    )
    result = next((r for r in found if r.record_id == record_id), None)
    return CheckNow(record_id, result=result, report=report)
