"""The one clock people read: America/Montreal wall-clock time with its zone, French abbreviation.

Every date shown to a person — CLI tables, web pages, CSV exports — goes through
:func:`local_time` (``2026-12-05 20:19 HNE``; ``HAE`` in summer); every date in JSON (``--json``,
the API, webhooks) through :func:`utc_iso` (ISO 8601 in UTC with an explicit offset). Before,
four places showed the same moment four ways (naive UTC, Montreal, UTC with ``Z``…), and a
librarian comparing a run's start with a schedule could not tell which was which.

Ledger timestamps are timezone-aware UTC (``ledger.models.UtcDateTime``); a naive value (an old
ISO string without offset) is read as UTC, which is what the ledger always wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "America/Montreal"
MONTREAL = ZoneInfo(TIMEZONE)
ZONE_NAMES = {"EST": "HNE", "EDT": "HAE"}
"""Heure normale / avancée de l'Est: how Quebec writes the zone."""


def as_moment(value: datetime | str | None) -> datetime | None:
    """A datetime from a ledger value or an ISO string; naive values are UTC."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(value: datetime | str | None, *, seconds: bool = False, empty: str = "—") -> str:
    """``2026-12-05 20:19 HNE``: Montreal wall-clock time with its zone, for people."""
    moment = as_moment(value)
    if moment is None:
        return empty
    local = moment.astimezone(MONTREAL)
    zone = local.tzname() or ""
    return f"{local:%Y-%m-%d %H:%M{':%S' if seconds else ''}} {ZONE_NAMES.get(zone, zone)}"


def french_hour(local: datetime) -> str:
    """``14 h 05 HNE``: the hour as a French sentence says it, from a Montreal wall-clock time
    (for « pris par marie depuis 14 h 02 HNE », « approuvée par marie à 14 h 05 HNE »)."""
    zone = local.tzname() or ""
    return f"{local.hour} h {local.minute:02d} {ZONE_NAMES.get(zone, zone)}"


def utc_iso(value: datetime | str | None) -> str | None:
    """ISO 8601 in UTC with its offset (``2026-12-06T01:19:00+00:00``), for JSON."""
    moment = as_moment(value)
    return None if moment is None else moment.astimezone(UTC).isoformat()
