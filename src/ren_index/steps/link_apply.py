"""A link's judgement applied to its record at once: issues, status, audit trail, version.

What a judgement (:func:`ren_index.links.patience.judge`) means for the record:

- **Declared broken**: ``LINK_BROKEN`` is added. A record on the portals (``approved``) then
  takes the issue's effect for its portals (``validation.yaml``, back to the queue by default,
  :func:`weigh`), and the decision it had is kept aside (``link_health.held``). A record already
  in the queue or rejected stays where it is, the issue telling why its link matters.
- **Recovered**: the issue goes; a record the link took off the portals, and nobody decided on
  since, returns to the decision kept aside (a person's approval included). One a person decided
  on meanwhile keeps that person's decision.
- **Moved**: ``URL_MOVED`` (info) carries the new address as its suggestion.

Besides actions, every run reconciles what the record shows with the link's state, so two things
are caught however they happened: a documentalist who approves a record while ``LINK_BROKEN`` is
on it keeps it published (:func:`ren_index.links.patience.keep_published`: their choice holds
until the link changes state), and a record the rules approved with its link broken is taken off
the portals again (the process step weighs ``LINK_BROKEN`` with the other issues, so this is a
safety net: a portal whose effect for it is ``approve``, a record processed before its check was
applied). When the link recovers, a record the rules decided with ``LINK_BROKEN`` is decided again
by them (:func:`redecide`).

Only ``LINK_BROKEN``'s own effect is weighed, not the record's other issues through
:func:`ren_index.decide.decide`: a record on the portals has already passed them — by the rules,
or by a person who overruled them, whose decision must not be undone by a broken link's check.
The effect per portal is read from the same table ``decide`` reads
(:meth:`~ren_index.config.rules.ValidationRules.effect`), with the same reading of a source's
``review: never``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import EFFECT_ORDER, Effect, ValidationRules
from ren_index.decide import ReviewPolicy
from ren_index.ledger import store
from ren_index.ledger.link_health import save_health
from ren_index.ledger.models import LinkHealthRow, ResourceRow, utcnow
from ren_index.links.patience import Action, Judgement, LinkHealth, keep_published, link_issues
from ren_index.model import Issue, Status
from ren_index.steps.process import reprocess_resource

LINKS_ACTOR = "links"
"""Who the audit trail says acted, and ``decided_by`` of a record its broken link took off."""
LINK_CODES = frozenset({"LINK_BROKEN", "URL_MOVED"})
EVENT_ACTIONS = {
    Action.DECLARE_BROKEN: "link_broken",
    Action.RECOVERED: "link_recovered",
    Action.MOVED: "link_moved",
    Action.NONE: "link_issues",
}


@dataclass(frozen=True)
class Applied:
    """What applying one judgement did to its record."""

    changed: bool = False
    """The record's status or issues changed (its version was raised)."""
    unpublished: bool = False
    restored: bool = False
    kept: bool = False
    """A person's approval after the link was declared broken was read as « keep it published »."""


def weigh(
    portals: Sequence[str], issue: Issue, rules: ValidationRules, review: ReviewPolicy
) -> tuple[Status, list[str]]:
    """An approved record's status and portals once ``issue`` is on it, by the issue's effect per
    portal — decide's step 4 for this one issue: a portal in doubt sends the record to the queue,
    the rejecting ones are dropped, and a record every portal rejects is rejected."""
    effects: dict[str, Effect] = {}
    for portal in portals or [""]:
        effect = rules.effect(issue.code, issue.severity, portal or None)
        if review == "never" and effect == "review":
            effect = "reject" if issue.severity == "error" else "approve"
        effects[portal] = effect
    clear = [p for p, e in effects.items() if e == "approve" and p]
    doubtful = [p for p, e in effects.items() if e == "review" and p]
    worst = max(effects.values(), key=EFFECT_ORDER.__getitem__)
    if worst == "review":
        return Status.NEEDS_REVIEW, [*clear, *doubtful]
    if worst == "approve" or clear:
        return Status.APPROVED, clear if portals else []
    return Status.REJECTED, list(portals)


