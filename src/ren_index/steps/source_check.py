"""Try a source before adding it: what a harvest of it would bring, without writing the ledger.

``ren-index sources check`` (and the librarians' page ``/review/sources/check``) asks a partner's
repository what it is (Identify), what it offers (formats, first sets), then reads a sample of
records and puts each through the *same* normalize → validate → decide as a harvest would
(:func:`ren_index.steps.process.process_record`). A librarian sees the projected outcome per
portal, the issues by count with examples, the field coverage, and the ``sources.yaml`` entry to
paste — the judgment Europeana's Metis sandbox and ELIXIR TeSS offer before a feed is accepted.

Nothing is written anywhere: the sampled records are ledger rows that are never added to a
session. Duplicates and repeated titles are judged *within the sample*, as the process step
would judge them in a source that holds only these records.

A failure part-way (the repository fails on page 2, a wrong prefix) does not lose what was seen:
the check reports the sample read so far and why it stopped (``stopped``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ren_index.config.rulebook import Rulebook
from ren_index.config.sources import SourceConfig
from ren_index.errors import HarvestError, OaiProtocolError
from ren_index.harvest.base import RawRecord
from ren_index.harvest.oai import OaiHarvester
from ren_index.harvest.oai_lists import MetadataFormat
from ren_index.harvest.oai_response import IdentifyInfo
from ren_index.ledger import store
from ren_index.ledger.models import RawRecordRow, utcnow
from ren_index.model import Resource, Status
from ren_index.normalize.registry import NAMESPACES, PREFIXES
from ren_index.quality.coverage import Tally
from ren_index.settings import Settings
from ren_index.steps.harvest import Harvester, make_harvester
from ren_index.steps.process import normalized, process_record
from ren_index.steps.same_url import url_key
from ren_index.validate.patterns import title_keys

DEFAULT_SAMPLE = 50
MAX_SAMPLE = 1000
"""A check is a look, not a harvest: at most this many records are read."""
MAX_PAGES = 50
"""At most this many list pages are asked for a sample (a repository sending empty pages)."""
EXAMPLES_PER_ISSUE = 3
FREQUENT_ISSUES = 10
"""Examples are given for the this-many most frequent issue codes."""
COVERAGE_PARTS: Any = {
    "general": {"title", "description"},
    "controlled": {"languages", "levels", "licence", "url"},
}
"""The parts of a record :func:`ren_index.quality.coverage.present` reads (the rest is not dumped)."""
FORMAT_PREFERENCE = ("lom", "oai_dc")
"""The best format first: LOM (Normetic) carries levels and licences that Dublin Core lacks."""


@dataclass
class Sample:
    """What the sampled records became, counted as a process run would count them."""

    count: int = 0
    deleted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    portals: dict[str, Counter[str]] = field(default_factory=dict)
    issues: Counter[str] = field(default_factory=Counter)
    coverage: Tally = field(default_factory=Tally)
    """Field coverage, defined once for the check, every process run and the source's page."""
    examples: dict[str, list[dict[str, str | None]]] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    """One line per sampled record: identifier, title, status, portals, issue codes."""


def best_format(formats: list[MetadataFormat], asked: str | None) -> str:
    """The prefix to sample: the one asked, else LOM before Dublin Core, else the first offered.

    A repository's prefixes are names it chose (``oai_lom``, ``lomfr``, ``normetic``…): the
    format is recognised by its namespace first, then by the prefixes the normalizer knows.
    """
    if asked:
        return asked
    known: dict[str, str] = {}
    for fmt in formats:
        family = NAMESPACES.get(fmt.namespace or "") or PREFIXES.get(fmt.prefix.lower())
        if family is not None:
            known.setdefault(family, fmt.prefix)
    for family in FORMAT_PREFERENCE:
        if family in known:
            return known[family]
    return formats[0].prefix if formats else "oai_dc"


