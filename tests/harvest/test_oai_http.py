"""Retries, Retry-After, resets and timeouts, against a real local HTTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from oai_server import Reply, ScriptedServer, SleepRecorder, fixture_bytes

from ren_index.errors import HarvestError, NotOaiResponseError
from ren_index.harvest.oai import OaiHarvester
from ren_index.harvest.oai_http import retry_after_seconds

OK = fixture_bytes("dc_single_page.xml")


def make(server: ScriptedServer, sleeps: SleepRecorder, **kwargs: float) -> OaiHarvester:
    options: dict[str, float] = {"timeout": 5.0, "max_retries": 3, "backoff": 1.0}
    options.update(kwargs)
    return OaiHarvester(
        server.url,
        "oai_dc",
        timeout=options["timeout"],
        max_retries=int(options["max_retries"]),
        backoff=options["backoff"],
        max_retry_after=options.get("max_retry_after", 300.0),
        sleep=sleeps,
    )


def records(harvester: OaiHarvester) -> int:
    return sum(len(p.records) for p in harvester.pages())


def test_503_retry_after_seconds_is_honoured(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(
        Reply("busy", status=503, headers={"Retry-After": "7"}),
        Reply("busy", status=503, headers={"Retry-After": "12"}),
        Reply(OK),
    )
    assert records(make(oai_server, sleeps)) == 3
    assert sleeps.calls == [7.0, 12.0]
    assert len(oai_server.received) == 3
    # every attempt asks the same thing
    assert all(r.params == oai_server.received[0].params for r in oai_server.received)


def test_503_retry_after_http_date(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    oai_server.script(Reply("busy", status=503, headers={"Retry-After": when}), Reply(OK))
    assert records(make(oai_server, sleeps)) == 3
    (waited,) = sleeps.calls
    assert 110 <= waited <= 120


def test_retry_after_is_capped(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    far = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    oai_server.script(
        Reply("slow down", status=429, headers={"Retry-After": "86400"}),
        Reply("busy", status=503, headers={"Retry-After": far}),
        Reply(OK),
    )
    assert records(make(oai_server, sleeps, max_retry_after=30.0)) == 3
    assert sleeps.calls == [30.0, 30.0]


def test_429_without_retry_after_backs_off_exponentially(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(Reply("", status=429), Reply("", status=500), Reply("", status=502), Reply(OK))
    assert records(make(oai_server, sleeps, backoff=0.5)) == 3
    assert sleeps.calls == [0.5, 1.0, 2.0]


def test_5xx_until_retries_run_out_is_a_harvest_error_with_status(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(*[Reply("<html>Erreur interne</html>", status=500) for _ in range(3)])
    with pytest.raises(HarvestError) as caught:
        records(make(oai_server, sleeps, max_retries=2))
    err = caught.value
    assert not isinstance(err, NotOaiResponseError)
    assert err.http_status == 500
    assert err.endpoint == oai_server.url
    assert err.verb == "ListRecords"
    assert err.metadata_prefix == "oai_dc"
    assert err.snippet == "<html>Erreur interne</html>"
    assert len(oai_server.received) == 3
    assert sleeps.calls == [1.0, 2.0]


def test_404_html_is_not_retried_and_names_the_status(
    oai_server: ScriptedServer, sleeps: SleepRecorder
) -> None:
    oai_server.script(Reply(fixture_bytes("html_page.html"), status=404))
    with pytest.raises(HarvestError) as caught:
        records(make(oai_server, sleeps))
    assert caught.value.http_status == 404
    assert len(oai_server.received) == 1
    assert sleeps.calls == []


def test_connection_reset_then_success(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(Reply(reset=True), Reply(OK))
    assert records(make(oai_server, sleeps)) == 3
    assert sleeps.calls == [1.0]
    assert len(oai_server.received) == 2


def test_timeout_then_success(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(Reply(OK, delay=0.5), Reply(OK))
    assert records(make(oai_server, sleeps, timeout=0.1)) == 3
    assert sleeps.calls == [1.0]


def test_resets_until_retries_run_out(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(*[Reply(reset=True) for _ in range(3)])
    harvester = make(oai_server, sleeps, max_retries=2)
    with pytest.raises(HarvestError) as caught:
        list(harvester.pages(set_spec="collegial", resumption_token="tok-9"))
    err = caught.value
    assert "3 tentative(s) / attempt(s)" in err.message
    assert "connection reset by 127.0.0.1" in err.message
    assert err.resumption_token == "tok-9"
    assert err.set_spec == "collegial"
    assert err.http_status is None
    assert sleeps.calls == [1.0, 2.0]


def test_unreachable_endpoint(sleeps: SleepRecorder) -> None:
    harvester = OaiHarvester("http://127.0.0.1:9/oai", "oai_dc", max_retries=1, sleep=sleeps)
    with pytest.raises(HarvestError, match=r"connection refused by 127\.0\.0\.1:9 "):
        harvester.identify()
    assert sleeps.calls == [1.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry at once
        ("demain", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_date_is_relative_to_now() -> None:
    now = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("Fri, 14 Mar 2025 08:01:30 GMT", now) == 90.0
