"""OAI-PMH 2.0 repository logic over demo records: request arguments in, response document out.

Kept apart from HTTP (:mod:`ren_index.demo.server`). The protocol's rules are the provider's
(:mod:`ren_index.provider.arguments` for verbs, arguments, error codes and date windows,
:mod:`ren_index.provider.tokens` for signed stateless resumption tokens): the demo differs only in
what it serves (generated records rather than the ledger). Its lists are ordered by (datestamp,
identifier) and tokens carry the key of the last record sent, so a page fetched twice gives the
same answer; unlike the provider, the demo leaves its lists open at the top (no snapshot), so a
record changed between two pages moves to the end of the list instead of shifting every later
page (a harvester then sees it twice, never zero times) — which the re-harvest tests rely on.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

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
from ren_index.provider.arguments import GRANULARITY, STAMP_FORMAT, OaiError, check_arguments, parse_window
from ren_index.provider.tokens import ListState, TokenError, decode_token, encode_token

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
REPOSITORY_ID = "demo.ren-index.example"
OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)
"""The upper bound of a list without ``until``: the demo's lists stay open (see above)."""


class OaiRepository:
    """The demo repository: answers OAI-PMH requests over a swappable list of records."""

    def __init__(
        self,
        records: Iterable[DemoRecord],
        *,
        base_url: str,
        page_size: int = 50,
        secret: bytes | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.base_url = base_url
        self.page_size = page_size
        self._secret = secret or secrets.token_bytes(32)
        """Signs this repository's tokens: a demo needs no key that outlives it."""
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
        moment = (now or datetime.now(UTC)).strftime(STAMP_FORMAT)
        _sub(root, "responseDate", moment)
        request = _sub(root, "request", self.base_url)
        try:
            verb, args = check_arguments(params)
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
        state = self._decode(token, verb) if token is not None else _new_state(verb, args)
        if state.prefix not in METADATA_FORMATS:
            raise OaiError("cannotDisseminateFormat", state.prefix)
        matching = [r for r in self.records if _matches(r, state)]
        remaining = [r for r in matching if state.after is None or _key(r) > state.after]
        if not remaining:
            if token is not None:
                raise OaiError("badResumptionToken", "the list has no records left")
            raise OaiError("noRecordsMatch")
        page = remaining[: self.page_size]
        el = _oai(verb)
        for rec in page:
            el.append(_header(rec) if verb == "ListIdentifiers" else _record(rec, state.prefix))
        if token is not None or len(remaining) > len(page):
            next_token = ""
            if len(remaining) > len(page):
                following = ListState(
                    verb,
                    state.prefix,
                    state.set_spec,
                    state.lower,
                    state.upper,
                    state.cursor + len(page),
                    _key(page[-1]),
                )
                next_token = encode_token(following, self._secret)
            resumption = _sub(el, "resumptionToken", next_token or None)
            resumption.set("cursor", str(state.cursor))
            resumption.set("completeListSize", str(len(matching)))
        return el

    def _decode(self, token: str, verb: str) -> ListState:
        try:
            return decode_token(token, verb, self._secret)
        except TokenError as exc:
            raise OaiError("badResumptionToken", token[:60]) from exc

    def _find(self, identifier: str) -> DemoRecord:
        for rec in self.records:
            if rec.identifier == identifier:
                return rec
        raise OaiError("idDoesNotExist", identifier)


# --- lists ------------------------------------------------------------------------------


def _new_state(verb: str, args: dict[str, str]) -> ListState:
    window = parse_window(args.get("from"), args.get("until"))
    return ListState(verb, args["metadataPrefix"], args.get("set"), window.lower, window.upper or OPEN_END)


def _moment(datestamp: str) -> datetime:
    return datetime.strptime(datestamp, STAMP_FORMAT).replace(tzinfo=UTC)


def _key(rec: DemoRecord) -> tuple[datetime, str]:
    return (_moment(rec.datestamp), rec.identifier)


def _matches(rec: DemoRecord, state: ListState) -> bool:
    if state.prefix == "lom" and rec.metadata_format != "lom":
        return False
    if state.set_spec is not None and state.set_spec not in rec.set_specs:
        return False
    moment = _moment(rec.datestamp)
    if state.lower is not None and moment < state.lower:
        return False
    return moment < state.upper


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
