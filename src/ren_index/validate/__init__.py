"""Documentary validation: one module per check, each ``check(resource) -> list[Issue]``.

For now only the required fields are checked (:mod:`ren_index.validate.required`); language,
level and licence checks against the SKOS vocabularies come next and plug in here.
"""

from __future__ import annotations

from ren_index.model import Issue, Resource
from ren_index.validate.required import check_required

CHECKS = (check_required,)
"""Every check, in the order they run. One explicit table, like the mappers."""


def validate(resource: Resource) -> list[Issue]:
    """Run every check on ``resource`` and return their issues (pure; no I/O)."""
    issues: list[Issue] = []
    for check in CHECKS:
        issues.extend(check(resource))
    return issues
