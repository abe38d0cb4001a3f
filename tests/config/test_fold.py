"""``fold``: the key of every label look-up — the same folding whatever the text's length, and only
short texts remembered (a description folded once must not stay in a worker's memory)."""

from __future__ import annotations

import pytest

from ren_index.config import vocabularies
from ren_index.config.vocabularies import FOLD_CACHED_CHARS, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Secondaire – 3e année", "secondaire 3e annee"),
        ("Œuvres_complètes : « Élève »", "œuvres completes eleve"),
        ("Ångström\u0301 ÇA", "angstrom ca"),
    ],
)
def test_short_and_long_texts_fold_alike(text: str, folded: str) -> None:
    long_text = " ".join([text] * (FOLD_CACHED_CHARS // len(text) + 2))
    assert len(long_text) > FOLD_CACHED_CHARS
    assert fold(text) == folded
    assert fold(long_text) == " ".join([folded] * (FOLD_CACHED_CHARS // len(text) + 2))


def test_only_short_texts_are_remembered() -> None:
    vocabularies._fold_short.cache_clear()
    fold("Mathématiques")
    fold("Une description unique d'une ressource, " * 10)
    assert vocabularies._fold_short.cache_info().currsize == 1
    fold("Mathématiques")
    assert vocabularies._fold_short.cache_info().hits == 1
