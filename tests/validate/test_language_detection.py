"""Language detection on titles and descriptions like the ones Quebec repositories publish.

Also measures what the detector costs (per record, and memory), printed with ``pytest -s`` and
bounded loosely so a regression of an order of magnitude fails.
"""

from __future__ import annotations

import subprocess
import sys
import timeit
from pathlib import Path

import pytest

from ren_index.config.rules import LanguageRules
from ren_index.validate.language_detection import detect, detector, enough_letters, letters, supported

LANGUAGES = tuple(LanguageRules().detect)
MAX = LanguageRules().max_chars

FRENCH = [
    "Les fractions au quotidien",
    "La photosynthèse expliquée aux élèves du primaire",
    "Guide d'accompagnement pour le personnel enseignant : la Révolution tranquille. Il propose des "
    "pistes d'animation et de différenciation pour les élèves de 4e secondaire.",
    "Capsule vidéo de quelques minutes qui présente les lois de Newton de façon concrète, pour les "
    "étudiantes et étudiants du collégial. Sous-titres et transcription inclus.",
    "Situation d'apprentissage et d'évaluation portant sur l'écriture d'un texte argumentatif, "
    "prévue pour le deuxième cycle du secondaire, avec grille d'évaluation et cahier de l'élève.",
    "Trousse de soins infirmiers : l'évaluation de la douleur chez la personne âgée",
]
ENGLISH = [
    "Introduction to cell biology",
    "Open textbook covering the fundamentals of accounting, with end-of-chapter exercises.",
    "A short video introducing Newton's laws with concrete examples, for college students. "
    "Captions and transcript included.",
    "An interactive simulation to explore the water cycle by changing parameters, for grade 5 pupils.",
    "A podcast episode about the history of Montreal with guests from the field.",
]


@pytest.mark.parametrize("text", FRENCH)
def test_french_texts(text: str) -> None:
    found = detect(text, LANGUAGES, MAX)
    assert found is not None and found[0] == "fr"


@pytest.mark.parametrize("text", ENGLISH)
def test_english_texts(text: str) -> None:
    found = detect(text, LANGUAGES, MAX)
    assert found is not None and found[0] == "en"


def test_long_description_is_certain() -> None:
    found = detect(" ".join(FRENCH), LANGUAGES, MAX)
    assert found is not None
    assert found[0] == "fr" and found[1] >= 0.99


def test_confidence_is_low_on_a_short_ambiguous_title() -> None:
    """The reason for high-accuracy mode: unsure answers come with a low confidence."""
    found = detect("Quiz : Reading strategies", LANGUAGES, MAX)
    assert found is not None
    assert found[1] < LanguageRules().mismatch_confidence


@pytest.mark.parametrize("text", ["", "   ", "2024-05-01", "ADN", "Pi : 3,14", "Les ions"])
def test_too_little_text_is_not_guessed(text: str) -> None:
    assert detect(text, LANGUAGES, MAX) is None


def test_min_chars_counts_letters_only() -> None:
    assert letters("Sec. 3 — 2024") == 3
    assert detect("Les fractions", LANGUAGES, MAX, min_chars=5) is not None
    assert detect("Les fractions", LANGUAGES, MAX, min_chars=50) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a" * 19,
        "1234567890" * 6 + "abcdefghijklmnopqrstu",  # the letters all after the counted start
        "ab 12 " * 8 + "cdefghijklmnopqrstuvwxyz",  # some letters at the start, the rest later
        "Les fractions au quotidien — partie 12 : une séquence pour le primaire",
        "½²³ⅫⅩ" * 20,  # numbers that are no letters
    ],
)
@pytest.mark.parametrize("min_chars", [0, 1, 19, 20, 21, 60])
def test_enough_letters_is_the_full_count(text: str, min_chars: int) -> None:
    """Counting the start first changes no answer, whatever the threshold."""
    assert enough_letters(text, min_chars) is (letters(text) >= min_chars)


def test_reads_at_most_max_chars() -> None:
    text = (
        "Les fractions au quotidien pour les élèves. " + "The quick brown fox jumps over the lazy dog. " * 50
    )
    found = detect(text, LANGUAGES, 44)
    assert found is not None and found[0] == "fr"


def test_detector_is_built_once_per_language_set() -> None:
    assert detector(LANGUAGES) is detector(LANGUAGES)
    assert detector(("fr", "en")) is not detector(LANGUAGES)


def test_unsupported_languages_are_left_out() -> None:
    assert supported(("fr", "iu", "atj", "EN")) == ("fr", "en")
    assert detector(("iu", "atj")) is None
    assert detect("Les fractions au quotidien", ("iu", "atj"), MAX) is None
    found = detect("Les fractions au quotidien", ("fr", "iu", "en"), MAX)
    assert found is not None and found[0] == "fr"


def test_answers_only_within_the_configured_languages() -> None:
    found = detect("Las fracciones en la vida cotidiana de los alumnos", ("fr", "en"), MAX)
    assert found is None or found[0] in ("fr", "en")
    found = detect("Las fracciones en la vida cotidiana de los alumnos", LANGUAGES, MAX)
    assert found is not None and found[0] == "es"


def test_speed_per_record() -> None:
    """Report what detection costs per record (printed with ``pytest -s``)."""
    detect(FRENCH[0], LANGUAGES, MAX)  # loads the models
    texts = [t[:MAX] for t in FRENCH + ENGLISH]
    runs = 20
    seconds = timeit.timeit(lambda: [detect(t, LANGUAGES, MAX) for t in texts], number=runs)
    per_record = seconds / (runs * len(texts))
    print(f"\nlanguage detection: {per_record * 1e3:.3f} ms/record, {1 / per_record:,.0f} records/s")
    assert per_record < 0.005  # 5 ms: more than ten times what was measured (0.13-0.45 ms)


_MEMORY_PROBE = """
import re
from ren_index.validate.language_detection import detect
def rss():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\\s+(\\d+)", f.read()).group(1)) // 1024
before = rss()
detect("Les fractions au quotidien pour les eleves du primaire", %r, 600)
print(before, rss())
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to read the RSS")
def test_detector_memory() -> None:
    """The detector's resident memory, measured in a fresh interpreter (models load on first use)."""
    probe = _MEMORY_PROBE % (LANGUAGES,)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    before, after = (int(v) for v in out.split())
    print(f"\nlanguage detector: +{after - before} MB RSS for {len(LANGUAGES)} languages")
    assert after - before < 600
