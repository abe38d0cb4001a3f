"""No harvested or configured text is ever read as rich markup by the command line (issue 10, 5).

Titles, OAI-PMH error texts, source names, URLs and schedules, a broken entry's error, user names
and the demo's hits all hold rich markup here (``[/bold]`` closes a tag never opened, ``[link=…]``
would make a terminal hyperlink, ``:thumbs_up:`` an emoji). Each command that prints them must
print them as written and exit as it would with plain text; before, ``[/bold]`` made ``queue``,
``review show``, ``search``, ``harvest``, ``runs`` and ``sources list`` end with a ``MarkupError``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer

ROOT = Path(__file__).resolve().parents[2]

MARKUP = "[/bold] [red]x[/red] [link=file:///etc/passwd]y :thumbs_up:"
"""59 characters: whole in the queue's title column (60)."""
OAI_ERROR = "[/bold] argument [red]refusé[/red] [link=file:///etc/passwd]z"
SOURCE_NAME = "Dépôt [/bold] [blue]bleu[/blue] :smile:"
BROKEN_ID = "[/bold]x"
DEAD_URL = "http://127.0.0.1:9/oai/[link=file:///etc/passwd]u[/link]"
RECORD_URL = "https://example.org/[link=file:///etc/passwd]r[/link]"
BAD_DATE = "[/bold] [red]hier[/red]"
"""A date the checks quote in their issue message (« … » n'est pas au format W3CDTF)."""
SCHEDULE = "[/bold] 0 3 * * *"
VALID_SCHEDULE = "0 3 * * *"
WORD = "zorglub"


def oai_error(text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate>"
        '<request verb="Identify">http://127.0.0.1/oai</request>'
        f'<error code="badArgument">{text}</error></OAI-PMH>'
    ).encode()


class ErrorServer:
    """A repository that answers every request with an OAI-PMH error whose text is markup."""

    def __init__(self, body: bytes) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/oai"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> ErrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@dataclass
