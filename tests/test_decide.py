"""Decisions per portal policy, on small vocabularies written for these tests."""

from __future__ import annotations

import pytest
from rdflib import Graph

from ren_index.config.rulebook import Policy
from ren_index.config.rules import PortalPolicy, ValidationRules
from ren_index.config.vocabularies import Vocabularies, build_vocabulary
from ren_index.decide import decide, route
from ren_index.model import Controlled, General, Issue, Provenance, Resource, Status, Technical

LEVELS_TTL = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix n: <https://w3id.org/ren-index/vocab/niveaux/> .
n:primaire a skos:Concept ; skos:prefLabel "primaire"@fr, "elementary school"@en .
n:primaire-cycle-2 a skos:Concept ; skos:prefLabel "primaire, 2e cycle"@fr ; skos:broader n:primaire .
n:collegial a skos:Concept ; skos:prefLabel "collégial"@fr, "college"@en .
n:autre a skos:Concept ; skos:prefLabel "autre"@fr .
n:portail-ecole-ouverte a skos:Collection ; skos:member n:primaire .
n:portail-pavillon a skos:Collection ; skos:member n:collegial .
"""
LICENCES_TTL = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ren: <https://w3id.org/ren-index/vocab/ns#> .
<http://creativecommons.org/licenses/by/4.0/> a skos:Concept ; skos:prefLabel "CC BY 4.0"@fr ; ren:open true .
<http://rightsstatements.org/vocab/InC/1.0/> a skos:Concept ;
    skos:prefLabel "Tous droits réservés"@fr, "In Copyright"@en ; ren:open false .
"""
N = "https://w3id.org/ren-index/vocab/niveaux/"
BY = "http://creativecommons.org/licenses/by/4.0/"
INC = "http://rightsstatements.org/vocab/InC/1.0/"


def vocab(ttl: str) -> Graph:
    return Graph().parse(data=ttl, format="turtle")


VOCABS = Vocabularies(
    levels=build_vocabulary(vocab(LEVELS_TTL), "levels"),
    licences=build_vocabulary(vocab(LICENCES_TTL), "licences"),
    resource_types=build_vocabulary(Graph(), "types"),
)
PORTALS = {
    "ecole-ouverte": PortalPolicy(name="École ouverte", levels_collection=N + "portail-ecole-ouverte"),
    "pavillon": PortalPolicy(
        name="Pavillon", levels_collection=N + "portail-pavillon", licence="open-required"
    ),
}


def policy(**rules: object) -> Policy:
    return Policy(rules=ValidationRules.model_validate(rules), portals=PORTALS)


def record(levels: list[str], licence: str | None = BY, languages: tuple[str, ...] = ("fr",)) -> Resource:
    return Resource(
        provenance=Provenance(source="s", identifier="oai:s:1", metadata_format="lom"),
        general=General(title={"fr": "Les fractions"}),
        technical=Technical(locations=["https://ex.org/1"]),
        controlled=Controlled(levels=[N + lv for lv in levels], licence=licence, languages=list(languages)),
    )


def warn(code: str) -> Issue:
    return Issue(code=code, severity="warning", field="f", message_fr="m", message_en="m")


def test_routing_follows_level_collections_and_broader_levels() -> None:
    assert route(record(["primaire-cycle-2"]), VOCABS, policy()) == ["ecole-ouverte"]
    assert route(record(["collegial"]), VOCABS, policy()) == ["pavillon"]
    assert route(record(["primaire", "collegial"]), VOCABS, policy()) == ["ecole-ouverte", "pavillon"]
    assert route(record(["primaire", "collegial"]), VOCABS, policy(), ["pavillon"]) == ["pavillon"]
    assert route(record(["autre"]), VOCABS, policy()) == []


def test_clean_record_is_approved_for_its_portals() -> None:
    d = decide(record(["primaire", "collegial"]), [], vocabularies=VOCABS, policy=policy())
    assert d.status is Status.APPROVED and d.portals == ["ecole-ouverte", "pavillon"]
    assert d.issues == []


def test_no_portal_cannot_be_approved_by_rules() -> None:
    d = decide(record(["autre"]), [], vocabularies=VOCABS, policy=policy())
    assert d.status is Status.NEEDS_REVIEW and d.portals == []
    assert [i.code for i in d.issues] == ["NO_PORTAL"]
    never = decide(record([]), [], vocabularies=VOCABS, policy=policy(), review="never")
    assert never.status is Status.REJECTED


def test_closed_licence_is_an_issue_only_where_the_portal_requires_open() -> None:
    school = decide(record(["primaire"], licence=INC), [], vocabularies=VOCABS, policy=policy())
    assert school.status is Status.APPROVED and school.issues == []
    lenient = decide(record(["collegial"], licence=INC), [], vocabularies=VOCABS, policy=policy())
    assert lenient.status is Status.APPROVED  # a warning without a configured effect is shown, not blocking
    strict = policy(effects={"LICENCE_NOT_OPEN": "review"})
    higher = decide(record(["collegial"], licence=INC), [], vocabularies=VOCABS, policy=strict)
    assert higher.status is Status.NEEDS_REVIEW and higher.reasons == ["LICENCE_NOT_OPEN"]
    assert [(i.code, i.portal) for i in higher.issues] == [("LICENCE_NOT_OPEN", "pavillon")]
    assert "Pavillon" in higher.issues[0].message_fr


