"""The local node manager: refusals without a node, and one real start/status/stop cycle."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from ren_index.errors import OpenSearchNodeError
from ren_index.index.local_node import LocalNode
from ren_index.settings import Settings


def _node(tmp_path: Path, url: str, **kw: object) -> LocalNode:
    return LocalNode(Settings(opensearch_url=url, data_dir=tmp_path), **kw)  # type: ignore[arg-type]


def test_refuses_a_remote_cluster(tmp_path: Path) -> None:
    with pytest.raises(OpenSearchNodeError, match="not on this machine"):
        _node(tmp_path, "https://search.example.org:9200").start()


def test_refuses_ports_the_runner_cannot_serve(tmp_path: Path) -> None:
    with pytest.raises(OpenSearchNodeError, match="9299"):
        _node(tmp_path, "http://localhost:9400").start(wait=1)


def test_missing_pom_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REN_OPENSEARCH_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(OpenSearchNodeError, match="REN_OPENSEARCH_HOME"):
        _node(tmp_path, "http://localhost:9298").home()


def test_home_defaults_to_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REN_OPENSEARCH_HOME", raising=False)
    home = _node(tmp_path, "http://localhost:9298").home()
    assert (home / "pom.xml").is_file() and home.name == "opensearch"


def test_stop_without_a_node_is_a_no_op(tmp_path: Path) -> None:
    node = _node(tmp_path, "http://localhost:9297")
    node.stop()
    assert not node.status().running


def test_refuses_a_port_taken_by_something_else(tmp_path: Path) -> None:
    """The runner would silently move to the next free port; we refuse instead."""
    with socket.socket() as busy:
        for port in range(9290, 9297):
            try:
                busy.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        else:
            pytest.skip("no free port in 9290-9296 to occupy")
        busy.listen()
        with pytest.raises(OpenSearchNodeError, match="taken"):
            _node(tmp_path, f"http://localhost:{port}").start(wait=1)


@pytest.mark.integration
@pytest.mark.skipif(
    os.environ.get("REN_TEST_NODE_LIFECYCLE") != "1",
    reason="starts a second JVM for ~15 s; set REN_TEST_NODE_LIFECYCLE=1 (CI runs its own node)",
)
def test_start_status_stop_on_a_spare_port(tmp_path: Path) -> None:
    port = 9277
    node = _node(tmp_path, f"http://localhost:{port}")
    assert not node.status().running
    began = time.monotonic()
    started = node.start(wait=180)
    took = time.monotonic() - began
    try:
        assert started.running and started.health in ("green", "yellow")
        assert started.pid is not None and started.version
        assert node.pid_path.is_file()
        assert (tmp_path / "logs" / "opensearch.log").is_file()
        assert node.start().message.startswith("déjà")  # a second start does nothing
        status = node.status()
        assert status.running and status.pid == started.pid
        print(f"local node started in {took:.1f} s")
    finally:
        node.stop()
    assert not node.status().running
    assert not node.pid_path.exists()
