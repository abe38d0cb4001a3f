"""Learning resource types: stated values (LOM, Normetic, ScoLOMFR, DC, LOMFR) → our SKOS concepts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import rdflib

from ren_index.config.vocabularies import Vocabularies, Vocabulary, build_vocabulary, load_vocabulary
from ren_index.demo.catalogue_data import RESOURCE_TYPES
from ren_index.model import Provenance, Resource, Term
from ren_index.normalize.registry import normalize
from ren_index.validate import ValidationContext
from ren_index.validate.resource_types import check_resource_types, map_resource_type

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
TTL = ROOT / "config" / "vocabularies" / "types-ressources.ttl"
T = "https://w3id.org/ren-index/vocab/types/"
NORMETIC_12 = "http://www.normetic.org/vdex/typeressourcev1_2.xml"
NORMETIC_11 = "http://eureka.ntic.org/vdex/NORMETICv1.1_element_5_2_type_de_ressource_voc.xml"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary(TTL)


def _ctx(vocabulary: Vocabulary) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    return ValidationContext(
        vocabularies=Vocabularies(levels=empty, licences=empty, resource_types=vocabulary)
    )


def _resource(lom: list[Term] | None = None, dc: list[Term] | None = None) -> Resource:
    resource = Resource(provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="lom"))
    resource.educational.learning_resource_types = lom or []
    resource.resource_types = dc or []
    return resource


@pytest.mark.parametrize(
    ("raw", "concept"),
    [
        # LOM 5.2 tokens, all fifteen.
        ("exercise", "exercice"),
        ("simulation", "simulation"),
        ("questionnaire", "questionnaire"),
        ("diagram", "diagramme"),
        ("figure", "figure"),
        ("graph", "graphique"),
        ("index", "index"),
        ("slide", "diapositive"),
        ("table", "tableau"),
        ("narrative text", "texte-narratif"),
        ("exam", "examen"),
        ("experiment", "experience"),
        ("problem statement", "enonce-de-probleme"),
        ("self assessment", "autoevaluation"),
        ("lecture", "expose"),
        # Normetic 1.2 terms (accented) and 1.1 ids (unaccented); merged with their LOM twin.
        ("évaluation", "evaluation"),
        ("evaluation", "evaluation"),
        ("animation", "animation"),
        ("tutoriel", "tutoriel"),
        ("glossaire", "glossaire"),
        ("guide", "guide"),
        ("matériel de référence", "materiel-de-reference"),
        ("materiel de reference", "materiel-de-reference"),
        ("outils", "outil"),
        ("lecture/présentation", "expose"),
        ("lecture/presentation", "expose"),
        ("activité", "activite"),
        ("démonstration", "demonstration"),
        ("examen", "examen"),
        ("exercice", "exercice"),
        ("expérience", "experience"),
        ("exploration", "exploration"),
        ("méthodologie", "methodologie"),
        ("scénario pédagogique", "scenario-pedagogique"),
        ("situation d'apprentissage et d'évaluation", "sae"),
        ("texte-document informatif", "texte-informatif"),
        # What people type in dc:type, any case or accent.
        ("Vidéo", "video"),
        ("VIDEO", "video"),
        ("Guide pédagogique", "guide"),
        ("Cours", "cours"),
        ("Cours en ligne", "cours"),
        ("Exercices", "exercice"),
        ("Jeu", "jeu"),
        ("Jeu éducatif", "jeu"),
        ("Tutorial", "tutoriel"),
        ("Balado", "balado"),
        ("podcast", "balado"),
        ("SAÉ", "sae"),
        ("SAE", "sae"),
        ("Situation d'apprentissage", "sae"),
        ("Quiz", "questionnaire"),
        ("QCM", "questionnaire"),
        ("Aide-mémoire", "materiel-de-reference"),
        ("Manuel numérique", "manuel"),
        ("Diaporama", "diapositive"),
        # DCMI types (names and URIs) and LOMFR documentType → broad document concepts.
        ("Text", "texte"),
        ("Texte", "texte"),
        ("InteractiveResource", "ressource-interactive"),
        ("Son", "audio"),
        ("Sound", "audio"),
        ("StillImage", "image"),
        ("image en mouvement", "video"),
        ("ensemble de données", "donnees"),
        ("http://purl.org/dc/dcmitype/Text", "texte"),
        ("https://purl.org/dc/dcmitype/MovingImage/", "video"),
        # ScoLOMFR concept URIs of LOM values, OEH URIs.
        ("http://data.education.fr/voc/scolomfr/concept/simulation", "simulation"),
        ("http://data.education.fr/voc/scolomfr/concept/self_assessment", "autoevaluation"),
        ("http://w3id.org/openeduhub/vocabs/learningResourceType/video", "video"),
        # Our own concept URIs (a record that went through ren-index before).
        (T + "sae", "sae"),
    ],
)
def test_maps_to_concept(vocabulary: Vocabulary, raw: str, concept: str) -> None:
    assert map_resource_type(raw, vocabulary) == (T + concept,)


@pytest.mark.parametrize(
    "raw",
    [
        "info:eu-repo/semantics/article",
        "info:eu-repo/semantics/lecture",
        "other",
        "Autre",
        "",
        "  ",
    ],
)
def test_generic_values_are_ignored_silently(vocabulary: Vocabulary, raw: str) -> None:
    assert map_resource_type(raw, vocabulary) == ()


@pytest.mark.parametrize(
    "raw",
    [
        "http://data.education.fr/voc/scolomfr/concept/scolomfr-voc-010-num-020",
        "http://example.org/types/video",  # a URI is only matched as a whole, never by its end
        "Notes de cours?!",
        "Document",
        "12",
        "lecture de texte",
    ],
)
def test_unmapped(vocabulary: Vocabulary, raw: str) -> None:
    assert map_resource_type(raw, vocabulary) is None


def test_a_field_with_several_types_is_split(vocabulary: Vocabulary) -> None:
    assert map_resource_type("Texte; Image", vocabulary) == (T + "texte", T + "image")
    assert map_resource_type("Texte; nimporte", vocabulary) is None


def test_vocabulary_has_no_ambiguous_label_or_mapping(vocabulary: Vocabulary) -> None:
    """A label, notation or mapping target shared by two concepts would map to nothing."""
    assert {k: v for k, v in vocabulary.lookup.items() if len(v) > 1} == {}
    targets = Counter(
        t
        for c in vocabulary.concepts.values()
        for p in ("exactMatch", "closeMatch")
        for t in c.mappings.get(p, ())
    )
    assert [t for t, n in targets.items() if n > 1] == []


def test_vocabulary_shape(vocabulary: Vocabulary) -> None:
    assert vocabulary.uri == T
    assert all(c.uri.startswith(T) for c in vocabulary.concepts.values())
    assert all({"fr", "en"} <= c.pref_labels.keys() for c in vocabulary.concepts.values())
    pedagogical = vocabulary.collections[T + "collection/pedagogique"]
    documents = vocabulary.collections[T + "collection/document"]
    assert pedagogical | documents == set(vocabulary.concepts)
    assert not pedagogical & documents
    assert vocabulary.ancestors(T + "examen") == [T + "evaluation"]
    assert vocabulary.in_collection(T + "collection/document", T + "balado")  # a podcast is audio


def test_check_maps_both_fields_in_order_once(vocabulary: Vocabulary) -> None:
    resource = _resource(
        lom=[Term(source="LOMv1.0", value="exercise"), Term(source=NORMETIC_12, value="exercice")],
        dc=[Term(value="Exercice"), Term(value="Text")],
    )
    updates, issues = check_resource_types(resource, _ctx(vocabulary))
    assert updates == {"resource_types": [T + "exercice", T + "texte"]}
    assert issues == []


def test_check_reports_each_unmapped_value_once(vocabulary: Vocabulary) -> None:
    resource = _resource(
        lom=[Term(source=NORMETIC_11, value="evaluation"), Term(value="Carte heuristique")],
        dc=[Term(value="Carte heuristique"), Term(value="info:eu-repo/semantics/article")],
    )
    updates, issues = check_resource_types(resource, _ctx(vocabulary))
    assert updates == {"resource_types": [T + "evaluation"]}
    assert [(i.code, i.severity, i.field, i.value) for i in issues] == [
        ("RESOURCE_TYPE_UNMAPPED", "info", "educational.learning_resource_types", "Carte heuristique")
    ]
    assert issues[0].message_fr == "Type de ressource absent du vocabulaire : « Carte heuristique »."


def test_check_without_types(vocabulary: Vocabulary) -> None:
    assert check_resource_types(_resource(), _ctx(vocabulary)) == ({"resource_types": []}, [])


def test_ambiguous_label_is_unmapped_and_names_candidates() -> None:
    graph = rdflib.Graph()
    graph.parse(
        data="""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <urn:a> a skos:Concept ; skos:prefLabel "Atelier"@fr .
        <urn:b> a skos:Concept ; skos:altLabel "atelier"@fr .
        """,
        format="turtle",
    )
    ambiguous = build_vocabulary(graph, "ambiguous")
    assert map_resource_type("Atelier", ambiguous) == "urn:a | urn:b"
    _, issues = check_resource_types(_resource(dc=[Term(value="Atelier")]), _ctx(ambiguous))
    assert issues[0].suggestion == "urn:a | urn:b"


def test_every_demo_type_maps(vocabulary: Vocabulary) -> None:
    """The demo catalogue's LOM/Normetic terms and its dc:type values all have a concept."""
    values = {v for rtype in RESOURCE_TYPES for _, v in rtype[3]} | {rtype[4] for rtype in RESOURCE_TYPES}
    unmapped = sorted(v for v in values if not map_resource_type(v, vocabulary))
    assert unmapped == []


