"""Network failures said once, in words a librarian can act on (issue 13, point 5)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from ren_index.errors import HarvestError
from ren_index.harvest.documents import DocumentClient
from ren_index.harvest.oai import OaiHarvester


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers (a hung repository)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


def _oai_error(url: str, **kwargs: float) -> HarvestError:
    harvester = OaiHarvester(url, "oai_dc", max_retries=1, sleep=lambda _s: None, **kwargs)
    with pytest.raises(HarvestError) as caught:
        harvester.identify()
    return caught.value


def test_a_refused_connection_is_said_once_with_host_and_port() -> None:
    port = _closed_port()
    err = _oai_error(f"http://127.0.0.1:{port}/oai")
    assert err.message == (
        f"connexion refusée par 127.0.0.1:{port} / connection refused by 127.0.0.1:{port}"
        " (Identify, 2 tentative(s) / attempt(s))"
    )
    assert "urllib3" not in str(err) and "Max retries" not in str(err) and "Errno" not in str(err)


def test_an_unknown_host_is_a_dns_failure() -> None:
    err = _oai_error("http://no-such-repository.invalid/oai")
    assert err.message.startswith(
        "hôte introuvable (DNS) : no-such-repository.invalid / host not found (DNS)"
    )


def test_a_silent_server_did_not_answer_in_time(silent_server: int) -> None:
    err = _oai_error(f"http://127.0.0.1:{silent_server}/oai", timeout=0.3)
    assert (
        f"127.0.0.1:{silent_server} ne répond pas à temps / 127.0.0.1:{silent_server} did not answer"
        in err.message
    )


def test_a_feed_says_the_same() -> None:
    port = _closed_port()
    client = DocumentClient(max_retries=0, sleep=lambda _s: None)
    with pytest.raises(HarvestError) as caught:
        client.get(f"http://127.0.0.1:{port}/feed.xml")
    assert caught.value.message.startswith(f"connexion refusée par 127.0.0.1:{port} / connection refused by")
