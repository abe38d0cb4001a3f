"""A harvest without a date window is complete: the first harvest arms the anomaly guard (issue 10, 10).

Before, the first harvest of a source (no ``from``, no ``until``, no ``--full``) was not recorded
as complete, so a later ``--full`` harvest returning a third of the records had no baseline and
was published. The repository here reports deletions (``deletedRecord=persistent``), so nothing
but the run's own ``full`` flag can make the first harvest the guard's baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.demo.catalogue import DemoRecord, demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source

from .test_harvest_servers import make_settings, oai_source

LOM: list[DemoRecord] = [r for r in demo_records() if r.metadata_format == "lom"]


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return make_settings(tmp_path, ledger_url)


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)


@pytest.fixture
def repository() -> Iterator[DemoOaiServer]:
    with DemoOaiServer(records=LOM[:30], page_size=10) as server:
        yield server


def fullness(ledger: sessionmaker[Session]) -> list[bool]:
    with ledger() as session:
        return [run.full for run in session.scalars(select(HarvestRun).order_by(HarvestRun.id))]


def test_the_first_harvest_is_the_baseline_of_a_later_full_one(
    ledger: sessionmaker[Session], settings: Settings, repository: DemoOaiServer
) -> None:
    source = oai_source(repository.url, metadata_prefix="lom")
    first = harvest_source(ledger, source, settings)  # no window, no --full
    assert first["status"] == "completed" and first["counts"]["harvested"] == 30
    assert fullness(ledger) == [True]
    repository.set_records(LOM[:10])
    report = harvest_source(ledger, source, settings, full=True)
    assert report["status"] == "held"
    assert report["hold"]["reasons"] == ["RECORD_COUNT_DROP"]
    assert report["hold"]["previous_records"] == 30 and report["hold"]["records"] == 10


def test_a_windowed_harvest_is_not_complete(
    ledger: sessionmaker[Session], settings: Settings, repository: DemoOaiServer
) -> None:
    source = oai_source(repository.url, metadata_prefix="lom")
    harvest_source(ledger, source, settings, from_="2000-01-01")  # a window: not the whole list
    harvest_source(ledger, source, settings)  # incremental, from the last run's clock
    harvest_source(ledger, source, settings, full=True, until="2026-01-01")  # --full, but a window
    harvest_source(ledger, source, settings, full=True)  # the whole list again
    assert fullness(ledger) == [False, False, False, True]
