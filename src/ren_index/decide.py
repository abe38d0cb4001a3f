"""Policy: from a record's issues and its source's rules to a status and the portals it goes to.

Pure: ``decide`` sees values only. The first rule (foundation): any ``error`` issue sends the
record to a documentalist; a source configured ``review: always`` sends everything there;
otherwise the record is approved by rules. Portal routing by educational level comes with the
documentary validation; until then a record goes to its source's portals, or to every portal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ren_index.config import PORTALS
from ren_index.model import Decision, Issue, Resource, Status

ReviewPolicy = Literal["always", "on-issues", "never"]


def decide(
    resource: Resource,
    issues: Sequence[Issue],
    *,
    review: ReviewPolicy = "on-issues",
    source_portals: Sequence[str] = (),
) -> Decision:
    """Decide the status and portals of one normalized, validated record."""
    portals = list(source_portals) or list(PORTALS)
    errors = [i.code for i in issues if i.severity == "error"]
    if review == "always":
        return Decision(status=Status.NEEDS_REVIEW, portals=portals, reasons=["review: always"])
    if errors and review != "never":
        return Decision(status=Status.NEEDS_REVIEW, portals=portals, reasons=errors)
    if errors and review == "never":
        # "never" trusts the source for judgement calls, not for unpublishable records.
        return Decision(status=Status.REJECTED, portals=portals, reasons=errors)
    return Decision(status=Status.APPROVED, portals=portals, reasons=["rules"])
