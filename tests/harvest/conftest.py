"""Fixtures of the OAI harvester tests: a scripted local HTTP server and a sleep recorder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from oai_server import ScriptedServer, SleepRecorder


@pytest.fixture
def oai_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()
