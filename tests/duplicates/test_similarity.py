"""Folding, hints and the signature index: LSH and exact keys, incremental add and remove."""

from __future__ import annotations

import pytest

from ren_index.duplicates.records import Signature, hints_of, make_signature, signature_of, title_stem, words
from ren_index.duplicates.similarity import SignatureIndex, url_ancestors
from ren_index.model import General, Identifier, Provenance, Resource, Technical

LOREM = (
    "Manuel libre couvrant la matière du cours de chimie générale au collégial : structure de "
    "l'atome, tableau périodique, liaisons chimiques, stœchiométrie et gaz parfaits."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L'Élève et la Cœur du problème", ["eleve", "coeur", "probleme"]),  # accents, ligature, stop words
        ("The Theory of Everything, and more!", ["theory", "everything"]),
        ("1re secondaire", ["1", "secondaire"]),
        ("Secondaire 1", ["secondaire", "1"]),
        ("Deuxième édition / Second Edition / 2nd ed.", ["2", "edition", "2", "edition", "2", "ed"]),
        ("Tome II", ["tome", "2"]),
        ("C'est-à-dire : qu'il y a", ["dire"]),  # single letters and stop words dropped
        ("", []),
    ],
)
def test_words_fold_case_accents_punctuation_and_stop_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("title", "description", "year", "edition", "volume", "part", "marks"),
    [
        ("Chimie générale, 2e édition", "", None, 2, None, None, set()),
        ("Introduction to Sociology – 3rd Canadian Edition", "", None, 3, None, None, set()),
        ("Concepts of Biology, Second Edition", "", None, 2, None, None, set()),
        ("Chemistry 2e", "", None, 2, None, None, set()),
        ("Guide", "Cette 3e édition revue et augmentée", None, 3, None, None, set()),
        ("Programme de formation 2006", "", 2006, None, None, None, set()),
        ("Histoire de la Nouvelle-France, tome 1 : Les vaines tentatives", "", None, None, "1", None, set()),
        ("Calculus Volume 2", "", None, None, "2", None, set()),
        ("Précis de pharmacologie. Chapitre 7, Les antibiotiques", "", None, None, None, "7", set()),
        ("Physics NYA - Unit 3: Newton's Laws", "", None, None, None, "3", set()),
        ("Économie – Partie B : la macroéconomie", "", None, None, None, "b", set()),
        ("1, 2, 3... Géant! Saison 2", "", None, None, "2", None, {"1", "3"}),
        ("Mathématique 1re secondaire", "", None, None, None, None, {"1"}),
        ("Math 101 Course Pack", "", None, None, None, None, {"101"}),
        ("Les fractions", "", None, None, None, None, set()),
    ],
)
def test_hints(
    title: str, description: str, year: int | None, edition: int | None, volume: str | None, part: str | None,
    marks: set[str],
) -> None:  # fmt: skip
    hints = hints_of(title, description)
    assert (hints.year, hints.edition, hints.volume, hints.part, set(hints.marks)) == (
        year, edition, volume, part, marks,
    )  # fmt: skip


def test_title_stem_is_the_title_before_a_part_marker() -> None:
    assert title_stem("histoire nouvelle france tome 1 vaines tentatives") == "histoire nouvelle france"
    assert title_stem("episode 4 penicilline") is None  # nothing before the marker
    assert title_stem("chimie generale") is None


def test_signature_of_a_resource_reads_its_language_addresses_and_identifiers() -> None:
    res = Resource(
        provenance=Provenance(source="eduq", identifier="oai:eduq:1", metadata_format="lom"),
        general=General(
            title={"en": "General Chemistry", "fr": "Chimie générale"},
            description={"fr": LOREM},
            languages=["fr-CA"],
            identifiers=[Identifier(catalog="ISBN", entry="2760523578")],
        ),
        technical=Technical(locations=["http://www.Example.org/fr/chimie/index.html?utm_source=x"]),
    )
    sig = signature_of(res, "rec-1")
    assert (sig.id, sig.source, sig.languages) == ("rec-1", "eduq", frozenset({"fr"}))
    assert sig.title == "chimie generale"  # the record's own language, not the first title
    assert sig.url == "https://example.org/fr/chimie"
    assert (sig.neutral_url, sig.url_language) == ("https://example.org/chimie", "fr")
    assert "isbn:9782760523579" in sig.identifiers
    assert sig.description.startswith("manuel libre couvrant matiere cours chimie")


def test_signature_round_trips_through_json() -> None:
    sig = make_signature(
        "a", "s", title="Chimie générale, tome 2", description=LOREM, url="https://x.example/a"
    )
    back = Signature.from_json(sig.to_json())
    assert back.to_json() == sig.to_json()
    assert back.minhash.jaccard(sig.minhash) == 1.0


