"""The one clock: Montreal time with its French zone for people, UTC ISO 8601 for JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ren_index.config.clock import local_time, utc_iso


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2026, 12, 6, 1, 19, tzinfo=UTC), "2026-12-05 20:19 HNE"),  # winter: UTC−5, day before
        (datetime(2026, 7, 1, 16, 0, tzinfo=UTC), "2026-07-01 12:00 HAE"),  # summer: UTC−4
        ("2026-03-08T06:59:00+00:00", "2026-03-08 01:59 HNE"),  # the minute before the spring change
        ("2026-03-08T07:00:00Z", "2026-03-08 03:00 HAE"),  # and the minute after
        ("2026-12-06T01:19:00", "2026-12-05 20:19 HNE"),  # naive: the ledger's UTC
        (datetime(2026, 12, 6, 3, 19, tzinfo=timezone(timedelta(hours=2))), "2026-12-05 20:19 HNE"),
        (None, "—"),
    ],
)
def test_local_time(value: datetime | str | None, shown: str) -> None:
    assert local_time(value) == shown


def test_seconds_and_json() -> None:
    moment = datetime(2026, 12, 6, 1, 19, 7, tzinfo=UTC)
    assert local_time(moment, seconds=True) == "2026-12-05 20:19:07 HNE"
    assert utc_iso("2026-12-05T20:19:07-05:00") == "2026-12-06T01:19:07+00:00"
    assert utc_iso(None) is None
