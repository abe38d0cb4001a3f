"""The sources a librarian configured (``config/sources.yaml``), read and validated.

A mistake in the file is a run-level problem: :func:`load_sources` raises :class:`ConfigError`
naming the file, the source and the field, so the librarian can fix it without reading code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ren_index.config.rules import load_portals
from ren_index.errors import ConfigError

SOURCE_ID = re.compile(r"^[a-z0-9-]+$")


class GuardOverride(BaseModel):
    """A source's own anomaly-guard limits; what is left out comes from ``validation.yaml``."""

    model_config = ConfigDict(extra="forbid")

    min_ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    max_error_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    min_records: int | None = Field(default=None, ge=1)


class SourceConfig(BaseModel):
    """One entry of ``sources:`` (see DESIGN.md, "Sources")."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    type: Literal["oai", "rss", "jsonld", "csv"]
    url: str
    metadata_prefix: str = "oai_dc"
    sets: list[str] = Field(default_factory=list)
    schedule: str | None = None
    portals: list[str] = Field(default_factory=list)
    defaults: dict[str, str] = Field(default_factory=dict)
    review: Literal["always", "on-issues", "never"] = "on-issues"
    columns: dict[str, str] = Field(default_factory=dict)
    guard: GuardOverride | None = None
    """Per-source anomaly-guard limits (a partner known to shrink its export every term)."""

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not SOURCE_ID.match(value):
            raise ValueError("a source id is made of a-z, 0-9 and '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "demo:")):
            raise ValueError("must start with http:// or https:// (or demo: for the bundled demo)")
        return value

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


def load_sources(path: Path) -> dict[str, SourceConfig]:
    """Read ``sources.yaml``; raise :class:`ConfigError` with file, source and field on a mistake.

    A source's ``portals:`` must name portals of the ``portals.yaml`` beside it (when there is one:
    the portals have one home, that file).
    """
    if not path.exists():
        raise ConfigError(f"{path}: file not found (set REN_CONFIG_DIR or create it)")
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: expected a top-level 'sources:' mapping")
    portals = list(load_portals(path.parent)) if (path.parent / "portals.yaml").exists() else None
    sources: dict[str, SourceConfig] = {}
    for source_id, body in entries.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: source {source_id!r}: expected a mapping")
        body = {"name": str(source_id), **body, "id": str(source_id)}
        try:
            sources[str(source_id)] = SourceConfig.model_validate(body, context={"portals": portals})
        except ValidationError as exc:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"{path}: source {source_id!r}: {details}") from exc
    return sources


def get_source(sources: dict[str, SourceConfig], source_id: str) -> SourceConfig:
    """The source named ``source_id``, or a :class:`ConfigError` listing the known ones."""
    try:
        return sources[source_id]
    except KeyError:
        known = ", ".join(sorted(sources)) or "(none)"
        raise ConfigError(f"unknown source {source_id!r}; configured: {known}") from None
