"""Fixtures of the link checker's tests: local web sites on loopback addresses, loopback allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ren_index.links.checker import CheckerConfig

from .link_server import LinkServer

LOOPBACK = ("127.0.0.0/8",)


def config(**overrides: object) -> CheckerConfig:
    """The defaults of a test run: loopback allowed, no spacing, short bounds."""
    values: dict[str, object] = {
        "allow_hosts": LOOPBACK,
        "per_host_delay": 0.0,
        "request_timeout": 3.0,
        "deadline": 30.0,
        "user_agent": "ren-index/test (link checker; +liens@example.org)",
    }
    values.update(overrides)
    return CheckerConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def site() -> Iterator[LinkServer]:
    server = LinkServer("127.0.0.1").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def servers() -> Iterator[list[LinkServer]]:
    """Start servers on demand (``servers.append(LinkServer(...).start())``); all stopped after."""
    started: list[LinkServer] = []
    try:
        yield started
    finally:
        for server in started:
            server.stop()
