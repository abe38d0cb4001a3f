"""Title counts in eight bytes a record: the counts a ``Counter`` of the keys gives, for what matters."""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
from collections import Counter

import pytest

from ren_index.validate.title_counts import TitleCounts, digest, digests_of


def test_the_same_counts_as_a_counter_for_every_repeated_key() -> None:
    rng = random.Random(17)
    words = ["exercices", "quiz", "fiche de l'élève", "les volcans", "atomes", "la cellule", "é" * 40]
    records = [{rng.choice(words), f"titre unique {n}"} for n in range(3_000)]
    plain: Counter[str] = Counter()
    counts = TitleCounts()
    for keys in records[:1_000]:
        plain.update(keys)
        counts.update(keys)
    for start in (1_000, 2_000):  # as pool workers send them: digests, batch by batch
        batch = records[start : start + 1_000]
        for keys in batch:
            plain.update(keys)
        counts.add(digests_of(key for keys in batch for key in keys))
    counts.freeze()
    assert all(counts[key] == plain[key] for key in plain)  # repeated ones exactly, the others 1
    assert len(counts) == sum(1 for n in plain.values() if n >= 2) == len(words)
    assert counts["a title no record has"] == 1  # asked by a record: itself alone


def test_frozen_counts_travel_small_and_whole() -> None:
    counts = TitleCounts()
    for n in range(50_000):
        counts.update({f"titre {n}", "exercices" if n % 10 == 0 else f"autre {n}"})
    counts.freeze()
    sent = pickle.dumps(counts, protocol=pickle.HIGHEST_PROTOCOL)
    assert len(sent) < 1_000  # one repeated key, not 100,000 strings
    back = pickle.loads(sent)
    assert back == counts and back["exercices"] == 5_000 and back["titre 7"] == 1


def test_counting_and_reading_do_not_mix() -> None:
    counts = TitleCounts()
    counts.update({"quiz"})
    with pytest.raises(RuntimeError):
        counts["quiz"]
    counts.freeze()
    with pytest.raises(RuntimeError):
        counts.update({"quiz"})
    assert counts.freeze() is counts  # twice is harmless


def test_a_digest_is_the_same_in_another_process() -> None:
    """Workers and the writer are different processes: a digest must not depend on
    ``PYTHONHASHSEED`` (``hash()`` would)."""
    keys = ["exercices", "fiche de l'élève", "les volcans"]
    code = (
        "import sys; from ren_index.validate.title_counts import digest;"
        " print([digest(k) for k in sys.argv[1:]])"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code, *keys], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == str([digest(k) for k in keys])
    assert len({digest(k) for k in keys}) == 3 and digest("exercices") != digest("Exercices")
