"""The matching rules as tables of pairs (written by hand), the hard negatives, and the labelled set."""

from __future__ import annotations

from pathlib import Path

import pytest

from ren_index.duplicates.evaluation import evaluate, load_labelled
from ren_index.duplicates.matcher import RULES, Rules, compare, find_pairs
from ren_index.duplicates.records import Signature, make_signature
from ren_index.duplicates.similarity import SignatureIndex

LABELLED = Path(__file__).with_name("labelled_pairs.yaml")
CHIMIE = (
    "Manuel libre couvrant la matière du cours de chimie générale au collégial : structure de "
    "l'atome, tableau périodique, liaisons chimiques, stœchiométrie et gaz parfaits."
)
CHIMIE_EDITED = CHIMIE.replace("Manuel libre couvrant", "Ce manuel libre couvre").replace(" et gaz", ", gaz")
HISTOIRE = (
    "Synthèse de l'histoire du Québec, de la Confédération à la Révolution tranquille et aux référendums."
)
BIO = "Notes du cours de biologie humaine : cellule, tissus, homéostasie et système nerveux."
PHILO = "Notes du cours de philosophie 340-101 : la rationalité, les présocratiques, Socrate et Platon."


def sig(
    id: str, title: str, desc: str = "", url: str | None = None, ids: tuple[str, ...] = (), lang: str = "fr"
) -> Signature:
    return make_signature(
        id, f"src-{id}", title=title, description=desc, url=url, identifiers=ids, languages=[lang]
    )


