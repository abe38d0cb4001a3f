"""Licences: rights statements as they are written in the wild → one concept, or an issue.

The table holds values seen in real records (Normetic samples of GTN-Québec, ScoLOMFR, the
research notes, the demo catalogue), including the ones that must map to nothing. Every sample
LOM record of ``../shared`` is then normalized and checked end to end.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import rdflib

from ren_index.config.vocabularies import (
    Vocabularies,
    Vocabulary,
    build_vocabulary,
    licence_family,
    licence_is_open,
    load_vocabulary,
)
from ren_index.model import Provenance, Resource, Rights
from ren_index.normalize.registry import normalize
from ren_index.validate import ValidationContext
from ren_index.validate.licences import check_licence

ROOT = Path(__file__).resolve().parents[2]
LICENCES_TTL = ROOT / "config" / "vocabularies" / "licences.ttl"
SHARED = ROOT.parent / "shared"

CC = "http://creativecommons.org/licenses/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
PDM = "http://creativecommons.org/publicdomain/mark/1.0/"
INC = "http://rightsstatements.org/vocab/InC/1.0/"
INC_EDU = "http://rightsstatements.org/vocab/InC-EDU/1.0/"
INC_NC = "http://rightsstatements.org/vocab/InC-NC/1.0/"
LIC = "https://w3id.org/ren-index/vocab/licences/"
AMBIGUOUS, UNKNOWN, MISSING = "LICENCE_AMBIGUOUS", "LICENCE_UNKNOWN", "LICENCE_MISSING"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary(LICENCES_TTL)


@pytest.fixture(scope="module")
def ctx(vocab: Vocabulary) -> ValidationContext:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    return ValidationContext(vocabularies=Vocabularies(levels=empty, licences=vocab, resource_types=empty))


def _resource(
    description: dict[str, str] | None = None,
    licence_uri: str | None = None,
    copyright: bool | None = None,
    cost: bool | None = None,
) -> Resource:
    rights = Rights(description=description or {}, licence_uri=licence_uri, copyright=copyright, cost=cost)
    return Resource(
        provenance=Provenance(source="t", identifier="oai:t:1", metadata_format="lom"), rights=rights
    )


CASES: list[tuple[str, str | None, str | None]] = [
    # --- Normetic records (GTN-Québec lom2mlr samples, LOM 6.3) -------------------------------
    (
        "Creative Commons Paternité-Pas d'Utilisation Commerciale-Partage des Conditions Initiales à "
        "l'Identique 2.5 Canada.",
        CC + "by-nc-sa/2.5/ca/",
        None,
    ),
    (
        "Creative Commons Paternité-Pas d'Utilisation Commerciale-Pas de Modification 2.5 Canada.",
        CC + "by-nc-nd/2.5/ca/",
        None,
    ),
    (
        "Paternité - Pas d'Utilisation Commerciale - Pas de Modification 3.0 Unported (CC BY-NC-ND 3.0)",
        CC + "by-nc-nd/3.0/",
        None,
    ),
    ("CC BY-SA 3.0 : paternité, partage des conditions initiales à l’identique", CC + "by-sa/3.0/", None),
    (
        "Contrat Paternité-Pas d'Utilisation Commerciale-Pas de modification 2.5 Canada",
        CC + "by-nc-nd/2.5/ca/",
        None,
    ),
    ("© CCDMD 2011", INC, None),
    ("Droits d'auteur prévus par la loi.", INC, None),
    ("Droits réservés à l'éditeur et aux auteurs", INC, None),
    (
        "Ces contenus d'enseignement, propriété du campus numérique IUT en ligne, constituent une œuvre "
        "protégée par les lois sur la propriété intellectuelle.",
        INC,
        None,
    ),
    (
        "Utilisation pédagogique. Reproduction autorisée pour un usage en classe. Pour tout autre usage, "
        "reproduction d'extraits autorisée avec mention des sources.",
        INC_EDU,
        None,
    ),
    ("Reproduction autorisée pour un usage en classe", INC_EDU, None),
    (
        "L'utilisation de ces vidéos se fait uniquement par l'intermédiaire de ce site et à des fins "
        "éducatives et non lucratives pour fin de consultation.",
        INC_EDU,
        None,
    ),
    # Attribution requirements, or vague notes: not a licence, a documentalist decides.
    ("Mentionner la source", None, UNKNOWN),
    ("Mention de l'auteur et de l'éditeur", None, UNKNOWN),
    ("Some restrictions apply. Contact the author for details.", None, UNKNOWN),
    # --- ScoLOMFR: the bare URL in 6.3 ---------------------------------------------------------
    ("http://creativecommons.org/licenses/by/2.0/fr/", CC + "by/2.0/fr/", None),
    # --- Demo catalogue (as people type them) -------------------------------------------------
    ("CC BY 4.0", CC + "by/4.0/", None),
    ("CC BY-SA 4.0", CC + "by-sa/4.0/", None),
    ("CC BY-NC-ND 4.0", CC + "by-nc-nd/4.0/", None),
    ("CC-BY-NC-SA", LIC + "cc-by-nc-sa", AMBIGUOUS),
    ("http://creativecommons.org/licenses/by-sa/4.0/", CC + "by-sa/4.0/", None),
    ("https://creativecommons.org/licenses/by/4.0/", CC + "by/4.0/", None),
    ("https://creativecommons.org/publicdomain/zero/1.0/", CC0, None),
    ("https://creativecommons.org/licenses/by-nc/4.0/deed.fr", CC + "by-nc/4.0/", None),
    ("https://creativecommons.org/licenses/by-nc-sa/4.0/deed.fr", CC + "by-nc-sa/4.0/", None),
    (
        "Creative Commons Attribution - Pas d'utilisation commerciale 4.0 International",
        CC + "by-nc/4.0/",
        None,
    ),
    (
        "Creative Commons Attribution - Partage dans les mêmes conditions 4.0 International",
        CC + "by-sa/4.0/",
        None,
    ),
    ("Creative Commons Attribution 4.0 International", CC + "by/4.0/", None),
    ("Tous droits réservés", INC, None),
    ("All rights reserved", INC, None),
    ("© Éditions Grand-Héron 2019", INC, None),
    ("© Centre de services scolaire des Trois-Ruisseaux, 2022", INC, None),
    ("Licence libre, voir le site", None, UNKNOWN),
    # --- URL variants (DPLA's normalisations and more) -----------------------------------------
    ("http://creativecommons.org/licenses/by/4.0/legalcode.fr", CC + "by/4.0/", None),
    ("creativecommons.org/licences/by-sa/4.0", CC + "by-sa/4.0/", None),
    ("HTTP://WWW.CREATIVECOMMONS.ORG/LICENSES/BY-NC/2.5/CA", CC + "by-nc/2.5/ca/", None),
    ("<https://creativecommons.org/licenses/by-nc-sa/2.5/ca/deed.fr>.", CC + "by-nc-sa/2.5/ca/", None),
    ("http://creativecommons.org/licenses/by-nc-nd/1.0/", CC + "by-nd-nc/1.0/", None),  # 1.0 spelling
    ("http://creativecommons.org/licenses/by-nd-nc/1.0/", CC + "by-nd-nc/1.0/", None),
    ("https://creativecommons.org/licenses/by-nc-sa/3.0/ca/", CC + "by-nc-sa/3.0/", AMBIGUOUS),  # no 3.0 CA
    ("https://creativecommons.org/licenses/by/4.0/fr/", CC + "by/4.0/", AMBIGUOUS),  # 4.0 has no ports
    ("http://rightsstatements.org/page/InC-EDU/1.0/?language=fr", INC_EDU, None),
    ("https://www.etalab.gouv.fr/licence-ouverte-open-licence", LIC + "etalab-2.0", None),
    ("https://spdx.org/licenses/CC-BY-SA-4.0.html", CC + "by-sa/4.0/", None),
    ("CC BY 4.0 — https://creativecommons.org/licenses/by/4.0/deed.fr", CC + "by/4.0/", None),
    # --- Wordings: French and English, old and new ---------------------------------------------
    (
        "Attribution - Pas d'Utilisation Commerciale - Partage dans les Mêmes Conditions 4.0 International",
        CC + "by-nc-sa/4.0/",
        None,
    ),
    (
        "Cette œuvre est mise à disposition selon les termes de la Licence Creative Commons Attribution - "
        "Pas d’Utilisation Commerciale - Partage dans les Mêmes Conditions 4.0 International.",
        CC + "by-nc-sa/4.0/",
        None,
    ),
    (
        "This work is licensed under a Creative Commons Attribution-NonCommercial-ShareAlike 4.0 "
        "International License.",
        CC + "by-nc-sa/4.0/",
        None,
    ),
    ("Attribution - Pas de Modification 3.0 non transposé", CC + "by-nd/3.0/", None),
    ("Paternité - Pas d'œuvre dérivée 2.5 Canada", CC + "by-nd/2.5/ca/", None),
    ("Creative Commons BY-SA 2.0 France", CC + "by-sa/2.0/fr/", None),
    ("CC BY-NC-SA 2.5 CA", CC + "by-nc-sa/2.5/ca/", None),
    ("CC-BY-NC-SA-2.5-CA", CC + "by-nc-sa/2.5/ca/", None),
    ("CC-BY-SA-4.0", CC + "by-sa/4.0/", None),
    ("Paternité 2,5 Canada", CC + "by/2.5/ca/", None),
    ("Licence CC BY 2.5 Québec", CC + "by/2.5/ca/", None),
    ("Attribution-NoDerivs 3.0 Unported", CC + "by-nd/3.0/", None),
    ("CC BY-NC v4.0", CC + "by-nc/4.0/", None),
    ("CC NC-SA 3.0", CC + "by-nc-sa/3.0/", None),  # every licence from 2.0 on has BY
    ("CC BY-SA 3.0 de Creative Commons", CC + "by-sa/3.0/", None),  # "de" is French, not Germany
    ("CC BY 3.0 DE", CC + "by/3.0/de/", None),  # the short form itself is a label
    # --- Ambiguous: missing elements, version, or a combination that never existed -------------
    ("Licence Creative Commons", None, AMBIGUOUS),
    ("Creative Commons 4.0", None, AMBIGUOUS),
    ("Creative Commons (BY-NC)", LIC + "cc-by-nc", AMBIGUOUS),
    (
        "Paternité - Pas d'Utilisation Commerciale - Partage dans les Mêmes Conditions",
        LIC + "cc-by-nc-sa",
        AMBIGUOUS,
    ),
    ("CC BY-NC-SA 3.0 Canada", CC + "by-nc-sa/3.0/", AMBIGUOUS),
    ("CC BY 4.0 Canada", CC + "by/4.0/", AMBIGUOUS),
    ("CC BY-ND-SA 4.0", None, AMBIGUOUS),
    ("Licence ouverte Etalab", LIC + "etalab-2.0", AMBIGUOUS),
    # --- Public domain, Etalab, rights statements ------------------------------------------------
    ("CC0", CC0, None),
    ("CC0 1.0 universel", CC0, None),
    ("CC-0", CC0, None),
    ("Domaine public", PDM, None),
    ("Public Domain Mark 1.0", PDM, None),
    ("Licence Ouverte / Open Licence version 2.0", LIC + "etalab-2.0", None),
    ("etalab-2.0", LIC + "etalab-2.0", None),
    ("Copyright 2015 Université Laval", INC, None),
    ("(c) 2018 Cégep de Sainte-Foy", INC, None),
    ("Reproduction autorisée à des fins non commerciales", INC_NC, None),
    ("Droit d'auteur non évalué", "http://rightsstatements.org/vocab/CNE/1.0/", None),
    ("Copyright Undetermined", "http://rightsstatements.org/vocab/UND/1.0/", None),
    # --- Must map to nothing --------------------------------------------------------------------
    ("Publié par Jean Tremblay pour sa classe de 5e année", None, UNKNOWN),  # "by", "sa" as words
    ("GNU GPL v3", None, UNKNOWN),
    ("Apache 2.0", None, UNKNOWN),
    ("MIT License", None, UNKNOWN),
    ("Gratuit", None, UNKNOWN),
    ("oui", None, UNKNOWN),
    ("Voir les conditions d'utilisation du site", None, UNKNOWN),
    ("https://www.example.org/conditions-utilisation", None, UNKNOWN),
    ("http://creativecommons.org/licenses/sampling+/1.0/", None, UNKNOWN),  # left out of the vocabulary
]


@pytest.mark.parametrize(("text", "uri", "code"), CASES, ids=[c[0][:60] for c in CASES])
def test_wild_values(ctx: ValidationContext, text: str, uri: str | None, code: str | None) -> None:
    updates, issues = check_licence(_resource({"fr": text}), ctx)
    assert updates == {"licence": uri, "licence_raw": text}
    assert [i.code for i in issues] == ([code] if code else [])
    for issue in issues:
        assert issue.severity == "warning"
        assert issue.value == text
        assert issue.message_fr and issue.message_en


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert sum(1 for _, uri, _ in CASES if uri is None) >= 10


def test_every_concept_the_parser_returns_is_in_the_vocabulary(vocab: Vocabulary) -> None:
    for _, uri, _ in CASES:
        assert uri is None or uri in vocab.concepts, uri


def test_missing_licence(ctx: ValidationContext) -> None:
    updates, issues = check_licence(_resource(), ctx)
    assert updates == {"licence": None, "licence_raw": None}
    assert [(i.code, i.severity, i.field) for i in issues] == [(MISSING, "warning", "rights.description")]
    assert issues[0].message_fr.startswith("Aucune licence")


def test_missing_licence_mentions_lom_6_2_when_the_record_says_no_copyright(ctx: ValidationContext) -> None:
    _, issues = check_licence(_resource(copyright=False, cost=False), ctx)
    assert [i.code for i in issues] == [MISSING]
    assert "6.2" in issues[0].message_fr and "6.2" in issues[0].message_en


def test_blank_description_is_missing(ctx: ValidationContext) -> None:
    _, issues = check_licence(_resource({"fr": "  "}), ctx)
    assert [i.code for i in issues] == [MISSING]


def test_licence_uri_alone(ctx: ValidationContext) -> None:
    resource = _resource(licence_uri="https://creativecommons.org/licenses/by-sa/4.0/deed.fr")
    updates, issues = check_licence(resource, ctx)
    assert updates == {
        "licence": CC + "by-sa/4.0/",
        "licence_raw": "https://creativecommons.org/licenses/by-sa/4.0/deed.fr",
    }
    assert issues == []


def test_the_full_statement_is_kept_as_raw_when_it_holds_the_uri(ctx: ValidationContext) -> None:
    text = "Licence CC BY 4.0 : https://creativecommons.org/licenses/by/4.0/"
    resource = _resource({"fr": text}, licence_uri="https://creativecommons.org/licenses/by/4.0/")
    assert check_licence(resource, ctx) == ({"licence": CC + "by/4.0/", "licence_raw": text}, [])


def test_a_licence_wins_over_a_bare_copyright_notice(ctx: ValidationContext) -> None:
    # dc:rights "© …" next to dcterms:license: every CC work is copyrighted, no conflict.
    resource = _resource({"fr": "© Éditions Grand-Héron 2019"}, licence_uri=CC + "by-nc/4.0/")
    updates, issues = check_licence(resource, ctx)
    assert updates["licence"] == CC + "by-nc/4.0/"
    assert issues == []


def test_a_precise_licence_wins_over_its_family(ctx: ValidationContext) -> None:
    resource = _resource({"fr": "CC BY-NC-SA", "en": "CC BY-NC-SA 2.5 Canada"})
    updates, issues = check_licence(resource, ctx)
    assert updates == {"licence": CC + "by-nc-sa/2.5/ca/", "licence_raw": "CC BY-NC-SA 2.5 Canada"}
    assert issues == []


def test_two_different_licences_are_ambiguous(ctx: ValidationContext) -> None:
    resource = _resource({"fr": "CC BY-SA 3.0", "en": "CC BY-SA 4.0"})
    updates, issues = check_licence(resource, ctx)
    assert updates == {"licence": CC + "by-sa/3.0/", "licence_raw": "CC BY-SA 3.0"}
    assert [(i.code, i.suggestion) for i in issues] == [(AMBIGUOUS, CC + "by-sa/4.0/")]


def test_french_is_read_first(ctx: ValidationContext) -> None:
    resource = _resource({"en": "All rights reserved", "fr-CA": "CC BY 4.0"})
    assert check_licence(resource, ctx)[0]["licence_raw"] == "CC BY 4.0"


def test_unknown_keeps_the_raw_text(ctx: ValidationContext) -> None:
    updates, issues = check_licence(_resource({"und": "Licence maison n° 7"}), ctx)
    assert updates == {"licence": None, "licence_raw": "Licence maison n° 7"}
    assert issues[0].code == UNKNOWN and issues[0].value == "Licence maison n° 7"


@pytest.mark.parametrize(
    ("text", "suggestion", "words"),
    [
        ("CC BY-NC-SA", CC + "by-nc-sa/4.0/", "sans version"),
        ("CC BY-NC-SA Canada", CC + "by-nc-sa/2.5/ca/", "sans version"),
        ("CC BY-NC-SA 3.0 Canada", CC + "by-nc-sa/3.0/", "CC BY-NC-SA 3.0 CA n'existe pas"),
        ("CC BY 2.1 Canada", CC + "by/2.0/ca/", "n'existe pas"),  # 2.1 has no CA port, nor unported
        ("Licence Creative Commons", None, "sans ses conditions"),
    ],
)
def test_ambiguous_suggestions(ctx: ValidationContext, text: str, suggestion: str | None, words: str) -> None:
    _, issues = check_licence(_resource({"fr": text}), ctx)
    assert [i.code for i in issues] == [AMBIGUOUS]
    assert issues[0].suggestion == suggestion
    assert words in issues[0].message_fr


def test_open_and_family_helpers(vocab: Vocabulary) -> None:
    assert licence_is_open(vocab, CC + "by-nc-nd/2.5/ca/")
    assert licence_is_open(vocab, LIC + "cc-by-sa")
    assert licence_is_open(vocab, CC0)
    assert not licence_is_open(vocab, INC_EDU)
    assert not licence_is_open(vocab, None)
    assert not licence_is_open(vocab, "http://example.org/not-a-licence")
    assert licence_family(vocab, CC + "by-nc-sa/4.0/") == "non-commercial"
    assert licence_family(vocab, CC + "by-nd-nc/1.0/") == "non-commercial-no-derivatives"
    assert licence_family(vocab, INC) == "all-rights-reserved"
    assert licence_family(vocab, INC_EDU) == "educational-use"
    assert licence_family(vocab, PDM) == "public-domain"
    assert licence_family(vocab, None) is None


def test_an_empty_vocabulary_recognizes_nothing() -> None:
    empty = build_vocabulary(rdflib.Graph(), "empty")
    ctx = ValidationContext(vocabularies=Vocabularies(levels=empty, licences=empty, resource_types=empty))
    updates, issues = check_licence(_resource({"fr": "CC BY 4.0"}), ctx)
    assert updates["licence"] is None
    assert [i.code for i in issues] == [UNKNOWN]


def test_speed(ctx: ValidationContext) -> None:
    """The whole validation must pass 2,000 records/s; the licence check takes a small share of it."""
    texts = [text for text, _, _ in CASES]
    resources = [_resource({"fr": f"{texts[i % len(texts)]} ({i})"}) for i in range(2000)]
    start = time.perf_counter()
    for resource in resources:  # every text new: no memo help
        check_licence(resource, ctx)
    assert time.perf_counter() - start < 1.0


# --- The sample records of ../shared, normalized then checked -------------------------------------

SAMPLE_DIRS = (
    SHARED / "standards" / "GTN-Quebec__lom2mlr",
    SHARED / "standards" / "jdpro__scolomfr3utils" / "samples",
    SHARED / "fixtures" / "oai" / "GTN-Quebec__lom2mlr",
    SHARED / "fixtures" / "oai" / "jdpro__scolomfr3utils",
)
SAMPLES = sorted({p for d in SAMPLE_DIRS if d.is_dir() for p in d.glob("*.xml")}, key=str)
needs_shared = pytest.mark.skipif(not SAMPLES, reason=f"LOM samples of ../shared not found under {SHARED}")


def _checked(path: Path, ctx: ValidationContext) -> tuple[dict[str, object], list[str]]:
    provenance = Provenance(source="t", identifier=path.name, metadata_format="oai_lom")
    resource, _ = normalize(path.read_text(encoding="utf-8"), provenance)
    updates, issues = check_licence(resource, ctx)
    return updates, [i.code for i in issues]


@needs_shared
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_is_checked(ctx: ValidationContext, path: Path) -> None:
    updates, codes = _checked(path, ctx)
    assert set(updates) == {"licence", "licence_raw"}
    assert updates["licence"] is None or updates["licence"] in ctx.vocabularies.licences.concepts
    assert updates["licence"] is not None or codes


@needs_shared
@pytest.mark.parametrize(
    ("name", "uri", "codes"),
    [
        ("4c990689afe953.52824410.lom.xml", CC + "by-nc-sa/2.5/ca/", []),
        ("4d38368591a687.29499110.lom.xml", CC + "by-nc-nd/3.0/", []),
        ("ressource-ressfranc30.lom.xml", INC, []),
        ("respel-5214.lom.xml", INC_EDU, []),
        ("exemple.xml", CC + "by/2.0/fr/", []),
        ("4c99175385abe2.62701286.lom.xml", None, [UNKNOWN]),
        ("echanges.xml", None, [MISSING]),
    ],
)
def test_samples_read_by_eye(ctx: ValidationContext, name: str, uri: str | None, codes: list[str]) -> None:
    path = next((p for p in SAMPLES if p.name == name), None)
    if path is None:
        pytest.skip(f"{name} not found in ../shared ({SHARED})")
    updates, found = _checked(path, ctx)
    assert (updates["licence"], found) == (uri, codes)
