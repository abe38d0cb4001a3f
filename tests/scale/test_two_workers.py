"""Two Prefect workers, one PostgreSQL ledger (issue 17, point 6).

A real Prefect server (``prefect server start``, its own ``PREFECT_HOME``, SQLite for Prefect's own
database), a ``process`` work pool, and two ``prefect worker start --pool`` processes, all on one
PostgreSQL ledger and the test OpenSearch node. Four local OAI-PMH sources — one slow (a delay per
page) — are applied with the project's own ``ren-index schedule apply --pool`` and all triggered at
once through the server's API, the slow one twice. Then:

- each source is harvested exactly once: one harvest run row per source, whoever ran it;
- no overlap for one source: of the two runs of the slow source started together, one harvests
  and the other is refused at once by the run lock (:mod:`ren_index.runs.lock`) — its flow ends
  ``Failed`` saying the harvest is already running, without Prefect's retries (a retry coming after
  the first harvest ended would harvest the source a second time);
- the worker running the slow source is killed (SIGKILL of its process group, and of the flow
  run's own group: Prefect starts each flow run in a session of its own, so killing the worker
  alone leaves the flow run going) while the harvest is half-way; the ledger's run is then
  ``running`` with a dead owner. The next trigger takes that stale lock over and resumes the same
  run from its checkpoint: its first request carries the saved resumption token and no page
  before it is fetched again; the run ends ``completed`` — it is not left ``running``;
- every record once in the ledger: raw rows per source equal the server's records, no duplicate.

What Prefect does with the killed flow run: nothing here — without flow-run heartbeats and an
automation that marks missing ones ``Crashed`` (a Prefect Cloud / server feature set up apart), the
flow run of a worker killed with SIGKILL stays ``Running`` on the Prefect server. The test asserts
the ledger's side (the project's promise) and only records Prefect's state.

Marked ``scale``; runs in the PostgreSQL pass of ``scripts/test`` only (the ledger shared by two
workers is what is under test, and SQLite is one machine's file). Every process started here (they
all carry a marker in their environment) is killed at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun, RawRecordRow
from ren_index.orchestration.schedules import local_server_environment

ROOT = Path(__file__).resolve().parents[2]
POOL = "ren-test-process"
FAST = {"alpha": 200, "beta": 150, "gamma": 120}
SLOW, SLOW_RECORDS, SLOW_PAGE, SLOW_DELAY = "lent", 1200, 20, 1.0
"""The slow source: 60 pages of 20, 1 s each — a minute of harvest at least: the other sources end
meanwhile, and its worker is killed half-way."""
KILL_AT_PAGE = 6
"""Pages of the slow source stored at least when its worker is killed (once the others are over:
a worker that dies takes every flow run it started with it, Prefect marks them ``Crashed``)."""
START_LIMIT = 180.0
RUN_LIMIT = 240.0
API_TRIES = 8
"""Calls to the Prefect API tried at most this often (waits 0.5, 1, 2 … 8 s: about 40 s in all)."""

pytestmark = [
    pytest.mark.scale,
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("REN_TEST_POSTGRES_URL"),
        reason="runs in the PostgreSQL pass of scripts/test only (REN_TEST_POSTGRES_URL): two workers"
        " share one ledger, which SQLite is not made for / seulement dans la passe PostgreSQL",
    ),
]

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<responseDate>2025-06-01T00:00:00Z</responseDate>"
)
IDENTIFY = (
    HEAD + '<request verb="Identify">{url}</request><Identify><repositoryName>{name}</repositoryName>'
    "<baseURL>{url}</baseURL><protocolVersion>2.0</protocolVersion>"
    "<adminEmail>test@example.org</adminEmail><earliestDatestamp>2020-01-01T00:00:00Z</earliestDatestamp>"
    "<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity>"
    "</Identify></OAI-PMH>"
)
RECORD = (
    "<record><header><identifier>oai:{name}:{n}</identifier>"
    "<datestamp>2025-05-{day:02d}T10:00:00Z</datestamp></header><metadata>"
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>Ressource {n} de {name} : fonctions et dérivées</dc:title>"
    "<dc:description>Notes de cours, exercices et corrigés pour la ressource {n} de {name}. "
    "Introduction aux limites, à la continuité et au calcul différentiel.</dc:description>"
    "<dc:creator>Cégep de Sainte-Foy</dc:creator><dc:subject>Mathématiques</dc:subject>"
    "<dc:language>fre</dc:language><dc:date>2024-09-01</dc:date>"
    "<dc:identifier>https://{name}.example.org/r/{n}</dc:identifier>"
    "<dc:rights>https://creativecommons.org/licenses/by-sa/4.0/</dc:rights>"
    "<dc:type>Guide pédagogique</dc:type></oai_dc:dc></metadata></record>"
)


@dataclass
class OaiSource:
    """A local OAI-PMH endpoint of ``total`` generated oai_dc records, ``page`` per page, each page
    answered after ``delay`` seconds; the token is the next page's first record number. It ignores
    ``from`` (sends everything again, as many repositories do) and records every request."""

    name: str
    total: int
    page: int = 50
    delay: float = 0.0
    requests: list[dict[str, str]] = field(default_factory=list)
    httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/oai"

    def start(self) -> OaiSource:
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                source.requests.append(params)
                if params.get("verb") == "Identify":
                    body = IDENTIFY.format(url=source.url, name=source.name)
                elif params.get("verb") == "ListRecords":
                    time.sleep(source.delay)
                    body = source.list_page(int(params.get("resumptionToken") or 0))
                else:
                    self.send_error(400)
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # its harvester was killed
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def list_page(self, start: int) -> str:
        end = min(start + self.page, self.total)
        records = "".join(RECORD.format(n=n, name=self.name, day=1 + n % 28) for n in range(start, end))
        token = (
            f'<resumptionToken completeListSize="{self.total}" cursor="{start}">{end}</resumptionToken>'
            if end < self.total
            else f'<resumptionToken completeListSize="{self.total}" cursor="{start}"/>'
        )
        request = f'<request verb="ListRecords">{self.url}</request>'
        return f"{HEAD}{request}<ListRecords>{records}{token}</ListRecords></OAI-PMH>"

    def list_tokens(self) -> list[int]:
        """The start of every ListRecords page asked for, in order (0: the first page)."""
        return [int(r.get("resumptionToken") or 0) for r in self.requests if r.get("verb") == "ListRecords"]

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _marked_pids(marker: str) -> list[int]:
    """This user's processes whose environment carries ``marker``: everything this test started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _parent(pid: int) -> int:
    """The parent pid from /proc (0 when the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Stack:
    """The Prefect server, the pool, the two workers, and how to reach them."""

    env: dict[str, str]
    api: str
    logs: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        """A process in a group of its own (so its group can be killed), its output in a log file."""
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", *command],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.logs,
            )
        self.processes.append(process)
        return process

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", *command],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=START_LIMIT,
            cwd=self.logs,
        )
        assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
        return result

    def call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One call to the Prefect server's API, tried again on 429/502/503 as Prefect's own client
        does: the server answers 503 for errors it calls retryable (its SQLite database locked while
        two workers and the test all write to it, on a busy machine) — the request was rolled back."""
        for attempt in range(API_TRIES):
            answer = httpx.request(method, f"{self.api}{path}", timeout=30, **options)
            if answer.status_code not in (429, 502, 503) or attempt == API_TRIES - 1:
                break
            time.sleep(min(0.5 * 2**attempt, 8.0))
        answer.raise_for_status()
        return answer

    def trigger(self, deployment: str) -> str:
        """A flow run of ``ren-index-pipeline/<deployment>``, created now (what `Run` does in the UI)."""
        found = self.call("GET", f"/deployments/name/ren-index-pipeline/{deployment}")
        created = self.call("POST", f"/deployments/{found.json()['id']}/create_flow_run", json={})
        flow_run_id: str = created.json()["id"]
        return flow_run_id

    def flow_run(self, flow_run_id: str) -> dict[str, Any]:
        state: dict[str, Any] = self.call("GET", f"/flow_runs/{flow_run_id}").json()["state"] or {}
        return state

    def wait_final(self, flow_run_ids: list[str], limit: float = RUN_LIMIT) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + limit
        states: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline:
            states = {fid: self.flow_run(fid) for fid in flow_run_ids}
            if all(s.get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states.values()):
                return states
            time.sleep(1)
        pytest.fail(f"flow runs not over within {limit:.0f} s: {states} — logs in {self.logs}")


