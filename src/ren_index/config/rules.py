"""The documentalists' rules, as configuration: ``config/validation.yaml`` and ``config/portals.yaml``.

``validation.yaml`` holds thresholds of the checks and the effect of each issue code
(``approve``, ``review``, ``reject``), with per-portal overrides, and the link checker's patience
and politeness (``links:``). ``portals.yaml`` says what each portal accepts: which levels (a SKOS
collection), which licences, which languages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ren_index.errors import ConfigError

Effect = Literal["approve", "review", "reject"]
EFFECT_ORDER: dict[str, int] = {"approve": 0, "review": 1, "reject": 2}


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LanguageRules(_Rules):
    """Language detection: which languages, how sure before we say anything, how much text."""

    detect: list[str] = Field(default_factory=lambda: ["fr", "en", "es", "de", "it", "pt"])
    mismatch_confidence: float = 0.9
    """Declared and detected disagree with at least this confidence → LANGUAGE_MISMATCH."""
    fill_confidence: float = 0.8
    """A missing language is filled from detection at or above this confidence."""
    min_chars: int = 20
    """Below this many letters of title + description, detection is not attempted."""
    max_chars: int = 200
    """Detection reads at most this many characters (bounded cost per record). 200 holds the title
    and the start of the description: on the demo catalogue every record is detected as well as
    with 600 (right language, confidence 1.0), at about two thirds of the cost; below ~180 the
    sample falls under Lingua's 120-letter mark, where it switches to its dearer short-text mode."""


class TextRules(_Rules):
    """Titles and descriptions."""

    title_placeholders: list[str] = Field(
        default_factory=lambda: [
            "sans titre",
            "untitled",
            "titre",
            "title",
            "document",
            "test",
            "n/a",
            "na",
            "aucun",
            "none",
            "a venir",
            "to be announced",
            "nouvelle ressource",
            "new resource",
            "nouveau document",
            "new document",
            "document sans titre",
            "untitled document",
            "sans nom",
            "no title",
        ]
    )
    title_min_chars: int = 3
    description_min_chars: int = 40
    description_placeholders: list[str] = Field(
        default_factory=lambda: [
            "description",
            "resume",
            "summary",
            "abstract",
            "a venir",
            "a completer",
            "to be announced",
            "coming soon",
            "tbd",
            "tba",
            "todo",
            "n a",
            "na",
            "none",
            "aucune",
            "aucun",
            "aucune description",
            "pas de description",
            "no description",
            "sans description",
            "description a venir",
            "test",
        ]
    )
    """Folded descriptions that say nothing (DESCRIPTION_NOT_MEANINGFUL): a stand-in, not a text."""
    title_repeated_min_records: int = Field(default=5, ge=2)
    """This many records of one source with the same title → TITLE_REPEATED_IN_SOURCE on each."""
    title_max_chars: int = Field(default=300, ge=10)
    """A longer title is TITLE_TOO_LONG, and nothing public shows more of it than this.

    A source can send anything (a whole document pasted in the title field, 1 MB): the portals'
    API, type-ahead and the review queue must stay a few kilobytes whatever a record holds."""
    description_max_chars: int = Field(default=10_000, ge=10)
    """A longer description is DESCRIPTION_TOO_LONG; the API never returns more than this of it."""


ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """``text`` when it fits in ``limit`` characters, else its beginning and ``…`` (``limit`` in all).

    What the public API and the review queue show of an over-long text that nobody has corrected
    yet (TITLE_TOO_LONG, DESCRIPTION_TOO_LONG): a reader sees it was cut, and a response stays
    bounded whatever a source sent.
    """
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


