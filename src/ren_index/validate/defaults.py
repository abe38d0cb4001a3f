"""A source's ``defaults:`` for level, licence and resource type: a fallback the record shows.

A librarian who writes ``defaults: {level: "Secondaire", licence: "CC BY 4.0"}`` for a source
whose records never state them expects them to apply (issue 13, point 4; before, they were
accepted and silently ignored). The language default has always been read by
:mod:`ren_index.validate.languages`, with the text's own evidence first.

How: the check runs on the record as it is; only when it finds **nothing** (no level, no licence,
no type — a value the record states but that maps to nothing is not silence, and stays an issue)
is it run again on the record with the default as its value, so a default is read by exactly the
same vocabulary matching as a record's own value. The "missing" issue is then replaced by an info
issue naming the default (``LEVEL_FROM_SOURCE_DEFAULT``…), so documentalists see where the value
came from. A default that itself maps to nothing leaves the record as it was, with
``SOURCE_DEFAULT_UNMAPPED`` (warning) telling the librarian to fix ``sources.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ren_index.model import Issue, Resource, Term
from ren_index.validate.context import Check, CheckResult, ValidationContext


@dataclass(frozen=True)
class _Default:
    key: str
    controlled: str
    """The controlled field the check fills (empty = nothing found)."""
    missing: tuple[str, ...]
    """Issue codes that say the record is silent; replaced when the default applies."""
    code: str
    label_fr: str
    label_en: str


LEVEL = _Default("level", "levels", ("LEVEL_MISSING",), "LEVEL_FROM_SOURCE_DEFAULT", "Niveau", "Level")
LICENCE = _Default(
    "licence", "licence", ("LICENCE_MISSING",), "LICENCE_FROM_SOURCE_DEFAULT", "Licence", "Licence"
)
RESOURCE_TYPE = _Default(
    "resource_type",
    "resource_types",
    (),
    "RESOURCE_TYPE_FROM_SOURCE_DEFAULT",
    "Type de ressource",
    "Resource type",
)


def _with_value(resource: Resource, default: _Default, value: str) -> Resource:
    """The record stating ``value`` where the check reads that element (a copy)."""
    if default is LEVEL:
        educational = resource.educational.model_copy(update={"contexts": [Term(value=value)]})
        return resource.model_copy(update={"educational": educational})
    if default is LICENCE:
        rights = resource.rights.model_copy(
            update={"licence_uri": value, "description": {}}
            if value.startswith(("http://", "https://"))
            else {"licence_uri": None, "description": {"fr": value}}
        )
        return resource.model_copy(update={"rights": rights})
    return resource.model_copy(update={"resource_types": [Term(value=value)]})


def with_source_default(check: Check, default: _Default) -> Check:
    """``check``, falling back on the source's default for its element when the record is silent."""

    def run(resource: Resource, ctx: ValidationContext) -> CheckResult:
        updates, issues = check(resource, ctx)
        value = (ctx.defaults.get(default.key) or "").strip()
        if not value or updates.get(default.controlled):
            return updates, issues
        if any(i.code not in default.missing for i in issues):
            return updates, issues  # the record states something that did not map: not silence
        filled, _ = check(_with_value(resource, default, value), ctx)
        if not filled.get(default.controlled):
            return updates, [*issues, _unmapped(default, value)]
        kept = [i for i in issues if i.code not in default.missing]
        return filled, [*kept, _applied(default, value)]

    run.__name__ = getattr(check, "__name__", "check")
    run.__doc__ = check.__doc__
    return run


def _applied(default: _Default, value: str) -> Issue:
    return Issue(
        code=default.code,
        severity="info",
        field=default.controlled,
        message_fr=f"{default.label_fr} absent de la notice : valeur par défaut de la source ({value}).",
        message_en=f"{default.label_en} missing from the record: the source's default was used ({value}).",
        value=value,
    )


def _unmapped(default: _Default, value: str) -> Issue:
    return Issue(
        code="SOURCE_DEFAULT_UNMAPPED",
        severity="warning",
        field=default.controlled,
        message_fr=(
            f"La valeur par défaut de la source pour « {default.label_fr.lower()} » ({value}) ne"
            " correspond à aucun concept : corriger defaults dans sources.yaml."
        ),
        message_en=(
            f"The source's default {default.label_en.lower()} ({value}) matches no concept: fix"
            " defaults in sources.yaml."
        ),
        value=value,
    )