def apply_judgement(
    session: Session,
    row: ResourceRow,
    health_row: LinkHealthRow | None,
    judgement: Judgement,
    *,
    rules: ValidationRules,
    review: ReviewPolicy,
    run_id: int | None,
    reason: str = "",
) -> Applied:
    """Store the link's new state and bring the record in line with it (see the module docstring)."""
    health = judgement.health
    current = [i for i in row.issues or [] if i.get("code") in LINK_CODES]
    kept = _kept_by_person(row, health, current)
    if kept:
        health = keep_published(health)
    health_row = save_health(session, health_row, row.id, health)
    wanted = [i.model_dump(mode="json") for i in link_issues(health)]
    before = _snapshot(row)
    unpublished = restored = False
    if health.holds_back and row.status == Status.APPROVED.value:
        if judgement.action is Action.DECLARE_BROKEN or row.decided_by == "rules":
            broken = link_issues(health)[0]
            status, portals = weigh(list(row.portals or []), broken, rules, review)
            if status is not Status.APPROVED or portals != list(row.portals or []):
                health_row.held = {
                    "status": row.status,
                    "portals": list(row.portals or []),
                    "decided_by": row.decided_by,
                    "decided_at": before["decided_at"],
                }
                _set_decision(row, status.value, portals, LINKS_ACTOR)
                unpublished = status is not Status.APPROVED
    elif not health.holds_back and health_row.held is not None:
        held, health_row.held = health_row.held, None
        if row.decided_by == LINKS_ACTOR:  # nobody decided since the link took it off
            _set_decision(row, held["status"], held["portals"], held["decided_by"])
            row.decided_at = _parse(held.get("decided_at")) or row.decided_at
            restored = True
    if wanted != current:  # a new count of failures alone is refreshed quietly (no event, no version)
        row.issues = [i for i in row.issues or [] if i.get("code") not in LINK_CODES] + wanted
    changed = _identity(wanted) != _identity(current) or _snapshot(row)["status"] != before["status"]
    changed = changed or restored
    if not changed:
        return Applied(kept=kept)
    row.version = (row.version or 1) + 1
    row.updated_at = utcnow()
    action = "link_kept_published" if kept else EVENT_ACTIONS[judgement.action]
    if restored and judgement.action is Action.NONE:
        action = "link_recovered"
    store.record_event(
        session,
        actor=LINKS_ACTOR,
        action=action,
        resource_id=row.id,
        source_id=row.source_id,
        run_id=run_id,
        before=before,
        after={**_snapshot(row), "link": health.state.value, "new_url": judgement.new_url},
        comment=reason or None,
    )
    return Applied(changed=True, unpublished=unpublished, restored=restored, kept=kept)


def redecide(session: Session, row: ResourceRow, judgement: Judgement, rulebook: Rulebook) -> bool:
    """A recovered link's record that the *rules* kept off the portals is decided again by them.

    The process step weighs ``LINK_BROKEN`` with the other issues (:mod:`ren_index.steps.process`),
    so a record processed again while its link was broken may have been decided by the rules
    because of it; now the link answers, the rules decide without it. A person's decision is not
    touched, and a record :func:`apply_judgement` just restored to its held decision is approved.
    """
    if judgement.action is not Action.RECOVERED or row.decided_by != "rules":
        return False
    if row.status != Status.NEEDS_REVIEW.value and row.status != Status.REJECTED.value:
        return False
    reprocess_resource(session, row, rulebook)
    return True


def _kept_by_person(row: ResourceRow, health: LinkHealth, current: list[dict[str, Any]]) -> bool:
    """A person approved the record while ``LINK_BROKEN`` was on it: they keep it published."""
    return (
        health.holds_back
        and row.status == Status.APPROVED.value
        and row.decided_by not in ("rules", LINKS_ACTOR)
        and any(i.get("code") == "LINK_BROKEN" for i in current)
    )


def _set_decision(row: ResourceRow, status: str, portals: list[str], decided_by: str) -> None:
    row.status = status
    row.portals = list(portals)
    row.decided_by = decided_by
    row.decided_at = utcnow()


def _snapshot(row: ResourceRow) -> dict[str, Any]:
    return {
        "status": row.status,
        "portals": list(row.portals or []),
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "issues": sorted(str(i.get("code")) for i in row.issues or [] if i.get("code") in LINK_CODES),
    }


def _identity(issues: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a person would notice of the link issues: which, about which address, suggesting what."""
    return sorted((i.get("code"), i.get("value"), i.get("suggestion")) for i in issues)


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None
