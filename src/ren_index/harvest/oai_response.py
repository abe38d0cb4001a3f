# mypy: disable-error-code="import-untyped"
"""Reading OAI-PMH responses: a pure function from response bytes to a Page or an IdentifyInfo.

Every body is parsed with :func:`ren_index.xmlsafe.parse_xml` (no entities, no DTD, no network, no
recovery). Anything that is not a well-formed ``{http://www.openarchives.org/OAI/2.0/}OAI-PMH``
document raises :class:`NotOaiResponseError` (or a plain :class:`HarvestError` carrying the HTTP
status when the server also said it failed), so a broken page can never pass for the end of a list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TypeVar

from lxml import etree

from ren_index.errors import HarvestError, NotOaiResponseError, OaiProtocolError
from ren_index.harvest.base import Page, RawRecord
from ren_index.xmlsafe import UnsafeXmlError, parse_xml

log = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_OAI = "{" + OAI_NS + "}"
VERBS = (
    "ListRecords",
    "ListIdentifiers",
    "GetRecord",
    "Identify",
    "ListSets",
    "ListMetadataFormats",
)
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
NO_RECORDS_MATCH = "noRecordsMatch"
_E = TypeVar("_E", bound=HarvestError)


@dataclass(frozen=True)
class IdentifyInfo:
    """What a repository says about itself (the parts a harvester needs)."""

    repository_name: str | None
    base_url: str | None
    granularity: str
    """``"YYYY-MM-DD"`` or ``"YYYY-MM-DDThh:mm:ssZ"`` (day granularity when missing or unknown)."""
    deleted_record: str | None
    """``no``, ``transient`` or ``persistent`` as announced (``None`` when missing)."""
    earliest_datestamp: str | None

    @classmethod
    def complete_listing(cls, base_url: str) -> IdentifyInfo:
        """What a source without an Identify verb stands for (a feed, a dump, a folder of files):
        every run lists everything, so ``deleted_record="no"`` — a record absent from the listing
        is withdrawn — and seconds granularity (its dates are read as they come)."""
        return cls(
            repository_name=None,
            base_url=base_url,
            granularity=SECONDS,
            deleted_record="no",
            earliest_datestamp=None,
        )


@dataclass(frozen=True)
class RequestContext:
    """Where a response came from; every error raised about it carries these fields."""

    endpoint: str | None = None
    verb: str | None = None
    """The verb asked for; ``None`` accepts whichever verb the response carries (fixture replay)."""
    metadata_prefix: str | None = None
    set_spec: str | None = None
    resumption_token: str | None = None
    http_status: int | None = None

    def harvest_error(self, message: str, body: bytes | None = None) -> HarvestError:
        return self._build(HarvestError, message, body)

    def not_oai(self, message: str, body: bytes | None) -> NotOaiResponseError:
        return self._build(NotOaiResponseError, message, body)

    def protocol_error(self, code: str, message: str, body: bytes | None) -> OaiProtocolError:
        return OaiProtocolError(
            code,
            message,
            endpoint=self.endpoint,
            verb=self.verb,
            set_spec=self.set_spec,
            metadata_prefix=self.metadata_prefix,
            resumption_token=self.resumption_token,
            snippet=snippet(body) if body is not None else None,
            http_status=self.http_status,
        )

    def _build(self, cls: type[_E], message: str, body: bytes | None) -> _E:
        return cls(
            message,
            endpoint=self.endpoint,
            verb=self.verb,
            set_spec=self.set_spec,
            metadata_prefix=self.metadata_prefix,
            resumption_token=self.resumption_token,
            snippet=snippet(body) if body is not None else None,
            http_status=self.http_status,
        )


def snippet(body: bytes, size: int = 500) -> str:
    """The beginning of a body as text, for error messages (never fails on bad bytes)."""
    return body[: size * 4].decode("utf-8", errors="replace")[:size]


def parse_response(body: bytes, *, context: RequestContext) -> Page | IdentifyInfo:
    """Read one OAI-PMH response.

    Returns an :class:`IdentifyInfo` for ``Identify`` and a :class:`Page` for every other verb
    (``ListSets`` and ``ListMetadataFormats`` give a Page with no records, only its token).
    ``noRecordsMatch`` is not a failure: it gives an empty Page with no next token.
    Raises :class:`OaiProtocolError` for any other ``<error>``, :class:`NotOaiResponseError` for a
    body that is not OAI-PMH, and :class:`HarvestError` (with ``http_status``) for an HTTP error
    status whose body is no OAI error.
    """
    failed_status = context.http_status is not None and context.http_status >= 400
    # Leading whitespace before the XML declaration is strictly an error; real servers send it
    # and it hides nothing, so it is the one thing we forgive.
    text = body.lstrip(b" \t\r\n")
    reason: str | None = None
    root: etree._Element | None = None
    if not text:
        reason = "the body is empty"
    else:
        try:
            root = parse_xml(text)
        except UnsafeXmlError as exc:
            reason = f"the body was refused as unsafe XML: {exc}"
        except (etree.XMLSyntaxError, ValueError) as exc:
            reason = f"the body is not well-formed XML: {exc}"
    if root is not None and root.tag != _OAI + "OAI-PMH":
        reason = f"the root element is {root.tag!r}, not {{{OAI_NS}}}OAI-PMH"
    if reason is not None or root is None:
        if failed_status:
            raise context.harvest_error(f"HTTP {context.http_status}: {reason}", body)
        raise context.not_oai(f"not an OAI-PMH response: {reason}", body)

    response_date = _text(root.find(_OAI + "responseDate"))
    errors = [(e.get("code") or "", _text(e) or "") for e in root.iterchildren(_OAI + "error")]
    if errors:
        real = [(code, msg) for code, msg in errors if code != NO_RECORDS_MATCH]
        if not real:
            return Page(records=[], request_token=context.resumption_token, next_token=None,
                        response_date=response_date)  # fmt: skip
        code, message = real[0]
        if len(errors) > 1:
            message += " | " + " | ".join(f"{c}: {m}" for c, m in errors if (c, m) != real[0])
        raise context.protocol_error(code or "(no code)", message, body)

    verb_el = _verb_element(root, context)
    if verb_el is None:
        wanted = f"<{context.verb}>" if context.verb else "verb element"
        raise context.not_oai(f"OAI-PMH response without an error or a {wanted}", body)
    if failed_status:
        raise context.harvest_error(
            f"HTTP {context.http_status} although the body is an OAI-PMH response", body
        )
    verb = etree.QName(verb_el).localname
    if verb == "Identify":
        return _identify(verb_el)
    prefix = context.metadata_prefix or _request_attr(root, "metadataPrefix") or ""
    problems: list[str] = []
    if verb in ("ListRecords", "GetRecord"):
        records = [_record(el, prefix, problems) for el in verb_el.iterchildren(_OAI + "record")]
    elif verb == "ListIdentifiers":
        records = [
            _from_header(el, None, prefix, problems, want_metadata=False)
            for el in verb_el.iterchildren(_HEADER)
        ]
    else:
        records = []
    token_el = verb_el.find(_OAI + "resumptionToken")
    return Page(
        records=records,
        request_token=context.resumption_token,
        next_token=_text(token_el),
        cursor=_int_attr(token_el, "cursor"),
        complete_list_size=_int_attr(token_el, "completeListSize"),
        response_date=response_date,
        problems=problems,
    )


def _verb_element(root: etree._Element, context: RequestContext) -> etree._Element | None:
    if context.verb is not None:
        return root.find(_OAI + context.verb)
    for child in root:
        tag = child.tag
        if isinstance(tag, str) and tag.startswith(_OAI) and tag[len(_OAI) :] in VERBS:
            return child
    return None


_HEADER = _OAI + "header"
_METADATA = _OAI + "metadata"
_IDENTIFIER = _OAI + "identifier"
_DATESTAMP = _OAI + "datestamp"
_SET_SPEC = _OAI + "setSpec"


def _record(el: etree._Element, prefix: str, problems: list[str]) -> RawRecord:
    # One pass over the record's children rather than a ``find`` for each: lxml's ``find`` reads its
    # path through ElementPath on every call, and the lookups were most of the time spent reading a
    # page after the parse itself (issue 17). The first ``<header>`` and ``<metadata>`` are taken,
    # as ``find`` took them.
    header = metadata = None
    for child in el:
        tag = child.tag
        if tag == _HEADER:
            if header is None:
                header = child
        elif tag == _METADATA and metadata is None:
            metadata = child
    if header is None:
        problems.append("record without a <header>: kept with no identifier")
        payload = _payload(metadata, "(no header)", problems)
        return RawRecord(None, None, False, prefix, payload)
    return _from_header(header, metadata, prefix, problems, want_metadata=True)


def _from_header(
    header: etree._Element,
    metadata: etree._Element | None,
    prefix: str,
    problems: list[str],
    *,
    want_metadata: bool,
) -> RawRecord:
    identifier_el = datestamp_el = None
    set_specs: list[str] = []
    for child in header:  # one pass, as in _record; the first identifier and datestamp count
        tag = child.tag
        if tag == _IDENTIFIER:
            if identifier_el is None:
                identifier_el = child
        elif tag == _DATESTAMP:
            if datestamp_el is None:
                datestamp_el = child
        elif tag == _SET_SPEC:
            spec = _text(child)
            if spec and spec not in set_specs:
                set_specs.append(spec)
    identifier = _text(identifier_el)
    datestamp = _text(datestamp_el)
    deleted = (header.get("status") or "").strip() == "deleted"
    if identifier is None:
        kind = "deleted header" if deleted else "header"
        problems.append(f"{kind} without an identifier (datestamp {datestamp!r})")
    payload = None
    if want_metadata and not deleted:
        payload = _payload(metadata, identifier or "(no identifier)", problems)
    return RawRecord(identifier, datestamp, deleted, prefix, payload, tuple(set_specs))


def _payload(metadata: etree._Element | None, label: str, problems: list[str]) -> str | None:
    children = [] if metadata is None else [c for c in metadata if isinstance(c.tag, str)]
    if not children:
        problems.append(f"record {label}: not deleted but carries no metadata")
        return None
    if len(children) > 1:
        problems.append(f"record {label}: <metadata> holds {len(children)} elements; only the first is kept")
    return etree.tostring(children[0], encoding="unicode", with_tail=False)


def _identify(el: etree._Element) -> IdentifyInfo:
    raw = _text(el.find(_OAI + "granularity"))
    granularity = SECONDS if raw == SECONDS else DAY
    if raw not in (DAY, SECONDS):
        log.warning("Identify announces granularity %r; using %s", raw, DAY)
    return IdentifyInfo(
        repository_name=_text(el.find(_OAI + "repositoryName")),
        base_url=_text(el.find(_OAI + "baseURL")),
        granularity=granularity,
        deleted_record=_text(el.find(_OAI + "deletedRecord")),
        earliest_datestamp=_text(el.find(_OAI + "earliestDatestamp")),
    )


def _text(el: etree._Element | None) -> str | None:
    """An element's text, stripped; ``None`` for a missing or empty element."""
    if el is None:
        return None
    # With children (elements, comments...) the text of the whole subtree; without (the common
    # case) its own text, which is all that itertext would give.
    value = "".join(str(t) for t in el.itertext()) if len(el) else (el.text or "")
    return value.strip() or None


def _int_attr(el: etree._Element | None, name: str) -> int | None:
    if el is None or el.get(name) is None:
        return None
    try:
        return int(str(el.get(name)).strip())
    except ValueError:
        log.warning("resumptionToken %s=%r is not a number; ignored", name, el.get(name))
        return None


def _request_attr(root: etree._Element, name: str) -> str | None:
    request = root.find(_OAI + "request")
    value = None if request is None else request.get(name)
    return None if value is None else str(value)
