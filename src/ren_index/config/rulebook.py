"""The rulebook: everything besides a record that decides its outcome, loaded once per run.

The SKOS vocabularies, the documentalists' rules (``validation.yaml``) and the portals' policies
(``portals.yaml``), with a fingerprint of those files and of the code version: a record processed
with another fingerprint is processed again (``raw_records.processed_with``), so changing a rule
or a vocabulary redoes every record while people's decisions are kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ren_index import __version__
from ren_index.config.rules import PortalPolicy, ValidationRules, load_portals, load_rules
from ren_index.config.vocabularies import Vocabularies, load_vocabularies


@dataclass(frozen=True)
class Policy:
    """The documentalists' rules and the portals' policies, loaded once per run."""

    rules: ValidationRules
    portals: dict[str, PortalPolicy]


@dataclass(frozen=True)
class Rulebook:
    """What the process step loads once per run: vocabularies, validation rules, portal policies."""

    vocabularies: Vocabularies
    policy: Policy
    fingerprint: str = ""
    """SHA-256 of the rule files and the code version: records processed with another are redone."""

    @classmethod
    def load(cls, config_dir: Path) -> Rulebook:
        return cls(
            vocabularies=load_vocabularies(config_dir),
            policy=Policy(rules=load_rules(config_dir), portals=load_portals(config_dir)),
            fingerprint=rules_fingerprint(config_dir),
        )


def rules_fingerprint(config_dir: Path) -> str:
    """A fingerprint of everything besides the record that decides its outcome."""
    digest = hashlib.sha256(__version__.encode())
    files = [config_dir / "validation.yaml", config_dir / "portals.yaml"]
    files += sorted((config_dir / "vocabularies").glob("*.ttl"))
    for path in files:
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
