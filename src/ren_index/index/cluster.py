"""A local cluster of several real OpenSearch nodes (``ren-index opensearch start --nodes 3``).

What a cluster adds to :mod:`ren_index.index.local_node`'s single node, and why:

- **one JVM per node**, so a node can be killed (``SIGKILL``) and restarted alone, as a machine
  of a real cluster would be lost — the embedded runner could run several nodes in one JVM, but
  then they live and die together;
- node *k* (0-based) serves HTTP on ``base + k`` (``base`` = the port of the first address of
  ``REN_OPENSEARCH_URL``) and transport on ``base + 100 + k``, both bound to 127.0.0.1 only;
- every node is told the others' transport addresses (``discovery.seed_hosts``) and which nodes
  may elect the first cluster manager (``cluster.initial_cluster_manager_nodes``, by transport
  address: the runner names every node "Node 1", so names cannot tell them apart);
- the cluster's name is ``ren-index-<base>``: two clusters on one machine never merge, and the
  development node (``discovery.type: single-node``) never joins one.

Files live under ``$REN_DATA_DIR/opensearch-cluster``: ``cluster.json`` (the ports, so ``stop``
and ``status`` find every node ``start`` started), ``node-<k>/`` (the runner's base path: data,
config, ``node.pid``) and ``$REN_DATA_DIR/logs/opensearch-node-<k>.log``. ``start`` is idempotent
and starts only the nodes that are not running, which is how a killed node comes back.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ren_index.errors import OpenSearchNodeError
from ren_index.index.local_node import (
    MAX_RUNNER_PORT,
    RUNNER_MAIN,
    LocalNode,
    NodeStatus,
    _alive,
    _get_json,
    _java,
    _port_in_use,
    _signal_group,
    _wait_dead,
    log_tail,
)
from ren_index.settings import Settings

MAX_NODES = 5
"""``--nodes`` is bounded: each node is a JVM with its own heap on this one machine."""
TRANSPORT_OFFSET = 100
"""Node *k*'s transport port is its HTTP port plus this (9200 -> 9300, as OpenSearch's defaults)."""
NODE_HEAP = "512m"
"""Each node's heap (minimum and maximum): three nodes and the tests fit a small machine."""
MANIFEST = "cluster.json"


@dataclass(frozen=True)
class ClusterStatus:
    """What ``ren-index opensearch status`` reports for a cluster (also its ``--json``)."""

    cluster_name: str
    health: str | None
    """green, yellow or red as the first answering node sees it; ``None`` when none answers."""
    number_of_nodes: int | None
    nodes: list[NodeStatus] = field(default_factory=list)
    message: str = ""

    @property
    def running(self) -> bool:
        """Every node answers."""
        return bool(self.nodes) and all(node.running for node in self.nodes)

    def __str__(self) -> str:
        joined = "?" if self.number_of_nodes is None else str(self.number_of_nodes)
        head = (
            f"cluster {self.cluster_name}: {self.health or 'injoignable / unreachable'}"
            f" — {joined}/{len(self.nodes)} nœuds réunis / nodes joined"
        )
        if self.message:
            head += f" — {self.message}"
        return "\n".join([head, *(f"  {node}" for node in self.nodes)])


