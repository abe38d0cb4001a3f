"""A crash of any kind during a harvest leaves the run ``failed``, never ``running`` (issue 10, 4).

Before, only a :class:`HarvestError` was caught: a ``RecursionError`` from a deeply nested JSON-LD
document, a ``csv.Error`` from an oversized cell or any bug left the run ``running`` with its error
unrecorded, nobody told, and the user read a traceback. Now any exception is recorded on the run
(``failed``, its class and message in ``error``, the resume hint), the lock is released, the webhook
— a real local receiver here — is told, and the command line prints it on one line.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.harvest.base import Page
from ren_index.harvest.oai import OaiHarvester
from ren_index.harvest.oai_response import IdentifyInfo
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun
from ren_index.settings import Settings
from ren_index.steps import harvest as harvest_step
from ren_index.steps.harvest import harvest_source

from .test_harvest_servers import ROOT, make_settings, oai_source


class Receiver:
    """A webhook receiver on 127.0.0.1 that keeps every JSON body it is sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.messages.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
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


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str], receiver: Receiver) -> Settings:
    return make_settings(tmp_path, ledger_url, webhook_url=receiver.url)


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)


@pytest.fixture
def repository() -> Iterator[DemoOaiServer]:
    records = [r for r in demo_records() if r.metadata_format == "lom"][:25]
    with DemoOaiServer(records=records, page_size=10) as server:
        yield server


CRASHES: list[BaseException] = [
    RecursionError("maximum recursion depth exceeded while decoding a JSON array"),
    csv.Error("field larger than field limit (131072)"),
    KeyError("dc:title"),
]


class Exploding(OaiHarvester):
    """A real OAI harvester that crashes after its first page, or in ``Identify``."""

    def __init__(self, url: str, crash: BaseException, *, in_identify: bool = False) -> None:
        super().__init__(url, "lom", timeout=5, max_retries=0)
        self.crash = crash
        self.in_identify = in_identify

    def identify(self) -> IdentifyInfo:
        if self.in_identify:
            raise self.crash
        return super().identify()

    def pages(self, **window: Any) -> Iterator[Page]:
        for number, page in enumerate(super().pages(**window)):
            if number == 1:
                raise self.crash
            yield page


def the_run(ledger: sessionmaker[Session]) -> HarvestRun:
    with ledger() as session:
        return session.scalars(select(HarvestRun).order_by(HarvestRun.id.desc())).first()  # type: ignore[return-value]


@pytest.mark.parametrize("crash", CRASHES, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("in_identify", [False, True], ids=["mid-list", "identify"])
def test_an_unexpected_exception_fails_the_run_and_tells_the_webhook(
    ledger: sessionmaker[Session],
    settings: Settings,
    repository: DemoOaiServer,
    receiver: Receiver,
    crash: BaseException,
    in_identify: bool,
) -> None:
    source = oai_source(repository.url, metadata_prefix="lom")
    name = type(crash).__name__
    report = harvest_source(
        ledger, source, settings, harvester=Exploding(repository.url, crash, in_identify=in_identify)
    )
    assert report["status"] == "failed"
    assert name in report["error"]["message"] and str(crash.args[0]) in report["error"]["message"]
    assert report["error"]["resume"].startswith("ren-index harvest hostile")
    run = the_run(ledger)
    assert run.status == "failed" and run.finished_at is not None
    assert run.error is not None and name in run.error["message"]
    assert "owner" not in run.checkpoint  # the lock is released
    [message] = receiver.messages
    assert message["event"] == "run_failed" and message["run_id"] == run.id
    assert name in message["message_fr"] and name in message["message_en"]
    # Not refused as "already running": the next harvest resumes and completes.
    again = harvest_source(ledger, source, settings)
    assert again["status"] == "completed" and again["run_id"] == run.id
    assert the_run(ledger).status == "completed"


def test_a_crash_while_finishing_the_run_fails_it_too(
    ledger: sessionmaker[Session],
    settings: Settings,
    repository: DemoOaiServer,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the last page (guard, withdrawals) is still part of the harvest."""

    def broken_guard(*args: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(harvest_step, "assess", broken_guard)
    report = harvest_source(ledger, oai_source(repository.url, metadata_prefix="lom"), settings)
    assert report["status"] == "failed" and "ZeroDivisionError" in report["error"]["message"]
    assert the_run(ledger).status == "failed"
    assert [m["event"] for m in receiver.messages] == ["run_failed"]


def test_an_interruption_still_propagates_and_leaves_the_run_resumable(
    ledger: sessionmaker[Session], settings: Settings, repository: DemoOaiServer, receiver: Receiver
) -> None:
    """Ctrl-C is not a crash: it stops the command, the run stays resumable, nobody is paged."""
    with pytest.raises(KeyboardInterrupt):
        harvest_source(
            ledger,
            oai_source(repository.url, metadata_prefix="lom"),
            settings,
            harvester=Exploding(repository.url, KeyboardInterrupt()),
        )
    run = the_run(ledger)
    assert run.status == "running" and "owner" not in run.checkpoint
    assert receiver.messages == []


def test_the_command_line_prints_a_crash_on_one_line_without_a_traceback(
    tmp_path: Path,
    ledger_url: Callable[..., str],
    repository: DemoOaiServer,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ren_index.cli.main import app

    config = tmp_path / "config"
    config.mkdir()
    for name in ("portals.yaml", "validation.yaml"):
        (config / name).write_text((ROOT / "config" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (config / "sources.yaml").write_text(
        f"sources:\n  hostile:\n    type: oai\n    url: {repository.url}\n    metadata_prefix: lom\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(
        harvest_step,
        "make_harvester",
        lambda source, settings: Exploding(source.url, RecursionError("maximum recursion depth exceeded")),
    )
    env = {
        "REN_DATA_DIR": str(tmp_path / "var"),
        "REN_DATABASE_URL": ledger_url("cli"),
        "REN_CONFIG_DIR": str(config),
        "REN_WEBHOOK_URL": receiver.url,
    }
    result = CliRunner().invoke(app, ["harvest", "hostile"], env=env)
    output = result.stdout + result.stderr
    assert result.exit_code == 1, output
    assert "Traceback" not in output and 'File "' not in output
    assert "RecursionError: maximum recursion depth exceeded" in output
    assert [m["event"] for m in receiver.messages] == ["run_failed"]
