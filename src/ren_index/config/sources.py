"""The sources a librarian configured (``config/sources.yaml``), read and validated.

Each entry is validated on its own: a typo in one source (``type: oia``) must not stop the
harvest of the others. :func:`load_sources` returns the valid sources and keeps the broken ones
aside (:class:`Sources`), each with a one-line error naming the file, the source and the field;
whatever names a broken source gets that error (:func:`get_source`). Only what spoils the whole
file — a missing file, a YAML syntax error, no ``sources:`` mapping — raises :class:`ConfigError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ren_index.config.rules import check_cron, load_portals
from ren_index.errors import ConfigError

SOURCE_ID = re.compile(r"^[a-z0-9-]+$")
DEFAULT_KEYS = ("language", "level", "licence", "resource_type")
"""What ``defaults:`` may give: values assumed when a record is silent (``validate/defaults.py``,
``validate/languages.py``). Any other key is refused when the file is read, not ignored."""
ALLOW_HOST = re.compile(
    r"\[[0-9A-Fa-f:.]+\](?::(?P<p1>\d{1,5}))?"  # [IPv6]:port
    r"|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*"  # bare IPv6, no port
    r"|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?::(?P<p2>\d{1,5}))?"  # name or IPv4[:port]
)
"""An ``allow_hosts:`` entry; :mod:`ren_index.harvest.addresses` parses it (config sits below it)."""


class GuardOverride(BaseModel):
    """A source's own anomaly-guard limits; what is left out comes from ``validation.yaml``."""

    model_config = ConfigDict(extra="forbid")

    min_ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    max_error_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    min_records: int | None = Field(default=None, ge=1)


SOFT_404_MAX_PATTERNS = 50
SOFT_404_MIN_CHARS = 4
SOFT_404_MAX_CHARS = 120


class SourceLinks(BaseModel):
    """A source's own link-health rules (``links:``): how its site says « not found » (docs/links.md).

    ``soft_404`` phrases are added to the checker's French and English ones. They are plain text,
    compared whole-word with a page's title and first heading, case, accents and spacing ignored
    (:mod:`ren_index.links.soft404`) — never regular expressions, so a mistaken or hostile entry
    cannot take a run down with catastrophic backtracking. A phrase too short to mean anything
    (« a », « 404 » alone would match pages that are fine) is refused, and so are too many or too
    long ones: each is compared with every page of the source.
    """

    model_config = ConfigDict(extra="forbid")

    soft_404: list[str] = Field(default_factory=list, max_length=SOFT_404_MAX_PATTERNS)

    @field_validator("soft_404")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        phrases = [" ".join(str(entry).split()) for entry in value]
        for phrase in phrases:
            if len(phrase) > SOFT_404_MAX_CHARS:
                raise ValueError(
                    f"{phrase[:40]!r}…: au plus {SOFT_404_MAX_CHARS} caractères / at most"
                    f" {SOFT_404_MAX_CHARS} characters"
                )
            if sum(c.isalnum() for c in phrase) < SOFT_404_MIN_CHARS:
                raise ValueError(
                    f"{phrase!r}: trop court pour reconnaître une page introuvable (au moins"
                    f" {SOFT_404_MIN_CHARS} lettres ou chiffres) / too short to recognise a not-found"
                    f" page (at least {SOFT_404_MIN_CHARS} letters or digits)"
                )
        return phrases