@pytest.fixture
def stack(tmp_path: Path, ledger_url: Callable[..., str], opensearch_url: str) -> Iterator[Stack]:
    """Server, pool and two workers on one PostgreSQL ledger; everything killed at the end."""
    marker = f"REN_TWO_WORKERS_TEST={secrets.token_hex(6)}"
    port = _free_port()
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    logs = tmp_path / "logs"
    logs.mkdir()
    prefix = f"test{secrets.token_hex(4)}"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "REN_"))}
    env = local_server_environment(port, base)
    env.update(
        {
            marker.split("=")[0]: marker.split("=")[1],
            "PYTHONPATH": str(ROOT / "src"),
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "REN_DATA_DIR": str(tmp_path / "var"),
            "REN_CONFIG_DIR": str(config),
            "REN_DATABASE_URL": ledger_url("two-workers"),
            "REN_OPENSEARCH_URL": opensearch_url,
            "REN_INDEX_PREFIX": prefix,
        }
    )
    stack = Stack(env=env, api=f"http://127.0.0.1:{port}/api", logs=logs)
    try:
        server = stack.spawn(
            "server", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)
        )
        deadline = time.monotonic() + START_LIMIT
        while True:
            assert server.poll() is None, f"the Prefect server stopped: {(logs / 'server.log').read_text()}"
            try:
                if httpx.get(f"{stack.api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Prefect server did not answer"
            time.sleep(0.5)
        stack.run("prefect", "work-pool", "create", POOL, "--type", "process")
        yield stack
    finally:
        for pid in _marked_pids(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for process in stack.processes:
            process.wait(timeout=30)
        httpx.delete(f"{opensearch_url}/{prefix}-*", timeout=30)


def _runs(url: str) -> dict[str, list[HarvestRun]]:
    with open_ledger(url)() as session:
        rows = session.scalars(select(HarvestRun).where(HarvestRun.kind == "harvest").order_by(HarvestRun.id))
        runs: dict[str, list[HarvestRun]] = {}
        for run in rows:
            runs.setdefault(run.source_id, []).append(run)
        return runs


def test_two_workers_share_the_sources_and_a_killed_run_resumes(stack: Stack) -> None:
    started = time.monotonic()
    servers = {name: OaiSource(name, total).start() for name, total in FAST.items()}
    servers[SLOW] = OaiSource(SLOW, SLOW_RECORDS, page=SLOW_PAGE, delay=SLOW_DELAY).start()
    try:
        _scenario(stack, servers, started)
    finally:
        for server in servers.values():
            server.stop()


def _scenario(stack: Stack, servers: dict[str, OaiSource], started: float) -> None:
    db_url = stack.env["REN_DATABASE_URL"]
    lines = ["sources:"]
    for name, server in servers.items():
        lines += [
            f"  {name}:",
            "    type: oai",
            f"    url: {server.url}",
            "    metadata_prefix: oai_dc",
            "    defaults: {language: fr}",
            '    schedule: "0 3 * * *"',
        ]
    Path(stack.env["REN_CONFIG_DIR"], "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    applied = json.loads(stack.run("ren_index", "schedule", "apply", "--pool", POOL, "--json").stdout)
    assert applied["pool"] == POOL and applied["pushed_to_server"] == len(servers) + 1  # + links-check
    workers = [
        stack.spawn(f"worker{k}", "prefect", "worker", "start", "--pool", POOL, "--name", f"w{k}")
        for k in (1, 2)
    ]
    ready = time.monotonic() - started

    # All four at once, the slow one twice: one of its two runs must be refused.
    flow_runs = {name: stack.trigger(f"harvest-{name}") for name in servers}
    twin = stack.trigger(f"harvest-{SLOW}")

    # The other sources end first (on either worker), then the slow one's worker is killed half-way.
    others = stack.wait_final([flow_runs[n] for n in FAST])
    assert {n: others[flow_runs[n]]["type"] for n in FAST} == dict.fromkeys(FAST, "COMPLETED"), stack.logs
    deadline = time.monotonic() + RUN_LIMIT
    while True:
        slow_runs = _runs(db_url).get(SLOW, [])
        if slow_runs and slow_runs[-1].counts.get("harvested", 0) >= KILL_AT_PAGE * SLOW_PAGE:
            break
        assert time.monotonic() < deadline, f"the slow source never got going — logs in {stack.logs}"
        time.sleep(0.2)
    assert slow_runs[-1].status == "running", "the slow source ended before the others: machine too busy"
    (killed_run,) = slow_runs
    owner = killed_run.checkpoint["owner"]
    harvesting = int(owner["pid"])
    chain, pid = [], harvesting
    while pid > 1:
        chain.append(pid)
        pid = _parent(pid)
    (worker,) = [w for w in workers if w.pid in chain]
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and what shares its group
    os.killpg(os.getpgid(harvesting), signal.SIGKILL)  # the flow run: Prefect gives it a session of its own
    worker.wait(timeout=30)
    limit = time.monotonic() + 30
    while _alive(harvesting):
        assert time.monotonic() < limit, "the harvesting process survived SIGKILL"
        time.sleep(0.1)
    killed_at = _runs(db_url)[SLOW][-1]
    token_at_kill = int(killed_at.checkpoint["token"])
    assert killed_at.status == "running" and killed_at.id == killed_run.id  # dead owner, lock left

    # Of the slow source's two flow runs, the one not killed was refused at once by the lock.
    deadline = time.monotonic() + RUN_LIMIT
    while True:
        slow_states = [stack.flow_run(fid) for fid in (flow_runs[SLOW], twin)]
        refused = [s for s in slow_states if s.get("type") == "FAILED"]
        if refused:
            break
        assert time.monotonic() < deadline, f"no slow flow run refused: {slow_states}; logs in {stack.logs}"
        time.sleep(1)
    assert len(refused) == 1 and "already running" in (refused[0].get("message") or ""), refused
    killed_flow_id = flow_runs[SLOW] if slow_states[0] is not refused[0] else twin

    # The next trigger of the slow source resumes the killed run from its checkpoint.
    asked_before = len(servers[SLOW].list_tokens())
    again = stack.trigger(f"harvest-{SLOW}")
    final = stack.wait_final([again])
    assert final[again]["type"] == "COMPLETED", f"{final} — logs in {stack.logs}"
    resumed_asks = servers[SLOW].list_tokens()[asked_before:]
    assert resumed_asks[0] == token_at_kill  # the saved resumption token, not the first page
    assert min(resumed_asks) == token_at_kill  # no page before the checkpoint fetched again
    assert resumed_asks[-1] == SLOW_RECORDS - SLOW_PAGE

    # Each source harvested exactly once (one run row each, the slow one resumed, not redone).
    runs = _runs(db_url)
    assert {name: len(rows) for name, rows in runs.items()} == dict.fromkeys(servers, 1)
    assert runs[SLOW][0].id == killed_run.id
    assert {name: rows[0].status for name, rows in runs.items()} == dict.fromkeys(servers, "completed")
    assert runs[SLOW][0].counts["harvested"] >= SLOW_RECORDS  # the page fetched at the kill came again

    # Every record once in the ledger.
    with open_ledger(db_url)() as session:
        counted = session.execute(
            select(
                RawRecordRow.source_id, func.count(), func.count(RawRecordRow.identifier.distinct())
            ).group_by(RawRecordRow.source_id)
        )
        stored = {source: (rows, distinct) for source, rows, distinct in counted}
    assert stored == {name: (server.total, server.total) for name, server in servers.items()}

    killed_flow = stack.flow_run(killed_flow_id)
    print(
        f"ready {ready:.0f} s, total {time.monotonic() - started:.0f} s; killed flow run's Prefect"
        f" state: {killed_flow.get('type')} (Prefect has no heartbeat-based crash detection set up)"
    )
