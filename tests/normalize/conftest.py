"""Fixtures for the normalize tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ren_index.model import Issue, Resource
from ren_index.normalize import normalize

from .helpers import RECORDS, provenance


@pytest.fixture
def mapped() -> Callable[[str, str], tuple[Resource, list[Issue]]]:
    """Normalize one of tests/fixtures/records/ as if harvested with ``prefix``."""

    def run(name: str, prefix: str = "oai_dc") -> tuple[Resource, list[Issue]]:
        payload = (RECORDS / name).read_text(encoding="utf-8")
        return normalize(payload, provenance(prefix))

    return run