class SourceConfig(BaseModel):
    """One entry of ``sources:`` (see DESIGN.md, "Sources")."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    type: Literal["oai", "rss", "jsonld", "csv", "lom-files", "contributions"]
    url: str = ""
    """Where to harvest (``oai``, ``rss``, ``jsonld``, ``csv``); empty for ``lom-files`` (read from
    ``path``) and for ``contributions`` (a platform pushes its records: ``ren-index platforms``)."""
    path: str | None = None
    """``lom-files`` only: a directory or a ``.zip`` of LOM/Normetic XML files (relative paths are
    read from the configuration directory)."""
    metadata_prefix: str = "oai_dc"
    sets: list[str] = Field(default_factory=list)
    schedule: str | None = None
    portals: list[str] = Field(default_factory=list)
    defaults: dict[str, str] = Field(default_factory=dict)
    review: Literal["always", "on-issues", "never"] = "on-issues"
    columns: dict[str, str] = Field(default_factory=dict)
    guard: GuardOverride | None = None
    """Per-source anomaly-guard limits (a partner known to shrink its export every term)."""
    allow_hosts: list[str] = Field(default_factory=list)
    """Hosts the source's redirects and ``next`` links may lead to besides its own and public ones
    (a name or an IP address, optional ``:port``): the address policy, docs/harvesting.md."""
    links: SourceLinks = Field(default_factory=SourceLinks)
    """The source's link-health rules: its own soft-404 phrases (docs/links.md)."""
    priority: int = Field(default=0, ge=-1000, le=1000)
    """Duplicates: when one resource is described by several sources, the record of the source with
    the highest priority is the one portals show, unless a newer edition or a documentalist says
    otherwise (docs/duplicates.md). Same priority: the most complete record, then the oldest."""

    @field_validator("defaults")
    @classmethod
    def _default_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key not in DEFAULT_KEYS:
                raise ValueError(
                    f"clé inconnue / unknown key {key!r}{did_you_mean(key, DEFAULT_KEYS)}; connues / known:"
                    f" {', '.join(DEFAULT_KEYS)}"
                )
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        """A bad cron is refused when the file is read, not when ``schedule apply`` meets it."""
        return None if value is None else check_cron(value)

    @field_validator("allow_hosts")
    @classmethod
    def _host_entries(cls, value: list[str]) -> list[str]:
        """Each entry is a host, not a URL: the harvester compares it with a URL's host and port."""
        for entry in value:
            match = ALLOW_HOST.fullmatch(entry.strip())
            port = match and (match.group("p1") or match.group("p2"))
            if match is None or (port and not 0 < int(port) < 65536):
                raise ValueError(
                    f"{entry!r}: nom d'hôte ou adresse IP, avec :port facultatif / a host name or an"
                    " IP address, with an optional :port (cdn.example.org, 10.0.0.5:8443, [::1]:8080)"
                )
        return [entry.strip() for entry in value]

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not SOURCE_ID.match(value):
            raise ValueError("a source id is made of a-z, 0-9 and '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://", "demo:")):
            raise ValueError("must start with http:// or https:// (or demo: for the bundled demo)")
        return value

    @model_validator(mode="after")
    def _where_from(self) -> SourceConfig:
        """A harvested source has a ``url``; a ``lom-files`` dump has a ``path`` and no ``url``."""
        if self.type == "lom-files":
            if not self.path:
                raise ValueError("path: requis pour lom-files / required for type lom-files")
            if self.url:
                raise ValueError("url: pas d'url pour lom-files (path) / lom-files takes a path, not a url")
        elif self.type == "contributions":
            if self.url or self.path:
                raise ValueError("une plateforme n'a ni url ni path / a platform has no url and no path")
        else:
            if not self.url:
                raise ValueError(f"url: requis pour le type {self.type} / required for type {self.type}")
            if self.path:
                raise ValueError(f"path: réservé à lom-files / only for type lom-files, not {self.type}")
        return self

    @field_validator("portals")
    @classmethod
    def _known_portals(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """Portals are those of ``portals.yaml`` (given as validation context by :func:`load_sources`)."""
        known = (info.context or {}).get("portals")
        if known is None:
            return value
        unknown = [p for p in value if p not in known]
        if unknown:
            raise ValueError(f"unknown portal(s) {unknown}; known (portals.yaml): {list(known)}")
        return value


@dataclass(frozen=True)
class BrokenSource:
    """An entry of ``sources.yaml`` that does not validate, kept with its error.

    ``name``, ``type`` and ``url`` are the entry's values as written (when they are text), so
    ``sources list`` can show which entry it is beside what is wrong with it.
    """

    id: str
    error: str
    """One line: the file, the source and every field in error."""
    name: str | None = None
    type: str | None = None
    url: str | None = None


class Sources(dict[str, SourceConfig]):
    """The valid sources of ``sources.yaml`` by id (file order), and its broken entries aside.

    A plain mapping of valid sources, so code that runs sources (``--all``, schedules, the demo)
    can never pick up a broken one by iterating; :attr:`broken` is there for those who report
    (``sources list``) and :func:`get_source` for those who name a source.
    """

    def __init__(
        self,
        valid: Iterable[tuple[str, SourceConfig]] = (),
        broken: Mapping[str, BrokenSource] | None = None,
        order: Iterable[str] | None = None,
    ) -> None:
        super().__init__(valid)
        self.broken: dict[str, BrokenSource] = dict(broken or {})
        self.order: list[str] = list(order) if order is not None else [*self, *self.broken]
        """Every id, valid or broken, in the order of the file."""


def load_sources(path: Path) -> Sources:
    """Read ``sources.yaml``: the valid sources, and each broken entry with its one-line error.

    A source's ``portals:`` must name portals of the ``portals.yaml`` beside it (when there is one:
    the portals have one home, that file). What spoils the whole file raises :class:`ConfigError`.
    """
    if not path.exists():
        raise ConfigError(f"{path}: file not found (set REN_CONFIG_DIR or create it)")
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())  # PyYAML's message spans lines; the error is one line
        raise ConfigError(f"{path}: not valid YAML: {detail}") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: expected a top-level 'sources:' mapping")
    lines = _source_lines(path)
    portals = list(load_portals(path.parent)) if (path.parent / "portals.yaml").exists() else None
    valid: list[tuple[str, SourceConfig]] = []
    broken: dict[str, BrokenSource] = {}
    order: list[str] = []
    for key, body in entries.items():
        source_id = str(key)
        order.append(source_id)
        try:
            valid.append((source_id, _validate(source_id, body, portals)))
        except ValueError as exc:
            raw = body if isinstance(body, dict) else {}
            broken[source_id] = BrokenSource(
                id=source_id,
                error=f"{path}:{lines.get(source_id, 1)}: source {source_id!r}: {exc}",
                name=_text(raw.get("name")),
                type=_text(raw.get("type")),
                url=_text(raw.get("url")),
            )
    return Sources(valid, broken, order)


