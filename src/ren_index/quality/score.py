"""Le score de qualité d'une notice, avec ses points expliqués / a record's quality score, explained.

Why a score: documentalists and partners need one number to sort by and, above all, the list of
what would raise it — the part a librarian sends to a partner. The score follows Normetic's
mandatory and recommended elements, then asks whether the values were understood (controlled),
whether the licence lets people reuse, whether French and English readers are served, and what
the validation found. Every part is a :class:`Part` with its weight, so the number can always be
explained; the weights are documented in ``docs/validation.md`` ("Score de qualité").

Pure on purpose: the process step stores the score on the ledger row (the queue sorts by it) and
the JSON contract recomputes it with its ``missing`` list from the same record and issues, so both
always agree without a clock or a database.

The per-source summary sits in :mod:`ren_index.quality.summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ren_index.config.vocabularies import Vocabularies, licence_is_open
from ren_index.model import Issue, LangString, Resource

LinkState = Literal["ok", "broken"]
"""What a link checker found about the resource's address (none runs yet: ``None`` = unknown)."""

ERROR_PENALTY = 10
WARNING_PENALTY = 3
MAX_PENALTY = 40
LINK_BROKEN_PENALTY = 15


@dataclass(frozen=True)
class PartRule:
    """One part of the score: its code, its weight and what it says, in French and English."""

    code: str
    weight: int
    label_fr: str
    label_en: str
    test: Callable[[Resource, Vocabularies | None], bool]


@dataclass(frozen=True)
class Part:
    """One part as judged on one record: ``earned`` is 0 or the weight."""

    code: str
    family: str
    weight: int
    earned: int
    label_fr: str
    label_en: str


@dataclass(frozen=True)
class Missing:
    """What would raise the score: a stable machine code, the points at stake, the words."""

    code: str
    points: int
    label_fr: str
    label_en: str

    def as_json(self) -> dict[str, str | int]:
        return {
            "code": self.code,
            "points": self.points,
            "label_fr": self.label_fr,
            "label_en": self.label_en,
        }


@dataclass(frozen=True)
class Quality:
    """The score (0–100), the parts it is made of, the issue penalty and what would raise it."""

    score: int
    parts: tuple[Part, ...]
    penalty: int
    """Points taken off for errors and warnings (at most :data:`MAX_PENALTY`), and a broken link."""
    missing: tuple[Missing, ...]
    """Most valuable first."""

    def as_json(self) -> dict[str, object]:
        """The contract's ``quality: {score, missing: [...]}``."""
        return {"score": self.score, "missing": [m.as_json() for m in self.missing]}


def _text(values: LangString) -> bool:
    return any(v.strip() for v in values.values())


def _in(values: LangString, lang: str) -> bool:
    return any(v.strip() for k, v in values.items() if k == lang or k.startswith(lang + "-"))


def _level(r: Resource, _v: Vocabularies | None) -> bool:
    if r.educational.contexts or r.controlled.levels:
        return True
    for path in r.classifications:
        purpose = (path.purpose.value if path.purpose else "").casefold()
        if ("level" in purpose or "niveau" in purpose) and path.taxa:
            return True
    return False


def _licence(r: Resource, _v: Vocabularies | None) -> bool:
    return bool(
        r.rights.licence_uri
        or _text(r.rights.description)
        or r.controlled.licence
        or r.controlled.licence_raw
    )


def _contributor(r: Resource, _v: Vocabularies | None) -> bool:
    return any(any(e.strip() for e in c.entities) for c in r.lifecycle.contributions)


def _date(r: Resource, _v: Vocabularies | None) -> bool:
    return bool(r.lifecycle.date or any(c.date for c in r.lifecycle.contributions))


def _open(r: Resource, v: Vocabularies | None) -> bool:
    return v is not None and licence_is_open(v.licences, r.controlled.licence)