SAMPLE_DIRS = (
    SHARED / "standards" / "GTN-Quebec__lom2mlr",
    SHARED / "standards" / "jdpro__scolomfr3utils" / "samples",
    SHARED / "fixtures" / "oai" / "GTN-Quebec__lom2mlr",
    SHARED / "fixtures" / "oai" / "jdpro__scolomfr3utils",
)
SAMPLES = sorted({p for d in SAMPLE_DIRS if d.is_dir() for p in d.glob("*.xml")}, key=str)
SCOLOMFR_UNLABELLED = "http://data.education.fr/voc/scolomfr/concept/scolomfr-voc-0"
"""ScoLOMFR numbered concepts (voc-005, voc-010): their labels are not in ../shared, so unmapped."""


@pytest.mark.skipif(not SAMPLES, reason=f"LOM samples of ../shared not found under {SHARED}")
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shared_lom_samples(vocabulary: Vocabulary, path: Path) -> None:
    provenance = Provenance(source="shared", identifier=path.name, metadata_format="lom")
    resource, _ = normalize(path.read_text(encoding="utf-8"), provenance)
    updates, issues = check_resource_types(resource, _ctx(vocabulary))
    stated = resource.educational.learning_resource_types + resource.resource_types
    if any(not t.value.startswith(SCOLOMFR_UNLABELLED) for t in stated):
        assert updates["resource_types"]
    assert all(u in vocabulary.concepts for u in updates["resource_types"])
    assert [i.value for i in issues if not (i.value or "").startswith(SCOLOMFR_UNLABELLED)] == []