def test_text_is_bounded_before_shingling() -> None:
    huge = make_signature("a", "s", title="Titre " * 10_000, description="mot " * 1_000_000)
    assert len(huge.title) <= 300 and len(huge.description.split()) <= 80


def test_url_ancestors_stop_above_the_host() -> None:
    assert url_ancestors("https://h.example/livre/chap-3/section-2") == [
        "https://h.example/livre/chap-3",
        "https://h.example/livre",
    ]
    assert url_ancestors("https://h.example/a/b/c/d/e") == [
        "https://h.example/a/b/c/d", "https://h.example/a/b/c", "https://h.example/a/b",
    ]  # fmt: skip
    assert url_ancestors("https://h.example/") == [] and url_ancestors(None) == []


def _sig(id: str, title: str, description: str = LOREM, **kw: object) -> Signature:
    return make_signature(id, "src", title=title, description=description, **kw)  # type: ignore[arg-type]


def test_lsh_finds_a_lightly_edited_copy_and_not_an_unrelated_record() -> None:
    index = SignatureIndex()
    index.add(_sig("a", "Chimie générale"))
    index.add(
        _sig("b", "Histoire du Québec", "Synthèse de l'histoire du Québec de la Confédération à nos jours.")
    )
    copy = _sig("c", "Chimie générale", LOREM.replace("parfaits", "réels"))
    assert index.candidates(copy) == {"a"}


@pytest.mark.parametrize(
    ("indexed", "query"),
    [
        ({"url": "https://x.example/chimie/"}, {"url": "http://www.x.example/chimie/index.html"}),
        ({"url": "https://x.example/fr/chimie"}, {"url": "https://x.example/en/chimie"}),
        ({"url": "https://x.example/chimie"}, {"url": "https://x.example/fr/chimie"}),
        ({"identifiers": ["ISBN 2760523578"]}, {"identifiers": ["978-2-7605-2357-9"]}),
        ({"url": "https://x.example/livre"}, {"url": "https://x.example/livre/chapitre-3"}),
        ({"url": "https://x.example/livre/chapitre-3"}, {"url": "https://x.example/livre"}),
    ],
)
def test_exact_keys_find_candidates_whatever_the_text(
    indexed: dict[str, object], query: dict[str, object]
) -> None:
    index = SignatureIndex()
    index.add(_sig("a", "Un titre", "Une description sans rapport.", **indexed))
    assert index.candidates(_sig("b", "Another title", "Nothing in common at all here.", **query)) == {"a"}


def test_a_part_is_found_by_the_title_before_its_marker() -> None:
    index = SignatureIndex()
    index.add(_sig("whole", "Histoire de la Nouvelle-France", "Synthèse en plusieurs tomes."))
    part = _sig("part", "Histoire de la Nouvelle-France, tome 2 : Le comptoir", "Le comptoir de traite.")
    assert index.candidates(part) == {"whole"}
    index2 = SignatureIndex()
    index2.add(part)
    assert index2.candidates(_sig("whole", "Histoire de la Nouvelle-France", "Synthèse.")) == {"part"}


def test_a_generic_key_shared_by_too_many_records_is_ignored() -> None:
    index = SignatureIndex(bucket_cap=3)
    for n in range(4):
        index.add(
            _sig(
                f"r{n}",
                f"Sujet {n} différent",
                f"Texte {n} unique zz{n}",
                url="https://portail.example/accueil",
            )
        )
    assert index.candidates(_sig("q", "Autre", "Rien", url="https://portail.example/accueil")) == set()


def test_add_remove_and_replace_are_incremental() -> None:
    index = SignatureIndex()
    a = _sig("a", "Chimie générale", url="https://x.example/a", identifiers=["doi:10.1234/abc"])
    index.add(a)
    assert len(index) == 1 and "a" in index
    query = _sig("q", "Chimie générale", identifiers=["doi:10.1234/ABC"])
    assert index.candidates(query) == {"a"}
    index.remove("a")
    assert len(index) == 0 and index.candidates(query) == set()
    index.remove("a")  # unknown ids are ignored
    index.add(a)
    changed = _sig("a", "Géographie", "Autre chose entièrement.", url="https://x.example/z")
    index.add(changed)  # a changed record replaces its old signature everywhere
    assert len(index) == 1 and index.get("a") is changed
    assert index.candidates(query) == set()


def test_a_record_is_never_its_own_candidate() -> None:
    index = SignatureIndex()
    a = _sig("a", "Chimie générale", url="https://x.example/a")
    index.add(a)
    assert index.candidates(a) == set()
