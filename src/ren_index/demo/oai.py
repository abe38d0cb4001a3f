"""OAI-PMH 2.0 repository logic over demo records: request arguments in, response document out.

Kept apart from HTTP (:mod:`ren_index.demo.server`) so the protocol rules — argument checking,
date windows, sets, paging, error codes — read in one place and can be called without a socket.
Resumption tokens are stateless: they carry the list's arguments and the key of the last record
sent, so a page fetched twice gives the same answer, and a record changed between two pages
moves to the end of the list instead of shifting every later page (a harvester then sees it
twice, never zero times).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml import etree

from ren_index.demo.catalogue import DemoRecord
from ren_index.demo.records import (
    DC_NS,
    METADATA_FORMATS,
    OAI_DC_NS,
    XML_LANG,
    XSI_NS,
    can_disseminate,
    metadata_element,
)
from ren_index.demo.topics import PORTAL_SETS, SUBJECT_SETS

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
REPOSITORY_ID = "demo.ren-index.example"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
"""verb → (required arguments, optional arguments); ``resumptionToken`` is handled apart."""

_MESSAGES: dict[str, str] = {
    "badVerb": "Verbe absent, répété ou inconnu / missing, repeated or unknown verb",
    "badArgument": "Argument manquant, répété, illégal ou mal formé / "
    "missing, repeated, illegal or malformed argument",
    "badResumptionToken": "Jeton de reprise invalide ou expiré / invalid or expired resumption token",
    "cannotDisseminateFormat": "Format de métadonnées non offert / metadata format not available",
    "idDoesNotExist": "Identifiant inconnu dans ce dépôt / identifier unknown in this repository",
    "noRecordsMatch": "Aucune notice ne correspond / no records match the request",
}


class OaiError(Exception):
    """An OAI-PMH error condition; it becomes an ``<error code=...>`` element, not an HTTP error."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = _MESSAGES[code] + (f" — {detail}" if detail else "")


@dataclass(frozen=True)
class _ListQuery:
    verb: str
    prefix: str
    set_spec: str | None
    from_: str | None
    until: str | None
    cursor: int = 0
    after: tuple[str, str] | None = None


