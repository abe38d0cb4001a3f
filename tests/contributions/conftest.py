"""Fixtures of the contributions tests: a migrated ledger (SQLite, or PostgreSQL when
``REN_TEST_POSTGRES_URL`` is set), the project's rules, and a platform with its key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import load_portals
from ren_index.contributions.platforms import PlatformInfo, create_platform
from ren_index.ledger.db import open_ledger

CONFIG = Path(__file__).resolve().parents[2] / "config"
RULEBOOK = Rulebook.load(CONFIG)
PORTALS = list(load_portals(CONFIG))
PORTAL = "ecole-ouverte"


def body(external_id: str = "ressource-1", **fields: Any) -> dict[str, Any]:
    """A contribution as Ma classe would send it: complete and valid, then changed by ``fields``."""
    document: dict[str, Any] = {
        "external_id": external_id,
        "title": "Les fractions dans la cuisine",
        "description": "Une activité où les élèves mesurent des ingrédients avec des fractions.",
        "url": f"https://ma-classe.example.qc.ca/r/{external_id}",
        "languages": ["fr"],
        "levels": ["Primaire 3e cycle"],
        "licence": "CC BY 4.0",
        "resource_types": ["exercice"],
        "keywords": ["fractions", "mesure"],
        "authors": [{"name": "Julie Gagnon", "organisation": "École des Pins"}],
        "contributor": {"id": "u-1001", "display_name": "Julie G.", "organisation": "École des Pins"},
    }
    document.update(fields)
    return {k: v for k, v in document.items() if v is not None}


@pytest.fixture
def ledger(ledger_url: Callable[..., str]) -> sessionmaker[Session]:
    return open_ledger(ledger_url())


@pytest.fixture
def rulebook() -> Rulebook:
    return RULEBOOK


@pytest.fixture
def new_platform(ledger: sessionmaker[Session]) -> Callable[..., tuple[PlatformInfo, str]]:
    """``new_platform(name, callback_url=None)``: a platform of École ouverte and its key."""

    def make(name: str = "ma-classe", callback_url: str | None = None) -> tuple[PlatformInfo, str]:
        return create_platform(
            ledger,
            name,
            portal=PORTAL,
            label="Ma classe (École ouverte)",
            callback_url=callback_url,
            portals=PORTALS,
        )

    return make


@pytest.fixture
def platform(new_platform: Callable[..., tuple[PlatformInfo, str]]) -> PlatformInfo:
    return new_platform()[0]
