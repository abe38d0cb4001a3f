"""Harvests end, whatever the source does (issue 10, 3).

A repository answering empty pages, each with a new resumption token, was harvested 1,832 times in
90 s and left its run ``running`` (so later runs were refused); a server sending one byte every
5 s held one request for an hour. Now: ``REN_HARVEST_MAX_EMPTY_PAGES`` empty pages in a row, or
``REN_HARVEST_MAX_PAGES`` pages, fail the run; every request has an overall deadline
(``REN_HARVEST_REQUEST_DEADLINE``) that a trickled body or trickled headers cannot stretch, and is
not retried past it. A run stopped so is ``failed`` with its reason and resume hint, its lock
released, and the next harvest goes on from its checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source

from .test_harvest_servers import Hostile, Reply, identify, list_records, make_settings, oai_source


def the_runs(ledger: sessionmaker[Session]) -> list[HarvestRun]:
    with ledger() as session:
        return list(session.scalars(select(HarvestRun).order_by(HarvestRun.id)))


ENDLESS = 60
"""Pages the "endless" repository serves before it finally ends its list: far past the bounds the
tests set, so a harvester without them completes the list — and the test fails instead of hanging."""


def endless(records_per_page: int) -> Callable[[str, int], Reply]:
    """A repository whose list does not end: every page carries a token never seen before."""

    def respond(path: str, n: int) -> Reply:
        if "verb=Identify" in path:
            return Reply(identify())
        ids = [f"oai:h:{n}-{i}" for i in range(records_per_page)]
        return Reply(list_records(ids, token=f"t{n}" if n <= ENDLESS else None))

    return respond


def test_the_defaults() -> None:
    fields = Settings.model_fields
    assert fields["harvest_max_empty_pages"].default == 50
    assert 60 <= fields["harvest_request_deadline"].default <= 600  # "a few minutes"
    assert fields["harvest_max_pages"].default >= 1000


def test_endless_empty_pages_fail_the_run_after_the_configured_number(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    settings = make_settings(tmp_path, ledger_url, harvest_max_empty_pages=5)
    ledger = open_ledger(settings.db_url)
    with Hostile(endless(0)) as repository:
        started = time.monotonic()
        report = harvest_source(ledger, oai_source(repository.url), settings)
        assert time.monotonic() - started < 10
        assert len(repository.requests) == 1 + 5  # Identify, then five empty pages
        assert report["status"] == "failed"
        message = report["error"]["message"]
        assert "5 pages de suite sans aucune notice" in message and "5 pages in a row" in message
        assert "REN_HARVEST_MAX_EMPTY_PAGES" in message
        assert report["error"]["resume"].startswith("ren-index harvest hostile")
        [run] = the_runs(ledger)
        assert run.status == "failed" and "owner" not in run.checkpoint
        assert run.checkpoint["token"] == "t6"  # where it stopped
        # Not refused as "already running": the next harvest resumes from the token, bounded again.
        again = harvest_source(ledger, oai_source(repository.url), settings)
        assert again["status"] == "failed" and again["run_id"] == run.id
        assert repository.requests[7] == "/oai?verb=ListRecords&resumptionToken=t6"


def test_pages_with_records_reset_the_empty_count(tmp_path: Path, ledger_url: Callable[..., str]) -> None:
    """Only pages *in a row* count: a repository with a few empty pages between full ones is fine."""
    settings = make_settings(tmp_path, ledger_url, harvest_max_empty_pages=2)
    ledger = open_ledger(settings.db_url)

    def respond(path: str, n: int) -> Reply:
        if "verb=Identify" in path:
            return Reply(identify())
        page = n - 1  # 1..8
        ids = [f"oai:h:{page}"] if page % 2 == 0 else []
        return Reply(list_records(ids, token=f"t{n}" if page < 8 else None))

    with Hostile(respond) as repository:
        report = harvest_source(ledger, oai_source(repository.url), settings)
    assert report["status"] == "completed", report.get("error")
    assert report["counts"]["harvested"] == 4


def test_a_run_is_bounded_in_pages_and_resumes_from_where_it_stopped(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    settings = make_settings(tmp_path, ledger_url, harvest_max_pages=3)
    ledger = open_ledger(settings.db_url)
    with Hostile(endless(2)) as repository:
        report = harvest_source(ledger, oai_source(repository.url), settings)
        assert len(repository.requests) == 1 + 3
        assert report["status"] == "failed" and "REN_HARVEST_MAX_PAGES" in report["error"]["message"]
        assert report["counts"]["harvested"] == 6  # the pages fetched are kept
        again = harvest_source(ledger, oai_source(repository.url), settings)
    assert again["run_id"] == report["run_id"] and again["counts"]["harvested"] == 12


def test_a_body_sent_byte_by_byte_is_cut_at_the_deadline(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    settings = make_settings(tmp_path, ledger_url, harvest_request_deadline=1.5, harvest_timeout=5.0)
    ledger = open_ledger(settings.db_url)
    page = list_records([f"oai:h:{i}" for i in range(20)], None)

    def respond(path: str, n: int) -> Reply:
        if "verb=Identify" in path:
            return Reply(identify())
        # 40 bytes at 0.2 s each (every read well within the 5 s timeout), then the rest: 8 s
        return Reply(page, drip=0.2, drip_bytes=40)

    with Hostile(respond) as repository:
        started = time.monotonic()
        report = harvest_source(ledger, oai_source(repository.url), settings)
        elapsed = time.monotonic() - started
        assert len(repository.requests) == 2  # not retried (max_retries=2)
    assert elapsed < 4.5
    assert report["status"] == "failed"
    assert "REN_HARVEST_REQUEST_DEADLINE" in report["error"]["message"]
    assert "délai dépassé" in report["error"]["message"] and "deadline passed" in report["error"]["message"]
    [run] = the_runs(ledger)
    assert run.status == "failed" and "owner" not in run.checkpoint


def test_headers_sent_byte_by_byte_are_cut_at_the_deadline(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    """The socket timeout is per read: trickled headers escaped it as well as a trickled body."""
    settings = make_settings(tmp_path, ledger_url, harvest_request_deadline=1.5, harvest_timeout=5.0)
    ledger = open_ledger(settings.db_url)

    with Hostile(lambda path, n: Reply(identify(), drip=0.2, drip_bytes=40, drip_headers=True)) as repository:
        started = time.monotonic()
        report = harvest_source(ledger, oai_source(repository.url), settings)
        elapsed = time.monotonic() - started
        assert len(repository.requests) == 1
    assert elapsed < 4.5
    assert report["status"] == "failed" and "REN_HARVEST_REQUEST_DEADLINE" in report["error"]["message"]


def test_a_partner_feed_trickling_its_body_is_cut_at_the_deadline(
    tmp_path: Path, ledger_url: Callable[..., str]
) -> None:
    settings = make_settings(tmp_path, ledger_url, harvest_request_deadline=1.5, harvest_timeout=5.0)
    ledger = open_ledger(settings.db_url)
    body = "identifiant;titre\n" + "".join(f"R-{i};Titre {i}\n" for i in range(100))
    with Hostile(
        lambda path, n: Reply(body, headers={"Content-Type": "text/csv"}, drip=0.2, drip_bytes=40)
    ) as partner:
        source = SourceConfig.model_validate(
            {
                "id": "partenaire",
                "name": "Partenaire",
                "type": "csv",
                "url": partner.base + "/export.csv",
                "columns": {"id": "identifiant", "title": "titre"},
            }
        )
        started = time.monotonic()
        report = harvest_source(ledger, source, settings)
        assert time.monotonic() - started < 4.5
        assert len(partner.requests) == 1
    assert report["status"] == "failed" and "REN_HARVEST_REQUEST_DEADLINE" in report["error"]["message"]


@pytest.mark.parametrize("variable", ["REN_HARVEST_MAX_EMPTY_PAGES", "REN_HARVEST_MAX_PAGES"])
def test_bounds_below_one_are_refused(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    from ren_index.errors import ConfigError

    monkeypatch.setenv(variable, "0")
    with pytest.raises(ConfigError, match=variable):
        load_settings()


def test_a_non_positive_deadline_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from ren_index.errors import ConfigError

    monkeypatch.setenv("REN_HARVEST_REQUEST_DEADLINE", "0")
    with pytest.raises(ConfigError, match="REN_HARVEST_REQUEST_DEADLINE"):
        load_settings()