class GuardRules(_Rules):
    """The anomaly guard: when a harvest looks too wrong to publish, its changes wait for a librarian.

    A partner's export cut short or a repository answering errors must not empty a portal, so a
    run that breaks these limits is ``held`` (see :mod:`ren_index.runs.guard`). ``sources.yaml`` may
    override them per source (``guard:``).
    """

    min_ratio: float = Field(default=0.7, ge=0.0, le=1.0)
    """A complete harvest holding fewer than this share of the previous complete one is held."""
    max_error_rate: float = Field(default=0.2, ge=0.0, le=1.0)
    """Errors / harvested above this *and* above twice the previous run's rate is held (a jump)."""
    min_records: int = Field(default=10, ge=1)
    """Below this many records the counts are not judged (one bad row, or one withdrawal, of three);
    a source that suddenly lists nothing is held whatever its size."""


def check_cron(value: str) -> str:
    """``value`` when it is a cron cronsim reads, else :class:`ValueError` saying so.

    One check for every cron of the configuration (a source's ``schedule:``, ``links.schedule``),
    run when the file is read, not when ``schedule apply`` or the worker meets it.
    """
    try:
        CronSim(value, datetime(2026, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        raise ValueError(f"cron illisible / not a valid cron {value!r}: {exc}") from None
    return value


class LinkRules(_Rules):
    """Link health (issue 15, docs/links.md): when to check, how politely, how patiently to judge.

    Every bound has a ceiling: the file is written by people, and a slip (``concurrency: 10000``,
    ``timeout_s: 86400``) must be refused when it is read, not discovered as a flood of requests or
    a run that never ends.
    """

    failures_before_broken: int = Field(default=3, ge=1, le=100)
    """Consecutive failed checks before a link is declared broken (``LINK_BROKEN``)…"""
    min_span_hours: int = Field(default=72, ge=0, le=24 * 365)
    """…and they must span at least this long: a site down for a weekend is not dead."""
    recheck_days: int = Field(default=7, ge=1, le=365)
    """A link that answers is checked again after this many days."""
    recheck_broken_days: int = Field(default=1, ge=1, le=365)
    """A failing or broken link is checked again after this many days (to see it recover soon)."""
    outage_min_links: int = Field(default=5, ge=2, le=100_000)
    """A host is judged down only when at least this many of its links were checked in the run."""
    outage_share: float = Field(default=0.5, gt=0.0, lt=1.0)
    """…and more than this share of them failed the same way (all timeouts, all refused…)."""
    outage_max_days: int = Field(default=7, ge=1, le=365)
    """A host down in every run for longer than this is dead, not down: its links count again."""
    concurrency: int = Field(default=16, ge=1, le=256)
    """Checks in flight at once, all hosts together."""
    per_host: int = Field(default=2, ge=1, le=16)
    """Checks in flight at once on one host (name or IP address, whatever the port)."""
    per_host_delay_s: float = Field(default=1.0, ge=0.0, le=60.0)
    """Pause between two requests to the same host."""
    timeout_s: float = Field(default=15.0, gt=0.0, le=120.0)
    """Time allowed to one request (connection and answer)."""
    deadline_minutes: int = Field(default=120, ge=1, le=24 * 60)
    """Time allowed to a whole run; what is not checked by then waits for the next run."""
    max_redirects: int = Field(default=5, ge=0, le=20)
    """Redirects followed per link; one more, or a loop, makes the link ``broken``."""
    schedule: str | None = "30 4 * * *"
    """Cron (America/Montreal) of the ``links-check`` deployment; ``null``: checked by hand only."""

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)


class DuplicateRules(_Rules):
    """Duplicates (issue 16, docs/duplicates.md, « Régler les seuils / Tuning »): the thresholds a
    network may tune; the others stay in :class:`ren_index.duplicates.matcher.Rules`. A change
    takes effect on ``ren-index duplicates --find`` (pairs already kept are not compared again
    otherwise: their records did not change)."""

    auto_same: float = Field(default=0.92, ge=0.5, le=1.01)
    """Score at or above which a ``same`` pair is grouped without review; 1.01 = never."""
    text_same: float = Field(default=0.5, ge=0.2, le=1.0)
    """Jaccard of title + description shingles for « same text »."""
    title_same: float = Field(default=0.9, ge=0.5, le=1.0)
    """Fuzzy title score needed with the text."""
    lsh_threshold: float = Field(default=0.5, ge=0.2, le=0.95)
    """Jaccard above which LSH proposes a candidate (lower: more candidates, slower)."""


class ValidationRules(_Rules):
    """Everything in ``validation.yaml``."""

    language: LanguageRules = Field(default_factory=LanguageRules)
    guard: GuardRules = Field(default_factory=GuardRules)
    links: LinkRules = Field(default_factory=LinkRules)
    duplicates: DuplicateRules = Field(default_factory=DuplicateRules)
    text: TextRules = Field(default_factory=TextRules)
    effects: dict[str, Effect] = Field(default_factory=dict)
    """Issue code → effect for every portal; codes not listed follow their severity."""
    portal_effects: dict[str, dict[str, Effect]] = Field(default_factory=dict)
    """Portal → (issue code → effect), overriding ``effects`` for that portal."""

    def effect(self, code: str, severity: str, portal: str | None = None) -> Effect:
        """The effect of one issue for one portal: portal override, else default, else by severity."""
        if portal and code in self.portal_effects.get(portal, {}):
            return self.portal_effects[portal][code]
        if code in self.effects:
            return self.effects[code]
        return "review" if severity == "error" else "approve"


class PortalPolicy(_Rules):
    """One portal of ``portals.yaml``."""

    name: str
    """The portal's name as people read it (French)."""
    name_en: str | None = None
    """Its English name, when it has one of its own (else ``name``)."""
    levels_collection: str
    """URI of the SKOS collection of levels that belong to this portal."""
    licence: Literal["open-required", "any"] = "any"
    languages: list[str] = Field(default_factory=list)
    """Languages the portal publishes (primary subtags); empty = any."""

    def label(self, lang: str = "fr") -> str:
        """The portal's name in ``lang`` (``fr`` or ``en``)."""
        return (self.name_en or self.name) if lang == "en" else self.name


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"{path}: file not found (set REN_CONFIG_DIR or create it)")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def _details(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors())


