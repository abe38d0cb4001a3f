"""``wait_for_writers`` returns only once the write transactions open when it was called have
ended (both ledgers): the index step's "changed since T" reads rely on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import text

from ren_index.ledger.db import make_engine, open_ledger, wait_for_writers
from ren_index.ledger.models import SourceRow


def _writer(url: str, hold: float, opened: threading.Event, committed: threading.Event) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sources SET name = 'changée' WHERE id = 'src'"))
        opened.set()
        time.sleep(hold)
    committed.set()
    engine.dispose()


def _ledger(ledger_url: Callable[..., str]) -> str:
    url = ledger_url()
    factory = open_ledger(url)
    with factory.begin() as session:
        session.add(SourceRow(id="src", name="Source", type="oai", url="https://x.example/oai", config={}))
    return url


def test_it_waits_for_the_writer_open_when_it_was_called(ledger_url: Callable[..., str]) -> None:
    url = _ledger(ledger_url)
    opened, committed = threading.Event(), threading.Event()
    writer = threading.Thread(target=_writer, args=(url, 0.8, opened, committed))
    writer.start()
    assert opened.wait(10)
    engine = make_engine(url)
    assert wait_for_writers(engine, timeout=20) is True
    assert committed.is_set()  # it returned after the writer committed, not before
    writer.join()
    engine.dispose()


def test_it_says_so_when_a_writer_outlives_the_wait(ledger_url: Callable[..., str]) -> None:
    url = _ledger(ledger_url)
    opened, committed = threading.Event(), threading.Event()
    writer = threading.Thread(target=_writer, args=(url, 3.0, opened, committed))
    writer.start()
    assert opened.wait(10)
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":  # SQLite waits its busy timeout: make it short
        engine.dispose()
        from sqlalchemy import create_engine

        engine = create_engine(url, connect_args={"timeout": 0.3})
    assert wait_for_writers(engine, timeout=0.3) is False
    assert not committed.is_set()
    writer.join()
    assert wait_for_writers(engine, timeout=5) is True  # nothing open any more
    engine.dispose()
