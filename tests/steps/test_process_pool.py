"""``process --workers N`` (issue 17): the same rows and events as one worker, and resumable after a kill.

The corpus is the demo catalogue served eight times over (1,680 LOM records, each copy with its
own identifier): copies keep the original's address one time in four and its title three times in
four, so ``DUPLICATE_URL`` and ``TITLE_REPEATED_IN_SOURCE`` are found within the pass and across
batches, beside the catalogue's own defects (missing licence, unknown level, deleted records...).
It is harvested once; copies of that ledger are processed with one worker and with two and
compared row by row (status, issues, portals, record, quality, version) and event by event.
Corrections (one sending a record to another's address) are then made on both and a ``--force``
pass compared again. A third copy is processed by ``ren-index process --workers 2`` in a
subprocess killed (SIGKILL) once some batches are committed, then processed again: the same rows
as the uninterrupted pass, and the killed run closed ``failed``, not left ``running``.
SQLite, or PostgreSQL with ``REN_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.demo.catalogue import DemoRecord, demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import DupKey, DupMember, DupPair, DupSignature, Event, HarvestRun, ResourceRow
from ren_index.review.decisions import save_corrections
from ren_index.settings import load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.process import process_source

from .conftest import source_for

ROOT = Path(__file__).resolve().parents[2]
RULEBOOK = Rulebook.load(ROOT / "config")
COPIES = 8


def corpus() -> list[DemoRecord]:
    """The demo catalogue eight times, as LOM, with shared addresses and titles among copies."""
    records: list[DemoRecord] = []
    for copy in range(COPIES):
        for record in demo_records():
            prefix, number = record.identifier.rsplit(":", 1)
            url = record.url if record.url is None or copy % 4 == 0 else f"{record.url}?copie={copy}"
            title = record.title if record.title is None or copy % 4 != 3 else f"{record.title} ({copy})"
            records.append(
                replace(
                    record,
                    identifier=f"{prefix}:{int(number) + 1000 * copy}",
                    metadata_format="lom",
                    url=url,
                    title=title,
                )
            )
    return records


@pytest.fixture(scope="module")
def harvested(session_ledger_url: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """One ledger with the corpus harvested (copied by each test), and the source's URL."""
    url = session_ledger_url("harvested")
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("data"), database_url=url, harvest_timeout=5.0, harvest_max_retries=2
    )
    with DemoOaiServer(records=corpus(), page_size=200) as server:
        factory = open_ledger(url)
        report = harvest_source(factory, source_for(server.url), settings)
        factory.kw["bind"].dispose()
        assert report["counts"]["harvested"] == 210 * COPIES
        return url, server.url


def rows(factory: sessionmaker[Session]) -> dict[str, tuple[Any, ...]]:
    with factory() as session:
        return {
            r.id: (
                r.status,
                r.issues,
                r.portals,
                r.record,
                r.quality_score,
                r.url_key,
                r.decided_by,
                r.version,
            )
            for r in session.scalars(select(ResourceRow))
        }