CASES = [
    # (a, b, expected relation or None, why)
    (
        sig("a", "Chimie générale", CHIMIE, "https://x.example/chimie/"),
        sig(
            "b",
            "Chimie générale (manuel)",
            "Autre texte.",
            "http://www.x.example/chimie/index.html?utm_source=y",
        ),
        "same",
        "same canonical URL",
    ),
    (
        sig("a", "Chimie générale", CHIMIE, ids=("ISBN 2760523578",)),
        sig("b", "Chimie générale : manuel libre", "Notice de bibliothèque.", ids=("978-2-7605-2357-9",)),
        "same",
        "same ISBN, two spellings",
    ),
    (
        sig("a", "Chimie générale : un manuel libre", CHIMIE, "https://x.example/a"),
        sig("b", "Chimie générale - un manuel libre", CHIMIE_EDITED, "https://y.example/b"),
        "same",
        "same text and title, different URLs",
    ),
    (
        sig(
            "a",
            "Guide de rédaction des travaux universitaires au collégial",
            "Normes de présentation et citation APA 7.",
        ),
        sig(
            "b",
            "Guide de rédaction des travaux universitaires au collégial",
            "Normes de présentation, citation APA 7 et plan.",
        ),
        "same",
        "long title nearly identical, descriptions agreeing",
    ),
    (
        sig("a", "Chimie générale, 2e édition", CHIMIE, "https://x.example/chimie-2e"),
        sig("b", "Chimie générale", CHIMIE, "https://x.example/chimie"),
        "version",
        "an edition and no edition, same text",
    ),
    (
        sig(
            "a",
            "Introduction to Sociology – 2nd Canadian Edition",
            "Sociology " + CHIMIE,
            ids=("ISBN 2760523578",),
            lang="en",
        ),
        sig(
            "b",
            "Introduction to Sociology – 3rd Canadian Edition",
            "Sociology " + CHIMIE,
            ids=("ISBN 2760523578",),
            lang="en",
        ),
        "version",
        "two explicit editions, even with a shared identifier",
    ),
    (
        sig("a", "Programme de formation de l'école québécoise 2004", HISTOIRE),
        sig("b", "Programme de formation de l'école québécoise 2006", HISTOIRE),
        "version",
        "two years in the titles",
    ),
    (
        sig("a", "Les saisons expliquées", "Capsule animée.", "https://x.example/fr/capsules/saisons"),
        sig(
            "b",
            "The Seasons Explained",
            "Animated short.",
            "https://x.example/en/capsules/saisons",
            lang="en",
        ),
        "translation",
        "/fr/ and /en/ twins",
    ),
    (
        sig("a", "Psychologie sociale", "Manuel.", "https://a.example/psy", ids=("doi:10.5281/zenodo.1",)),
        sig(
            "b",
            "Social Psychology",
            "Textbook.",
            "https://b.example/psy",
            ids=("https://doi.org/10.5281/zenodo.1",),
            lang="en",
        ),
        "translation",
        "shared DOI, French and English records",
    ),
    (
        sig("a", "Guide numérique", "Pistes.", "https://x.example/guide?lang=fr"),
        sig("b", "Digital guide", "Ideas.", "https://x.example/guide?lang=en", lang="en"),
        "translation",
        "language parameter",
    ),
    (
        sig("a", "Histoire de la Nouvelle-France", "Synthèse en plusieurs tomes."),
        sig("b", "Histoire de la Nouvelle-France, tome 1 : Les vaines tentatives", "Premier tome."),
        "part",
        "a volume of the set: the title contains the whole's and a volume marker",
    ),
    (
        sig("a", "Les grandes découvertes", "Série.", "https://tv.example/series/decouvertes"),
        sig("b", "Épisode 4 : la pénicilline", "Fleming.", "https://tv.example/series/decouvertes/episode-4"),
        "part",
        "the URL extends the whole's and the title has an episode marker",
    ),
    # hard negatives
    (
        sig("a", "Mathématiques pour la chimie, tome 1", CHIMIE, "https://x.example/m1"),
        sig("b", "Mathématiques pour la chimie, tome 2", CHIMIE, "https://x.example/m2"),
        None,
        "two books of one series, even with the same description",
    ),
    (
        sig("a", "Calculus Volume 1", CHIMIE, ids=("ISBN 2760523578",), lang="en"),
        sig("b", "Calculus Volume 2", CHIMIE, ids=("ISBN 2760523578",), lang="en"),
        None,
        "two volumes sharing the set's ISBN",
    ),
    (
        sig("a", "Notes de cours", BIO, "https://a.example/bio.pdf"),
        sig("b", "Notes de cours", PHILO, "https://b.example/philo"),
        None,
        "a generic title from two sources with different URLs and descriptions",
    ),
    (
        sig("a", "Notes de cours", BIO, "https://a.example/bio.pdf"),
        sig(
            "b",
            "Notes de cours",
            "Notes du cours de biologie végétale : racines, tiges, feuilles.",
            "https://b.example/bio",
        ),
        None,
        "a generic title and descriptions of one shape",
    ),
    (
        sig("a", "Mathématique 1re secondaire : exercices de révision", CHIMIE),
        sig("b", "Mathématique 2e secondaire : exercices de révision", CHIMIE),
        None,
        "two levels: the numbers differ",
    ),
    (
        sig("a", "Chimie des solutions – Chapitre 2 : la cinétique", CHIMIE),
        sig("b", "Chimie des solutions – Chapitre 3 : les solutions", CHIMIE),
        None,
        "two chapters of one book",
    ),
    (
        sig("a", "Les fractions", "Activités.", "https://recit.example/"),
        sig("b", "Le cycle de l'eau", "Expérience.", "https://recit.example/"),
        None,
        "a site's home page as the URL of unrelated records",
    ),
    (
        sig(
            "a",
            "Biologie humaine",
            "Ce manuel libre est publié sous licence CC BY 4.0 par le Réseau des cégeps.",
        ),
        sig(
            "b",
            "Psychologie du développement",
            "Ce manuel libre est publié sous licence CC BY 4.0 par le Réseau des cégeps.",
        ),
        None,
        "one publisher's boilerplate",
    ),
    (
        sig(
            "a",
            "Guide de l'enseignant",
            "Guide de l'enseignant de la situation d'apprentissage sur les énergies renouvelables.",
        ),
        sig(
            "b",
            "Guide de l'enseignant",
            "Guide de l'enseignant de la situation d'apprentissage sur la Nouvelle-France.",
        ),
        None,
        "short generic title, descriptions of one shape",
    ),
    (
        sig("a", "1, 2, 3... Géant! Saison 2", "Émission jeunesse : bricolages, chansons et histoires."),
        sig("b", "1, 2, 3... Géant! Saison 3", "Émission jeunesse : bricolages, chansons et histoires."),
        None,
        "two seasons",
    ),
]


@pytest.mark.parametrize(("a", "b", "expected", "why"), CASES, ids=[c[3] for c in CASES])
def test_relation(a: Signature, b: Signature, expected: str | None, why: str) -> None:
    for x, y in ((a, b), (b, a)):  # symmetric, whichever record came first
        pair = compare(x, y)
        assert (pair.relation if pair else None) == expected, why
        if pair:
            assert 0 <= pair.score <= 1 and pair.reasons


