"""The webhook: a JSON message when a run fails or is held, received by a local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source

from .conftest import CsvServer, csv_body, csv_rows, csv_source

MESSAGE_KEYS = {"event", "source", "run_id", "status", "counts", "message_fr", "message_en", "report"}


class Receiver:
    """A webhook receiver that keeps every JSON body it is sent."""

    def __init__(self, status: int = 204) -> None:
        self.messages: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.messages.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def test_a_held_run_is_announced(
    ledger: sessionmaker[Session], settings: Settings, csv_server: CsvServer, receiver: Receiver
) -> None:
    hooked = settings.model_copy(update={"webhook_url": receiver.url})
    source = csv_source(csv_server.url)
    harvest_source(ledger, source, hooked)
    assert receiver.messages == []  # a good run bothers no one
    csv_server.body = csv_body(csv_rows(10))
    report = harvest_source(ledger, source, hooked)
    [message] = receiver.messages
    assert set(message) == MESSAGE_KEYS
    assert message["event"] == "run_held" and message["status"] == "held"
    assert message["source"] == "partenaire" and message["run_id"] == report["run_id"]
    assert message["counts"]["withdrawn"] == 20
    assert f"ren-index runs release {report['run_id']}" in message["message_fr"]
    assert message["report"]["hold"]["reasons"] == ["RECORD_COUNT_DROP"]


def test_a_failed_run_is_announced_with_how_to_resume(
    ledger: sessionmaker[Session], settings: Settings, receiver: Receiver
) -> None:
    hooked = settings.model_copy(update={"webhook_url": receiver.url})
    report = harvest_source(ledger, csv_source("http://127.0.0.1:9/export.csv"), hooked)
    assert report["status"] == "failed"
    [message] = receiver.messages
    assert message["event"] == "run_failed" and set(message) == MESSAGE_KEYS
    assert "ren-index harvest partenaire" in message["message_fr"]
    assert message["report"]["error"]["resume"]


def test_a_receiver_that_is_down_never_fails_the_run(
    ledger: sessionmaker[Session], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    hooked = settings.model_copy(update={"webhook_url": "http://127.0.0.1:9/hook", "webhook_timeout": 1.0})
    report = harvest_source(ledger, csv_source("http://127.0.0.1:9/export.csv"), hooked)
    assert report["status"] == "failed"
    assert "notification not sent" in caplog.text


def test_an_error_answer_is_logged_not_raised(ledger: sessionmaker[Session], settings: Settings) -> None:
    refusing = Receiver(status=500)
    try:
        from ren_index.runs.notify import notify_run

        hooked = settings.model_copy(update={"webhook_url": refusing.url})
        assert notify_run(hooked, {"status": "failed", "source": "s", "run_id": 1, "counts": {}}) is False
        assert notify_run(hooked, {"status": "completed", "source": "s", "run_id": 1}) is False
        assert len(refusing.messages) == 1
    finally:
        refusing.close()
