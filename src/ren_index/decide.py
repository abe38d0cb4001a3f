"""Policy: from a validated record to a status and the portals it goes to.

Pure: :func:`decide` sees values only. In order:

1. **Routing** — the record goes to the portals whose level collection (``portals.yaml``) holds
   one of its levels or a broader one, narrowed by the source's ``portals:``. No portal → the
   ``NO_PORTAL`` issue: such a record cannot be approved by rules.
   The portal rules of step 2 still run for it, over the portals it could go to — the source's
   ``portals:`` when it has some, else every portal — as warnings whose message starts with "if
   the record goes to portal X": the documentalist who picks the level learns in the same pass
   what would still block publication (a closed licence for a portal that requires open ones).
   They do not change its status (``NO_PORTAL`` already decides it) nor its reasons.
2. **Portal rules** — a portal that requires open licences adds ``LICENCE_NOT_OPEN`` when the
   record's licence does not allow reuse; a portal limited to some languages adds
   ``LANGUAGE_NOT_ACCEPTED``.
3. **Effects** — each issue has an effect per portal (``validation.yaml``: approve, review,
   reject). A portal is *clear* when every effect is approve.
4. **Review mode** of the source: ``always`` sends everything to review; ``on-issues`` sends the
   record to review when some portal needs it, approves it for the clear portals otherwise, and
   rejects it when every portal rejects; ``never`` publishes to the clear portals, treats review
   effects of warnings as approve and of errors as reject.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ren_index.config.rulebook import Policy
from ren_index.config.rules import EFFECT_ORDER, Effect, ValidationRules
from ren_index.config.vocabularies import Vocabularies, licence_is_open
from ren_index.model import Decision, Issue, Resource, Status

ReviewPolicy = Literal["always", "on-issues", "never"]


def route(
    resource: Resource, vocabularies: Vocabularies, policy: Policy, source_portals: Sequence[str] = ()
) -> list[str]:
    """The portals whose level collections hold the record's levels, narrowed by the source."""
    levels = resource.controlled.levels
    found = [
        portal
        for portal, rules in policy.portals.items()
        if any(vocabularies.levels.in_collection(rules.levels_collection, uri) for uri in levels)
    ]
    if source_portals:
        found = [p for p in found if p in source_portals]
    return found


def portal_issues(
    resource: Resource, portal: str, vocabularies: Vocabularies, policy: Policy, *, routed: bool = True
) -> list[Issue]:
    """Issues that exist only because of one portal's policy.

    ``routed=False``: the record has no portal yet; the messages say what would block it *if* it
    went to this portal (see the module docstring).
    """
    rules = policy.portals[portal]
    issues: list[Issue] = []
    if_fr, if_en = (
        ("", "")
        if routed
        else (
            f"Si la notice va au portail {rules.name} : ",
            f"If the record goes to the {rules.name} portal: ",
        )
    )
    licence = resource.controlled.licence
    if rules.licence == "open-required" and licence is not None:
        concept = vocabularies.licences.get(licence)
        if concept is not None and not licence_is_open(vocabularies.licences, licence):
            issues.append(
                Issue(
                    code="LICENCE_NOT_OPEN",
                    severity="warning",
                    field="rights.licence",
                    message_fr=f"{if_fr}Le portail {rules.name} exige une licence ouverte ;"
                    f" « {concept.label('fr')} » ne permet pas la réutilisation.",
                    message_en=f"{if_en}The {rules.name} portal requires an open licence;"
                    f" '{concept.label('en')}'"
                    " does not allow reuse.",
                    value=resource.controlled.licence_raw or licence,
                    suggestion="Publier dans un autre portail ou obtenir une licence ouverte. /"
                    " Publish in another portal or obtain an open licence.",
                    portal=portal,
                )
            )
    if rules.languages:
        primaries = {tag.split("-")[0] for tag in resource.controlled.languages}
        if primaries and not primaries & set(rules.languages):
            issues.append(
                Issue(
                    code="LANGUAGE_NOT_ACCEPTED",
                    severity="warning",
                    field="general.language",
                    message_fr=f"{if_fr}Le portail {rules.name} ne publie pas dans cette langue.",
                    message_en=f"{if_en}The {rules.name} portal does not publish in this language.",
                    value=", ".join(sorted(primaries)),
                    portal=portal,
                )
            )
    return issues


NO_PORTAL = Issue(
    code="NO_PORTAL",
    severity="error",
    field="educational.context",
    message_fr="Aucun portail ne correspond aux niveaux de la ressource : indiquez un niveau scolaire.",
    message_en="No portal matches the resource's levels: give an educational level.",
)


def _effect(issue: Issue, portal: str, rules: ValidationRules, review: ReviewPolicy) -> Effect:
    effect = rules.effect(issue.code, issue.severity, portal)
    if review == "never" and effect == "review":
        return "reject" if issue.severity == "error" else "approve"
    return effect


def decide(
    resource: Resource,
    issues: Sequence[Issue],
    *,
    vocabularies: Vocabularies,
    policy: Policy,
    review: ReviewPolicy = "on-issues",
    source_portals: Sequence[str] = (),
) -> Decision:
    """Decide the status and portals of one validated record; portal-level issues come back in it."""
    candidates = route(resource, vocabularies, policy, source_portals)
    extra: list[Issue] = []
    if not candidates:
        extra.append(NO_PORTAL)
        effects = [_effect(i, "", policy.rules, review) for i in [*issues, *extra]]
        for portal in source_portals or list(policy.portals):
            if portal in policy.portals:  # the status is already decided: these only inform
                extra.extend(portal_issues(resource, portal, vocabularies, policy, routed=False))
        worst = max(effects, key=EFFECT_ORDER.__getitem__)
        status = Status.REJECTED if review == "never" or worst == "reject" else Status.NEEDS_REVIEW
        return Decision(
            status=status, portals=[], reasons=_reasons(issues, extra, "", policy, review), issues=extra
        )
    per_portal: dict[str, Effect] = {}
    for portal in candidates:
        own = portal_issues(resource, portal, vocabularies, policy)
        extra.extend(own)
        effects = [_effect(i, portal, policy.rules, review) for i in [*issues, *own]]
        per_portal[portal] = max(effects, key=EFFECT_ORDER.__getitem__, default="approve")
    clear = [p for p in candidates if per_portal[p] == "approve"]
    doubtful = [p for p in candidates if per_portal[p] == "review"]
    reasons = sorted({r for p in candidates for r in _reasons(issues, extra, p, policy, review)})
    if review == "always":
        return Decision(
            status=Status.NEEDS_REVIEW, portals=candidates, reasons=["review: always", *reasons], issues=extra
        )
    if doubtful:
        return Decision(
            status=Status.NEEDS_REVIEW, portals=[*clear, *doubtful], reasons=reasons, issues=extra
        )
    if clear:
        return Decision(status=Status.APPROVED, portals=clear, reasons=reasons or ["rules"], issues=extra)
    return Decision(status=Status.REJECTED, portals=candidates, reasons=reasons, issues=extra)


def _reasons(
    issues: Sequence[Issue], extra: Sequence[Issue], portal: str, policy: Policy, review: ReviewPolicy
) -> list[str]:
    """Codes whose effect is not approve for ``portal`` (portal-level issues only count for theirs)."""
    relevant = [*issues, *(i for i in extra if i.portal in (None, portal))]
    return sorted({i.code for i in relevant if _effect(i, portal, policy.rules, review) != "approve"})
