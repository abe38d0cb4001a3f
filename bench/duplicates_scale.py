"""Benchmark: duplicate candidates among 100,000 generated records, then 1,000 more added to them.

    .venv/bin/python bench/duplicates_scale.py [--records 100000] [--new 1000] [--seed 16]

Records are generated (seeded) to look like the network's: French and English titles built from
one shared vocabulary of subjects, topics and resource types (« Notes de cours : … », "Lab
Manual: …"), descriptions of 20–60 words drawn from a Zipf-distributed vocabulary of 3,000 words
with a publisher's boilerplate sentence in one record out of ten, URLs on 40 hosts, ISBNs and
handles on some. About 5 % are the same resource from another source (URL spelled differently,
description lightly edited, or the same ISBN), 1 % a later edition, 1 % an English twin under
``/en/``. Timed, on one core: signatures (folding, shingles, MinHash), then ``find_pairs`` over all
records (each record queries the index — LSH and exact keys — is compared with its candidates and
added), then 1,000 new records (with the same share of duplicates of existing ones) through the
same index: the incremental case. Prints the times, the candidate and pair counts, and peak memory;
targets: under 2 minutes for the first, under 5 s for the second.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter

from ren_index.duplicates.matcher import find_pairs
from ren_index.duplicates.records import Signature, make_signature
from ren_index.duplicates.similarity import SignatureIndex

SOURCES = [
    "eduq",
    "ccdmd",
    "pressbooks-cegep",
    "biblio-ulaval",
    "papyrus-udem",
    "alloprof",
    "recit",
    "opentextbc",
]
TYPES_FR = [
    "Notes de cours",
    "Manuel libre",
    "Exercices",
    "Guide de l'enseignant",
    "Capsule vidéo",
    "Plan de cours",
    "Situation d'apprentissage",
    "Laboratoire",
    "Fiche de révision",
    "Recueil de textes",
]
TYPES_EN = [
    "Course Notes",
    "Open Textbook",
    "Exercises",
    "Teacher's Guide",
    "Video",
    "Course Outline",
    "Learning Activity",
    "Lab Manual",
    "Study Sheet",
    "Course Reader",
]
SUBJECTS_FR = [
    "chimie",
    "physique",
    "biologie",
    "mathématique",
    "histoire",
    "géographie",
    "philosophie",
    "français",
    "psychologie",
    "sociologie",
    "économie",
    "informatique",
    "soins infirmiers",
    "arts plastiques",
    "musique",
    "éducation physique",
    "anglais",
    "droit",
    "administration",
    "génie mécanique",
]
SYLLABLES = [
    "ra",
    "to",
    "mi",
    "ne",
    "lu",
    "ca",
    "po",
    "de",
    "si",
    "ver",
    "tan",
    "gol",
    "pri",
    "stu",
    "mel",
    "bor",
    "fa",
    "qui",
    "zen",
    "dro",
    "pla",
    "ti",
    "nu",
    "sar",
    "lex",
    "mon",
    "cri",
    "val",
]
BOILERPLATE = (
    "Ce manuel libre est publié sous licence CC BY 4.0 par le Réseau des cégeps et peut être adapté."
)


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Generator:
    """Seeded records; ``record(n)`` is the n-th original, ``variant(rec, kind)`` a related one."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng, 3000)
        self.topics = vocabulary(self.rng, 600)
        self.weights = [1 / (i + 1) for i in range(len(self.words))]
        self.n = 0

    def text(self, k: int) -> str:
        return " ".join(self.rng.choices(self.words, self.weights, k=k))

    def original(self) -> dict[str, object]:
        rng = self.rng
        self.n += 1
        english = rng.random() < 0.25
        subject = rng.choice(SUBJECTS_FR)
        topic = " ".join(rng.sample(self.topics, rng.randint(1, 3)))
        kind = rng.choice(TYPES_EN if english else TYPES_FR)
        title = f"{kind} : {subject} — {topic}" if rng.random() < 0.8 else kind  # some generic titles
        desc = self.text(rng.randint(20, 60))
        if rng.random() < 0.1:
            desc = f"{BOILERPLATE} {desc}"
        host = f"host{rng.randrange(40)}.example"
        ids = []
        if rng.random() < 0.15:
            ids.append(f"hdl:11515/{self.n}")
        return {
            "id": f"r{self.n}",
            "source": rng.choice(SOURCES),
            "title": title,
            "description": desc,
            "url": f"https://{host}/{'en' if english else 'fr'}/ressources/{self.n}",
            "identifiers": ids,
            "languages": ["en" if english else "fr"],
        }

    def variant(self, rec: dict[str, object], kind: str) -> dict[str, object]:
        rng = self.rng
        self.n += 1
        out = dict(rec, id=f"r{self.n}", source=rng.choice(SOURCES))
        words = str(rec["description"]).split()
        if kind == "same":
            if words and rng.random() < 0.5:
                words[rng.randrange(len(words))] = rng.choice(self.words)
            out["description"] = " ".join(words)
            choice = rng.random()
            if choice < 0.4:
                out["url"] = str(rec["url"]).replace("https://", "http://www.") + "/?utm_source=portail"
            elif choice < 0.7:
                out["url"] = f"https://catalogue.example/notice/{self.n}"
                out["identifiers"] = [*rec["identifiers"], f"hdl:11515/{rec['id']}"]  # type: ignore[misc]
            else:
                out["url"] = f"https://miroir.example/copie/{self.n}"
        elif kind == "version":
            out["title"] = f"{rec['title']}, 2e édition"
            out["url"] = f"{rec['url']}-2e"
            out["identifiers"] = []
        else:  # translation
            out["title"] = f"{rec['title']} (English)"
            out["description"] = self.text(30)
            out["url"] = str(rec["url"]).replace("/fr/", "/en/")
            out["languages"] = ["en"]
            out["identifiers"] = []
        return out

    def batch(self, count: int, pool: list[dict[str, object]]) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        while len(out) < count:
            roll = self.rng.random()
            if pool and roll < 0.05:
                out.append(self.variant(self.rng.choice(pool), "same"))
            elif pool and roll < 0.06:
                out.append(self.variant(self.rng.choice(pool), "version"))
            elif pool and roll < 0.07:
                out.append(self.variant(self.rng.choice(pool), "translation"))
            else:
                rec = self.original()
                out.append(rec)
                pool.append(rec)
        return out