def _validate(source_id: str, body: object, portals: list[str] | None) -> SourceConfig:
    """One entry, or :class:`ValueError` with every field in error on one line."""
    if not isinstance(body, dict):
        raise ValueError("expected a mapping (name, type, url…)")
    if body.get("type") == "contributions":
        raise ValueError(
            "type: une plateforme de contributions se crée avec `ren-index platforms add` / a"
            " contributions platform is created with `ren-index platforms add`, not in sources.yaml"
        )
    try:
        return SourceConfig.model_validate(
            {"name": source_id, **body, "id": source_id}, context={"portals": portals}
        )
    except ValidationError as exc:
        details = "; ".join(_detail(e) for e in exc.errors())
        raise ValueError(" ".join(details.split())) from None


def _detail(error: Any) -> str:
    """One field's error; an unknown key says which known key it resembles."""
    where = ".".join(str(p) for p in error["loc"]) or "entry"
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        key = str(error["loc"][0])
        return f"{where}: clé inconnue / unknown key{did_you_mean(key, SourceConfig.model_fields)}"
    if error["type"] == "extra_forbidden" and error["loc"][:1] == ("links",) and len(error["loc"]) == 2:
        key = str(error["loc"][1])
        return f"{where}: clé inconnue / unknown key{did_you_mean(key, SourceLinks.model_fields)}"
    return f"{where}: {error['msg']}"


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """`` — vouliez-vous dire / did you mean 'metadata_prefix' ?`` or nothing.

    Spellings that differ only by case, ``_`` or ``-`` (``metadataPrefix``) match first, then
    close spellings (``shedule``).
    """
    names = list(known)
    folded = {n.replace("_", "").replace("-", "").lower(): n for n in names}
    match = folded.get(key.replace("_", "").replace("-", "").lower())
    if match is None:
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.7)
        match = close[0] if close else None
    return f" — vouliez-vous dire / did you mean {match!r} ?" if match else ""


def _source_lines(path: Path) -> dict[str, int]:
    """The line of each entry under ``sources:`` (1-based), for errors that say where to look.

    ``yaml.compose`` builds nodes only (no object is constructed), so it is as safe as
    ``safe_load``; a file it cannot compose has already been refused by ``safe_load``.
    """
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "sources" and isinstance(value, yaml.MappingNode):
            return {str(k.value): k.start_mark.line + 1 for k, _v in value.value}
    return {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def get_source(sources: Mapping[str, SourceConfig], source_id: str) -> SourceConfig:
    """The source named ``source_id``; a :class:`ConfigError` with its error when its entry is
    broken, or listing the known ones when there is none."""
    try:
        return sources[source_id]
    except KeyError:
        pass
    broken: dict[str, BrokenSource] = getattr(sources, "broken", {})
    if source_id in broken:
        raise ConfigError(broken[source_id].error)
    known = ", ".join(sorted([*sources, *(f"{b} (invalide / broken)" for b in broken)])) or "(none)"
    raise ConfigError(f"unknown source {source_id!r}; configured: {known}")
