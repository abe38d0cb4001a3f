"""The issues the normalize stage can raise, in one place so their codes and wording stay stable.

Mapping-level issues only say that a value could not be *read*; whether a record is fit for a
portal (a missing title, a missing URL) is for the validate and decide stages.
"""

from __future__ import annotations

from ren_index.model import Issue

_SNIPPET = 200


def _snippet(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= _SNIPPET else value[: _SNIPPET - 1] + "…"


def payload_invalid(reason: str, payload: str) -> Issue:
    """The harvested metadata is not well-formed (or not safe) XML: nothing could be mapped."""
    return Issue(
        code="PAYLOAD_INVALID",
        severity="error",
        field="metadata",
        message_fr=f"Les métadonnées moissonnées ne sont pas du XML valide : {reason}",
        message_en=f"The harvested metadata is not valid XML: {reason}",
        value=_snippet(payload),
        suggestion="Vérifier la notice à la source. / Check the record at the source.",
    )


def mapping_failed(fmt: str, error: Exception) -> Issue:
    """A mapper stumbled on this record: kept as data so one odd record cannot stop a run."""
    return Issue(
        code="MAPPING_FAILED",
        severity="error",
        field="metadata",
        message_fr=f"La notice n'a pas pu être convertie ({fmt}) : {type(error).__name__}.",
        message_en=f"The record could not be mapped ({fmt}): {type(error).__name__}.",
        value=_snippet(str(error)),
    )


def date_unparseable(field: str, raw: str) -> Issue:
    """A date that is not W3CDTF / ISO 8601; the value is left out of the record."""
    return Issue(
        code="DATE_UNPARSEABLE",
        severity="warning",
        field=field,
        message_fr=f"Date illisible, ignorée : « {_snippet(raw)} ».",
        message_en=f"Unreadable date, left out: '{_snippet(raw)}'.",
        value=_snippet(raw),
        suggestion="AAAA, AAAA-MM ou AAAA-MM-JJ / YYYY, YYYY-MM or YYYY-MM-DD",
    )


def vcard_unparseable(field: str, raw: str, *, used_as_name: bool) -> Issue:
    """An entity that is not a vCard (taken as a bare name) or a vCard with no name in it."""
    if used_as_name:
        fr = "Entité qui n'est pas une vCard : son texte est pris comme nom."
        en = "Entity is not a vCard: its text is taken as the name."
    else:
        fr = "vCard sans nom (FN, N ou ORG) : entité ignorée."
        en = "vCard with no name (FN, N or ORG): entity left out."
    return Issue(
        code="VCARD_UNPARSEABLE",
        severity="info",
        field=field,
        message_fr=fr,
        message_en=en,
        value=_snippet(raw),
    )


def size_unparseable(raw: str) -> Issue:
    """LOM 4.2 size that is not a number of bytes."""
    return Issue(
        code="SIZE_UNPARSEABLE",
        severity="info",
        field="technical.size",
        message_fr=f"Taille illisible (octets attendus), ignorée : « {_snippet(raw)} ».",
        message_en=f"Unreadable size (bytes expected), left out: '{_snippet(raw)}'.",
        value=_snippet(raw),
    )


def payload_invalid_json(reason: str, payload: str) -> Issue:
    """A partner-feed payload (RSS item, JSON-LD node, CSV row) that is not a JSON object."""
    return Issue(
        code="PAYLOAD_INVALID",
        severity="error",
        field="metadata",
        message_fr=f"Les métadonnées moissonnées ne sont pas un objet JSON valide : {reason}",
        message_en=f"The harvested metadata is not a valid JSON object: {reason}",
        value=_snippet(payload),
        suggestion="Vérifier la notice à la source. / Check the record at the source.",
    )


def jsonld_remote_context(references: list[str]) -> Issue:
    """A JSON-LD record refers to a context ren-index does not bundle: never loaded, read as schema.org."""
    shown = ", ".join(_snippet(r) for r in references)
    return Issue(
        code="JSONLD_REMOTE_CONTEXT",
        severity="error",
        field="metadata",
        message_fr=(
            f"La notice renvoie à un contexte JSON-LD que ren-index ne charge pas ({shown}) : seuls les "
            "contextes embarqués (schema.org, AMB) sont lus. La notice a été lue comme du schema.org ; "
            "ses champs peuvent être incomplets ou faux."
        ),
        message_en=(
            f"The record refers to a JSON-LD context ren-index does not load ({shown}): only the bundled "
            "contexts (schema.org, AMB) are read. The record was read as schema.org; its fields may be "
            "incomplete or wrong."
        ),
        value=_snippet(shown),
        suggestion=(
            "Demander au partenaire d'utiliser le contexte https://schema.org/ ou de définir ses termes "
            "dans le document. / Ask the partner to use the https://schema.org/ context or to define "
            "its terms in the document."
        ),
    )