def test_reasons_and_direction() -> None:
    a, b = CASES[0][0], CASES[0][1]
    pair = compare(a, b)
    assert (
        pair is not None
        and pair.reasons["same_url"] == 1.0
        and "title" in pair.reasons
        and "text" in pair.reasons
    )
    whole, part = CASES[10][0], CASES[10][1]
    pair = compare(part, whole)
    assert pair is not None and pair.whole == whole.id and pair.reasons["part"] == 1.0
    old, new = CASES[4][1], CASES[4][0]
    pair = compare(old, new)
    assert pair is not None and pair.newer == new.id and pair.reasons["edition"] == 1.0


def test_high_confidence_same_is_grouped_without_review() -> None:
    strong = compare(CASES[0][0], sig("b", "Chimie générale", CHIMIE, "http://x.example/chimie"))
    assert strong is not None and strong.relation == "same" and strong.auto()
    weak = compare(
        sig(
            "a",
            "Guide de rédaction des travaux universitaires au collégial",
            "Normes de présentation, APA 7.",
        ),
        sig(
            "b",
            "Guide de rédaction des travaux universitaires au collégial",
            "Normes de présentation et plan.",
        ),
    )  # the title-only rule: proposed, never grouped without review
    assert weak is not None and weak.relation == "same" and not weak.auto()
    assert weak.auto(Rules(auto_same=weak.score))  # the threshold is configuration


def test_thresholds_are_configuration() -> None:
    a, b = CASES[2][0], CASES[2][1]
    assert compare(a, b) is not None
    assert compare(a, b, Rules(text_same=0.99, title_only_same=1.01)) is None


def test_find_pairs_is_incremental() -> None:
    first = [sig(f"{c[0].id}{n}", c[0].title, c[0].description, c[0].url) for n, c in enumerate(CASES[:4])]
    index = SignatureIndex(RULES.lsh_threshold)
    find_pairs(first, index)
    assert len(index) == 4
    new = sig("n", "Chimie générale : un manuel libre", CHIMIE, "https://z.example/n")
    pairs = find_pairs([new], index)
    assert {(p.a, p.b, p.relation) for p in pairs} == {("n", "a2", "same")}
    assert len(index) == 5


def test_the_labelled_set_meets_the_same_targets() -> None:
    """The CI guard of bench/duplicates_quality.py: precision ≥ 0.95 and recall ≥ 0.85 for ``same``."""
    labelled = load_labelled(LABELLED)
    counts: dict[str, int] = {}
    for label in labelled.labels.values():
        counts[label] = counts.get(label, 0) + 1
    assert len(labelled.labels) >= 150 and counts["different"] >= 40
    assert {"fr", "en"} <= {lang for s in labelled.signatures for lang in s.languages}
    report = evaluate(labelled)
    same = report.scores["same"]
    assert same.precision >= 0.95, report.mistakes
    assert same.recall >= 0.85, report.mistakes
    hard = [m for m in report.mistakes if m[2] == "different" and m[3] == "same"]
    assert hard == []


def test_a_url_that_redirects_to_another_records_url_is_the_same_address() -> None:
    text = "Les fonctions affines et leurs graphiques, avec des exercices gradués pour la 3e secondaire."
    old = make_signature(
        "old", "s1", title="Fonctions affines", description=text,
        url="https://vieux.example/maths/affines", moved_to="https://www.nouveau.example/maths/affines/",
    )  # fmt: skip
    new = make_signature(
        "new", "s2", title="Les fonctions affines", description="Une autre présentation du sujet.",
        url="https://nouveau.example/maths/affines",
    )  # fmt: skip
    assert old.moved_url == "https://nouveau.example/maths/affines"
    pair = compare(old, new)
    assert pair is not None and pair.relation == "same"
    assert pair.reasons["same_url_redirect"] == 1.0 and "same_url" not in pair.reasons
    index = SignatureIndex()
    index.add(new)
    assert index.candidates(old) == {"new"}  # found by the address it redirects to
    # without what the link checker learned, the two do not meet by address
    plain = make_signature("old", "s1", title="Fonctions affines", description=text, url=old.url)
    assert plain.moved_url is None and compare(plain, new) is None
    assert Signature.from_json(old.to_json()).moved_url == old.moved_url


def test_a_redirect_to_the_same_canonical_address_is_not_kept() -> None:
    sig = make_signature(
        "a", "s", title="Titre", url="http://x.example/a/", moved_to="https://www.x.example/a"
    )
    assert sig.moved_url is None
