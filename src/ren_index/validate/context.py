"""What every check receives besides the record, and the one shape of a check.

Apart from :mod:`ren_index.validate` (which lists the checks) so that a check module imports its
context without importing the list of checks that imports it: no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ren_index.config.rules import ValidationRules
from ren_index.config.vocabularies import Vocabularies
from ren_index.model import Issue, Resource


def _no_duplicates(url: str) -> str | None:
    return None


def _no_title_counts(title_key: str) -> int:
    return 0


@dataclass(frozen=True)
class ValidationContext:
    """What the checks may consult besides the record itself."""

    vocabularies: Vocabularies
    rules: ValidationRules = field(default_factory=ValidationRules)
    defaults: dict[str, str] = field(default_factory=dict)
    """The source's ``defaults:`` (e.g. ``{"language": "fr"}``)."""
    duplicate_of: Callable[[str], str | None] = _no_duplicates
    """Normalized URL → id of another record that already has it (None when free)."""
    same_title_count: Callable[[str], int] = _no_title_counts
    """Title key (:func:`ren_index.validate.patterns.title_key`) → how many records of the
    source carry it (0 when unknown: a record checked alone is never a repeat)."""
    detections: Mapping[str, tuple[str, float] | None] = field(default_factory=dict)
    """Text for detection → its language and confidence, computed ahead for a chunk of records
    by :func:`ren_index.validate.languages.with_detections` with these same ``rules``; a text
    missing here is detected when its record is checked. Same answers either way: only *when*
    Lingua runs changes (see that function for why it is faster)."""


CheckResult = tuple[dict[str, Any], list[Issue]]
Check = Callable[[Resource, ValidationContext], CheckResult]
