"""Several nodes in ``REN_OPENSEARCH_URL``, shards and replicas from the settings, and the local
cluster's refusals (no JVM is started here: ``tests/scale`` runs a real three-node cluster)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from ren_index.errors import ConfigError, OpenSearchNodeError
from ren_index.index.client import make_client
from ren_index.index.cluster import MAX_NODES, LocalCluster
from ren_index.index.schema import IndexLayout, create_index
from ren_index.settings import MAX_OPENSEARCH_NODES, Settings, load_settings


def test_several_nodes_are_split_trimmed_and_kept_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REN_OPENSEARCH_URL", " http://10.0.0.1:9200/ ,, https://10.0.0.2:9201,")
    settings = load_settings()
    assert settings.opensearch_urls == ["http://10.0.0.1:9200", "https://10.0.0.2:9201"]
    assert settings.opensearch_url == "http://10.0.0.1:9200,https://10.0.0.2:9201"
    assert not settings.opensearch_is_local


@pytest.mark.parametrize(
    "value",
    [
        "localhost:9200",  # no scheme
        "http://localhost:9200,ftp://localhost:21",
        "http://localhost:9200,http://:9201",  # no host
        "http://localhost:port",
        " , ",
        ",".join(f"http://10.0.0.{n}:9200" for n in range(MAX_OPENSEARCH_NODES + 1)),
    ],
)
def test_a_bad_node_address_is_a_config_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("REN_OPENSEARCH_URL", value)
    with pytest.raises(ConfigError, match="REN_OPENSEARCH_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("urls", "local"),
    [
        ("http://127.0.0.1:9260,http://localhost:9261,http://[::1]:9262", True),
        ("http://127.0.0.1:9260,http://search.example.org:9200", False),
        ("http://localhost.example.org:9200", False),  # a prefix of a name is not this machine
    ],
)
def test_local_only_when_every_node_is_on_this_machine(urls: str, local: bool) -> None:
    assert Settings(opensearch_url=urls).opensearch_is_local is local


def test_the_client_gets_every_node_and_one_retry_per_node_at_least() -> None:
    urls = ",".join(f"http://10.0.0.{n}:9200" for n in range(1, 6))
    client = make_client(Settings(opensearch_url=urls))
    hosts = [f"{h['host']}:{h['port']}" for h in client.transport.hosts]
    assert hosts == [f"10.0.0.{n}:9200" for n in range(1, 6)]
    assert client.transport.max_retries == 5
    assert client.transport.retry_on_timeout
    assert make_client(Settings(opensearch_url="http://10.0.0.1:9200")).transport.max_retries == 3


@pytest.mark.parametrize(
    ("urls", "compressed"),
    [
        ("http://127.0.0.1:9250", False),
        ("http://localhost:9260,http://[::1]:9261", False),
        ("http://10.0.0.1:9200", True),
        ("http://127.0.0.1:9250,http://search.example.org:9200", True),
    ],
)
def test_request_bodies_are_gzipped_only_when_they_leave_the_machine(urls: str, compressed: bool) -> None:
    """On loopback gzip is CPU spent twice (here and in the node) for no bytes saved on a wire."""
    client = make_client(Settings(opensearch_url=urls))
    assert {c.http_compress for c in client.transport.connection_pool.connections} == {compressed}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
def test_a_dead_node_in_the_list_costs_no_request(opensearch_url: str) -> None:
    """One address refuses connections (a node that is down): every request still answers,
    retried by the client on the live node — as the portal API's searches are."""
    dead = f"http://127.0.0.1:{_closed_port()}"
    client = make_client(Settings(opensearch_url=f"{dead},{opensearch_url},{dead}"))
    for _ in range(12):
        assert client.cluster.health()["status"] in ("green", "yellow")


