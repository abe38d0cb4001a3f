"""Records as people and programs see them: the JSON shape of DESIGN.md's contracts.

Used by ``queue --json``, ``review show --json``, ``search --json`` and later the web app, so
every surface shows the same record the same way.
"""

from __future__ import annotations

from typing import Any

from ren_index.ledger.models import RawRecordRow, ResourceRow
from ren_index.model import Resource, pick_lang


def record_view(
    row: ResourceRow, raw: RawRecordRow | None = None, *, with_issues: bool = True
) -> dict[str, Any]:
    """One record in the contract shape (``issues`` left out for search results)."""
    resource = Resource.model_validate(row.record) if row.record else None
    view: dict[str, Any] = {
        "id": row.id,
        "source": row.source_id,
        "source_identifier": raw.identifier
        if raw
        else (resource.provenance.identifier if resource else None),
        "status": row.status,
        "portals": list(row.portals or []),
        "title": _fr_en(resource.general.title) if resource else {"fr": None, "en": None},
        "url": resource.url if resource else None,
        "languages": list(resource.general.languages) if resource else [],
        "levels": [
            {"uri": None, "label_fr": t.value, "label_en": t.value, "source": t.source}
            for t in (resource.educational.contexts if resource else [])
        ],
        "licence": _licence(resource),
        "decided_by": row.decided_by,
    }
    if with_issues:
        view["issues"] = list(row.issues or [])
    return view


def _fr_en(text: dict[str, str]) -> dict[str, str | None]:
    french = {k: v for k, v in text.items() if k == "fr" or k.startswith("fr-")}
    english = {k: v for k, v in text.items() if k == "en" or k.startswith("en-")}
    fr = pick_lang(french) if french else None
    en = pick_lang(english) if english else None
    if fr is None and en is None and text:
        fr = pick_lang(text)
    return {"fr": fr, "en": en}


def _licence(resource: Resource | None) -> dict[str, str | None]:
    if resource is None:
        return {"uri": None, "label_fr": None, "label_en": None, "raw": None}
    raw = pick_lang(resource.rights.description) or resource.rights.licence_uri
    return {"uri": resource.rights.licence_uri, "label_fr": None, "label_en": None, "raw": raw}
