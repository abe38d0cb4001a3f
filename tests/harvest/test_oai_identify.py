"""Identify and the datestamps of the next incremental window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from oai_server import Reply, ScriptedServer, SleepRecorder, fixture_bytes

from ren_index.errors import OaiProtocolError
from ren_index.harvest.oai import IdentifyInfo, OaiHarvester, RequestContext, format_datestamp
from ren_index.harvest.oai_response import parse_response


def test_identify_day_granularity(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(Reply(fixture_bytes("identify_day.xml")))
    info = OaiHarvester(oai_server.url, "oai_dc", sleep=sleeps).identify()
    assert info == IdentifyInfo(
        repository_name="Dépôt collégial des ressources éducatives",
        base_url="https://cegep.example.qc.ca/oai",
        granularity="YYYY-MM-DD",
        deleted_record="persistent",
        earliest_datestamp="2012-09-01",
    )
    assert oai_server.received[0].params == {"verb": ["Identify"]}


def test_identify_seconds_granularity(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(Reply(fixture_bytes("identify_seconds.xml")))
    info = OaiHarvester(oai_server.url, "oai_lom", sleep=sleeps).identify()
    assert info.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert info.deleted_record == "transient"
    assert info.earliest_datestamp == "2009-01-15T00:00:00Z"


@pytest.mark.parametrize("raw", ["", "YYYY-MM-DDThh:mm:ss", "seconds"])
def test_unknown_or_missing_granularity_falls_back_to_days(raw: str) -> None:
    body = fixture_bytes("identify_seconds.xml").replace(
        b"<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>",
        f"<granularity>{raw}</granularity>".encode() if raw else b"",
    )
    info = parse_response(body, context=RequestContext(verb="Identify"))
    assert isinstance(info, IdentifyInfo)
    assert info.granularity == "YYYY-MM-DD"


def test_identify_error(oai_server: ScriptedServer, sleeps: SleepRecorder) -> None:
    oai_server.script(Reply(fixture_bytes("error_badVerb.xml"), status=400))
    with pytest.raises(OaiProtocolError) as caught:
        OaiHarvester(oai_server.url, "oai_dc", sleep=sleeps).identify()
    assert caught.value.code == "badVerb"
    assert caught.value.verb == "Identify"
    assert caught.value.http_status == 400


MOMENT = datetime(2025, 3, 14, 8, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "granularity", "expected"),
    [
        (MOMENT, "YYYY-MM-DD", "2025-03-14"),
        (MOMENT, "YYYY-MM-DDThh:mm:ssZ", "2025-03-14T08:05:09Z"),
        (MOMENT.replace(microsecond=999_999), "YYYY-MM-DDThh:mm:ssZ", "2025-03-14T08:05:09Z"),
        (datetime(2025, 3, 14, 8, 5, 9), "YYYY-MM-DDThh:mm:ssZ", "2025-03-14T08:05:09Z"),
        # 22:30 in Montreal (UTC-4) is already the next day in UTC
        (
            datetime(2025, 3, 14, 22, 30, tzinfo=timezone(timedelta(hours=-4))),
            "YYYY-MM-DD",
            "2025-03-15",
        ),
        (
            datetime(2025, 3, 14, 22, 30, tzinfo=timezone(timedelta(hours=-4))),
            "YYYY-MM-DDThh:mm:ssZ",
            "2025-03-15T02:30:00Z",
        ),
    ],
)
def test_format_datestamp(moment: datetime, granularity: str, expected: str) -> None:
    assert format_datestamp(moment, granularity) == expected


def test_format_datestamp_refuses_unknown_granularity() -> None:
    with pytest.raises(ValueError):
        format_datestamp(MOMENT, "YYYY")