def test_shards_and_replicas_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("REN_INDEX_SHARDS", "REN_INDEX_REPLICAS"):
        monkeypatch.delenv(var, raising=False)
    assert IndexLayout.from_settings(load_settings()) == IndexLayout(shards=1, replicas=0)
    monkeypatch.setenv("REN_INDEX_SHARDS", "3")
    monkeypatch.setenv("REN_INDEX_REPLICAS", "1")
    assert IndexLayout.from_settings(load_settings()) == IndexLayout(shards=3, replicas=1)


@pytest.mark.parametrize(
    ("var", "value"),
    [("REN_INDEX_SHARDS", "0"), ("REN_INDEX_REPLICAS", "-1"), ("REN_INDEX_SHARDS", "1000"),
     ("REN_INDEX_REPLICAS", "many")],
)  # fmt: skip
def test_bad_shards_or_replicas_are_a_config_error(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=var):
        load_settings()


@pytest.fixture
def throwaway(os_client: OpenSearch, prefix: str) -> Iterator[str]:
    name = f"{prefix}-resources-v5"
    yield name
    os_client.indices.delete(index=name, ignore_unavailable=True)


@pytest.mark.integration
def test_a_created_index_has_the_layout_asked(os_client: OpenSearch, throwaway: str) -> None:
    assert create_index(os_client, throwaway, layout=IndexLayout(shards=2, replicas=0))
    shape = os_client.indices.get_settings(index=throwaway)[throwaway]["settings"]["index"]
    assert (shape["number_of_shards"], shape["number_of_replicas"]) == ("2", "0")


def _cluster(tmp_path: Path, url: str = "http://127.0.0.1:9260", nodes: int = 3) -> LocalCluster:
    return LocalCluster(Settings(opensearch_url=url, data_dir=tmp_path), nodes)


@pytest.mark.parametrize("nodes", [1, MAX_NODES + 1])
def test_the_number_of_nodes_is_bounded(tmp_path: Path, nodes: int) -> None:
    with pytest.raises(OpenSearchNodeError, match="2 to"):
        _cluster(tmp_path, nodes=nodes)


def test_ports_follow_the_first_address(tmp_path: Path) -> None:
    cluster = _cluster(tmp_path, "http://127.0.0.1:9270,http://127.0.0.1:9999")
    assert cluster.http_ports == [9270, 9271, 9272]
    assert cluster.transport_ports == [9370, 9371, 9372]
    assert cluster.cluster_name == "ren-index-9270"
    with pytest.raises(OpenSearchNodeError, match="9299"):
        _cluster(tmp_path, "http://127.0.0.1:9298")


def test_refuses_remote_nodes(tmp_path: Path) -> None:
    with pytest.raises(OpenSearchNodeError, match="not on this machine"):
        _cluster(tmp_path, "http://127.0.0.1:9260,http://search.example.org:9200").start(wait=1)


def test_refuses_a_port_taken_by_something_else(tmp_path: Path) -> None:
    with socket.socket() as busy:
        for base in range(9280, 9297):
            try:
                busy.bind(("127.0.0.1", base + 1 + 100))  # node 1's transport port
                break
            except OSError:
                continue
        else:
            pytest.skip("no free port to occupy")
        busy.listen()
        with pytest.raises(OpenSearchNodeError, match="taken"):
            _cluster(tmp_path, f"http://127.0.0.1:{base}").start(wait=1)


def test_refuses_another_shape_on_a_formed_cluster(tmp_path: Path) -> None:
    """A cluster keeps its voting configuration in its data: another shape there would never form."""
    root = tmp_path / "opensearch-cluster"
    root.mkdir()
    (root / "cluster.json").write_text(json.dumps({"nodes": 2, "http_ports": [9290, 9291]}))
    with pytest.raises(OpenSearchNodeError, match="stop it"):
        _cluster(tmp_path).start(wait=1)
    found = LocalCluster.existing(Settings(data_dir=tmp_path))
    assert found is not None and found.http_ports == [9290, 9291]
    found.stop()  # no node to stop: a no-op
    assert not found.status().running
