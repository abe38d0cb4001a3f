"""Callbacks: decisions POSTed in order to a real local receiver, retried, given up, never raising."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.contributions import platforms, service
from ren_index.contributions.callbacks import deliver_pending
from ren_index.contributions.platforms import PlatformInfo
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import Event, Platform, utcnow
from ren_index.review.decisions import decide_by_person, withdraw
from ren_index.settings import Settings, load_settings
from ren_index.web import accounts

from .conftest import body

NewPlatform = Callable[..., tuple[PlatformInfo, str]]


class Receiver:
    """A platform's callback endpoint on 127.0.0.1: records what it is sent, answers as told."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        """Answers to give, in order (then 204)."""
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                document = json.loads(self.rfile.read(length))
                time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                if status < 300:
                    receiver.received.append(document)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rappels"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def settings_for(ledger_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": ledger_url,
        "callback_allow_hosts": ["127.0.0.1"],
        "callback_timeout": 2.0,
        **overrides,
    }
    return load_settings(**values)


@pytest.fixture
def settings(ledger: sessionmaker[Session], tmp_path: Path) -> Settings:
    return settings_for(str(ledger.kw["bind"].url.render_as_string(hide_password=False)), tmp_path)


@pytest.fixture
def documentalist(ledger: sessionmaker[Session]) -> str:
    with ledger() as session:
        accounts.set_user(session, "dora", "documentalist", "un mot de passe assez long")
        session.commit()
    return "dora"


def expire_backoff(ledger: sessionmaker[Session], name: str = "ma-classe") -> None:
    with ledger.begin() as session:
        session.get_one(Platform, name).callback_next_at = utcnow() - timedelta(seconds=1)


def test_every_decision_reaches_the_platform_in_order(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    settings: Settings,
    new_platform: NewPlatform,
    receiver: Receiver,
    documentalist: str,
) -> None:
    platform, _key = new_platform(callback_url=receiver.url)
    first = service.submit_json(ledger, rulebook, platform, body("a"))
    second = service.submit_json(ledger, rulebook, platform, body("b"))
    decide_by_person(ledger, first.id, "approved", actor=documentalist)
    decide_by_person(ledger, second.id, "rejected", actor=documentalist, comment="Hors mandat.")
    withdraw(ledger, first.id, actor=documentalist, comment="Lien brisé.")
    decide_by_person(ledger, first.id, "approved", actor=documentalist)
    service.submit_json(ledger, rulebook, platform, body("a", description="Version revue par l'autrice."))
    service.delete_contribution(ledger, rulebook, platform, "b")

    counts = deliver_pending(ledger, settings)
    assert counts == {"delivered": 6, "failed": 0, "abandoned": 0, "waiting": 0, "errors": 0}
    told = [
        (d["external_id"], d["status"], d["decision"]["by_role"], d["decision"]["reason"])
        for d in receiver.received
    ]
    assert told == [
        ("a", "approved", "documentalist", None),
        ("b", "rejected", "documentalist", "Hors mandat."),
        ("a", "needs_review", "documentalist", "Lien brisé."),
        ("a", "approved", "documentalist", None),
        ("a", "needs_review", "rules", None),  # the author changed it: back to the queue
        ("b", "deleted", "rules", None),  # the author withdrew it
    ]
    ids = [d["event_id"] for d in receiver.received]
    assert ids == sorted(ids)
    assert set(receiver.received[0]) == {"event_id", "id", "external_id", "status", "decision", "at"}
    assert "dora" not in json.dumps(receiver.received)
    assert deliver_pending(ledger, settings)["delivered"] == 0  # nothing twice
    assert len(receiver.received) == 6


def test_a_failed_delivery_is_retried_later_with_backoff(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    settings: Settings,
    new_platform: NewPlatform,
    receiver: Receiver,
    documentalist: str,
) -> None:
    platform, _key = new_platform(callback_url=receiver.url)
    found = service.submit_json(ledger, rulebook, platform, body())
    decide_by_person(ledger, found.id, "approved", actor=documentalist)
    receiver.statuses = [503]
    assert deliver_pending(ledger, settings)["failed"] == 1
    with ledger() as session:
        row = session.get_one(Platform, "ma-classe")
        assert (
            row.callback_attempts == 1
            and row.callback_next_at is not None
            and row.callback_next_at > utcnow()
        )
    assert deliver_pending(ledger, settings)["waiting"] == 1  # not before its time
    assert receiver.received == []
    expire_backoff(ledger)
    assert deliver_pending(ledger, settings)["delivered"] == 1
    assert [d["status"] for d in receiver.received] == ["approved"]
    with ledger() as session:
        assert session.get_one(Platform, "ma-classe").callback_attempts == 0