# Normetic elements, mandatory first (60 points), then controlled values (20), open licence (8),
# French/English coverage (8) and "no error or warning" (4): 100 in all.
ELEMENTS: tuple[PartRule, ...] = (
    PartRule("title", 10, "Ajouter un titre", "Add a title", lambda r, _v: _text(r.general.title)),
    PartRule(
        "description",
        8,
        "Ajouter une description",
        "Add a description",
        lambda r, _v: _text(r.general.description),
    ),
    PartRule(
        "url",
        6,
        "Donner l'adresse (URL) de la ressource",
        "Give the resource's address (URL)",
        lambda r, _v: bool(r.url or r.controlled.url),
    ),
    PartRule("level", 8, "Indiquer le niveau scolaire", "Give the educational level", _level),
    PartRule("licence", 8, "Indiquer la licence ou les droits", "Give the licence or rights", _licence),
    PartRule(
        "language", 5, "Déclarer la langue", "Declare the language", lambda r, _v: bool(r.general.languages)
    ),
    PartRule(
        "resource_type",
        4,
        "Indiquer le type de ressource",
        "Give the resource type",
        lambda r, _v: bool(r.educational.learning_resource_types or r.resource_types),
    ),
    PartRule(
        "keywords",
        4,
        "Ajouter des mots-clés",
        "Add keywords",
        lambda r, _v: any(_text(k) for k in r.general.keywords),
    ),
    PartRule(
        "contributor", 4, "Nommer l'auteur ou le contributeur", "Name the author or contributor", _contributor
    ),
    PartRule("date", 3, "Donner une date", "Give a date", _date),
)
CONTROLLED: tuple[PartRule, ...] = (
    PartRule(
        "language_resolved",
        5,
        "Donner une langue reconnue (BCP 47)",
        "Give a recognised language (BCP 47)",
        lambda r, _v: bool(r.controlled.languages),
    ),
    PartRule(
        "level_resolved",
        6,
        "Donner un niveau du vocabulaire québécois",
        "Give a level of the Quebec vocabulary",
        lambda r, _v: bool(r.controlled.levels),
    ),
    PartRule(
        "licence_resolved",
        5,
        "Donner une licence reconnue",
        "Give a recognised licence",
        lambda r, _v: bool(r.controlled.licence),
    ),
    PartRule(
        "resource_type_resolved",
        4,
        "Donner un type de ressource reconnu",
        "Give a recognised resource type",
        lambda r, _v: bool(r.controlled.resource_types),
    ),
)
OPENNESS: tuple[PartRule, ...] = (
    PartRule("open_licence", 8, "Choisir une licence ouverte", "Choose an open licence", _open),
)
COVERAGE: tuple[PartRule, ...] = (
    PartRule(
        "title_fr_en",
        4,
        "Donner le titre en français et en anglais",
        "Give the title in French and English",
        lambda r, _v: _in(r.general.title, "fr") and _in(r.general.title, "en"),
    ),
    PartRule(
        "description_fr_en",
        4,
        "Donner la description en français et en anglais",
        "Give the description in French and English",
        lambda r, _v: _in(r.general.description, "fr") and _in(r.general.description, "en"),
    ),
)
CLEAN_WEIGHT = 4
FAMILIES: tuple[tuple[str, tuple[PartRule, ...]], ...] = (
    ("element", ELEMENTS),
    ("controlled", CONTROLLED),
    ("openness", OPENNESS),
    ("coverage", COVERAGE),
)
FIX_ISSUES = (
    "fix_issues",
    "Corriger les anomalies (erreurs, avertissements)",
    "Fix the issues (errors, warnings)",
)
FIX_LINK = ("link_ok", "Réparer le lien de la ressource", "Repair the resource's link")


def score(
    resource: Resource,
    issues: Sequence[Issue],
    vocabularies: Vocabularies | None = None,
    *,
    link_state: LinkState | None = None,
) -> Quality:
    """Score one record (0–100) and say what would raise it.

    ``vocabularies`` judges licence openness (without them the ``open_licence`` part is not
    earned). ``link_state`` is the hook for a future link checker: ``None`` (unknown, today)
    changes nothing; ``"broken"`` takes :data:`LINK_BROKEN_PENALTY` points off.
    """
    parts: list[Part] = []
    for family, rules in FAMILIES:
        for rule in rules:
            earned = rule.weight if rule.test(resource, vocabularies) else 0
            parts.append(Part(rule.code, family, rule.weight, earned, rule.label_fr, rule.label_en))
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    clean = errors == 0 and warnings == 0
    parts.append(
        Part(
            "no_issues",
            "issues",
            CLEAN_WEIGHT,
            CLEAN_WEIGHT if clean else 0,
            "Aucune erreur ni avertissement",
            "No error or warning",
        )
    )
    issue_penalty = min(MAX_PENALTY, errors * ERROR_PENALTY + warnings * WARNING_PENALTY)
    link_penalty = LINK_BROKEN_PENALTY if link_state == "broken" else 0
    earned = sum(p.earned for p in parts)
    total = max(0, min(100, earned - issue_penalty - link_penalty))
    missing = [
        Missing(p.code, p.weight, *_action(p)) for p in parts if p.earned < p.weight and p.code != "no_issues"
    ]
    if not clean:
        code, fr, en = FIX_ISSUES
        missing.append(Missing(code, issue_penalty + CLEAN_WEIGHT, fr, en))
    if link_penalty:
        code, fr, en = FIX_LINK
        missing.append(Missing(code, link_penalty, fr, en))
    missing.sort(key=lambda m: -m.points)  # stable: the table's order among equal points
    return Quality(total, tuple(parts), issue_penalty + link_penalty, tuple(missing))


_ACTIONS = {rule.code: (rule.label_fr, rule.label_en) for _f, rules in FAMILIES for rule in rules}


def _action(part: Part) -> tuple[str, str]:
    return _ACTIONS[part.code]


MISSING_LABELS: dict[str, tuple[str, str]] = {
    **_ACTIONS,
    FIX_ISSUES[0]: FIX_ISSUES[1:],
    FIX_LINK[0]: FIX_LINK[1:],
}
"""Every ``missing`` code with its French and English words (documentation, CSV headers, pages)."""

PART_NAMES: dict[str, tuple[str, str]] = {
    "title": ("Titre", "Title"),
    "description": ("Description", "Description"),
    "url": ("Adresse (URL)", "Address (URL)"),
    "level": ("Niveau scolaire", "Educational level"),
    "licence": ("Licence ou droits", "Licence or rights"),
    "language": ("Langue déclarée", "Declared language"),
    "resource_type": ("Type de ressource", "Resource type"),
    "keywords": ("Mots-clés", "Keywords"),
    "contributor": ("Auteur ou contributeur", "Author or contributor"),
    "date": ("Date", "Date"),
    "language_resolved": ("Langue reconnue", "Recognised language"),
    "level_resolved": ("Niveau reconnu", "Recognised level"),
    "licence_resolved": ("Licence reconnue", "Recognised licence"),
    "resource_type_resolved": ("Type reconnu", "Recognised type"),
    "open_licence": ("Licence ouverte", "Open licence"),
    "title_fr_en": ("Titre en français et en anglais", "Title in French and English"),
    "description_fr_en": ("Description en français et en anglais", "Description in French and English"),
    "no_issues": ("Aucune erreur ni avertissement", "No error or warning"),
}
"""What each part is, for the record page's explanation (the ``missing`` labels say what to do)."""