def check_source(
    source: SourceConfig,
    settings: Settings,
    rulebook: Rulebook,
    *,
    sample: int = DEFAULT_SAMPLE,
    prefix: str | None = None,
    harvester: Harvester | None = None,
) -> dict[str, Any]:
    """Identify, list formats and sets, then sample ``sample`` records; the JSON-ready report.

    ``source`` is the configured entry or the one a librarian is trying (``--type``, ``--prefix``,
    ``--set``). When ``prefix`` is ``None`` the best format the repository offers is chosen.
    """
    size = max(1, min(sample, MAX_SAMPLE))
    report: dict[str, Any] = {
        "source": {"id": source.id, "type": source.type, "url": source.url or None, "path": source.path},
        "formats": [],
        "sets": [],
        "sets_truncated": False,
        "stopped": None,
    }
    chosen = prefix or (source.metadata_prefix if source.type != "oai" else None)
    records: list[RawRecord] = []
    try:
        if source.type == "oai":
            oai = harvester if isinstance(harvester, OaiHarvester) else _oai_harvester(source, settings)
            info = oai.identify()
            report["source"].update(_identify(info))
            formats = _formats(oai)
            report["formats"] = [f.__dict__ for f in formats]
            chosen = best_format(formats, chosen)
            sets, more = _sets(oai)
            report["sets"], report["sets_truncated"] = [s.__dict__ for s in sets], more
            offered = {f.prefix for f in formats}
            if formats and chosen not in offered:
                raise OaiProtocolError(
                    "cannotDisseminateFormat",
                    f"le dépôt n'offre pas « {chosen} » ; il offre : {', '.join(sorted(offered))} / the"
                    f" repository does not offer {chosen!r}; it offers: {', '.join(sorted(offered))}",
                    endpoint=source.url,
                    metadata_prefix=chosen,
                )
            oai.metadata_prefix = chosen
            walker: Harvester = oai
        else:
            walker = harvester or make_harvester(source, settings)
            report["source"].update(_identify(walker.identify()))
        for record in _first_records(walker, source, size):
            records.append(record)
    except HarvestError as exc:
        report["stopped"] = {
            "message": exc.message,
            "after_records": len(records),
            **{k: v for k, v in exc.context().items() if v is not None and k != "snippet"},
        }
    prefix_used = chosen or source.metadata_prefix
    report["sample"] = _judge(records, source, rulebook)
    report["config"] = suggested_entry(source, report["source"], prefix_used)
    return report


def _oai_harvester(source: SourceConfig, settings: Settings) -> OaiHarvester:
    harvester = make_harvester(source, settings)
    if not isinstance(harvester, OaiHarvester):  # pragma: no cover - type "oai" builds one
        raise TypeError(f"not an OAI-PMH harvester: {type(harvester).__name__}")
    return harvester


def _formats(oai: OaiHarvester) -> list[MetadataFormat]:
    """The formats offered; an empty list when the repository does not answer the verb (the sample
    can still be tried in the prefix asked)."""
    try:
        return oai.formats()
    except OaiProtocolError:
        return []


def _sets(oai: OaiHarvester) -> tuple[list[Any], bool]:
    try:
        return oai.sets(limit=50)
    except OaiProtocolError:
        return [], False


def _identify(info: IdentifyInfo) -> dict[str, Any]:
    return {
        "name": info.repository_name,
        "base_url": info.base_url,
        "granularity": info.granularity,
        "deleted_record": info.deleted_record,
        "earliest_datestamp": info.earliest_datestamp,
    }


def _first_records(harvester: Harvester, source: SourceConfig, size: int) -> Iterator[RawRecord]:
    """The first ``size`` records of the source's first set (or of the whole repository)."""
    set_spec = source.sets[0] if source.sets else None
    seen = 0
    for pages, page in enumerate(harvester.pages(set_spec=set_spec)):
        for record in page.records:
            yield record
            seen += 1
            if seen >= size:
                return
        if pages + 1 >= MAX_PAGES:
            return