def signatures(records: list[dict[str, object]]) -> list[Signature]:
    return [
        make_signature(
            str(r["id"]),
            str(r["source"]),
            title=str(r["title"]),
            description=str(r["description"]),
            url=str(r["url"]),
            identifiers=r["identifiers"],  # type: ignore[arg-type]
            languages=r["languages"],  # type: ignore[arg-type]
        )
        for r in records
    ]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    gen = Generator(args.seed)
    pool: list[dict[str, object]] = []
    records = gen.batch(args.records, pool)
    new_records = gen.batch(args.new, pool)
    print(f"generated {len(records):,} records + {len(new_records):,} new; peak memory {peak_mib():.0f} MiB")

    started = time.perf_counter()
    sigs = signatures(records)
    sig_s = time.perf_counter() - started
    index = SignatureIndex()
    started = time.perf_counter()
    pairs = find_pairs(sigs, index)
    find_s = time.perf_counter() - started
    total = sig_s + find_s
    relations = Counter(p.relation for p in pairs)
    print(
        f"{len(records):,} records: signatures {sig_s:.1f} s, index + candidates + matching {find_s:.1f} s,"
        f" total {total:.1f} s ({len(records) / total:,.0f} records/s) — target < 120 s:"
        f" {'met' if total < 120 else 'NOT MET'}"
    )
    print(f"  pairs {len(pairs):,} {dict(relations)}; peak memory {peak_mib():.0f} MiB")

    started = time.perf_counter()
    new_sigs = signatures(new_records)
    new_pairs = find_pairs(new_sigs, index)
    inc_s = time.perf_counter() - started
    print(
        f"{len(new_records):,} new records added to {len(records):,}: {inc_s:.2f} s (signatures included)"
        f" — target < 5 s: {'met' if inc_s < 5 else 'NOT MET'}; pairs {len(new_pairs):,}"
        f" {dict(Counter(p.relation for p in new_pairs))}; peak memory {peak_mib():.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
