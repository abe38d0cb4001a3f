"""Redirects from a repository never reach an address the source was not trusted with (issue 10, 1).

An OAI-PMH repository answering ``302`` to ``http://127.0.0.1:9200/_cat/indices`` made the
harvester fetch it and put 500 bytes of the answer in the run's error (shown by ``--json``, sent
to the webhook); a ``file://`` redirect was retried six times. Now every ``Location`` goes through
the address policy before it is fetched; a refusal is one error naming the URL and the rule, and
is not retried. The targets are :class:`Trap` listeners whose connection count must stay 0.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ren_index.demo.catalogue import demo_records
from ren_index.demo.server import DemoOaiServer
from ren_index.errors import AddressRefusedError, HarvestError
from ren_index.harvest.addresses import AddressPolicy
from ren_index.harvest.oai import OaiHarvester
from ren_index.ledger.db import open_ledger
from ren_index.ledger.models import HarvestRun
from ren_index.settings import Settings
from ren_index.steps.harvest import harvest_source

from .test_harvest_servers import (
    SECRET,
    Hostile,
    Reply,
    Trap,
    identify,
    list_records,
    make_settings,
    oai_source,
)


@pytest.fixture
def settings(tmp_path: Path, ledger_url: Callable[..., str]) -> Settings:
    return make_settings(tmp_path, ledger_url)


@pytest.fixture
def ledger(settings: Settings) -> sessionmaker[Session]:
    return open_ledger(settings.db_url)


@pytest.fixture
def trap() -> Iterator[Trap]:
    with Trap() as listener:
        yield listener


def redirect_to(location: str) -> Callable[[str, int], Reply]:
    return lambda path, n: Reply(b"moved", status=302, headers={"Location": location})


def the_run(ledger: sessionmaker[Session]) -> HarvestRun:
    with ledger() as session:
        return session.scalars(select(HarvestRun)).one()


def test_a_redirect_to_another_port_is_refused_never_fetched_nor_retried(
    ledger: sessionmaker[Session], settings: Settings, trap: Trap
) -> None:
    with Hostile(redirect_to(trap.url)) as repository:
        report = harvest_source(ledger, oai_source(repository.url), settings)
        assert repository.requests == ["/oai?verb=Identify"]  # one request: no retry (max_retries=2)
    assert trap.connections == 0
    assert report["status"] == "failed"
    message = report["error"]["message"]
    assert trap.url in message  # the URL
    assert "non publique" in message and "non-public" in message  # the rule, in both languages
    assert "allow_hosts" in message
    assert SECRET not in json.dumps(report)
    assert not report["error"].get("snippet")
    run = the_run(ledger)
    assert run.status == "failed" and run.error is not None
    assert SECRET not in json.dumps(run.error)
    assert "owner" not in (run.checkpoint or {})  # the lock is released


def test_a_file_redirect_is_refused_at_once(ledger: sessionmaker[Session], settings: Settings) -> None:
    with Hostile(redirect_to("file:///etc/passwd")) as repository:
        report = harvest_source(ledger, oai_source(repository.url), settings)
        assert len(repository.requests) == 1  # before: 1 + 6 retries
    assert report["status"] == "failed"
    assert "file:///etc/passwd" in report["error"]["message"]
    assert "only http and https" in report["error"]["message"]
    assert "root:" not in json.dumps(report)


@pytest.mark.parametrize(
    "location",
    [
        "http://[::1]:{port}/x",
        "http://0.0.0.0:{port}/x",
        "http://localhost:{port}/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/x",
        "gopher://127.0.0.1:{port}/x",
        "http://[::1:{port}/x",
        "//127.0.0.1:{port}/x",
    ],
)
def test_internal_addresses_in_any_spelling_are_refused(
    ledger: sessionmaker[Session], settings: Settings, trap: Trap, location: str
) -> None:
    with Hostile(redirect_to(location.format(port=trap.port))) as repository:
        report = harvest_source(ledger, oai_source(repository.url), settings)
        assert len(repository.requests) == 1
    assert report["status"] == "failed"
    assert "address refused" in report["error"]["message"]
    assert trap.connections == 0


def test_a_redirect_within_the_source_is_still_followed(
    ledger: sessionmaker[Session], settings: Settings
) -> None:
    """Redirects are followed by ren-index now, not by requests: a move on the same server works,
    including an ``https`` upgrade's sibling, a relative ``Location``."""

    def respond(path: str, n: int) -> Reply:
        if path.startswith("/oai?"):
            return Reply(b"", status=301, headers={"Location": "/v2" + path})
        if "verb=Identify" in path:
            return Reply(identify())
        return Reply(list_records(["oai:h:1", "oai:h:2"], None))

    with Hostile(respond) as repository:
        report = harvest_source(ledger, oai_source(repository.url), settings)
        assert [p.split("?")[0] for p in repository.requests] == ["/oai", "/v2/oai", "/oai", "/v2/oai"]
    assert report["status"] == "completed", report.get("error")
    assert report["counts"]["harvested"] == 2


