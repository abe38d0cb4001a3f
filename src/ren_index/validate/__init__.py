"""Documentary validation: one module per check, run in the order of :data:`CHECKS`.

A check is a pure function ``check(resource, ctx) -> (updates, issues)``: ``updates`` are the
values it established for :class:`ren_index.model.Controlled` (canonical language, levels,
licence...), ``issues`` what a documentalist should know. :func:`validate` runs them all and
returns the enriched resource with every issue. Nothing here touches the database or network:
what needs other records (duplicate URLs) comes in through the context.
"""

from __future__ import annotations

from ren_index.model import Controlled, Issue, Resource
from ren_index.validate.context import Check, CheckResult, ValidationContext
from ren_index.validate.dates import check_dates
from ren_index.validate.defaults import LEVEL, LICENCE, RESOURCE_TYPE, with_source_default
from ren_index.validate.descriptions import check_description
from ren_index.validate.duplicates import check_duplicates
from ren_index.validate.languages import check_languages, with_detections
from ren_index.validate.levels import check_levels
from ren_index.validate.licences import check_licence
from ren_index.validate.patterns import check_patterns
from ren_index.validate.resource_types import check_resource_types
from ren_index.validate.titles import check_title
from ren_index.validate.urls import check_url

__all__ = ["CHECKS", "Check", "CheckResult", "ValidationContext", "validate", "with_detections"]


CHECKS: tuple[Check, ...] = (
    check_title,
    check_description,
    check_patterns,  # problem patterns across fields and records (after titles, descriptions)
    check_languages,
    with_source_default(check_levels, LEVEL),  # a source's defaults: apply only to a silent record
    with_source_default(check_licence, LICENCE),
    with_source_default(check_resource_types, RESOURCE_TYPE),
    check_url,  # the URL is normalized before duplicates are looked up
    check_duplicates,
    check_dates,
)
"""Every check, in the order they run (order matters where a check reads what another set)."""


def validate(resource: Resource, ctx: ValidationContext) -> tuple[Resource, list[Issue]]:
    """Run every check; return the resource with its ``controlled`` values, and all issues."""
    issues: list[Issue] = []
    controlled: Controlled | None = None
    for check in CHECKS:
        updates, found = check(resource, ctx)
        if updates:
            if controlled is None:
                # One copy of the record and of its controlled values for the whole run, made on
                # the first update (the caller's resource is never changed); later checks see the
                # values earlier ones set (duplicates reads the normalized URL). A pair of
                # ``model_copy`` per updating check cost about 60 µs a record.
                controlled = resource.controlled.model_copy()
                resource = resource.model_copy(update={"controlled": controlled})
            for name, value in updates.items():
                setattr(controlled, name, value)  # what model_copy(update=...) does, minus the copy
        issues.extend(found)
    return resource, issues
