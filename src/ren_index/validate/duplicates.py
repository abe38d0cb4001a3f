"""Duplicates: two records that point at the same resource (same normalized URL).

Sources overlap: a college repository and a provincial aggregator often describe the same
resource, and a repository may hold the same resource twice. Showing both in a portal doubles a
result for nothing, but which one to keep is a documentalist's call, so this is a ``warning``
naming the other record, never a silent drop.

The look-up itself needs the ledger, which checks do not touch: it comes in as
:attr:`ValidationContext.duplicate_of` and receives the URL :mod:`.urls` normalized into
``controlled.url`` (that check runs first). ``http`` and ``https`` spellings are the same
address for this purpose, so both are asked for.
"""

from __future__ import annotations

from typing import Any

from ren_index.model import Issue, Resource
from ren_index.validate.context import ValidationContext
from ren_index.validate.urls import scheme_variants


def check_duplicates(resource: Resource, ctx: ValidationContext) -> tuple[dict[str, Any], list[Issue]]:
    """DUPLICATE_URL when another record already has this normalized URL; no controlled value."""
    url = resource.controlled.url
    if not url:
        return {}, []
    other = next((found for found in map(ctx.duplicate_of, scheme_variants(url)) if found), None)
    if other is None:
        return {}, []
    issue = Issue(
        code="DUPLICATE_URL",
        severity="warning",
        field="technical.location",
        message_fr=f"Même URL que la notice {other}.",
        message_en=f"Same URL as record {other}.",
        value=url,
        suggestion=other,
    )
    return {}, [issue]
