"""Feed paging never leads the harvester off the source (issue 10, 1).

An Atom feed whose ``rel="next"`` pointed at an internal address was followed, and the internal
URL even became the run's saved resume token. Now a ``next`` URL is checked before it becomes a
page's token; a refused one is never fetched nor saved, the page's own records are kept, and the
run fails naming the URL and the rule. WordPress ``?paged=N`` walks stay on the feed's host, and
a redirect or a resume token saved by an older version is checked like any other URL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.sources import SourceConfig
from ren_index.harvest.addresses import AddressPolicy
from ren_index.harvest.documents import DocumentClient
from ren_index.harvest.feeds import FeedHarvester
from ren_index.ledger import store
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun, RawRecordRow
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source

from .test_harvest_redirects import resolver
from .test_harvest_servers import FIXTURES, SECRET, Hostile, Reply, Trap, make_settings

ATOM = "application/atom+xml"
RSS = "application/rss+xml"


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return make_settings(tmp_path, ledger_url)


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)


@pytest.fixture
def trap() -> Iterator[Trap]:
    with Trap() as listener:
        yield listener


def feed_source(url: str, **extra: Any) -> SourceConfig:
    return SourceConfig.model_validate({"id": "flux", "name": "Flux", "type": "rss", "url": url, **extra})


def atom_pointing_at(next_href: str) -> bytes:
    """The project's Atom fixture with its ``rel="next"`` replaced."""
    body = (FIXTURES / "feeds" / "atom-1.xml").read_text(encoding="utf-8")
    return body.replace(
        '<link rel="next" href="/atom/2"/>', f'<link rel="next" href="{next_href}"/>'
    ).encode()


def runs(ledger: sessionmaker[Session]) -> list[HarvestRun]:
    with ledger() as session:
        return list(session.scalars(select(HarvestRun).order_by(HarvestRun.id)))


def stored(ledger: sessionmaker[Session]) -> int:
    with ledger() as session:
        return len(list(session.scalars(select(RawRecordRow.identifier))))


def test_an_atom_next_link_to_an_internal_address_is_refused_and_never_saved(
    ledger: sessionmaker[Session], settings: Settings, trap: Trap
) -> None:
    with Hostile(lambda path, n: Reply(atom_pointing_at(trap.url), headers={"Content-Type": ATOM})) as feed:
        report = harvest_source(ledger, feed_source(feed.url), settings)
        assert feed.requests == ["/oai"]  # the feed, once; no retry
        assert trap.connections == 0
        assert report["status"] == "failed"
        assert trap.url in report["error"]["message"] and "non-public" in report["error"]["message"]
        assert SECRET not in json.dumps(report)
        [run] = runs(ledger)
        assert run.status == "failed"
        assert trap.url not in json.dumps(run.checkpoint)  # never the resume token
        assert run.checkpoint.get("token") is None
        assert stored(ledger) == 1  # the feed's own entry is kept
        # Resuming does not reach the trap either, and is not refused as "already running".
        again = harvest_source(ledger, feed_source(feed.url), settings)
        assert feed.requests == ["/oai", "/oai"]
    assert again["status"] == "failed" and again["run_id"] == run.id
    assert trap.url in again["error"]["message"]
    assert trap.connections == 0


def test_an_atom_next_link_to_a_name_resolving_inside_is_refused(
    ledger: sessionmaker[Session], settings: Settings, trap: Trap
) -> None:
    """Rule (b) through the feed harvester: the resolver says ``public.example`` is 127.0.0.1."""
    target = f"http://public.example:{trap.port}/feed?page=2"
    with Hostile(lambda path, n: Reply(atom_pointing_at(target), headers={"Content-Type": ATOM})) as feed:
        policy = AddressPolicy(feed.url, resolver=resolver({"public.example": ["127.0.0.1"]}))
        harvester = FeedHarvester(feed.url, DocumentClient(timeout=5, max_retries=2, policy=policy))
        report = harvest_source(ledger, feed_source(feed.url), settings, harvester=harvester)
    assert report["status"] == "failed" and target in report["error"]["message"]
    assert trap.connections == 0
    assert target not in json.dumps(runs(ledger)[0].checkpoint)


def test_a_relative_next_link_on_the_feed_is_followed(
    ledger: sessionmaker[Session], settings: Settings
) -> None:
    second = (FIXTURES / "feeds" / "atom-2.xml").read_bytes()

    def respond(path: str, n: int) -> Reply:
        body = atom_pointing_at("/atom/2") if path == "/oai" else second
        return Reply(body, headers={"Content-Type": ATOM})

    with Hostile(respond) as feed:
        report = harvest_source(ledger, feed_source(feed.url), settings)
        assert feed.requests == ["/oai", "/atom/2"]
    assert report["status"] == "completed", report.get("error")


def test_wordpress_paging_stays_on_the_feed_and_its_redirects_are_checked(
    ledger: sessionmaker[Session], settings: Settings, trap: Trap
) -> None:
    first = (FIXTURES / "feeds" / "wordpress-1.xml").read_bytes()

    def respond(path: str, n: int) -> Reply:
        if path == "/feed/":
            return Reply(first, headers={"Content-Type": RSS})
        return Reply(b"", status=302, headers={"Location": trap.url})  # ?paged=2 sends us inside

    with Hostile(respond) as blog:
        report = harvest_source(ledger, feed_source(blog.base + "/feed/"), settings)
        assert blog.requests == ["/feed/", "/feed/?paged=2"]  # the walk stays on the blog
    assert trap.connections == 0
    assert report["status"] == "failed" and trap.url in report["error"]["message"]
    assert stored(ledger) == 2  # page 1's posts are kept


def test_a_resume_token_saved_by_an_older_version_is_checked_before_use(
    ledger: sessionmaker[Session], settings: Settings, trap: Trap
) -> None:
    """Before the fix, a hostile ``next`` became the checkpoint; resuming it must not fetch it."""
    with Hostile(lambda path, n: Reply(atom_pointing_at("/atom/2"), headers={"Content-Type": ATOM})) as feed:
        source = feed_source(feed.url)
        with ledger.begin() as session:
            store.sync_source(session, source)
            session.add(
                HarvestRun(
                    source_id=source.id,
                    kind="harvest",
                    status="failed",
                    full=True,
                    checkpoint={"set_index": 0, "token": trap.url},
                    counts={"harvested": 1},
                    error={"message": "interrompue / interrupted"},
                )
            )
        report = harvest_source(ledger, source, settings)
        assert feed.requests == []
    assert trap.connections == 0
    assert report["status"] == "failed" and trap.url in report["error"]["message"]
    assert "only http" not in report["error"]["message"]  # refused for where it leads
