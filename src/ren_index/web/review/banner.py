"""One banner per action, naming the record by its title, with « Annuler » after a decision.

Before, approving a record showed three banners naming its hash (the decision, the publication,
the platform). Now each action composes one sentence in both languages — what was done to which
record, and what the index did (« « Atelier d'écriture » approuvée et publiée. ») — and queues it
as one flash message; the page that shows it picks its language (``banner.text``). After a
decision the banner carries what its undo form needs (record, event, version: the ``undo_*``
values of the flash, rendered by ``_undo_form.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.clock import local_time
from ren_index.ledger.models import ResourceRow
from ren_index.model import pick_lang
from ren_index.review.publish import PublishResult
from ren_index.review.undo import Undoable
from ren_index.web.deps import FLASH_KINDS, FLASH_SESSION_KEY

MAX_TITLE = 120
"""Characters of a title in a banner (the record page has the whole of it)."""


def titles(factory: sessionmaker[Session], record_id: str) -> tuple[str, str]:
    """The record's title as a French and as an English page would name it (its id when untitled)."""
    with factory() as session:
        row = session.get(ResourceRow, record_id)
        general = ((row.record or {}).get("general") or {}) if row is not None else {}
    title: dict[str, str] = {str(k): str(v) for k, v in (general.get("title") or {}).items() if v}
    fr = pick_lang(title, ("fr", "en")) or record_id[:12]
    en = pick_lang(title, ("en", "fr")) or record_id[:12]
    return _short(fr), _short(en)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TITLE else text[:MAX_TITLE].rstrip() + "…"


def publication_note(result: PublishResult | None) -> tuple[str, str]:
    """What the index did, as the end of a banner's sentence ("" when there was nothing to do)."""
    if result is None:
        return "", ""
    if not result.published:
        return f" {result.message_fr}", f" {result.message_en}"
    parts_fr, parts_en = [], []
    if result.indexed:
        parts_fr.append("publiée dans l'index")
        parts_en.append("published in the index")
    if result.removed:
        parts_fr.append("retirée de l'index")
        parts_en.append("removed from the index")
    if not parts_fr:
        return "", ""
    return " — " + ", ".join(parts_fr) + ".", " — " + ", ".join(parts_en) + "."


def announce(
    request: Request,
    text_fr: str,
    text_en: str,
    *,
    kind: str = "success",
    result: PublishResult | None = None,
    undo: Undoable | None = None,
) -> None:
    """Queue the one banner of an action (its publication said in the same sentence)."""
    note_fr, note_en = publication_note(result)
    if result is not None and not result.published and kind == "success":
        kind = "warning"
    if kind not in FLASH_KINDS:
        raise ValueError(f"banner kind must be one of {FLASH_KINDS}")
    item: dict[str, Any] = {
        "key": "banner.text",
        "kind": kind,
        "values": {"fr": text_fr + note_fr, "en": text_en + note_en},
    }
    if undo is not None:
        item.update(
            undo_record=undo.record_id,
            undo_event=str(undo.event_id),
            undo_version=str(undo.version),
            undo_until=local_time(undo.until),
        )
    queued = list(request.session.get(FLASH_SESSION_KEY) or [])
    queued.append(item)
    request.session[FLASH_SESSION_KEY] = queued[-10:]


DONE = {
    "approved": ("« {fr} » approuvée.", "“{en}” approved."),
    "rejected": ("« {fr} » rejetée.", "“{en}” rejected."),
    "withdrawn": ("« {fr} » remise en file.", "“{en}” put back in the queue."),
    "corrected": ("« {fr} » corrigée : {fields_fr}.", "“{en}” corrected: {fields_en}."),
    "corrected_approved": (
        "« {fr} » corrigée ({fields_fr}) et approuvée.",
        "“{en}” corrected ({fields_en}) and approved.",
    ),
    "saved_approved": ("« {fr} » approuvée (aucune correction).", "“{en}” approved (no correction)."),
    "nothing_changed": ("« {fr} » : aucune modification à enregistrer.", "“{en}”: nothing to save."),
    "suggestion_applied": ("« {fr} » : suggestion appliquée.", "“{en}”: suggestion applied."),
    "correction_kept": ("« {fr} » : correction maintenue.", "“{en}”: correction kept."),
    "undone": (
        "Décision annulée : « {fr} » est de nouveau {status_fr}.",
        "Decision undone: “{en}” is {status_en} again.",
    ),
}
"""Each action's sentence; ``{fr}`` / ``{en}`` are the record's title (escaped when shown)."""


def sentence(action: str, title: tuple[str, str], **values: str) -> tuple[str, str]:
    """The banner sentence of ``action`` on the record titled ``title``, in both languages."""
    fr, en = DONE[action]
    return fr.format(fr=title[0], **values), en.format(en=title[1], **values)


def bulk_sentence(
    decided: int, stale: Sequence[tuple[tuple[str, str], str, str]], approved: bool
) -> tuple[str, str]:
    """A bulk decision in one banner: how many were decided, and each refused record with why.

    ``stale``: ``(title, what changed fr, what changed en)`` per refused record.
    """
    fr = f"{decided} notice(s) {'approuvée(s)' if approved else 'rejetée(s)'}."
    en = f"{decided} record(s) {'approved' if approved else 'rejected'}."
    if stale:
        fr += f" {len(stale)} notice(s) modifiée(s) depuis l'affichage de la file, laissée(s) en l'état : "
        fr += " ; ".join(f"« {t[0]} » ({why})" for t, why, _en in stale) + "."
        en += f" {len(stale)} record(s) changed since the queue was shown, left as they are: "
        en += "; ".join(f"“{t[1]}” ({why})" for t, _fr, why in stale) + "."
    return fr, en
