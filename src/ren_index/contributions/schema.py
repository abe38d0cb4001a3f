"""The submission contract of a JSON contribution: its JSON Schema and every violation, in both languages.

The schema (``schemas/contribution-v1.json``, draft 2020-12) is the contract a platform codes
against and the first gate of hostile data: closed objects everywhere (``additionalProperties:
false``: no e-mail address or other personal data can slip in under a name of its own), bounded
lengths and counts, http(s) URLs without spaces or control characters. Documentary quality (is the
level known? the licence?) is *not* its business: that is the validation every record goes through,
and its findings come back as issues, not as a refusal.

Every violation is reported at once, each with a JSON pointer (``/title``, ``/authors/0/name``) and
a message we wrote, French first then English: jsonschema's own messages quote the value (hostile,
maybe megabytes) and are in English only. Nothing is ever fetched: the schema refers only to
itself and the validator gets an empty registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry

from ren_index.errors import RenIndexError

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "contribution-v1.json"
MAX_ERRORS = 50
"""Violations reported for one body: enough to fix it, bounded whatever a body holds."""
MAX_SEEN = 1000
"""Violations looked at (the validator finds them lazily): a body of a million bad items costs this."""
_NAME_SHOWN = 64
"""Characters of an unexpected property's name quoted in a message (the name is the sender's)."""


@dataclass(frozen=True)
class FieldError:
    """One violation: where (a JSON pointer, ``/`` for the whole body) and what, in both languages."""

    pointer: str
    message_fr: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message_fr": self.message_fr, "message_en": self.message_en}


class ContributionInvalid(RenIndexError):
    """A submission breaks the contract: nothing was stored. ``errors`` says where and why."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        where = ", ".join(e.pointer for e in self.errors[:5]) + ("…" if len(self.errors) > 5 else "")
        super().__init__(
            f"contribution refusée, {len(self.errors)} erreur(s) : {where} / contribution refused,"
            f" {len(self.errors)} error(s): {where}"
        )


@cache
def load_schema() -> dict[str, Any]:
    """The contribution schema (read once)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=Registry())


def pointer(path: Any) -> str:
    """RFC 6901 JSON pointer of a path (``/`` for the whole document, as the API reports it)."""
    parts = [_segment(str(p)).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "/"


def _segment(name: str) -> str:
    """A property name as a pointer shows it: a sender's name of a megabyte is cut short."""
    return name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "…"


_TYPES_FR = {
    "string": "un texte",
    "object": "un objet",
    "array": "une liste",
    "integer": "un entier",
    "number": "un nombre",
    "boolean": "un booléen",
    "null": "null",
}
_TYPES_EN = {
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def _types(expected: Any) -> tuple[str, str]:
    names = expected if isinstance(expected, list) else [expected]
    return (
        " ou ".join(_TYPES_FR.get(str(n), str(n)) for n in names),
        " or ".join(_TYPES_EN.get(str(n), str(n)) for n in names),
    )


def _shown(name: str) -> str:
    return json.dumps(name[:_NAME_SHOWN] + ("…" if len(name) > _NAME_SHOWN else ""), ensure_ascii=False)


def _messages(error: ValidationError) -> list[FieldError]:
    """Our words for one violation (some become several: one per missing or extra property)."""
    where = pointer(error.absolute_path)
    kind, limit = error.validator, error.validator_value
    if kind == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [str(name) for name in limit if name not in present]
        return [
            FieldError(
                pointer([*error.absolute_path, name]), "champ obligatoire absent", "required field missing"
            )
            for name in missing
        ]
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = set(error.schema.get("properties", {}))
        extra = (
            [str(n) for n in error.instance if n not in allowed] if isinstance(error.instance, dict) else []
        )
        return [
            FieldError(
                pointer([*error.absolute_path, name]),
                f"champ inconnu {_shown(name)} : il n'est pas dans le contrat (contribution-v1)",
                f"unknown field {_shown(name)}: not part of the contract (contribution-v1)",
            )
            for name in extra
        ]
    if kind in ("anyOf", "oneOf"):
        return _alternatives(error)
    if kind == "pattern" and error.instance == "":
        return []  # ``minLength`` already says it is empty
    fr, en = _words(kind, limit)
    return [FieldError(where, fr, en)]


def _words(kind: Any, limit: Any) -> tuple[str, str]:
    if kind == "type":
        fr, en = _types(limit)
        return f"type attendu : {fr}", f"expected {en}"
    if kind == "maxLength":
        return f"trop long : {limit} caractères au plus", f"too long: at most {limit} characters"
    if kind == "minLength":
        return "ne doit pas être vide", "must not be empty"
    if kind == "maxItems":
        return f"trop d'éléments : {limit} au plus", f"too many items: at most {limit}"
    if kind == "minItems":
        return f"au moins {limit} élément(s)", f"at least {limit} item(s)"
    if kind == "minProperties":
        return "ne doit pas être vide : fr ou en attendu", "must not be empty: fr or en expected"
    if kind == "maxProperties":
        return f"trop de champs : {limit} au plus", f"too many fields: at most {limit}"
    if kind == "pattern":
        if isinstance(limit, str) and "[Hh][Tt][Tt][Pp]" in limit:
            return "adresse http:// ou https:// attendue", "an http:// or https:// address expected"
        return "ne doit pas être fait que d'espaces", "must not be only white space"
    if kind == "not":
        return (
            "contient des caractères interdits (espaces dans une adresse, caractères de contrôle)",
            "contains characters that are not allowed (spaces in an address, control characters)",
        )
    if kind == "format":
        return f"format {limit} invalide", f"invalid {limit} format"
    if kind in ("enum", "const"):
        return "valeur non permise", "value not allowed"
    if kind == "uniqueItems":
        return "éléments en double", "duplicate items"
    return "valeur invalide", "invalid value"


def _alternatives(error: ValidationError) -> list[FieldError]:
    """A text (a string, or ``{fr, en}``): report what is wrong in the shape the sender chose.

    jsonschema only says "not valid under any of the given schemas"; the sub-errors of the branch
    whose type matches the value say what to fix (``/title/fr`` too long), and a value of another
    type gets the list of accepted shapes.
    """
    matching = [
        sub for sub in error.context or [] if sub.validator != "type" and len(sub.relative_schema_path) >= 2
    ]
    wrong_type = {sub.relative_schema_path[0] for sub in error.context or [] if sub.validator == "type"}
    chosen = [sub for sub in matching if sub.relative_schema_path[0] not in wrong_type]
    if chosen:
        return [found for sub in chosen for found in _messages(sub)]
    return [
        FieldError(
            pointer(error.absolute_path),
            'un texte non vide, ou un objet {"fr": …, "en": …} attendu',
            'expected a non-empty string, or an object {"fr": …, "en": …}',
        )
    ]


def schema_errors(body: object) -> list[FieldError]:
    """Every violation of the contract by ``body`` (empty when it conforms), ordered by pointer."""
    found: list[FieldError] = []
    for error in islice(_validator().iter_errors(body), MAX_SEEN):
        found.extend(e for e in _messages(error) if e not in found)
    return sorted(found, key=_document_order)[:MAX_ERRORS]


def _document_order(error: FieldError) -> list[tuple[int, int, str]]:
    """``/levels/2`` before ``/levels/10``: indexes compare as numbers, names as text."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in error.pointer.split("/") if p]