def load_rules(config_dir: Path) -> ValidationRules:
    """Read ``validation.yaml``; a mistake is a :class:`ConfigError` naming the file and field."""
    path = config_dir / "validation.yaml"
    try:
        return ValidationRules.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_details(exc)}") from exc


def load_guard_rules(config_dir: Path) -> GuardRules:
    """The anomaly guard's limits from ``validation.yaml`` (its defaults when the file is absent).

    A harvest must not fail for want of a rules file it only needs for this: the defaults are safe.
    """
    if not (config_dir / "validation.yaml").exists():
        return GuardRules()
    return load_rules(config_dir).guard


def load_text_rules(config_dir: Path) -> TextRules:
    """The text limits of ``validation.yaml`` (their defaults when the file is absent).

    The portals' API reads nothing else of the rules: it must answer, bounded, even where only
    the index and ``portals.yaml`` were deployed.
    """
    if not (config_dir / "validation.yaml").exists():
        return TextRules()
    return load_rules(config_dir).text


def load_link_rules(config_dir: Path) -> LinkRules:
    """The link checker's rules from ``validation.yaml`` (their defaults when the file is absent)."""
    if not (config_dir / "validation.yaml").exists():
        return LinkRules()
    return load_rules(config_dir).links


def load_portals(config_dir: Path) -> dict[str, PortalPolicy]:
    """Read ``portals.yaml``: portal id → policy."""
    path = config_dir / "portals.yaml"
    data = _read_yaml(path)
    entries = data.get("portals") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: expected a top-level 'portals:' mapping")
    try:
        return {str(k): PortalPolicy.model_validate(v) for k, v in entries.items()}
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_details(exc)}") from exc
