"""Publication follows the decision: send the records a person just decided on to the index now.

A documentalist who approves a record expects to find it in search within seconds, and one who
rejects or withdraws a published record expects it gone. :func:`publish` runs the index step on
exactly those records (approved → upserted, anything else that is in the index → removed).

The ledger stays the system of record: when OpenSearch cannot be reached the decision is already
saved, nothing is marked as sent (``indexed_hash`` unchanged), and the next ``ren-index index``
sends it. The caller gets a result it can show as is, never an exception, with a short timeout so
a page does not hang on a sick cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from opensearchpy.exceptions import OpenSearchException
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rules import load_portals
from ren_index.config.vocabularies import Vocabularies
from ren_index.errors import IndexingError
from ren_index.index.client import make_client
from ren_index.index.schema import IndexLayout
from ren_index.settings import Settings
from ren_index.steps.index import index_changes

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 5.0
"""Seconds a publication waits for OpenSearch (the page waits with it)."""

UNREACHABLE_FR = (
    "Décision enregistrée ; OpenSearch est injoignable : la notice sera publiée au prochain"
    " « ren-index index »."
)
UNREACHABLE_EN = (
    "Decision saved; OpenSearch cannot be reached: the record will be published by the next"
    " `ren-index index`."
)


@dataclass(frozen=True)
class PublishResult:
    """What happened in the index; ``published`` is False when something waits for the next run."""

    published: bool
    indexed: int
    removed: int
    message_fr: str
    message_en: str


def publish(
    factory: sessionmaker[Session],
    settings: Settings,
    vocabularies: Vocabularies | None,
    record_ids: Collection[str],
) -> PublishResult:
    """Bring the index in line with the ledger for ``record_ids`` only, right now."""
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        return PublishResult(True, 0, 0, "Rien à publier.", "Nothing to publish.")
    quick = settings.model_copy(
        update={"opensearch_timeout": min(settings.opensearch_timeout, PUBLISH_TIMEOUT)}
    )
    client = make_client(quick)
    client.transport.max_retries = 1  # one retry, not the batch runs' three: a person is waiting
    try:
        report = index_changes(
            factory,
            client,
            settings.index_prefix,
            portals=list(load_portals(settings.config_dir)),
            vocabularies=vocabularies,
            resource_ids=ids,
            layout=IndexLayout.from_settings(settings),
        )
    except (OpenSearchException, IndexingError, OSError) as exc:
        log.warning("publication of %d record(s) deferred: %s", len(ids), exc)
        return PublishResult(False, 0, 0, UNREACHABLE_FR, UNREACHABLE_EN)
    finally:
        client.close()
    counts = report["counts"]
    indexed, removed, errors = counts["indexed"], counts["removed"], counts["errors"]
    if errors:
        return PublishResult(
            False,
            indexed,
            removed,
            f"Décision enregistrée ; OpenSearch a refusé {errors} notice(s) : nouvel essai au prochain"
            " « ren-index index ».",
            f"Decision saved; OpenSearch refused {errors} record(s): retried by the next `ren-index index`.",
        )
    return PublishResult(
        True,
        indexed,
        removed,
        f"Décision enregistrée et publiée ({indexed} publiée(s), {removed} retirée(s) de l'index).",
        f"Decision saved and published ({indexed} indexed, {removed} removed from the index).",
    )
