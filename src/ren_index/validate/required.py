"""The fields a record cannot be published without: a title, the resource's URL and a language.

A missing one is an ``error`` issue: the record goes to a documentalist instead of a portal.
"""

from __future__ import annotations

from ren_index.model import Issue, Resource


def check_required(resource: Resource) -> list[Issue]:
    """One issue per missing required field."""
    issues: list[Issue] = []
    if not any(t.strip() for t in resource.general.title.values()):
        issues.append(
            Issue(
                code="TITLE_MISSING",
                severity="error",
                field="general.title",
                message_fr="La ressource n'a pas de titre.",
                message_en="The resource has no title.",
            )
        )
    if resource.url is None:
        raw = next(iter(resource.technical.locations), None)
        issues.append(
            Issue(
                code="URL_MISSING" if raw is None else "URL_INVALID",
                severity="error",
                field="technical.location",
                message_fr=(
                    "La ressource n'a pas d'adresse (URL)."
                    if raw is None
                    else "L'adresse de la ressource n'est pas une URL http(s) valide."
                ),
                message_en=(
                    "The resource has no address (URL)."
                    if raw is None
                    else "The resource's address is not a valid http(s) URL."
                ),
                value=raw,
            )
        )
    if not [lang for lang in resource.general.languages if lang.strip()]:
        issues.append(
            Issue(
                code="LANGUAGE_MISSING",
                severity="error",
                field="general.language",
                message_fr="La langue de la ressource n'est pas indiquée.",
                message_en="The resource's language is not given.",
            )
        )
    return issues