def test_allow_hosts_lets_a_listed_host_and_port_through(
    ledger: sessionmaker[Session], settings: Settings
) -> None:
    records = [r for r in demo_records() if r.metadata_format == "lom"][:7]
    with DemoOaiServer(records=records, page_size=5) as mirror:

        def respond(path: str, n: int) -> Reply:
            return Reply(b"", status=302, headers={"Location": mirror.url + "?" + path.split("?", 1)[1]})

        with Hostile(respond) as front:
            refused = harvest_source(ledger, oai_source(front.url, metadata_prefix="lom"), settings)
            assert refused["status"] == "failed" and mirror.url in refused["error"]["message"]
            listed = oai_source(front.url, metadata_prefix="lom", allow_hosts=[f"127.0.0.1:{mirror.port}"])
            report = harvest_source(ledger, listed, settings, full=True)
            other_port = oai_source(
                front.url, metadata_prefix="lom", allow_hosts=[f"127.0.0.1:{mirror.port + 1}"]
            )
            again = harvest_source(ledger, other_port, settings, full=True)
    assert report["status"] == "completed" and report["counts"]["harvested"] == 7
    assert again["status"] == "failed"  # the port is part of the entry


def test_a_redirect_loop_on_the_source_stops_after_five_hops(
    ledger: sessionmaker[Session], settings: Settings
) -> None:
    with Hostile() as repository:
        repository.respond = redirect_to(repository.url + "?verb=Identify")
        report = harvest_source(ledger, oai_source(repository.url), settings)
        assert len(repository.requests) == 6  # the request and five redirects; no retry
    assert report["status"] == "failed"
    assert "too many redirects" in report["error"]["message"]


# --- rule (b): a host whose every address is public; the resolver is injected ------------------


def resolver(table: dict[str, list[str]]) -> Callable[..., list[tuple[Any, ...]]]:
    """A stand-in for ``socket.getaddrinfo`` answering from ``table`` (no DNS, no network)."""

    def resolve(host: str, port: int | None, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
            for a in table[host]
        ]

    return resolve


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["93.184.216.34", "10.0.0.7"], ["2606:2800:220:1::1", "::ffff:127.0.0.1"], ["fe80::1"]],
)
def test_a_public_looking_name_that_resolves_inside_is_refused(trap: Trap, addresses: list[str]) -> None:
    """Rule (b): *every* resolved address must be public; one private answer is enough to refuse."""
    location = f"http://public.example:{trap.port}/_cat/indices"
    with Hostile(redirect_to(location)) as repository:
        policy = AddressPolicy(repository.url, resolver=resolver({"public.example": addresses}))
        harvester = OaiHarvester(repository.url, "oai_dc", max_retries=2, sleep=lambda s: None, policy=policy)
        with pytest.raises(AddressRefusedError) as refused:
            harvester.identify()
        assert len(repository.requests) == 1
    assert refused.value.rule == "non_public" and location in str(refused.value)
    assert trap.connections == 0


def test_a_name_that_does_not_resolve_is_refused(trap: Trap) -> None:
    with Hostile(redirect_to(f"http://nowhere.example:{trap.port}/")) as repository:
        policy = AddressPolicy(repository.url, resolver=resolver({}))
        harvester = OaiHarvester(repository.url, "oai_dc", max_retries=2, sleep=lambda s: None, policy=policy)
        with pytest.raises(AddressRefusedError) as refused:
            harvester.identify()
        assert len(repository.requests) == 1
    assert refused.value.rule == "unresolvable"