class LocalCluster:
    """Start, stop and inspect ``nodes`` local nodes forming one cluster (see the module)."""

    def __init__(self, settings: Settings, nodes: int = 3, *, home: Path | None = None) -> None:
        if not 2 <= nodes <= MAX_NODES:
            raise OpenSearchNodeError(f"--nodes {nodes}: a local cluster has 2 to {MAX_NODES} nodes")
        self.settings = settings
        self.single = LocalNode(settings, home=home)  # jars, the runner's home, port rules
        self.base_port = self.single._port()
        self.http_ports = [self.base_port + k for k in range(nodes)]
        self.transport_ports = [port + TRANSPORT_OFFSET for port in self.http_ports]
        if self.http_ports[-1] > MAX_RUNNER_PORT:
            raise OpenSearchNodeError(
                f"ports {self.http_ports[0]}–{self.http_ports[-1]}: the OpenSearch runner only serves"
                f" ports up to {MAX_RUNNER_PORT}; choose a lower first port in REN_OPENSEARCH_URL"
            )
        self.cluster_name = f"ren-index-{self.base_port}"
        self.root = settings.data_dir.resolve() / "opensearch-cluster"
        self.logs = settings.data_dir.resolve() / "logs"

    @classmethod
    def existing(cls, settings: Settings) -> LocalCluster | None:
        """The cluster a ``start --nodes N`` left in this data directory, if any (for ``stop`` and
        ``status``, which are not told the number of nodes)."""
        path = settings.data_dir.resolve() / "opensearch-cluster" / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            nodes = int(manifest["nodes"])
            base = int(manifest["http_ports"][0])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return None
        return cls(settings.model_copy(update={"opensearch_url": f"http://127.0.0.1:{base}"}), nodes)

    # -- public API ---------------------------------------------------------------------------

    def url(self, k: int) -> str:
        return f"http://127.0.0.1:{self.http_ports[k]}"

    def start(self, wait: float = 300) -> ClusterStatus:
        """Start every node that is not running; return once all have joined and health is
        yellow or green. Raises :class:`OpenSearchNodeError` (with the failing node's log tail)
        when a port is taken by something else, a node dies, or the cluster does not form in time.
        """
        if not self.settings.opensearch_is_local:
            raise OpenSearchNodeError(
                f"REN_OPENSEARCH_URL={self.settings.opensearch_url} is not on this machine: ren-index"
                " uses that cluster and will not start local nodes / cluster distant"
            )
        if self.single._live_pid() is not None:
            raise OpenSearchNodeError(
                "a single local node runs for this data directory: `ren-index opensearch stop` first"
                " / un nœud seul tourne déjà"
            )
        self._check_manifest()
        missing = [k for k in range(len(self.http_ports)) if self._live_pid(k) is None]
        for k in missing:
            for port in (self.http_ports[k], self.transport_ports[k]):
                if _port_in_use(port):
                    raise OpenSearchNodeError(
                        f"port {port} (node {k}) is taken by something ren-index did not start; free"
                        " it or set REN_OPENSEARCH_URL to another first port / port occupé"
                    )
        if not missing:
            current = self.status()
            if current.running:
                return replace(current, message="déjà en marche / already running")
        lib = self.single._ensure_jars(self.single.home())
        self._write_manifest()
        began = time.monotonic()
        launched = {k: self._launch(k, lib) for k in missing}
        return self._wait_formed(launched, began, wait)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM every node ren-index started here (all at once), SIGKILL those still alive
        after ``timeout``. The data stays: the next ``start`` finds the same indices."""
        pids = [pid for k in range(len(self.http_ports)) if (pid := self._live_pid(k)) is not None]
        for pid in pids:
            _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for pid in pids:
            if not _wait_dead(pid, max(0.0, deadline - time.monotonic())):
                _signal_group(pid, signal.SIGKILL)
                if not _wait_dead(pid, 10):
                    raise OpenSearchNodeError(f"OpenSearch (pid {pid}) survived SIGKILL")
        for k in range(len(self.http_ports)):
            self._pid_path(k).unlink(missing_ok=True)

    def status(self) -> ClusterStatus:
        """Each node's state (answers, pid, version) and the cluster's health and size."""
        nodes: list[NodeStatus] = []
        health: dict[str, Any] | None = None
        for k in range(len(self.http_ports)):
            url = self.url(k)
            root = _get_json(url)
            seen = _get_json(f"{url}/_cluster/health") if root is not None else None
            health = health or seen
            version = str(root.get("version", {}).get("number") or "") or None if root else None
            nodes.append(
                NodeStatus(
                    running=root is not None,
                    url=url,
                    pid=self._live_pid(k),
                    health=str(seen["status"]) if seen and "status" in seen else None,
                    version=version,
                    log=str(self._log_path(k)),
                )
            )
        health = health or {}
        return ClusterStatus(
            cluster_name=self.cluster_name,
            health=str(health["status"]) if "status" in health else None,
            number_of_nodes=int(health["number_of_nodes"]) if "number_of_nodes" in health else None,
            nodes=nodes,
        )

    def any_running(self) -> bool:
        """Whether any node ren-index started here is alive."""
        return any(self._live_pid(k) is not None for k in range(len(self.http_ports)))

    def pid(self, k: int) -> int | None:
        """The live process of node ``k`` (0-based), when ren-index started it."""
        return self._live_pid(k)

    # -- internals ----------------------------------------------------------------------------

    def _node_dir(self, k: int) -> Path:
        return self.root / f"node-{k}"

    def _pid_path(self, k: int) -> Path:
        return self._node_dir(k) / "node.pid"

    def _log_path(self, k: int) -> Path:
        return self.logs / f"opensearch-node-{k}.log"

    def _manifest(self) -> dict[str, Any]:
        return {
            "nodes": len(self.http_ports),
            "cluster_name": self.cluster_name,
            "http_ports": self.http_ports,
            "transport_ports": self.transport_ports,
        }

    def _check_manifest(self) -> None:
        """A cluster formed with other nodes or ports keeps its voting configuration in its data:
        starting another shape on top of it would never form. Refuse with the remedy."""
        path = self.root / MANIFEST
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if found != self._manifest():
            raise OpenSearchNodeError(
                f"{self.root} holds a cluster of {found.get('nodes')} nodes on ports"
                f" {found.get('http_ports')}: stop it (`ren-index opensearch stop`) and delete that"
                " folder to start another shape / un autre cluster occupe ce dossier"
            )

    def _write_manifest(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / MANIFEST).write_text(json.dumps(self._manifest(), indent=2) + "\n", encoding="utf-8")

    def _node_config(self, k: int) -> str:
        peers = ", ".join(f'"127.0.0.1:{port}"' for port in self.transport_ports)
        return (
            "# Written by ren-index before each start (index/cluster.py); edits here are overwritten.\n"
            "network.host: 127.0.0.1\n"
            f"transport.port: {self.transport_ports[k]}\n"
            f"discovery.seed_hosts: [{peers}]\n"
            f"cluster.initial_cluster_manager_nodes: [{peers}]\n"
            "# A developer's nearly full disk must not make the indices read-only.\n"
            "cluster.routing.allocation.disk.threshold_enabled: false\n"
        )

    def _launch(self, k: int, lib: Path) -> subprocess.Popen[bytes]:
        base = self._node_dir(k)
        config = base / "node_1" / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "opensearch.yml").write_text(self._node_config(k), encoding="utf-8")
        tmp = base / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        command = [
            _java(),
            f"-Xms{NODE_HEAP}",
            f"-Xmx{NODE_HEAP}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            "-Dfile.encoding=UTF-8",
            f"-Djava.io.tmpdir={tmp}",
            "-cp",
            str(lib / "*"),
            RUNNER_MAIN,
            "-basePath",
            str(base),
            "-numOfNode",
            "1",
            "-baseHttpPort",
            str(self.http_ports[k] - 1),  # the runner puts its node 1 on base + 1
            "-clusterName",
            self.cluster_name,
        ]
        with self._log_path(k).open("ab") as log:
            log.write(f"\n--- ren-index: {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                cwd=lib.parent.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() and a test's SIGKILL reach it all
            )
        self._pid_path(k).write_text(f"{process.pid}\n", encoding="utf-8")
        return process

    def _live_pid(self, k: int) -> int | None:
        """Node ``k``'s pid from its pid file, if that process is alive and is our runner."""
        try:
            pid = int(self._pid_path(k).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        if not _alive(pid):
            return None
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and str(self._node_dir(k)).encode() not in cmdline.read_bytes():
            return None  # the pid was reused by an unrelated process
        return pid

    def _wait_formed(
        self, launched: dict[int, subprocess.Popen[bytes]], began: float, wait: float
    ) -> ClusterStatus:
        deadline = began + wait
        want = len(self.http_ports)
        while time.monotonic() < deadline:
            for k, process in launched.items():
                if process.poll() is not None:
                    self._pid_path(k).unlink(missing_ok=True)
                    self._stop_launched(launched)
                    raise OpenSearchNodeError(
                        f"OpenSearch node {k} exited while starting; log {self._log_path(k)}:\n"
                        f"{self._log_tail(k)}"
                    )
            status = self.status()
            if status.running and status.number_of_nodes == want and status.health in ("yellow", "green"):
                return replace(status, message=f"démarré en / started in {time.monotonic() - began:.0f} s")
            time.sleep(1)
        self._stop_launched(launched)
        tails = "\n".join(f"node {k}: {self._log_tail(k, 8)}" for k in launched)
        raise OpenSearchNodeError(
            f"the cluster did not form ({want} nodes, yellow or green) within {wait:.0f} s; the nodes"
            f" started now were stopped; logs in {self.logs}:\n{tails}"
        )

    def _stop_launched(self, launched: dict[int, subprocess.Popen[bytes]]) -> None:
        for k, process in launched.items():
            _signal_group(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            self._pid_path(k).unlink(missing_ok=True)

    def _log_tail(self, k: int, lines: int = 25) -> str:
        return log_tail(self._log_path(k), lines)
