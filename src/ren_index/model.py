"""The canonical record and the values that travel between stages.

``Resource`` follows the categories of IEEE LOM (general, lifecycle, educational, rights,
technical, classification), which Dublin Core maps into, so one shape serves both. Text that
can come in several languages is a :data:`LangString`: a dict from a language tag to the text
(``"und"`` when the source did not say). Vocabulary values are kept as harvested
(:class:`Term`: source + value); validation maps them to concepts later.

Everything here is a plain pydantic value: no I/O, no database, no Prefect.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LangString = dict[str, str]
"""Text per language tag, e.g. ``{"fr": "Les fractions", "en": "Fractions"}``; ``"und"`` = unknown."""

Severity = Literal["error", "warning", "info"]


class Status(StrEnum):
    """Where a record stands. See DESIGN.md, "Record statuses"."""

    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    DELETED = "deleted"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Issue(_Model):
    """A validation or mapping finding on one record: data, never an exception."""

    code: str
    severity: Severity
    field: str
    message_fr: str
    message_en: str
    value: str | None = None
    suggestion: str | None = None
    portal: str | None = None
    """Set when the issue exists only because of one portal's policy (e.g. ``LICENCE_NOT_OPEN``)."""


class Term(_Model):
    """A value from a controlled vocabulary, as the source gave it (LOM ``source`` + ``value``)."""

    source: str | None = None
    value: str


class Identifier(_Model):
    """LOM 1.1 / 3.1 identifier: a catalog and an entry (``URI``, ``ISBN``, an OAI id...)."""

    catalog: str | None = None
    entry: str


class Contribution(_Model):
    """LOM 2.3 contribute: a role and the entities (names taken from vCard ``FN``)."""

    role: Term | None = None
    entities: list[str] = Field(default_factory=list)
    date: str | None = None


class TaxonPath(_Model):
    """LOM 9.2 taxon path: a classification source and its entries, broadest first."""

    purpose: Term | None = None
    """LOM 9.1 purpose of the classification it sits in (discipline, educational level...)."""
    source: LangString = Field(default_factory=dict)
    taxa: list[tuple[str | None, LangString]] = Field(default_factory=list)


class General(_Model):
    """LOM 1 (DC title, description, subject, language, coverage, identifier)."""

    identifiers: list[Identifier] = Field(default_factory=list)
    title: LangString = Field(default_factory=dict)
    """Plain text (markup stripped at normalization: it is what is validated, indexed and shown)."""
    title_raw: LangString = Field(default_factory=dict)
    """The title exactly as harvested, set only when it held markup (TITLE_MARKUP)."""
    description: LangString = Field(default_factory=dict)
    """Plain text (markup stripped by the mapper)."""
    description_raw: LangString = Field(default_factory=dict)
    """The description exactly as harvested, set only when it held markup (sanitized for display later)."""
    keywords: list[LangString] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    coverage: list[LangString] = Field(default_factory=list)


class Lifecycle(_Model):
    """LOM 2 (DC creator, contributor, publisher, date)."""

    version: str | None = None
    contributions: list[Contribution] = Field(default_factory=list)
    date: str | None = None


class Educational(_Model):
    """LOM 5 (LRMI educationalLevel, learningResourceType, typicalAgeRange)."""

    learning_resource_types: list[Term] = Field(default_factory=list)
    intended_end_user_roles: list[Term] = Field(default_factory=list)
    contexts: list[Term] = Field(default_factory=list)
    typical_age_range: list[str] = Field(default_factory=list)
    description: LangString = Field(default_factory=dict)


class Rights(_Model):
    """LOM 6 (DC rights / dcterms:license). ``licence_uri`` is set when the source gives a URI."""

    cost: bool | None = None
    copyright: bool | None = None
    description: LangString = Field(default_factory=dict)
    licence_uri: str | None = None


class Technical(_Model):
    """LOM 4 (DC format, identifier as URL)."""

    formats: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)
    size: int | None = None


class Controlled(_Model):
    """Values checked against the vocabularies: what the portals filter and facet on.

    Filled by the validate stage (never by a mapper); the harvested values stay where the
    mappers put them, so a documentalist can always compare the two.
    """

    languages: list[str] = Field(default_factory=list)
    """BCP 47 tags (``fr``, ``fr-CA``, ``en``, ``atj``); ``zxx`` = no linguistic content."""
    detected_language: str | None = None
    detected_confidence: float | None = None
    levels: list[str] = Field(default_factory=list)
    """Level concept URIs, as specific as the record allows."""
    level_suggestions: list[str] = Field(default_factory=list)
    """Level concept URIs suggested by the typical age range only (never decided on)."""
    licence: str | None = None
    """Licence or rights-statement concept URI."""
    licence_raw: str | None = None
    """The licence text or URL exactly as the source wrote it."""
    resource_types: list[str] = Field(default_factory=list)
    """Learning resource type concept URIs."""
    url: str | None = None
    """The resource URL, normalized (for duplicate detection)."""
    description_html: LangString = Field(default_factory=dict)
    """The description's markup made safe by a sanitizer, when the source sent HTML."""


class Contributor(_Model):
    """The person who submitted a contribution through a platform (Ma classe), as shown publicly.

    Only what the platform shows publicly is kept: its own id of the person, the display name and
    the organisation — never an e-mail address or any other personal data.
    """

    id: str
    display_name: str | None = None
    organisation: str | None = None


class Provenance(_Model):
    """Where the record came from: kept with the record so every value can be traced back."""

    source: str
    identifier: str
    metadata_format: str
    datestamp: str | None = None
    harvested_at: datetime | None = None
    contributor: Contributor | None = None
    """Set for a contribution (source type ``contributions``): who submitted it."""


class Resource(_Model):
    """The canonical learning-resource record every stage after ``normalize`` works on."""

    provenance: Provenance
    general: General = Field(default_factory=General)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    educational: Educational = Field(default_factory=Educational)
    rights: Rights = Field(default_factory=Rights)
    technical: Technical = Field(default_factory=Technical)
    classifications: list[TaxonPath] = Field(default_factory=list)
    resource_types: list[Term] = Field(default_factory=list)
    """DC ``type`` values (LOM has them under educational.learning_resource_types)."""
    controlled: Controlled = Field(default_factory=Controlled)
    """What validation made of the harvested values (canonical language, levels, licence...)."""

    @property
    def url(self) -> str | None:
        """The resource's own address: first technical location, else a URL-shaped identifier."""
        for loc in self.technical.locations:
            if loc.startswith(("http://", "https://")):
                return loc
        for ident in self.general.identifiers:
            if ident.entry.startswith(("http://", "https://")):
                return ident.entry
        return None

    def best_title(self, prefer: tuple[str, ...] = ("fr", "en")) -> str | None:
        """The title in the first preferred language present, else any title."""
        return pick_lang(self.general.title, prefer)


def pick_lang(text: LangString, prefer: tuple[str, ...] = ("fr", "en")) -> str | None:
    """Pick a value from a :data:`LangString`, by language preference (``fr-CA`` counts as ``fr``)."""
    if not text:
        return None
    for lang in prefer:
        for tag, value in text.items():
            if tag == lang or tag.startswith(lang + "-"):
                return value
    return next(iter(text.values()))


class Decision(_Model):
    """What ``decide`` concluded for one record."""

    status: Status
    portals: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    """The issue codes that kept the record from approval by rules (or ``rules``)."""
    issues: list[Issue] = Field(default_factory=list)
    """Issues that exist because of a portal's policy (``LICENCE_NOT_OPEN``, ``NO_PORTAL``...)."""