class OaiRepository:
    """The demo repository: answers OAI-PMH requests over a swappable list of records."""

    def __init__(self, records: Iterable[DemoRecord], *, base_url: str, page_size: int = 50) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.base_url = base_url
        self.page_size = page_size
        self._lock = threading.Lock()
        self._records: tuple[DemoRecord, ...] = ()
        self.set_records(records)

    def set_records(self, records: Iterable[DemoRecord]) -> None:
        """Replace the served records (e.g. a record changed or deleted, for re-harvest tests)."""
        ordered = tuple(sorted(records, key=lambda r: (r.datestamp, r.identifier)))
        with self._lock:
            self._records = ordered

    @property
    def records(self) -> tuple[DemoRecord, ...]:
        """The served records, in list order (datestamp, then identifier)."""
        with self._lock:
            return self._records

    def respond(self, params: Mapping[str, Sequence[str]], now: datetime | None = None) -> bytes:
        """The full response document (UTF-8 bytes) for the request arguments ``params``."""
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
        moment = (now or datetime.now(UTC)).strftime(_STAMP_FORMAT)
        _sub(root, "responseDate", moment)
        request = _sub(root, "request", self.base_url)
        try:
            verb, args = _check_arguments(params)
            request.set("verb", verb)
            for name, value in args.items():
                request.set(name, value)
            root.append(self._dispatch(verb, args))
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                request.attrib.clear()  # the request was not valid: echo the base URL only
            _sub(root, "error", error.message).set("code", error.code)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    # --- verbs ------------------------------------------------------------------------------

    def _dispatch(self, verb: str, args: dict[str, str]) -> etree._Element:
        if verb == "Identify":
            return self._identify()
        if verb == "ListMetadataFormats":
            return self._list_metadata_formats(args.get("identifier"))
        if verb == "ListSets":
            if "resumptionToken" in args:
                raise OaiError("badResumptionToken", "ListSets is never split")
            return self._list_sets()
        if verb == "GetRecord":
            return self._get_record(args["identifier"], args["metadataPrefix"])
        return self._list(verb, args)

    def _identify(self) -> etree._Element:
        records = self.records
        earliest = min((r.datestamp for r in records), default="2023-01-01T00:00:00Z")
        el = _oai("Identify")
        _sub(el, "repositoryName", "Dépôt de démonstration ren-index / ren-index demo repository")
        _sub(el, "baseURL", self.base_url)
        _sub(el, "protocolVersion", "2.0")
        _sub(el, "adminEmail", "demo@ren-index.example")
        _sub(el, "earliestDatestamp", earliest)
        _sub(el, "deletedRecord", "persistent")
        _sub(el, "granularity", GRANULARITY)
        description = _sub(el, "description")
        ident = etree.SubElement(description, f"{{{OAI_ID_NS}}}oai-identifier", nsmap={None: OAI_ID_NS})
        ident.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_ID_NS} {OAI_NS}oai-identifier.xsd")
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", REPOSITORY_ID),
            ("delimiter", ":"),
            ("sampleIdentifier", f"oai:{REPOSITORY_ID}:1"),
        ):
            etree.SubElement(ident, f"{{{OAI_ID_NS}}}{name}").text = value
        return el

    def _list_metadata_formats(self, identifier: str | None) -> etree._Element:
        prefixes = list(METADATA_FORMATS)
        if identifier is not None:
            rec = self._find(identifier)
            prefixes = [p for p in prefixes if can_disseminate(rec, p)]
        el = _oai("ListMetadataFormats")
        for prefix in prefixes:
            schema, namespace = METADATA_FORMATS[prefix]
            fmt = _sub(el, "metadataFormat")
            _sub(fmt, "metadataPrefix", prefix)
            _sub(fmt, "schema", schema)
            _sub(fmt, "metadataNamespace", namespace)
        return el

    def _list_sets(self) -> etree._Element:
        el = _oai("ListSets")
        for spec, (name_fr, name_en) in {**PORTAL_SETS, **SUBJECT_SETS}.items():
            item = _sub(el, "set")
            _sub(item, "setSpec", spec)
            _sub(item, "setName", name_fr)
            dc = etree.SubElement(
                _sub(item, "setDescription"),
                f"{{{OAI_DC_NS}}}dc",
                nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS},
            )
            for lang, text in (("fr", name_fr), ("en", name_en)):
                desc = etree.SubElement(dc, f"{{{DC_NS}}}description")
                desc.text = text
                desc.set(XML_LANG, lang)
        return el

    def _get_record(self, identifier: str, prefix: str) -> etree._Element:
        rec = self._find(identifier)
        if not can_disseminate(rec, prefix):
            raise OaiError("cannotDisseminateFormat", f"{identifier} in {prefix}")
        el = _oai("GetRecord")
        el.append(_record(rec, prefix))
        return el

    def _list(self, verb: str, args: dict[str, str]) -> etree._Element:
        token = args.get("resumptionToken")
        query = _decode_token(token, verb) if token is not None else _new_query(verb, args)
        if query.prefix not in METADATA_FORMATS:
            raise OaiError("cannotDisseminateFormat", query.prefix)
        matching = [r for r in self.records if _matches(r, query)]
        remaining = [r for r in matching if query.after is None or (r.datestamp, r.identifier) > query.after]
        if not remaining:
            if token is not None:
                raise OaiError("badResumptionToken", "the list has no records left")
            raise OaiError("noRecordsMatch")
        page = remaining[: self.page_size]
        el = _oai(verb)
        for rec in page:
            el.append(_header(rec) if verb == "ListIdentifiers" else _record(rec, query.prefix))
        if token is not None or len(remaining) > len(page):
            next_token = ""
            if len(remaining) > len(page):
                last = page[-1]
                next_token = _encode_token(
                    _ListQuery(
                        verb,
                        query.prefix,
                        query.set_spec,
                        query.from_,
                        query.until,
                        query.cursor + len(page),
                        (last.datestamp, last.identifier),
                    )
                )
            resumption = _sub(el, "resumptionToken", next_token or None)
            resumption.set("cursor", str(query.cursor))
            resumption.set("completeListSize", str(len(matching)))
        return el

    def _find(self, identifier: str) -> DemoRecord:
        for rec in self.records:
            if rec.identifier == identifier:
                return rec
        raise OaiError("idDoesNotExist", identifier)


