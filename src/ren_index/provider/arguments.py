"""OAI-PMH request arguments: which verb takes what, the error codes, and the datestamp window.

Kept apart from the verbs so the protocol's rules on arguments (section 3.6 and 4 of the
specification) read in one place and are tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
"""verb → (required arguments, optional arguments); ``resumptionToken`` is handled apart."""

RESUMABLE = frozenset({"ListIdentifiers", "ListRecords", "ListSets"})
"""Verbs that accept ``resumptionToken`` (as their only argument)."""

MESSAGES: dict[str, str] = {
    "badVerb": "Verbe absent, répété ou inconnu / missing, repeated or unknown verb",
    "badArgument": "Argument manquant, répété, illégal ou mal formé / "
    "missing, repeated, illegal or malformed argument",
    "badResumptionToken": "Jeton de reprise invalide / invalid resumption token",
    "cannotDisseminateFormat": "Format de métadonnées non offert / metadata format not available",
    "idDoesNotExist": "Identifiant inconnu dans ce dépôt / identifier unknown in this repository",
    "noRecordsMatch": "Aucune notice ne correspond / no records match the request",
    "noMetadataFormats": "Aucun format pour cet élément / no metadata formats for this item",
    "noSetHierarchy": "Ce dépôt n'a pas d'ensembles / this repository has no sets",
}


class OaiError(Exception):
    """An OAI-PMH error condition: it becomes an ``<error code=...>`` element, never an HTTP error."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = MESSAGES[code] + (f" — {detail}" if detail else "")


def check_arguments(params: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, or :class:`OaiError` (``badVerb`` / ``badArgument``)."""
    verbs = params.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", ", ".join(v[:40] for v in verbs) or "no verb")
    verb = verbs[0]
    args: dict[str, str] = {}
    for name, values in params.items():
        if name == "verb":
            continue
        if len(values) != 1:
            raise OaiError("badArgument", f"{name[:40]} repeated")
        if not values[0]:
            raise OaiError("badArgument", f"{name[:40]} is empty")
        args[name] = values[0]
    required, optional = VERBS[verb]
    if "resumptionToken" in args and verb in RESUMABLE:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument")
        return verb, args
    illegal = set(args) - required - optional
    if illegal:
        raise OaiError("badArgument", "illegal: " + ", ".join(sorted(n[:40] for n in illegal)))
    missing = required - set(args)
    if missing:
        raise OaiError("badArgument", "missing: " + ", ".join(sorted(missing)))
    return verb, args


@dataclass(frozen=True)
class Window:
    """A datestamp window: ``lower`` inclusive, ``upper`` exclusive (either may be open)."""

    lower: datetime | None
    upper: datetime | None


def parse_window(from_: str | None, until: str | None) -> Window:
    """``from``/``until`` at day or second granularity, both the same, ``from`` ≤ ``until``.

    ``until`` is inclusive at its own granularity (``until=2024-05-01`` takes the whole day,
    ``until=...T10:00:00Z`` the whole second, since datestamps are shown to the second), so it
    becomes an exclusive bound one day or one second later. Per the specification (2.7.1), mixed
    granularities and ``from`` later than ``until`` are ``badArgument``.

    Every legal date is a window, the extreme ones included: ``until=9999-12-31`` has no "one day
    later" in Python's calendar, and it means "up to the end of time", so it is no upper bound at
    all (it used to overflow into an HTTP 500); ``until=0001-01-01`` and ``from=9999-12-31`` are
    windows that hold nothing (``noRecordsMatch``). Only a malformed date is ``badArgument``.
    """
    lower = _parse(from_) if from_ is not None else None
    upper = _parse(until) if until is not None else None
    if from_ is not None and until is not None:
        if len(from_) != len(until):
            raise OaiError("badArgument", "from and until must have the same granularity")
        if lower is not None and upper is not None and lower > upper:
            raise OaiError("badArgument", "from is later than until")
    if upper is not None and until is not None:
        try:
            upper += timedelta(days=1) if len(until) == 10 else timedelta(seconds=1)
        except OverflowError:
            upper = None  # the last day (or second) of year 9999: nothing lies after it
    return Window(lower, upper)


def _parse(value: str) -> datetime:
    """A ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ`` date, ASCII digits only (``strptime`` would
    also read "２０２４", which no harvester means)."""
    formats = {10: "%Y-%m-%d", 20: STAMP_FORMAT}
    if value.isascii() and len(value) in formats:
        try:
            return datetime.strptime(value, formats[len(value)]).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise OaiError("badArgument", f"bad date {value[:40]!r} (expected YYYY-MM-DD or {GRANULARITY})")


def stamp(moment: datetime) -> str:
    """A datestamp as the protocol shows it: UTC, to the second, ``Z``."""
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)
