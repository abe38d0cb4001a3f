"""The PostgreSQL pass of ``scripts/test`` runs every test that opens a ledger, and only those.

``REN_TEST_LEDGER_ONLY=1`` (tests/conftest.py) deselects the tests whose outcome cannot depend on
the ledger's backend. What must never happen is the opposite: a test that opens a ledger, or that
reads ``REN_TEST_POSTGRES_URL`` itself, silently left out of the pass that runs it on PostgreSQL.
This collects real test files of the suite in a child pytest and reads which were kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "tests/validate/test_dates.py",  # pure: never opens a ledger
    "tests/ledger/test_migrations.py",  # ledger_url
    "tests/review/test_postgresql.py",  # marked postgresql: reads REN_TEST_POSTGRES_URL itself
    "tests/harvest/test_lom_files.py",  # parametrized over sqlite and postgresql
]


def _collected(ledger_only: bool) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REN_TEST_LEDGER_ONLY", "PYTEST_ADDOPTS")}
    env["REN_TEST_POSTGRES_URL"] = "postgresql+psycopg://nobody@127.0.0.1:9/none"  # collected, never run
    if ledger_only:
        env["REN_TEST_LEDGER_ONLY"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *FILES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_the_postgresql_pass_keeps_the_ledger_tests_and_drops_the_others() -> None:
    everything = _collected(ledger_only=False)
    kept = _collected(ledger_only=True)
    assert set(kept) < set(everything)
    assert not [n for n in kept if n.startswith("tests/validate/test_dates.py")]
    migrations = [n for n in everything if n.startswith("tests/ledger/test_migrations.py")]
    assert migrations and set(migrations) <= set(kept)
    marked = [n for n in everything if n.startswith("tests/review/test_postgresql.py")]
    assert marked and set(marked) <= set(kept)
    lom = [n for n in everything if n.startswith("tests/harvest/test_lom_files.py")]
    both = [n for n in lom if "[sqlite" in n or "[postgresql" in n]
    assert both, lom
    # the SQLite variant ran in the first pass; the PostgreSQL one runs here
    assert {n for n in lom if n in kept} == {n for n in lom if "[postgresql" in n}
