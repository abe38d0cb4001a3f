"""Records as people and programs see them: the JSON shape of DESIGN.md's contracts.

Used by ``queue --json``, ``review show --json``, ``search --json`` and later the web app, so
every surface shows the same record the same way. Levels and licence carry their SKOS labels in
French and English when the vocabularies are given.

Records with their issues (``queue --json``, ``review show --json``) also carry
``quality: {score, missing: [...]}`` (:mod:`ren_index.quality.score`), computed here from the same
record and issues the process step scored, so the number and its explanation always agree.
They also say where the record came from: ``source_type`` (the source's ``type``: ``oai``,
``csv``… or ``contributions`` for a platform's contribution, given by the caller, who reads the
source row) and ``contributor`` (``{id, display_name, organisation}`` of a contribution's
submitter, else ``null``). Only there: search results are public, and who contributed a record —
like who approved it — is the documentalists' business until a portal decides to show it.
"""

from __future__ import annotations

from typing import Any

from ren_index.config.vocabularies import Vocabularies, Vocabulary
from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import Issue, Resource, pick_lang
from ren_index.quality.score import score


def record_view(
    row: ResourceRow,
    raw: RawRecordRow | None = None,
    *,
    with_issues: bool = True,
    vocabularies: Vocabularies | None = None,
    source_type: str | None = None,
) -> dict[str, Any]:
    """One record in the contract shape (``issues``, ``quality``, ``source_type`` and
    ``contributor`` left out for search results)."""
    resource = Resource.model_validate(row.record) if row.record else None
    identifier = raw.identifier if raw else (resource.provenance.identifier if resource else None)
    view: dict[str, Any] = {
        "id": row.id,
        "source": row.source_id,
        "source_identifier": identifier,
        "status": row.status,
        "portals": list(row.portals or []),
        "title": _fr_en(resource.general.title) if resource else {"fr": None, "en": None},
        "url": resource.url if resource else None,
        "languages": _languages(resource),
        "levels": _levels(resource, vocabularies.levels if vocabularies else None),
        "licence": _licence(resource, vocabularies.licences if vocabularies else None),
        "decided_by": row.decided_by,
    }
    if with_issues:
        view["issues"] = list(row.issues or [])
        view["quality"] = quality_view(resource, row.issues or [], vocabularies)
        view["source_type"] = source_type
        contributor = resource.provenance.contributor if resource else None
        view["contributor"] = contributor.model_dump(mode="json") if contributor else None
    return view


def quality_view(
    resource: Resource | None, issues: list[dict[str, Any]], vocabularies: Vocabularies | None
) -> dict[str, object] | None:
    """``{score, missing: [{code, points, label_fr, label_en}]}``; ``None`` for a record never built."""
    if resource is None:
        return None
    return score(resource, [Issue.model_validate(i) for i in issues], vocabularies).as_json()


def _fr_en(text: dict[str, str]) -> dict[str, str | None]:
    french = {k: v for k, v in text.items() if k == "fr" or k.startswith("fr-")}
    english = {k: v for k, v in text.items() if k == "en" or k.startswith("en-")}
    fr = pick_lang(french) if french else None
    en = pick_lang(english) if english else None
    if fr is None and en is None and text:
        fr = pick_lang(text)
    return {"fr": fr, "en": en}


def _languages(resource: Resource | None) -> list[str]:
    if resource is None:
        return []
    return list(resource.controlled.languages or resource.general.languages)


def _labels(vocab: Vocabulary | None, uri: str) -> tuple[str | None, str | None]:
    concept = vocab.get(uri) if vocab else None
    if concept is None:
        return None, None
    return concept.pref_labels.get("fr"), concept.pref_labels.get("en")


def _levels(resource: Resource | None, vocab: Vocabulary | None) -> list[dict[str, str | None]]:
    if resource is None:
        return []
    levels = []
    for uri in resource.controlled.levels:
        fr, en = _labels(vocab, uri)
        levels.append({"uri": uri, "label_fr": fr, "label_en": en})
    return levels


def _licence(resource: Resource | None, vocab: Vocabulary | None) -> dict[str, str | None]:
    if resource is None:
        return {"uri": None, "label_fr": None, "label_en": None, "raw": None}
    raw = (
        resource.controlled.licence_raw
        or pick_lang(resource.rights.description)
        or resource.rights.licence_uri
    )
    uri = resource.controlled.licence
    fr, en = _labels(vocab, uri) if uri else (None, None)
    return {"uri": uri, "label_fr": fr, "label_en": en, "raw": raw}