def test_an_event_is_given_up_after_the_last_attempt_and_the_next_ones_go_on(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    tmp_path: Path,
    new_platform: NewPlatform,
    receiver: Receiver,
    documentalist: str,
) -> None:
    url = ledger.kw["bind"].url.render_as_string(hide_password=False)
    settings = settings_for(url, tmp_path, callback_max_attempts=2)
    platform, _key = new_platform(callback_url=receiver.url)
    first = service.submit_json(ledger, rulebook, platform, body("a"))
    second = service.submit_json(ledger, rulebook, platform, body("b"))
    decide_by_person(ledger, first.id, "approved", actor=documentalist)
    decide_by_person(ledger, second.id, "approved", actor=documentalist)
    receiver.statuses = [500, 500]
    assert deliver_pending(ledger, settings)["failed"] == 1
    expire_backoff(ledger)
    assert deliver_pending(ledger, settings)["abandoned"] == 1
    with ledger() as session:
        given_up = session.scalars(select(Event).where(Event.action == "callback_abandoned")).one()
    assert (
        given_up.source_id == "ma-classe"
        and given_up.after is not None
        and "HTTP 500" in given_up.after["last_error"]
    )
    assert deliver_pending(ledger, settings)["delivered"] == 1
    assert [d["external_id"] for d in receiver.received] == ["b"]


def test_the_address_policy_applies_without_an_allowance(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    tmp_path: Path,
    new_platform: NewPlatform,
    receiver: Receiver,
    documentalist: str,
) -> None:
    url = ledger.kw["bind"].url.render_as_string(hide_password=False)
    strict = settings_for(url, tmp_path, callback_allow_hosts=[])
    platform, _key = new_platform(callback_url=receiver.url)
    found = service.submit_json(ledger, rulebook, platform, body())
    decide_by_person(ledger, found.id, "approved", actor=documentalist)
    assert deliver_pending(ledger, strict)["failed"] == 1
    assert receiver.received == []  # 127.0.0.1 was never asked


def test_a_slow_receiver_holds_a_call_for_a_bounded_time(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    tmp_path: Path,
    new_platform: NewPlatform,
    receiver: Receiver,
    documentalist: str,
) -> None:
    url = ledger.kw["bind"].url.render_as_string(hide_password=False)
    settings = settings_for(url, tmp_path, callback_timeout=0.5)
    platform, _key = new_platform(callback_url=receiver.url)
    found = service.submit_json(ledger, rulebook, platform, body())
    decide_by_person(ledger, found.id, "approved", actor=documentalist)
    receiver.delay = 3.0
    started = time.monotonic()
    assert deliver_pending(ledger, settings)["failed"] == 1
    assert time.monotonic() - started < 2.0


def test_delivering_never_raises(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    settings: Settings,
    new_platform: NewPlatform,
    documentalist: str,
    tmp_path: Path,
) -> None:
    platform, _key = new_platform(callback_url="https://ma-classe.example.qc.ca/rappels")
    found = service.submit_json(ledger, rulebook, platform, body())
    decide_by_person(ledger, found.id, "approved", actor=documentalist)

    def broken(url: str, document: dict[str, Any]) -> int:
        raise RuntimeError("the receiver's library blew up")

    assert deliver_pending(ledger, settings, post=broken)["failed"] == 1
    (tmp_path / "not-a-db").write_bytes(b"this is not a ledger" * 10)
    gone = open_ledger(f"sqlite:///{tmp_path / 'gone.db'}")
    gone.kw["bind"].dispose()
    (tmp_path / "gone.db").write_bytes(b"garbage" * 100)
    assert deliver_pending(gone, settings)["errors"] == 1
    bad_hosts = settings.model_copy(update={"callback_allow_hosts": ["http://not a host/"]})
    assert deliver_pending(ledger, bad_hosts)["errors"] == 1


def test_revoked_platforms_and_platforms_without_callback_are_not_called(
    ledger: sessionmaker[Session],
    rulebook: Rulebook,
    settings: Settings,
    new_platform: NewPlatform,
    receiver: Receiver,
    documentalist: str,
) -> None:
    quiet, _ = new_platform("sans-rappel")
    revoked, _ = new_platform("revoquee", callback_url=receiver.url)
    for platform in (quiet, revoked):
        found = service.submit_json(ledger, rulebook, platform, body())
        decide_by_person(ledger, found.id, "approved", actor=documentalist)
    platforms.revoke(ledger, "revoquee")
    assert deliver_pending(ledger, settings)["delivered"] == 0
    assert receiver.received == []
