"""Which language a record's text is written in, with Lingua (``lingua-language-detector``).

Lingua is chosen over fastText / langdetect because it is the most accurate on *short* text
(titles are a few words), works offline from models shipped in the wheel, and gives calibrated
confidence values rather than a bare label.

The detector is built once per set of languages, lazily, by :func:`detector` (cached): building
is cheap but the first detection loads the n-gram models (about 2 s and ~170 MB of RSS for the
six default languages), so doing it at import time would slow every command that never
validates. It is restricted to ``validation.yaml``'s ``language.detect`` list: fewer candidates
mean fewer wrong guesses on short titles and less memory (each language is a model to load).

**High-accuracy mode, lazily loaded models**, measured on the 210 demo records (title +
description, 600 chars max, 6 languages, this machine):

=================  ==========  ============  =======================  ==========================
mode               per record  extra RSS     titles only: wrong       wrong titles with conf ≥ 0.8
=================  ==========  ============  =======================  ==========================
high accuracy      ~0.25 ms    ~175 MB       6 / 210                  0
low accuracy       ~0.22 ms    ~18 MB        10 / 210                 7
=================  ==========  ============  =======================  ==========================

Both modes were right on all 210 full texts and cost the same there: from 120 characters on,
Lingua's high-accuracy mode uses trigrams only, like the low-accuracy one. The modes differ on
short texts, where high accuracy costs more (0.13 to 0.45 ms, 60-120 characters being the
dearest) and is worth it: low-accuracy mode is wrong more often **and sure of itself when
wrong** (confidence ≈ 1.0 on "Quiz : Reading strategies"), which would raise false
``LANGUAGE_MISMATCH`` warnings, whereas high accuracy stays unsure (0.65), so the thresholds mean
something. Preloading the models only moves the 2 s to the build and costs the same memory.

**How much text** (``max_chars``, default 200): Lingua's cost grows with the text, so the sample
is the title and the start of the description. Measured on the benchmark's texts (267 characters
on average), median µs per record: 600 → ~255, 250 → ~215, 200 → ~185; 150 is *dearer* (~320)
because most samples then fall under the 120 letters from which Lingua uses trigrams only. On the
demo catalogue, 200 characters give the same language, with confidence 1.0, for every record, and
the same ``LANGUAGE_MISMATCH`` / ``LANGUAGE_DETECTED`` issues as 600; from 160 down confidences
start to drop. Detecting only French and English would cost ~140 µs at 200 characters, but which
languages to consider is the documentalists' call (``validation.yaml``), not a speed setting.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

log = logging.getLogger(__name__)


def _language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code.strip().lower()))
    except ValueError:
        return None


def supported(languages: tuple[str, ...]) -> tuple[str, ...]:
    """The ISO 639-1 codes of ``languages`` that Lingua can detect (no Indigenous language is one)."""
    return tuple(code.strip().lower() for code in languages if _language(code) is not None)


@lru_cache(maxsize=8)
def detector(languages: tuple[str, ...]) -> LanguageDetector | None:
    """The detector for these ISO 639-1 codes, built on first use; None when none is supported.

    Codes Lingua does not know (``iu``, ``atj``) are left out with a log line: a detector cannot
    learn a language from configuration, and the rest still works.
    """
    known = [lang for lang in (_language(code) for code in languages) if lang is not None]
    unknown = [code for code in languages if _language(code) is None]
    if unknown:
        log.warning("language detection: not supported by Lingua, ignored: %s", ", ".join(unknown))
    if not known:
        return None
    return LanguageDetectorBuilder.from_languages(*known).build()


def letters(text: str) -> int:
    """How many letters ``text`` has (digits, punctuation and spaces say nothing about language)."""
    return sum(map(str.isalpha, text))  # counted in C: a generator here cost ~30 µs a record


_PREFIX_CHARS = 48
"""How much of the sample :func:`enough_letters` counts first (20 letters fit in it almost always)."""


def enough_letters(text: str, min_chars: int) -> bool:
    """``letters(text) >= min_chars``, counting the start first: a prefix never has more letters
    than the whole, so when the start has enough the rest is not counted (a 200-character sample
    was counted whole for every record to learn that it had more than 20 letters)."""
    if len(text) > _PREFIX_CHARS and letters(text[:_PREFIX_CHARS]) >= min_chars:
        return True
    return letters(text) >= min_chars


def detect(
    text: str, languages: tuple[str, ...], max_chars: int, min_chars: int = 20
) -> tuple[str, float] | None:
    """The most likely language of ``text`` (ISO 639-1) and Lingua's confidence in it (0–1).

    Reads at most ``max_chars`` characters (bounded cost per record); None when the text has
    fewer than ``min_chars`` letters — below that any answer is a guess — or when no language of
    ``languages`` can be detected.
    """
    sample = text[:max_chars]
    if not enough_letters(sample, min_chars):
        return None
    found = detector(languages)
    if found is None:
        return None
    values = found.compute_language_confidence_values(sample)
    if not values or values[0].value <= 0.0:
        return None
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), round(best.value, 4)