def events(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        found = session.scalars(select(Event).where(Event.actor == "rules").order_by(Event.id))
        return sorted(repr((e.resource_id, e.action, e.before, e.after)) for e in found)


def duplicates(factory: sessionmaker[Session]) -> tuple[list[tuple[Any, ...]], ...]:
    """The duplicates step's tables: the workers' signatures must file and pair records exactly
    as the signatures the step computes itself."""
    with factory() as session:
        return (
            sorted((s.resource_id, s.digest, s.signature) for s in session.scalars(select(DupSignature))),
            sorted((k.key, k.resource_id) for k in session.scalars(select(DupKey))),
            sorted(
                (p.a, p.b, p.relation, p.proposed, p.score, p.reasons, p.status, p.decided_by, p.a_digest)
                for p in session.scalars(select(DupPair))
            ),
            sorted(
                (m.resource_id, m.group_id, m.relation, m.rank) for m in session.scalars(select(DupMember))
            ),
        )


def test_two_workers_give_what_one_gives(session_ledger_url: Any, harvested: tuple[str, str]) -> None:
    template, url = harvested
    one = open_ledger(session_ledger_url("one", copy_of=template))
    two = open_ledger(session_ledger_url("two", copy_of=template))
    source = source_for(url)

    first = process_source(one, source, RULEBOOK, workers=1)
    second = process_source(two, source, RULEBOOK, workers=2)
    assert first["counts"] == second["counts"]
    assert first["counts"]["processed"] == 210 * COPIES
    assert rows(one) == rows(two)
    assert events(one) == events(two)
    assert duplicates(one) == duplicates(two)
    assert duplicates(one)[2]  # the corpus has pairs to find
    issues = {i["code"] for row in rows(one).values() for i in row[1]}
    assert {"DUPLICATE_URL", "TITLE_REPEATED_IN_SOURCE"} <= issues  # the corpus exercises both

    # Corrections, one giving a record another's address, then every record again (--force).
    with one() as session:
        ids = sorted(
            r.id for r in session.scalars(select(ResourceRow).where(ResourceRow.status == "needs_review"))
        )
        target = session.get_one(ResourceRow, ids[0]).record or {}
    other_url = (target.get("controlled") or {}).get("url")
    for factory in (one, two):
        for n, rid in enumerate(ids[1:40]):
            change: dict[str, Any] = (
                {"url": other_url} if n % 2 == 0 and other_url else {"title": f"Titre corrigé {n}"}
            )
            save_corrections(factory, RULEBOOK, rid, change, actor="marie")
    assert rows(one) == rows(two)
    process_source(one, source, RULEBOOK, workers=1, force=True)
    process_source(two, source, RULEBOOK, workers=2, force=True)
    assert rows(one) == rows(two)
    assert events(one) == events(two)
    assert duplicates(one) == duplicates(two)


def test_a_killed_pass_is_resumed_and_closed(
    session_ledger_url: Any, harvested: tuple[str, str], tmp_path: Path
) -> None:
    template, url = harvested
    reference = open_ledger(session_ledger_url("reference", copy_of=template))
    process_source(reference, source_for(url), RULEBOOK, workers=1)
    killed_url = session_ledger_url("killed", copy_of=template)
    killed = open_ledger(killed_url)

    config = tmp_path / "config"
    config.mkdir()
    for name in ("portals.yaml", "validation.yaml"):
        (config / name).write_text((ROOT / "config" / name).read_text())
    (config / "vocabularies").symlink_to(ROOT / "config" / "vocabularies")
    (config / "sources.yaml").write_text(
        f"sources:\n  demo-lom:\n    name: Démo\n    type: oai\n    url: {url}\n    metadata_prefix: lom\n"
    )
    env = {
        **os.environ,
        "REN_DATABASE_URL": killed_url,
        "REN_CONFIG_DIR": str(config),
        "REN_DATA_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "ren_index", "process", "demo-lom", "--workers", "2"]
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    done = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            with killed() as session:
                run = session.scalars(select(HarvestRun).where(HarvestRun.kind == "process")).first()
                done = (run.counts or {}).get("processed", 0) if run is not None else 0
            if done >= 400:
                break
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the command and its pool's workers
        child.wait(timeout=30)
    assert 400 <= done < 210 * COPIES, "the pass must be killed mid-way"

    again = process_source(killed, source_for(url), RULEBOOK, workers=2)
    assert again["counts"]["processed"] < 210 * COPIES  # what was committed is not done twice
    assert rows(killed) == rows(reference)
    assert events(killed) == events(reference)
    with killed() as session:
        runs = session.scalars(
            select(HarvestRun).where(HarvestRun.kind == "process").order_by(HarvestRun.id)
        ).all()
        assert [r.status for r in runs] == ["failed", "completed"]
        assert runs[0].error is not None and "ren-index process demo-lom" in runs[0].error["resume"]
