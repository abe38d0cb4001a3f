"""``config/vocabularies/niveaux-quebec.ttl`` is sound SKOS and says what the portals rely on.

Checked against the raw rdflib graph (so a mistake the flattening would hide still shows) and,
when ``../shared`` is there, against the external schemes it maps to: KIM ISCED and
educationalLevel URIs, OEH's LOM 5.6 context, ScoLOMFR voc-012 and Normetic's 5.6 VDEX.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rdflib import RDF, SKOS, Graph, Literal, URIRef

from ren_index.config.vocabularies import REN, REN_NS, Vocabulary, load_vocabulary
from ren_index.validate.levels import level_index, level_key

ROOT = Path(__file__).resolve().parents[2]
LEVELS_TTL = ROOT / "config" / "vocabularies" / "niveaux-quebec.ttl"
SHARED = ROOT.parent / "shared"
STANDARDS = SHARED / "standards"
NIV = REN_NS + "niveaux/"
ISCED = "https://w3id.org/kim/isced-2011/"
EO, PAV = NIV + "portail-ecole-ouverte", NIV + "portail-pavillon"
TRANSVERSAL = {NIV + "formation-continue", NIV + "formation-en-entreprise"}
"""Leaves in no portal: adults in every network; they follow the order stated beside them."""


@pytest.fixture(scope="module")
def graph() -> Graph:
    g = Graph()
    g.parse(LEVELS_TTL, format="turtle")
    return g


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary(LEVELS_TTL)


def _concepts(graph: Graph) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef))


def test_parses_as_one_scheme_in_our_namespace(graph: Graph, vocab: Vocabulary) -> None:
    assert list(graph.subjects(RDF.type, SKOS.ConceptScheme)) == [URIRef(NIV)]
    assert vocab.uri == NIV
    assert len(vocab.concepts) >= 30
    for concept in _concepts(graph):
        assert str(concept).startswith(NIV), concept
        assert (concept, SKOS.inScheme, URIRef(NIV)) in graph, concept


def test_every_concept_has_one_french_and_one_english_preflabel(graph: Graph) -> None:
    for concept in _concepts(graph):
        labels = [o for o in graph.objects(concept, SKOS.prefLabel) if isinstance(o, Literal)]
        assert sorted(str(o.language) for o in labels) == ["en", "fr"], concept


def test_broader_and_narrower_agree(graph: Graph) -> None:
    broader = {(str(s), str(o)) for s, o in graph.subject_objects(SKOS.broader)}
    narrower = {(str(o), str(s)) for s, o in graph.subject_objects(SKOS.narrower)}
    assert broader == narrower
    concepts = {str(c) for c in _concepts(graph)}
    assert {b for _, b in broader} <= concepts


def test_top_concepts_are_the_lom_groupings(graph: Graph, vocab: Vocabulary) -> None:
    tops = {str(o) for o in graph.objects(URIRef(NIV), SKOS.hasTopConcept)}
    assert tops == {NIV + "scolaire", NIV + "enseignement-superieur", NIV + "formation"}
    assert {u for u, c in vocab.concepts.items() if not c.broader} == tops
    for uri in vocab.concepts:  # no cycle: every concept reaches a top concept
        assert uri in tops or set(vocab.ancestors(uri)) & tops, uri


def test_portal_collections_match_portals_yaml(vocab: Vocabulary) -> None:
    portals = yaml.safe_load((ROOT / "config" / "portals.yaml").read_text(encoding="utf-8"))["portals"]
    assert {p["levels_collection"] for p in portals.values()} == set(vocab.collections)


def test_portal_collections_partition_the_leaf_levels(vocab: Vocabulary) -> None:
    leaves = {u for u, c in vocab.concepts.items() if not c.narrower}
    school = {u for u in leaves if vocab.in_collection(EO, u)}
    higher = {u for u in leaves if vocab.in_collection(PAV, u)}
    assert not school & higher, sorted(school & higher)
    assert school | higher == leaves - TRANSVERSAL
    assert {u.removeprefix(NIV) for u in higher} == {
        "collegial-preuniversitaire",
        "collegial-technique",
        "universitaire-1er-cycle",
        "universitaire-2e-cycle",
        "universitaire-3e-cycle",
    }
    assert NIV + "secondaire-3" in school and NIV + "formation-professionnelle" in school
    assert not vocab.in_collection(EO, NIV + "formation") and not vocab.in_collection(PAV, NIV + "formation")


MAIN_LEVELS = [
    "prescolaire",
    "primaire",
    "secondaire",
    "formation-professionnelle",
    "formation-generale-adultes",
    "collegial",
    "universitaire",
    "universitaire-1er-cycle",
    "universitaire-2e-cycle",
    "universitaire-3e-cycle",
]


@pytest.mark.parametrize("name", MAIN_LEVELS)
def test_main_levels_map_to_isced_2011(name: str, vocab: Vocabulary) -> None:
    concept = vocab.concepts[NIV + name]
    targets = [t for values in concept.mappings.values() for t in values]
    assert any(re.fullmatch(re.escape(ISCED) + r"level[0-8]", t) for t in targets), concept.mappings


def test_lom_context_values_are_typed_notations_of_the_groupings(graph: Graph) -> None:
    lom = {
        str(o): str(s)
        for s, o in graph.subject_objects(SKOS.notation)
        if isinstance(o, Literal) and o.datatype == URIRef(REN + "LomContext")
    }
    assert lom == {
        "school": NIV + "scolaire",
        "higher education": NIV + "enseignement-superieur",
        "training": NIV + "formation",
    }


def test_ages_are_integers_and_nest(vocab: Vocabulary) -> None:
    for uri, concept in vocab.concepts.items():
        low, high = concept.prop("ageMin"), concept.prop("ageMax")
        if low is not None and high is not None:
            assert int(low) < int(high), uri
            for parent in concept.broader:
                p = vocab.concepts[parent]
                if p.prop("ageMin") and p.prop("ageMax"):
                    assert int(p.prop("ageMin") or 0) <= int(low) and int(high) <= int(
                        p.prop("ageMax") or 0
                    ), uri


def test_no_key_leads_to_two_unrelated_concepts(vocab: Vocabulary) -> None:
    """Labels and notations, once canonicalized, may only share a key along one branch."""
    keys: dict[str, set[str]] = defaultdict(set)
    for uri, concept in vocab.concepts.items():
        for text in [*concept.pref_labels.values(), *(t for _, t in concept.alt_labels), *concept.notations]:
            keys[level_key(text)].add(uri)
    ambiguous = {}
    for key, uris in keys.items():
        for a in uris:
            for b in uris:
                if a < b and a not in vocab.ancestors(b) and b not in vocab.ancestors(a):
                    ambiguous[key] = sorted(u.removeprefix(NIV) for u in uris)
    assert ambiguous == {}, f"ambiguous keys: {ambiguous}"
    assert all(len(v) == 1 for v in level_index(vocab).keys.values())


# Against the external schemes (../shared) ----------------------------------------------------

needs_shared = pytest.mark.skipif(not STANDARDS.is_dir(), reason=f"../shared not found at {SHARED}")


def _mapping_targets(vocab: Vocabulary, prefix: str) -> set[str]:
    return {
        t for c in vocab.concepts.values() for ts in c.mappings.values() for t in ts if t.startswith(prefix)
    }


def _subjects(path: Path, fmt: str) -> set[str]:
    g = Graph()
    g.parse(path, format=fmt)
    return {str(s) for s in g.subjects()} | {str(o) for o in g.objects() if isinstance(o, URIRef)}


@needs_shared
@pytest.mark.parametrize(
    ("prefix", "path", "fmt"),
    [
        (ISCED, "dini-ag-kim__educationalLevel/educationalLevel.ttl", "turtle"),
        (
            "https://w3id.org/kim/educationalLevel/",
            "dini-ag-kim__educationalLevel/educationalLevel.ttl",
            "turtle",
        ),
        (
            "http://w3id.org/openeduhub/vocabs/lom_educational-context/",
            "openeduhub__oeh-metadata-vocabs/lom_educational_context.ttl",
            "turtle",
        ),
        (
            "http://data.education.fr/voc/scolomfr/concept/",
            "jdpro__scolomfr-recette/scolomfr-v-3-2-0/SKOS/12.rdf",
            "xml",
        ),
    ],
)
def test_mapping_targets_exist_upstream(prefix: str, path: str, fmt: str, vocab: Vocabulary) -> None:
    file = STANDARDS / path
    if not file.exists():
        pytest.skip(f"{file} not found")
    targets = _mapping_targets(vocab, prefix)
    assert targets
    assert targets <= _subjects(file, fmt), sorted(targets - _subjects(file, fmt))


@needs_shared
def test_every_normetic_context_term_has_a_concept(vocab: Vocabulary) -> None:
    vdex = STANDARDS / "GTN-Quebec__NormeticValidatorAPI" / "NORMETICv1.0_element_5_6_contexte_voc.xml"
    if not vdex.exists():
        pytest.skip(f"{vdex} not found")
    terms = re.findall(r"<termIdentifier>(.*?)</termIdentifier>", vdex.read_text(encoding="utf-8"))
    assert len(terms) == 12
    notations = {n for c in vocab.concepts.values() for n in c.notations}
    assert set(terms) - notations == {"autre"}  # "autre" says no level, on purpose
    # LomPad 1.2 writes the same terms with their accents
    for accented in (
        "éducation préscolaire",
        "cégep",
        "université premier cycle",
        "université troisième cycle",
    ):
        assert accented in notations