SOURCE = "http://depot.example.org:8080/oai"
PUBLIC = {"cdn.example.net": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]}


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://depot.example.org:8080/oai?verb=Identify", True),  # (a) the source itself
        ("https://depot.example.org:8080/oai", True),  # (a) its https upgrade
        ("http://DEPOT.example.org.:8080/autre", True),  # same host, however written
        ("http://depot.example.org:8081/oai", False),  # another port on the source's host
        ("http://cdn.example.net/page2", True),  # (b) every address public
        ("https://cdn.example.net:8443/page2", True),
        ("http://10.1.2.3/", False),
        ("http://172.16.0.1/", False),
        ("http://192.168.1.1/", False),
        ("http://100.64.0.1/", False),  # carrier-grade NAT: not public
        ("http://224.0.0.1/", False),  # multicast
        ("http://240.0.0.1/", False),  # reserved
        ("http://[fc00::1]/", False),
        ("http://[::]/", False),
        ("http://[2002:7f00:1::]/", False),  # 6to4 carrying 127.0.0.1
        ("http://[64:ff9b::a00:1]/", False),  # NAT64 carrying 10.0.0.1
        ("http://8.8.8.8/", True),
        ("ftp://cdn.example.net/", False),
        ("javascript:alert(1)", False),
        ("http:///nohost", False),
        ("http://cdn.example.net:99999/", False),
    ],
)
def test_the_address_rules(url: str, allowed: bool) -> None:
    policy = AddressPolicy(SOURCE, resolver=resolver(PUBLIC))
    if allowed:
        assert policy.check(url) == url
    else:
        with pytest.raises(AddressRefusedError) as refused:
            policy.check(url)
        assert url in str(refused.value)


def test_the_https_upgrade_of_a_default_port_source_is_port_443() -> None:
    policy = AddressPolicy("http://depot.example.org/oai", resolver=resolver({}))
    assert policy.check("https://depot.example.org/oai")
    assert policy.check("https://depot.example.org:443/oai")
    with pytest.raises(AddressRefusedError):
        policy.check("https://depot.example.org:80/oai")
    https_source = AddressPolicy("https://depot.example.org/oai", resolver=resolver({}))
    with pytest.raises(AddressRefusedError):  # no downgrade
        https_source.check("http://depot.example.org/oai")


@pytest.mark.parametrize(
    ("entry", "url", "allowed"),
    [
        ("10.0.0.5", "http://10.0.0.5:9000/x", True),
        ("10.0.0.5:8443", "https://10.0.0.5:8443/x", True),
        ("10.0.0.5:8443", "https://10.0.0.5/x", False),
        ("intranet.example", "http://INTRANET.example/x", True),
        ("[::1]:8080", "http://[::1]:8080/x", True),
        ("::1", "http://[::1]:9200/x", True),
        ("[::1]:8080", "http://[::1]:9200/x", False),
    ],
)
def test_allow_hosts_entries(entry: str, url: str, allowed: bool) -> None:
    policy = AddressPolicy(SOURCE, [entry], resolver=resolver({"intranet.example": ["10.9.9.9"]}))
    if allowed:
        assert policy.check(url) == url
    else:
        with pytest.raises(AddressRefusedError):
            policy.check(url)


@pytest.mark.parametrize("entry", ["http://10.0.0.5/", "host/path", "h:0", "h:70000", "", "a b", "[::1"])
def test_a_bad_allow_hosts_entry_is_a_config_error_naming_it(entry: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as bad:
        oai_source("http://127.0.0.1:1/oai", allow_hosts=[entry])
    assert "allow_hosts" in str(bad.value)


def test_allow_hosts_entries_are_accepted_in_sources_yaml() -> None:
    entries = ["cdn.example.org", "10.0.0.5:8443", "[::1]:8080", "::1", " miroir.example.org "]
    source = oai_source("http://127.0.0.1:1/oai", allow_hosts=entries)
    assert source.allow_hosts == [e.strip() for e in entries]
    AddressPolicy(source.url, source.allow_hosts)  # and the harvester reads every one of them


def test_a_public_name_is_connected_at_the_address_that_was_checked(
    trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the check saw a public address; the connection must not ask DNS again.

    ``localhost`` stands for a name whose second DNS answer is internal: the injected resolver
    says it is 93.184.216.34, the system says 127.0.0.1 (the trap). The connection is recorded at
    urllib3's socket seam and refused there, so no test ever reaches beyond 127.0.0.1.
    """
    import urllib3.util.connection

    dialled: list[tuple[str, int]] = []

    def record(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        dialled.append(address)
        raise OSError("the test dials no public address")

    location = f"http://localhost:{trap.port}/_cat/indices"
    with Hostile(redirect_to(location)) as repository:
        policy = AddressPolicy(repository.url, resolver=resolver({"localhost": ["93.184.216.34"]}))
        harvester = OaiHarvester(repository.url, "oai_dc", max_retries=0, sleep=lambda s: None, policy=policy)
        real = urllib3.util.connection.create_connection

        def only_public(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
            if address[0] == "127.0.0.1":  # the repository itself, configured: allowed
                return real(address, *args, **kwargs)
            return record(address)

        monkeypatch.setattr(urllib3.util.connection, "create_connection", only_public)
        with pytest.raises(HarvestError):
            harvester.identify()
    assert dialled == [("93.184.216.34", trap.port)]
    assert trap.connections == 0
