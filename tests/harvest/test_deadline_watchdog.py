"""The one watchdog thread behind every request's deadline (issue 17: it replaced a ``Timer`` thread
per request): a short deadline added after a long one still fires on time and wakes the blocked
read, a request that ended is never fired at, and the watchdog's heap stays bounded."""

from __future__ import annotations

import socket
import time

from ren_index.harvest import transport


def test_a_short_deadline_behind_a_long_one_fires_on_time() -> None:
    long = transport._Watch(300.0, "http://long.example")
    long.start()
    short = transport._Watch(0.3, "http://short.example")
    reader, writer = socket.socketpair()
    try:
        short.add(reader)
        short.start()
        started = time.monotonic()
        reader.settimeout(10.0)
        assert reader.recv(1) == b""  # the blocked read returns once the deadline shuts it down
        assert 0.2 <= time.monotonic() - started < 5.0
        assert short.stop() is True and short.expired()
    finally:
        long.stop()
        reader.close()
        writer.close()
    assert long.fired is False


def test_an_ended_request_is_left_alone_and_the_heap_stays_bounded() -> None:
    ended = transport._Watch(0.05, "http://ended.example")
    reader, writer = socket.socketpair()
    try:
        ended.add(reader)
        ended.start()
        assert ended.stop() is False
        for _ in range(500):  # a harvest's requests, each ended well before its deadline
            watch = transport._Watch(300.0, "http://page.example")
            watch.start()
            watch.stop()
        time.sleep(0.3)  # past the ended request's deadline
        assert ended.fired is False
        writer.sendall(b"x")
        reader.settimeout(5.0)
        assert reader.recv(1) == b"x"  # its socket was not shut down
    finally:
        reader.close()
        writer.close()
    assert len(transport._WATCHDOG._heap) <= 130
