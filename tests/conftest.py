"""Shared fixtures. Integration tests use the real OpenSearch at ``REN_OPENSEARCH_URL``; every ledger
is a SQLite file, or a fresh PostgreSQL database when ``REN_TEST_POSTGRES_URL`` is set."""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

DEFAULT_OPENSEARCH_URL = "http://localhost:9200"


@pytest.fixture(scope="session")
def opensearch_url() -> str:
    """The URL of a live OpenSearch (``REN_OPENSEARCH_URL``); skips the test when none answers.

    ``scripts/test`` (and so CI) starts the node before pytest and sets
    ``REN_REQUIRE_OPENSEARCH=1``: there a missing node is a failure, never a silent skip. On a
    laptop running plain ``pytest`` without a node they are skipped with the remedy.
    """
    required = os.environ.get("REN_REQUIRE_OPENSEARCH") == "1"
    url = os.environ.get("REN_OPENSEARCH_URL", DEFAULT_OPENSEARCH_URL).rstrip("/")
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=3) as response:
            status = json.loads(response.read())["status"]
    except Exception as exc:
        if required:
            pytest.fail(f"REN_REQUIRE_OPENSEARCH=1 but no OpenSearch answers at {url}: {exc}")
        pytest.skip(
            f"no OpenSearch answers at {url} ({exc.__class__.__name__}); run "
            "`ren-index opensearch start` or set REN_OPENSEARCH_URL"
        )
    if status not in ("green", "yellow"):
        if required:
            pytest.fail(f"OpenSearch at {url} is {status}")
        pytest.skip(f"OpenSearch at {url} is {status}")
    return url


class LedgerUrls:
    """Makes ledger URLs for tests: a fresh PostgreSQL database each, or a SQLite file.

    With ``REN_TEST_POSTGRES_URL`` set (``scripts/test`` sets it for its second run), every call
    creates a database of its own on that server (``CREATE DATABASE t_<uuid>``, through the
    server's database in autocommit) and :meth:`close` drops them all, whoever still holds a
    connection (``WITH (FORCE)``, PostgreSQL 13+). Without it, the URL is a SQLite file in
    ``folder``. ``copy_of`` starts the new ledger as a copy of another one (a template database on
    PostgreSQL, SQLite's backup API otherwise: safe with WAL).
    """

    def __init__(self, server: str | None, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.created: list[str] = []

    def __call__(
        self, name: str = "ledger", *, folder: Path | None = None, copy_of: str | None = None
    ) -> str:
        if self.server is None:
            path = (folder or self.folder) / f"{name}.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            if copy_of is not None:
                source = sqlite3.connect(make_url(copy_of).database or "")
                target = sqlite3.connect(path)
                with target:
                    source.backup(target)
                source.close()
                target.close()
            return f"sqlite:///{path}"
        database = f"t_{uuid.uuid4().hex[:16]}"
        with self._connect() as conn:
            if copy_of is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            else:
                template = make_url(copy_of).database
                # A template database must have no other session / personne d'autre connecté.
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (template,),
                )
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(database), sql.Identifier(template)
                    )
                )
        self.created.append(database)
        return make_url(self.server).set(database=database).render_as_string(hide_password=False)

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        assert self.server is not None
        conninfo = make_url(self.server).set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True)

    def close(self) -> None:
        if not self.created:
            return
        with self._connect() as conn:
            for database in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
                )
        self.created.clear()


def postgres_server() -> str | None:
    """The PostgreSQL server the tests run the ledger on (``REN_TEST_POSTGRES_URL``), if any."""
    return os.environ.get("REN_TEST_POSTGRES_URL") or None


@pytest.fixture
def ledger_url(tmp_path: Path) -> Iterator[LedgerUrls]:
    """``ledger_url(name="ledger")``: a fresh, empty ledger URL for this test, dropped after it."""
    urls = LedgerUrls(postgres_server(), tmp_path)
    yield urls
    urls.close()


@pytest.fixture(scope="session")
def session_ledger_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerUrls]:
    """The same for session- and module-scoped fixtures; the ledgers go at the end of the session."""
    urls = LedgerUrls(postgres_server(), tmp_path_factory.mktemp("ledgers"))
    yield urls
    urls.close()


# -- the PostgreSQL pass: only the tests that open a ledger -----------------------------------

LEDGER_FIXTURES = frozenset({"ledger_url", "session_ledger_url"})
"""The fixtures every ledger a test opens comes from (directly or through another fixture)."""


def on_postgresql(item: pytest.Item) -> bool:
    """Whether ``item`` says something new when the ledger is PostgreSQL: it opens a ledger through
    :data:`LEDGER_FIXTURES` or is marked ``postgresql`` (it reads ``REN_TEST_POSTGRES_URL``
    itself), and it is not the SQLite variant of a test parametrized over both backends."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "sqlite" in callspec.params.values():
        return False
    uses = LEDGER_FIXTURES & set(getattr(item, "fixturenames", ()))
    return bool(uses) or item.get_closest_marker("postgresql") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``REN_TEST_LEDGER_ONLY=1`` (``scripts/test`` sets it for its PostgreSQL pass) keeps only the
    tests whose outcome can depend on the ledger's backend (:func:`on_postgresql`): a pure parser
    or a page that never opens a ledger ran in the SQLite pass already, and running it again
    proved nothing new while it doubled CI's time."""
    if os.environ.get("REN_TEST_LEDGER_ONLY") != "1":
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (keep if on_postgresql(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep
