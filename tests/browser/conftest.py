"""The real review app, in a real browser: Debian's Chromium driven by Playwright (sync API).

One app per test session, built the way production runs it: the two demo OAI-PMH repositories
(LOM and Dublin Core, as ``ren-index demo`` serves them) harvested into a fresh SQLite ledger,
processed with the repository's ``config/`` and indexed into the real OpenSearch node under a
prefix of its own; two accounts (documentalist ``dora``, librarian ``lib``); ``create_app`` served
by uvicorn on a free local port. The Dublin Core catalogue gets hostile records added (an
``onerror`` image, a ``javascript:`` link, markup in a title) beside the demo's own
``<script>alert(1)</script>`` description.

Every test gets a fresh browser context with a :class:`PageGuard` that collects console errors,
uncaught page errors and Content-Security-Policy violations (``window.__cspViolations``, filled by
an init script), so a test can assert that each page it visits is clean. Screenshots go to
``tests/browser/artifacts/`` and are always written: they are the test's artifacts.

Chromium missing → skip, unless ``REN_REQUIRE_BROWSER=1`` (``scripts/test``, CI): then fail.
OpenSearch missing → the ``opensearch_url`` fixture skips, or fails under ``REN_REQUIRE_OPENSEARCH=1``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from opensearchpy import OpenSearch
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.rulebook import Rulebook
from ren_index.config.rules import load_portals
from ren_index.config.sources import SourceConfig
from ren_index.demo.catalogue import DemoRecord, demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.index.client import make_client
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import ResourceRow
from ren_index.ledger.store import resource_id
from ren_index.settings import Settings, load_settings
from ren_index.steps.harvest import harvest_source
from ren_index.steps.index import index_changes
from ren_index.steps.process import process_source
from ren_index.web import accounts

PORTAL_IDS = list(load_portals(Path(__file__).resolve().parents[2] / "config"))

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_ENV = "REN_REQUIRE_BROWSER"
PASSWORD = "correct horse battery staple"
DOCUMENTALIST, LIBRARIAN = "dora", "lib"
DEMO_FORMATS = {"demo-lom": "lom", "demo-dc": "oai_dc"}
"""Demo source id → the format its endpoint serves (as in ``ren_index.demo.runner``)."""
TIMEOUT_MS = 15_000

ONERROR_DESCRIPTION = (
    "Fiche d'exercices sur les fractions.<img src=x onerror=\"alert('onerror')\">"
    "<svg onload=\"alert('svg')\"></svg> Bonne pratique !"
)
JAVASCRIPT_DESCRIPTION = (
    "Guide de l'enseignant. <a href=\"javascript:alert('lien')\">Cliquez ici</a> "
    "<a href=\"JaVaScRiPt:alert('casse')\">ou ici</a> pour le corrigé."
)
HOSTILE_TITLE_SUFFIX = " <img src=x onerror=\"alert('titre')\">"

CSP_INIT_SCRIPT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample});
});
"""


def _unavailable(reason: str) -> None:
    """Skip, or fail when the run requires the browser tests (``REN_REQUIRE_BROWSER=1``)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium, and Playwright to drive it (a downloaded browser cannot work here)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: `apt-get install chromium` (scripts/test does it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed in this environment (`pip install playwright`)")
    return CHROMIUM


# -- the data: demo catalogue with hostile records, harvested, processed, indexed ------------


@dataclass(frozen=True)
class Hostile:
    """The records whose harvested text is an attack, by what they carry."""

    script: str
    """The demo's own record with ``<p>…</p><script>alert(1)</script>`` in its description."""
    onerror: str
    """``<img onerror>`` and ``<svg onload>`` in its description, markup in its title."""
    javascript: str
    """``javascript:`` links in its description."""

    def all(self) -> dict[str, str]:
        return {"script": self.script, "onerror": self.onerror, "javascript": self.javascript}


def _with_hostile_records(records: list[DemoRecord]) -> tuple[list[DemoRecord], dict[str, str]]:
    """The catalogue with two healthy French Dublin Core records turned hostile; their identifiers."""
    healthy = [
        r
        for r in records
        if r.metadata_format == "oai_dc" and not r.defects and not r.deleted and r.text_language == "fr"
    ]
    onerror, javascript = healthy[3], healthy[4]
    changed = {
        onerror.identifier: replace(
            onerror,
            title=f"{onerror.title}{HOSTILE_TITLE_SUFFIX}",
            description=ONERROR_DESCRIPTION,
            defects=("HTML_IN_DESCRIPTION",),
        ),
        javascript.identifier: replace(
            javascript, description=JAVASCRIPT_DESCRIPTION, defects=("HTML_IN_DESCRIPTION",)
        ),
    }
    out = [changed.get(r.identifier, r) for r in records]
    return out, {"onerror": onerror.identifier, "javascript": javascript.identifier}


def _source(source_id: str, url: str) -> SourceConfig:
    fmt = DEMO_FORMATS[source_id]
    extra: dict[str, Any] = {"defaults": {"language": "fr"}} if fmt == "oai_dc" else {}
    return SourceConfig.model_validate(
        {
            "id": source_id,
            "name": "Démo — dépôt LOM (Normetic)" if fmt == "lom" else "Démo — dépôt Dublin Core",
            "type": "oai",
            "url": url,
            "metadata_prefix": fmt,
            "review": "on-issues",
            **extra,
        }
    )


def _build_ledger(settings: Settings, client: OpenSearch) -> tuple[sessionmaker[Session], Hostile]:
    """Harvest both demo formats, process with the repository's rules, index into the real node."""
    rulebook = Rulebook.load(CONFIG)
    ledger = open_ledger(settings.db_url)
    catalogue = demo_records()
    script = next(r for r in catalogue if "SCRIPT_IN_DESCRIPTION" in r.defects)
    catalogue, planted = _with_hostile_records(catalogue)
    for source_id, fmt in DEMO_FORMATS.items():
        records = [r for r in catalogue if r.metadata_format == fmt]
        with DemoOaiServer(records=records, page_size=100) as server:
            source = _source(source_id, server.url)
            report = harvest_source(ledger, source, settings)
            assert report["status"] == "completed", report
            process_source(ledger, source, rulebook)
    report = index_changes(
        ledger, client, settings.index_prefix, vocabularies=rulebook.vocabularies, portals=PORTAL_IDS
    )
    assert report["counts"]["errors"] == 0, report
    client.indices.refresh(index=f"{settings.index_prefix}-resources")
    hostile = Hostile(
        script=resource_id("demo-dc", script.identifier),
        onerror=resource_id("demo-dc", planted["onerror"]),
        javascript=resource_id("demo-dc", planted["javascript"]),
    )
    return ledger, hostile


# -- the live app -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_healthy(base_url: str, thread: threading.Thread, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the app's server thread stopped while starting (see the log above)")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except Exception as exc:  # not listening yet
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"the app did not answer {base_url}/healthz within {timeout:.0f} s: {last}")


@dataclass
class LiveApp:
    """The running app and what the tests need to check it against."""

    base_url: str
    settings: Settings
    ledger: sessionmaker[Session]
    opensearch: OpenSearch
    hostile: Hostile
    password: str = PASSWORD

    @property
    def alias(self) -> str:
        return f"{self.settings.index_prefix}-resources"

    def row(self, record_id: str) -> ResourceRow:
        with self.ledger() as session:
            return session.get_one(ResourceRow, record_id)

    def waiting(self) -> list[ResourceRow]:
        """The records in ``needs_review``, in id order (rows detached from their session)."""
        with self.ledger() as session:
            query = select(ResourceRow).where(ResourceRow.status == "needs_review").order_by(ResourceRow.id)
            return list(session.scalars(query))


@pytest.fixture(scope="session")
def live_app(
    opensearch_url: str,
    chromium_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    session_ledger_url: Callable[..., str],
) -> Iterator[LiveApp]:
    import uvicorn

    from ren_index.web.app import create_app

    data_dir = tmp_path_factory.mktemp("browser-app")
    database_url = session_ledger_url("ren-index", folder=data_dir)
    prefix = f"br{uuid.uuid4().hex[:10]}"
    env = pytest.MonkeyPatch()
    env.setenv("REN_LOGIN_FAILURE_DELAY", "0")
    env.setenv("REN_DATA_DIR", str(data_dir))
    env.setenv("REN_INDEX_PREFIX", prefix)
    env.setenv("REN_OPENSEARCH_URL", opensearch_url)
    env.setenv("REN_CONFIG_DIR", str(CONFIG))
    env.setenv("REN_DATABASE_URL", database_url)
    env.delenv("REN_COOKIE_SECURE", raising=False)  # plain http on 127.0.0.1
    env.delenv("REN_SECRET_KEY", raising=False)
    settings = load_settings(
        data_dir=data_dir,
        database_url=database_url,
        opensearch_url=opensearch_url,
        index_prefix=prefix,
        config_dir=CONFIG,
        harvest_timeout=10.0,
        harvest_max_retries=2,
    )
    client = make_client(settings)
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    try:
        ledger, hostile = _build_ledger(settings, client)
        with ledger() as session:
            accounts.set_user(session, DOCUMENTALIST, "documentalist", PASSWORD, actor="test")
            accounts.set_user(session, LIBRARIAN, "librarian", PASSWORD, actor="test")
            session.commit()
        port = _free_port()
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="ren-index-browser-app", daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, thread)
        yield LiveApp(base_url, settings, ledger, client, hostile)
    finally:
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(timeout=10)
        client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        client.close()
        env.undo()


# -- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@dataclass
class PageGuard:
    """What went wrong in the page while a test drove it: console errors, page errors, CSP."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    """``alert`` and ``prompt`` dialogs: the review UI never opens one, a payload would."""
    confirms: list[str] = field(default_factory=list)
    """``confirm`` dialogs (``data-confirm`` in app.js): accepted, as the person would."""
    checked: int = 0

    def on_dialog(self, dialog: Dialog) -> None:
        if dialog.type == "confirm":
            self.confirms.append(dialog.message)
            dialog.accept()
        else:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def csp_violations(self) -> list[dict[str, Any]]:
        violations = self.page.evaluate("window.__cspViolations")
        assert isinstance(violations, list), "the CSP listener is missing: the init script did not run"
        return violations

    def assert_clean(self) -> None:
        """No console error, uncaught exception or CSP violation so far, on this page or before."""
        self.checked += 1
        problems = {
            "console errors": self.console_errors,
            "page errors": self.page_errors,
            "CSP violations": self.csp_violations(),
            "dialogs": self.dialogs,
        }
        found = {k: v for k, v in problems.items() if v}
        assert not found, f"{self.page.url} is not clean: {found}"

    def screenshot(self, name: str, *, full_page: bool = True, selector: str | None = None) -> Path:
        """A screenshot in ``tests/browser/artifacts/`` (always kept): the whole page, the
        viewport (``full_page=False``) or one element (``selector``)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        if selector is not None:
            self.page.locator(selector).screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def context(browser: Browser, live_app: LiveApp) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=live_app.base_url,
        locale="fr-CA",
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.add_init_script(CSP_INIT_SCRIPT)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def guard(context: BrowserContext) -> PageGuard:
    """A fresh page in a fresh context, watched: ``guard.page`` to drive, ``guard.assert_clean()``."""
    page = context.new_page()
    watched = PageGuard(page)
    page.on("console", watched.on_console)
    page.on("pageerror", lambda exc: watched.page_errors.append(f"{page.url}: {exc}"))
    page.on("dialog", watched.on_dialog)
    return watched


def login(page: Page, name: str, password: str = PASSWORD) -> None:
    """Log in through the form, as a person would; ends on the page the app redirects to."""
    page.goto("/review/login")
    page.get_by_label("Nom d'utilisateur").fill(name)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


# -- a contributions platform (issue 12) ------------------------------------------------------


@dataclass(frozen=True)
class PlatformKey:
    """A platform of the live app (as ``ren-index platforms add`` makes one), its key and portal."""

    name: str
    key: str
    portal: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def platform_key(live_app: LiveApp) -> PlatformKey:
    """A new platform sending to École ouverte (its id read from ``portals.yaml``), unique per test."""
    from ren_index.contributions.platforms import create_platform

    portal = next(pid for pid, policy in load_portals(CONFIG).items() if policy.name == "École ouverte")
    name = f"ma-classe-{uuid.uuid4().hex[:6]}"
    _info, key = create_platform(
        live_app.ledger, name, portal=portal, label="Ma classe (École ouverte)", portals=PORTAL_IDS
    )
    return PlatformKey(name, key, portal)


# -- the librarians' console (issue 13) -------------------------------------------------------


@dataclass(frozen=True)
class ConsoleSources:
    """Two partner CSV exports served locally and harvested into the live app's ledger.

    ``fresh`` was harvested once (its server still answers: "run now" brings a second run);
    ``held`` was harvested with 30 rows, then with 10: its second run is held by the guard.
    """

    fresh: str
    held: str
    held_run: int


def _console_csv(rows: int) -> bytes:
    header = "identifiant;titre;description;lien;langue;niveau;licence"
    lines = [
        f"R-{n};Ressource de mathématiques n° {n};Activités guidées sur les fractions et les proportions"
        f" pour la classe, fiche {n};https://partenaire.example/r{n};fr;Primaire;CC BY 4.0"
        for n in range(1, rows + 1)
    ]
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


class _CsvExport:
    """Serves ``body`` at ``/export.csv`` in a daemon thread until the test session ends."""

    def __init__(self, body: bytes) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.body = body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/export.csv"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def _console_source(source_id: str, url: str) -> SourceConfig:
    columns = {
        "id": "identifiant",
        "title": "titre",
        "description": "description",
        "url": "lien",
        "language": "langue",
        "level": "niveau",
        "licence": "licence",
    }
    return SourceConfig.model_validate(
        {"id": source_id, "name": f"Partenaire {source_id}", "type": "csv", "url": url, "columns": columns}
    )


@pytest.fixture(scope="session")
def console_sources(live_app: LiveApp) -> Iterator[ConsoleSources]:
    rulebook = Rulebook.load(CONFIG)
    fresh, held = _CsvExport(_console_csv(12)), _CsvExport(_console_csv(30))
    try:
        fresh_source = _console_source("partenaire-frais", fresh.url)
        harvest_source(live_app.ledger, fresh_source, live_app.settings)
        process_source(live_app.ledger, fresh_source, rulebook)
        held_source = _console_source("partenaire-retenu", held.url)
        assert harvest_source(live_app.ledger, held_source, live_app.settings)["status"] == "completed"
        process_source(live_app.ledger, held_source, rulebook)
        held.body = _console_csv(10)
        report = harvest_source(live_app.ledger, held_source, live_app.settings)
        assert report["status"] == "held", report
        process_source(live_app.ledger, held_source, rulebook)
        run_id = report.get("run_id")
        assert run_id is not None
        yield ConsoleSources(fresh_source.id, held_source.id, run_id)
    finally:
        for export in (fresh, held):
            export.httpd.shutdown()
            export.httpd.server_close()