class Workspace:
    env: dict[str, str]
    prefix: str

    def with_broken_entry(self) -> Workspace:
        """The same ledger and index, with a ``sources.yaml`` holding a broken entry too."""
        config = Path(self.env["REN_CONFIG_DIR"]).with_name("broken-config")
        return Workspace({**self.env, "REN_CONFIG_DIR": str(config)}, self.prefix)

    def ren(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """The real command, as a librarian runs it."""
        return subprocess.run(
            [sys.executable, "-m", "ren_index", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
        )


def literal(result: subprocess.CompletedProcess[str], *texts: str) -> None:
    """The command did its job and printed each text exactly as written, nothing read as markup."""
    output = result.stdout + result.stderr
    assert "MarkupError" not in output and "Traceback" not in output, output
    for text in texts:
        assert text in output, f"{text!r} not printed as is in:\n{output}"
    assert "\N{THUMBS UP SIGN}" not in output and "\N{SMILING FACE WITH SMILING EYES}" not in output


@pytest.fixture(scope="module")
def workspace(
    tmp_path_factory: pytest.TempPathFactory,
    session_ledger_url: Callable[..., str],
    opensearch_url: str,
) -> Iterator[Workspace]:
    tmp = tmp_path_factory.mktemp("markup")
    records = [r for r in demo_records() if r.metadata_format == "lom"]
    marked = [
        replace(r, title=f"{MARKUP} {WORD}", url=RECORD_URL, created=BAD_DATE)
        if i == 0
        else replace(r, title=f"{MARKUP} {r.title}")
        for i, r in enumerate(records)
    ]
    prefix = f"test-markup-{uuid.uuid4().hex[:8]}"
    with DemoOaiServer(records=marked, page_size=30) as demo, ErrorServer(oai_error(OAI_ERROR)) as bad:
        config = tmp / "config"
        shutil.copytree(ROOT / "config", config)
        (config / "sources.yaml").write_text(
            "sources:\n"
            f"  demo-lom:\n    name: {json.dumps(SOURCE_NAME)}\n    type: oai\n    url: {demo.url}\n"
            f"    metadata_prefix: lom\n    schedule: {json.dumps(VALID_SCHEDULE)}\n"
            f"  erreur:\n    type: oai\n    url: {bad.url}\n"
            # A cron is read when the file is: a schedule holding markup is a broken entry whose
            # error quotes it (issue 13); it must still be printed as written.
            f"  horaire:\n    type: oai\n    url: {bad.url}\n    schedule: {json.dumps(SCHEDULE)}\n"
            f"  lien:\n    type: oai\n    url: {json.dumps(DEAD_URL)}\n",
            encoding="utf-8",
        )
        # The same sources and one broken entry whose id is markup, for the tests that need it.
        broken = tmp / "broken-config"
        shutil.copytree(config, broken)
        with (broken / "sources.yaml").open("a", encoding="utf-8") as sources:
            sources.write(f"  {json.dumps(BROKEN_ID)}:\n    type: oia\n    url: {json.dumps(DEAD_URL)}\n")
        env = {
            **os.environ,
            "COLUMNS": "600",  # tables wide enough to keep every cell on one line
            "REN_DATA_DIR": str(tmp / "var"),
            "REN_DATABASE_URL": session_ledger_url("markup", folder=tmp / "var"),
            "REN_CONFIG_DIR": str(config),
            "REN_OPENSEARCH_URL": opensearch_url,
            "REN_INDEX_PREFIX": prefix,
            "REN_HARVEST_MAX_RETRIES": "0",
            "REN_HARVEST_TIMEOUT": "5",
        }
        space = Workspace(env, prefix)
        harvested = space.ren("harvest", "demo-lom")
        assert harvested.returncode == 0, harvested.stderr
        literal(harvested)
        processed = space.ren("process", "demo-lom")
        assert processed.returncode == 0, processed.stderr
        try:
            yield space
        finally:
            OpenSearch(hosts=[opensearch_url]).indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


def marked_record(space: Workspace) -> dict[str, str]:
    records = json.loads(space.ren("queue", "--status", "all", "--json").stdout)
    return next(
        r for r in records if r["title"]["fr"] == f"{MARKUP} {WORD}" or r["title"]["en"] == f"{MARKUP} {WORD}"
    )


@pytest.mark.integration
def test_queue_prints_titles_literally(workspace: Workspace) -> None:
    queue = workspace.ren("queue", "--status", "all")
    assert queue.returncode == 0
    literal(queue, MARKUP)


@pytest.mark.integration
def test_review_show_prints_title_and_issues_literally(workspace: Workspace) -> None:
    record = marked_record(workspace)
    shown = workspace.ren("review", "show", record["id"])
    assert shown.returncode == 0
    literal(shown, f"{MARKUP} {WORD}", RECORD_URL, f"« {BAD_DATE} »")


@pytest.mark.integration
def test_approve_then_search_prints_title_literally(workspace: Workspace) -> None:
    record = marked_record(workspace)
    approved = workspace.ren("review", "approve", record["id"])
    assert approved.returncode == 0, approved.stderr
    literal(approved)
    assert workspace.ren("index").returncode == 0
    found = workspace.ren("search", WORD)
    assert found.returncode == 0, found.stderr
    literal(found, f"{MARKUP} {WORD}", RECORD_URL)


@pytest.mark.integration
def test_harvest_and_runs_print_the_oai_error_text_literally(workspace: Workspace) -> None:
    failed = workspace.ren("harvest", "erreur")
    assert failed.returncode == 1  # a failed harvest, not a crash of the command
    # badArgument would come back on a second try: the hint says what to fix (issue 13), not resume
    literal(failed, OAI_ERROR, "corriger / fix: vérifier sets et metadata_prefix dans sources.yaml")
    runs = workspace.ren("runs")
    assert runs.returncode == 0
    literal(runs, OAI_ERROR)
    unreachable = workspace.ren("harvest", "lien")  # its URL is in the request that failed
    assert unreachable.returncode == 1
    literal(unreachable, "ren-index harvest lien")


@pytest.mark.integration
def test_sources_list_prints_names_urls_and_broken_entries_literally(workspace: Workspace) -> None:
    listing = workspace.ren("sources", "list")
    assert listing.returncode == 0
    literal(listing, SOURCE_NAME)
    with_broken = workspace.with_broken_entry().ren("sources", "list")
    assert with_broken.returncode == 0
    literal(with_broken, SOURCE_NAME, BROKEN_ID, f"source {BROKEN_ID!r}")


@pytest.mark.integration
def test_schedule_list_prints_the_configured_schedule_literally(workspace: Workspace) -> None:
    listing = workspace.ren("schedule", "list")
    assert listing.returncode == 0
    literal(listing, SCHEDULE)
    with_broken = workspace.with_broken_entry().ren("schedule", "list")
    assert with_broken.returncode == 0
    literal(with_broken, SCHEDULE, f"source {BROKEN_ID!r}")


@pytest.mark.integration
def test_naming_a_source_whose_id_is_markup_prints_it_literally(workspace: Workspace) -> None:
    harvested = workspace.with_broken_entry().ren("harvest", BROKEN_ID)
    assert harvested.returncode == 1
    literal(harvested, f"source {BROKEN_ID!r}: id: ")
    assert len(harvested.stderr.strip().splitlines()) == 1


@pytest.mark.integration
def test_users_list_prints_names_literally(workspace: Workspace) -> None:
    name = "[red]marie[/red] [/bold]"
    added = workspace.ren(
        "users", "add", name, "--role", "librarian", "--password-stdin", stdin="x" * 20 + "\n"
    )
    assert added.returncode == 0, added.stderr
    literal(added, name)
    listing = workspace.ren("users", "list")
    assert listing.returncode == 0
    literal(listing, name)


def test_demo_summary_prints_hits_literally() -> None:
    """The demo's records are bundled (nothing to inject through the command): its summary
    printer gets a hit whose title and URL are markup, through the CLI's own console."""
    from ren_index.cli.demo import print_summary
    from ren_index.cli.support import out_console
    from ren_index.demo.runner import DemoHit, DemoSummary

    summary = DemoSummary(
        elapsed=1.0,
        counts={"demo-lom": dict.fromkeys(("total", "approved", "needs_review", "rejected", "deleted"), 1)},
        query="fractions",
        total=1,
        hits=[DemoHit(score=1.0, title=MARKUP, url=DEAD_URL)],
    )
    with out_console.capture() as captured:
        width, out_console.width = out_console.width, 600
        try:
            print_summary(summary)
        finally:
            out_console.width = width
    printed = captured.get()
    assert MARKUP in printed and DEAD_URL in printed