def test_a_portal_can_reject_what_another_accepts() -> None:
    rules = {"portal_effects": {"pavillon": {"LICENCE_NOT_OPEN": "reject"}}}
    both = decide(
        record(["primaire", "collegial"], licence=INC), [], vocabularies=VOCABS, policy=policy(**rules)
    )
    assert both.status is Status.APPROVED and both.portals == ["ecole-ouverte"]
    only_pavillon = decide(
        record(["collegial"], licence=INC), [], vocabularies=VOCABS, policy=policy(**rules)
    )
    assert only_pavillon.status is Status.REJECTED


@pytest.mark.parametrize(
    ("effects", "issue", "expected"),
    [
        ({}, warn("LEVEL_UNMAPPED"), Status.APPROVED),  # warnings pass unless configured
        ({"LEVEL_UNMAPPED": "review"}, warn("LEVEL_UNMAPPED"), Status.NEEDS_REVIEW),
        ({"DUPLICATE_URL": "reject"}, warn("DUPLICATE_URL"), Status.REJECTED),
        (
            {},
            Issue(code="TITLE_MISSING", severity="error", field="t", message_fr="m", message_en="m"),
            Status.NEEDS_REVIEW,
        ),
        (
            {"TITLE_MISSING": "approve"},
            Issue(code="TITLE_MISSING", severity="error", field="t", message_fr="m", message_en="m"),
            Status.APPROVED,
        ),
    ],
)
def test_effects_from_validation_yaml(effects: dict[str, str], issue: Issue, expected: Status) -> None:
    d = decide(record(["primaire"]), [issue], vocabularies=VOCABS, policy=policy(effects=effects))
    assert d.status is expected
    if expected is not Status.APPROVED:
        assert issue.code in d.reasons


def test_review_modes_apply_on_top() -> None:
    p = policy(effects={"LEVEL_UNMAPPED": "review"})
    clean = record(["primaire"])
    assert decide(clean, [], vocabularies=VOCABS, policy=p, review="always").status is Status.NEEDS_REVIEW
    assert (
        decide(clean, [warn("LEVEL_UNMAPPED")], vocabularies=VOCABS, policy=p, review="never").status
        is Status.APPROVED
    )
    error = Issue(code="URL_MISSING", severity="error", field="u", message_fr="m", message_en="m")
    assert decide(clean, [error], vocabularies=VOCABS, policy=p, review="never").status is Status.REJECTED


def test_portal_language_policy() -> None:
    portals = {**PORTALS, "pavillon": PORTALS["pavillon"].model_copy(update={"languages": ["fr"]})}
    p = Policy(rules=ValidationRules(), portals=portals)
    d = decide(record(["collegial"], languages=("es",)), [], vocabularies=VOCABS, policy=p)
    assert [i.code for i in d.issues] == ["LANGUAGE_NOT_ACCEPTED"]


def test_portal_policies_run_for_a_record_without_a_portal() -> None:
    """A closed licence is told to the documentalist before the level is chosen, not after."""
    d = decide(record(["autre"], licence=INC), [], vocabularies=VOCABS, policy=policy())
    assert [(i.code, i.portal) for i in d.issues] == [("NO_PORTAL", None), ("LICENCE_NOT_OPEN", "pavillon")]
    licence = d.issues[1]
    assert licence.message_fr.startswith("Si la notice va au portail Pavillon : ")
    assert licence.message_en.startswith("If the record goes to the Pavillon portal: ")
    # informs only: the status and the reasons are those NO_PORTAL gives
    assert d.status is Status.NEEDS_REVIEW and d.reasons == ["NO_PORTAL"]


def test_without_a_portal_only_the_sources_portals_are_checked() -> None:
    school_only = decide(
        record(["autre"], licence=INC),
        [],
        vocabularies=VOCABS,
        policy=policy(),
        source_portals=["ecole-ouverte"],
    )
    assert [i.code for i in school_only.issues] == ["NO_PORTAL"]


def test_potential_portal_issues_never_change_the_status_without_a_portal() -> None:
    harsh = policy(effects={"LICENCE_NOT_OPEN": "reject"})
    d = decide(record(["autre"], licence=INC), [], vocabularies=VOCABS, policy=harsh)
    assert d.status is Status.NEEDS_REVIEW
    assert "LICENCE_NOT_OPEN" in [i.code for i in d.issues]


def test_routed_records_keep_their_plain_portal_messages() -> None:
    strict = policy(effects={"LICENCE_NOT_OPEN": "review"})
    d = decide(record(["collegial"], licence=INC), [], vocabularies=VOCABS, policy=strict)
    assert d.issues[0].message_fr.startswith("Le portail Pavillon exige")