# --- arguments ------------------------------------------------------------------------------


def _check_arguments(params: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
    verbs = params.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", ", ".join(verbs) or "no verb")
    verb = verbs[0]
    args: dict[str, str] = {}
    for name, values in params.items():
        if name == "verb":
            continue
        if len(values) != 1:
            raise OaiError("badArgument", f"{name} repeated")
        args[name] = values[0]
    required, optional = VERBS[verb]
    if "resumptionToken" in args and verb in ("ListIdentifiers", "ListRecords", "ListSets"):
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument")
        return verb, args
    illegal = set(args) - required - optional
    if illegal:
        raise OaiError("badArgument", "illegal: " + ", ".join(sorted(illegal)))
    missing = required - set(args)
    if missing:
        raise OaiError("badArgument", "missing: " + ", ".join(sorted(missing)))
    return verb, args


def _new_query(verb: str, args: dict[str, str]) -> _ListQuery:
    from_, until = args.get("from"), args.get("until")
    start = _parse_date(from_, end_of_day=False) if from_ is not None else None
    end = _parse_date(until, end_of_day=True) if until is not None else None
    if from_ is not None and until is not None:
        if len(from_) != len(until):
            raise OaiError("badArgument", "from and until must have the same granularity")
        if start is not None and end is not None and start > end:
            raise OaiError("badArgument", "from is later than until")
    return _ListQuery(
        verb,
        args["metadataPrefix"],
        args.get("set"),
        start.strftime(_STAMP_FORMAT) if start else None,
        end.strftime(_STAMP_FORMAT) if end else None,
    )


def _parse_date(value: str, *, end_of_day: bool) -> datetime:
    """A ``from``/``until`` value at day or second granularity, the two this repository supports."""
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1, seconds=-1) if end_of_day else day
        if len(value) == 20:
            return datetime.strptime(value, _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        pass
    raise OaiError("badArgument", f"bad date {value!r} (expected YYYY-MM-DD or {GRANULARITY})")


def _matches(rec: DemoRecord, query: _ListQuery) -> bool:
    if query.prefix == "lom" and rec.metadata_format != "lom":
        return False
    if query.set_spec is not None and query.set_spec not in rec.set_specs:
        return False
    if query.from_ is not None and rec.datestamp < query.from_:
        return False
    return query.until is None or rec.datestamp <= query.until


def _encode_token(query: _ListQuery) -> str:
    fields: list[object] = [
        query.verb,
        query.prefix,
        query.set_spec,
        query.from_,
        query.until,
        query.cursor,
    ]
    fields.append(list(query.after) if query.after else None)
    raw = json.dumps(fields, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_token(token: str, verb: str) -> _ListQuery:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        tverb, prefix, set_spec, from_, until, cursor, after = json.loads(raw)
        if tverb != verb or not isinstance(cursor, int) or not isinstance(prefix, str):
            raise ValueError("token belongs to another list")
        if not all(v is None or isinstance(v, str) for v in (set_spec, from_, until)):
            raise ValueError("malformed token")
        last = (str(after[0]), str(after[1])) if after else None
        return _ListQuery(verb, prefix, set_spec, from_, until, cursor, last)
    except (ValueError, TypeError, IndexError, binascii.Error, UnicodeDecodeError) as exc:
        raise OaiError("badResumptionToken", token[:60]) from exc


# --- elements -------------------------------------------------------------------------------


def _oai(name: str) -> etree._Element:
    return etree.Element(f"{{{OAI_NS}}}{name}")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        el.text = text
    return el


def _header(rec: DemoRecord) -> etree._Element:
    header = _oai("header")
    if rec.deleted:
        header.set("status", "deleted")
    _sub(header, "identifier", rec.identifier)
    _sub(header, "datestamp", rec.datestamp)
    for spec in rec.set_specs:
        _sub(header, "setSpec", spec)
    return header


def _record(rec: DemoRecord, prefix: str) -> etree._Element:
    record = _oai("record")
    record.append(_header(rec))
    if not rec.deleted:
        payload = metadata_element(rec, prefix)
        if payload is not None:
            _sub(record, "metadata").append(payload)
    return record