def _judge(records: list[RawRecord], source: SourceConfig, rulebook: Rulebook) -> dict[str, Any]:
    """Each record through normalize → validate → decide, duplicates and repeats within the sample."""
    now = utcnow()
    rows = [
        RawRecordRow(
            id=n + 1,
            source_id=source.id,
            identifier=record.identifier or f"(sans identifiant / no identifier #{n + 1})",
            datestamp=record.datestamp,
            deleted=record.deleted,
            metadata_prefix=record.metadata_prefix,
            set_specs=list(record.set_specs),
            payload=record.payload,
            content_hash=record.content_hash,
            first_seen=now,
            last_seen=now,
        )
        for n, record in enumerate(records)
    ]
    titles: Counter[str] = Counter()
    for row in rows:
        if not row.deleted and row.payload is not None:
            titles.update(title_keys(normalized(row)[0]))
    first_with_url: dict[str, str] = {}
    sample = Sample()
    for row in rows:
        if row.deleted:
            sample.deleted += 1
            continue
        rid = store.resource_id(source.id, row.identifier)

        def earlier(url: str, rid: str = rid) -> str | None:
            other = first_with_url.get(url_key(url) or "")
            return other if other != rid else None

        resource, issues, decision = process_record(row, source, rulebook, earlier, None, titles.__getitem__)
        if resource is not None and resource.controlled.url:
            first_with_url.setdefault(url_key(resource.controlled.url) or "", rid)
        _count(sample, row, resource, [i.code for i in issues], decision.status, decision.portals)
    return {
        "count": sample.count,
        "deleted": sample.deleted,
        "outcomes": {s: sample.outcomes[s] for s in ("approved", "needs_review", "rejected")},
        "portals": {p: dict(c) for p, c in sorted(sample.portals.items())},
        "issues": dict(sample.issues.most_common()),
        "coverage": sample.coverage.result()["fields"],
        "examples": {
            code: sample.examples.get(code, []) for code, _n in sample.issues.most_common(FREQUENT_ISSUES)
        },
        "records": sample.records,
    }


def _count(
    sample: Sample,
    row: RawRecordRow,
    resource: Resource | None,
    codes: list[str],
    status: Status,
    portals: list[str],
) -> None:
    sample.count += 1
    sample.outcomes[status.value] += 1
    for portal in portals:
        sample.portals.setdefault(portal, Counter())[status.value] += 1
    title = _title(resource)
    for code in dict.fromkeys(codes):
        sample.issues[code] += 1
        examples = sample.examples.setdefault(code, [])
        if len(examples) < EXAMPLES_PER_ISSUE:
            examples.append({"identifier": row.identifier, "title": title})
    if resource is not None:
        sample.coverage.add(resource.model_dump(mode="json", include=COVERAGE_PARTS))
    sample.records.append(
        {
            "identifier": row.identifier,
            "title": title,
            "status": status.value,
            "portals": portals,
            "issues": codes,
        }
    )


def _title(resource: Resource | None) -> str | None:
    if resource is None:
        return None
    titles = resource.general.title
    return titles.get("fr") or titles.get("en") or next(iter(titles.values()), None)


def suggested_entry(source: SourceConfig, identify: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The ``sources.yaml`` entry to paste: ``{id: {name, type, url|path, metadata_prefix, sets}}``."""
    source_id = source.id if source.id != "candidate" else candidate_id(identify.get("name"), source.url)
    entry: dict[str, Any] = {"name": identify.get("name") or source.name, "type": source.type}
    if source.path:
        entry["path"] = source.path
    else:
        entry["url"] = source.url
    if source.type == "oai":
        entry["metadata_prefix"] = prefix
    if source.sets:
        entry["sets"] = list(source.sets)
    if source.type == "csv" and source.columns:
        entry["columns"] = dict(source.columns)
    return {source_id: entry}


def candidate_id(name: str | None, url: str) -> str:
    """A source id for a repository not configured yet: from its name, else from its host."""
    text = (name or urlsplit(url).hostname or "source").lower()
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40].strip("-")
    return slug or "source"
