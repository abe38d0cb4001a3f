"""The generated licence vocabulary: complete, well-formed, and exactly what the generator makes.

``config/vocabularies/licences.ttl`` is committed so the project never needs ``../shared`` at run
time; these tests check it against its sources when ``../shared`` is there (and skip, saying why,
when it is not).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ren_index.config.vocabularies import REN_NS, Vocabulary, fold, load_vocabulary

ROOT = Path(__file__).resolve().parents[2]
LICENCES_TTL = ROOT / "config" / "vocabularies" / "licences.ttl"
GENERATOR = ROOT / "tools" / "generate_licences.py"
STANDARDS = ROOT.parent / "shared" / "standards"
CSV = STANDARDS / "derived" / "cc-licenserdf-licences.csv"
SPDX = STANDARDS / "jslicense__spdx-license-ids" / "index.json"
RIGHTS = STANDARDS / "rightsstatements__data-model"
needs_shared = pytest.mark.skipif(
    not (CSV.exists() and SPDX.exists() and RIGHTS.is_dir()),
    reason=f"licence sources of ../shared not found under {STANDARDS}",
)

CC_URI = re.compile(
    r"^http://creativecommons\.org/licenses/(?P<code>[a-z-]+)/(?P<version>[1-4]\.[015])/(?:(?P<port>[a-z]+)/)?$"
)
KEPT_CODES = {
    "by",
    "by-sa",
    "by-nd",
    "by-nc",
    "by-nc-sa",
    "by-nc-nd",
    "by-nd-nc",
    "nc",
    "nd",
    "sa",
    "nc-sa",
    "nd-nc",
}
CC = "http://creativecommons.org/licenses/"
RS = "http://rightsstatements.org/vocab/"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary(LICENCES_TTL)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_licences", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def test_scheme(vocab: Vocabulary) -> None:
    assert vocab.uri == REN_NS + "licences/"


def test_every_concept_has_french_and_english_labels_and_flags(vocab: Vocabulary) -> None:
    for uri, concept in vocab.concepts.items():
        assert concept.pref_labels.get("fr") and concept.pref_labels.get("en"), uri
        assert "Ceci peut être" not in concept.pref_labels["fr"], uri  # CC's 4.0 French title bug
        assert concept.prop("open") in ("true", "false"), uri
        assert concept.prop("freeAccess") in ("true", "false"), uri
        assert concept.prop("family"), uri
        assert concept.prop("kind"), uri


def test_cc_concept_uris_are_canonical(vocab: Vocabulary) -> None:
    licences = [c for c in vocab.concepts.values() if c.prop("kind") == "cc-licence"]
    assert len(licences) > 500
    for concept in licences:
        match = CC_URI.match(concept.uri)
        assert match, concept.uri
        assert match["code"] == concept.prop("code") and match["version"] == concept.prop("version")
        assert (match["port"] or None) == concept.prop("port")
        assert concept.prop("code") in KEPT_CODES


@pytest.mark.parametrize(
    ("uri", "fr", "en"),
    [
        (
            CC + "by-nc-sa/4.0/",
            "Attribution - Pas d'Utilisation Commerciale - Partage dans les Mêmes Conditions "
            "4.0 International",
            "Attribution-NonCommercial-ShareAlike 4.0 International",
        ),
        (
            CC + "by-nc-sa/2.5/ca/",
            "Paternité - Pas d'Utilisation Commerciale - Partage des Conditions Initiales à l'Identique "
            "2.5 Canada",
            "Attribution-NonCommercial-ShareAlike 2.5 Canada",
        ),
        (CC + "by/3.0/fr/", "Attribution 3.0 France", "Attribution 3.0 France"),
        (CC + "by-nc-nd/3.0/za/", None, "Attribution-NonCommercial-NoDerivs 3.0 South Africa"),  # CC says US
        ("http://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 universel", "CC0 1.0 Universal"),
        (
            RS + "InC-EDU/1.0/",
            "Protégé par le droit d'auteur - Utilisation à des fins pédagogiques autorisée",
            None,
        ),
    ],
)
def test_labels(vocab: Vocabulary, uri: str, fr: str | None, en: str | None) -> None:
    concept = vocab.concepts[uri]
    assert fr is None or concept.pref_labels["fr"] == fr
    assert en is None or concept.pref_labels["en"] == en


def test_canadian_and_french_ports(vocab: Vocabulary) -> None:
    def ports(port: str) -> set[str]:
        return {
            c.prop("version") or ""
            for c in vocab.concepts.values()
            if c.prop("port") == port and c.prop("code") == "by"
        }

    assert ports("ca") == {"2.0", "2.5"}  # no 3.0 or 4.0 Canada
    assert ports("fr") == {"2.0", "3.0"}
    assert not [c for c in vocab.concepts.values() if c.prop("version") == "4.0" and c.prop("port")]


def test_short_forms_and_spdx_ids_find_one_concept(vocab: Vocabulary) -> None:
    assert [c.uri for c in vocab.find("CC BY-NC-SA 4.0")] == [CC + "by-nc-sa/4.0/"]
    assert [c.uri for c in vocab.find("CC-BY-NC-SA-4.0")] == [CC + "by-nc-sa/4.0/"]
    assert [c.uri for c in vocab.find("CC BY-NC-SA 2.5 CA")] == [CC + "by-nc-sa/2.5/ca/"]
    assert "CC-BY-NC-SA-4.0" in vocab.concepts[CC + "by-nc-sa/4.0/"].notations
    assert "CC-BY-NC-ND-1.0" in vocab.concepts[CC + "by-nd-nc/1.0/"].notations  # SPDX's name for by-nd-nc
    assert not vocab.concepts[CC + "by-nc-sa/2.5/ca/"].notations  # SPDX has no Canadian ports


def test_open_flags(vocab: Vocabulary) -> None:
    def flags(uri: str) -> tuple[str | None, str | None, str | None]:
        concept = vocab.concepts[uri]
        return concept.prop("open"), concept.prop("freeAccess"), concept.prop("family")

    assert flags(CC + "by/4.0/") == ("true", "true", "open")
    assert flags(CC + "by-sa/4.0/") == ("true", "true", "open")
    assert flags(CC + "by-nc/4.0/") == ("true", "true", "non-commercial")
    assert flags(CC + "by-nc-sa/2.5/ca/") == ("true", "true", "non-commercial")
    assert flags(CC + "by-nd/4.0/") == ("true", "true", "no-derivatives")
    assert flags(CC + "by-nc-nd/4.0/") == ("true", "true", "non-commercial-no-derivatives")
    assert flags("http://creativecommons.org/publicdomain/zero/1.0/") == ("true", "true", "public-domain")
    assert flags("http://creativecommons.org/publicdomain/mark/1.0/") == ("true", "true", "public-domain")
    assert flags(REN_NS + "licences/etalab-2.0") == ("true", "true", "open")
    assert flags(RS + "InC/1.0/") == ("false", "false", "all-rights-reserved")
    assert flags(RS + "InC-EDU/1.0/") == ("false", "true", "educational-use")
    assert flags(RS + "UND/1.0/") == ("false", "false", "undetermined")
    statements = [c for c in vocab.concepts.values() if c.prop("kind") == "rights-statement"]
    assert len(statements) == 12 and all(c.prop("open") == "false" for c in statements)


def test_families_are_broader_than_their_licences(vocab: Vocabulary) -> None:
    family = REN_NS + "licences/cc-by-nc-nd"
    assert vocab.concepts[family].prop("kind") == "cc-family"
    assert vocab.ancestors(CC + "by-nc-nd/2.5/ca/") == [family]
    assert vocab.ancestors(CC + "by-nd-nc/1.0/") == [family]
    assert vocab.ancestors(RS + "InC-EDU/1.0/") == [RS + "InC/1.0/"]


def test_non_licences_and_left_out_ones(vocab: Vocabulary) -> None:
    for uri in (
        "http://creativecommons.org/publicdomain/zero/1.0/",
        "http://creativecommons.org/publicdomain/mark/1.0/",
        "http://creativecommons.org/licenses/publicdomain/",
        REN_NS + "licences/etalab-1.0",
        REN_NS + "licences/etalab-2.0",
        *(f"{RS}{i}/1.0/" for i in ("InC", "InC-EDU", "InC-NC", "CNE", "UND", "NoC-US", "NKC")),
    ):
        assert uri in vocab.concepts, uri
    for uri in (CC + "GPL/2.0/", CC + "sampling+/1.0/", CC + "devnations/2.0/"):
        assert uri not in vocab.concepts, uri
    assert fold("Tous droits réservés") in vocab.lookup


@needs_shared
def test_every_kept_cc_licence_of_the_csv_is_present(vocab: Vocabulary) -> None:
    with CSV.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["identifier"] in KEPT_CODES]
    assert len(rows) > 590
    for row in rows:
        concept = vocab.concepts.get(row["uri"])
        assert concept is not None, row["uri"]
        assert concept.pref_labels["en"] and concept.pref_labels["fr"], row["uri"]
        assert (
            concept.prop("version") == row["version"] and (concept.prop("port") or "") == row["jurisdiction"]
        )
        if row["deprecatedOn"]:
            assert concept.prop("deprecatedOn") == row["deprecatedOn"]


@needs_shared
def test_committed_file_is_what_the_generator_makes(tmp_path: Path) -> None:
    generator = _generator()
    output = tmp_path / "licences.ttl"
    assert (
        generator.main(
            ["--csv", str(CSV), "--spdx", str(SPDX), "--rights", str(RIGHTS), "--output", str(output)]
        )
        == 0
    )
    assert output.read_text(encoding="utf-8") == LICENCES_TTL.read_text(encoding="utf-8"), (
        "config/vocabularies/licences.ttl is stale: run .venv/bin/python tools/generate_licences.py"
    )


@needs_shared
def test_generator_is_deterministic() -> None:
    generator = _generator()
    first = generator.render(CSV, SPDX, RIGHTS)
    assert first == generator.render(CSV, SPDX, RIGHTS)
    assert generator.main(["--check", "--output", str(LICENCES_TTL)]) == 0


def test_generator_fails_clearly_without_its_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generator = _generator()
    assert generator.main(["--csv", str(tmp_path / "none.csv"), "--output", str(tmp_path / "out.ttl")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "out.ttl").exists()
