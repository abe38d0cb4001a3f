"""The OAI-PMH 2.0 repository over the ledger: request arguments in, response document out.

Kept apart from HTTP (:mod:`ren_index.web.routes_oai`) so the protocol — arguments, verbs, sets,
paging, error codes — reads in one place and can be called without a server. What is exposed
and how datestamps are computed is in :mod:`ren_index.provider.queries`; how tokens keep working
while records change is in :mod:`ren_index.provider.tokens`.

Identifiers are ``oai:<repositoryIdentifier>:<resource id>``: the resource id is stable across
re-harvests (derived from source + source identifier), so a harvester's copy stays keyed right.
Every record can be disseminated in every format, so ``noMetadataFormats`` never arises, and the
repository has sets, so ``noSetHierarchy`` never arises either.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lxml import etree
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from ren_index.model import Provenance, Resource
from ren_index.provider import queries
from ren_index.provider.arguments import GRANULARITY, OaiError, check_arguments, parse_window, stamp
from ren_index.provider.relations import Relation, related
from ren_index.provider.serializers import DC_NS, METADATA_FORMATS, OAI_DC_NS, XML_LANG, metadata_element
from ren_index.provider.tokens import ListState, TokenError, decode_token, encode_token
from ren_index.provider.values import xml_text
from ren_index.provider.vocabulary import ProviderVocabularies
from ren_index.settings import Settings, load_secret_key

log = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
EMPTY_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""earliestDatestamp of an empty repository (any bound below every future datestamp will do)."""


@dataclass(frozen=True, kw_only=True)
class ProviderConfig:
    """What the provider says about itself and how it pages; see :meth:`from_settings`.

    A plain value, so the protocol can be driven without settings (tests, a script); the web app
    builds it from :class:`~ren_index.settings.Settings`, which owns the defaults.
    """

    repository_id: str
    name: str
    admin_email: str
    page_size: int
    secret: bytes = field(repr=False)
    """Signs the resumption tokens: the key of the web sessions, so every process agrees."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderConfig:
        """``REN_OAI_REPOSITORY_ID``, ``REN_OAI_REPOSITORY_NAME``, ``REN_OAI_ADMIN_EMAIL``,
        ``REN_OAI_PAGE_SIZE``, and the shared secret key (``REN_SECRET_KEY`` or the key file)."""
        return cls(
            repository_id=settings.oai_repository_id,
            name=settings.oai_repository_name,
            admin_email=settings.oai_admin_email,
            page_size=settings.oai_page_size,
            secret=load_secret_key(settings).encode("utf-8"),
        )

    def oai_identifier(self, resource_id: str) -> str:
        """``oai:<repositoryIdentifier>:<resource id>``."""
        return f"oai:{self.repository_id}:{resource_id}"

    def resource_id(self, oai_identifier: str) -> str | None:
        """The resource id inside one of our OAI identifiers, ``None`` for any other string."""
        prefix = f"oai:{self.repository_id}:"
        rest = oai_identifier[len(prefix) :] if oai_identifier.startswith(prefix) else ""
        return rest if rest and len(rest) <= 40 else None


class OaiRepository:
    """Answers OAI-PMH requests from the ledger."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        config: ProviderConfig,
        vocab: ProviderVocabularies,
        portals: Mapping[str, str],
    ) -> None:
        self.factory = factory
        self.config = config
        self.vocab = vocab
        self.portals = dict(portals)
        """Portal id → display name, for ListSets."""

    def respond(
        self, params: Mapping[str, Sequence[str]], base_url: str, now: datetime | None = None
    ) -> bytes:
        """The response document (UTF-8 bytes) for the request arguments ``params``."""
        moment = now or datetime.now(UTC)
        root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
        _sub(root, "responseDate", stamp(moment))
        request = _sub(root, "request", base_url)
        try:
            verb, args = check_arguments(params)
            request.set("verb", verb)
            for name, value in args.items():
                request.set(name, xml_text(value))
            with self.factory() as session:
                root.append(self._dispatch(session, verb, args, base_url, moment))
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                request.attrib.clear()  # not a valid request: echo the base URL only (spec 3.2)
            _sub(root, "error", error.message).set("code", error.code)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _dispatch(
        self, session: Session, verb: str, args: dict[str, str], base_url: str, now: datetime
    ) -> etree._Element:
        if verb == "Identify":
            return self._identify(session, base_url)
        if verb == "ListMetadataFormats":
            return self._list_metadata_formats(session, args.get("identifier"))
        if verb == "ListSets":
            if "resumptionToken" in args:
                raise OaiError("badResumptionToken", "ListSets is never split into pages")
            return self._list_sets(session)
        if verb == "GetRecord":
            return self._get_record(session, args["identifier"], args["metadataPrefix"])
        return self._list(session, verb, args, now)

    # --- verbs ------------------------------------------------------------------------------

    def _identify(self, session: Session, base_url: str) -> etree._Element:
        el = _oai("Identify")
        _sub(el, "repositoryName", self.config.name)
        _sub(el, "baseURL", base_url)
        _sub(el, "protocolVersion", "2.0")
        _sub(el, "adminEmail", self.config.admin_email)
        _sub(el, "earliestDatestamp", stamp(queries.earliest(session) or EMPTY_EARLIEST))
        _sub(el, "deletedRecord", "persistent")
        _sub(el, "granularity", GRANULARITY)
        ident = etree.SubElement(
            _sub(el, "description"), f"{{{OAI_ID_NS}}}oai-identifier", nsmap={None: OAI_ID_NS}
        )
        ident.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_ID_NS} {OAI_NS}oai-identifier.xsd")
        for name, value in (
            ("scheme", "oai"),
            ("repositoryIdentifier", self.config.repository_id),
            ("delimiter", ":"),
            ("sampleIdentifier", self.config.oai_identifier("0123456789abcdef0123456789abcdef01234567")),
        ):
            etree.SubElement(ident, f"{{{OAI_ID_NS}}}{name}").text = value
        return el

    def _list_metadata_formats(self, session: Session, identifier: str | None) -> etree._Element:
        if identifier is not None:
            self._find(session, identifier, with_record=False)
        el = _oai("ListMetadataFormats")
        for prefix, (schema, namespace) in METADATA_FORMATS.items():
            fmt = _sub(el, "metadataFormat")
            _sub(fmt, "metadataPrefix", prefix)
            _sub(fmt, "schema", schema)
            _sub(fmt, "metadataNamespace", namespace)
        return el

    def _list_sets(self, session: Session) -> etree._Element:
        el = _oai("ListSets")
        entries: list[tuple[str, str, str]] = [
            (queries.PORTAL_SET, "Portails", "Portals"),
            *(
                (f"{queries.PORTAL_SET}:{pid}", f"Portail {name}", f"{name} portal")
                for pid, name in self.portals.items()
            ),
            (queries.SOURCE_SET, "Sources moissonnées", "Harvested sources"),
            *(
                (f"{queries.SOURCE_SET}:{sid}", f"Source : {name}", f"Source: {name}")
                for sid, name in queries.sources(session)
            ),
        ]
        for spec, name_fr, name_en in entries:
            item = _sub(el, "set")
            _sub(item, "setSpec", spec)
            _sub(item, "setName", name_fr)
            dc = etree.SubElement(
                _sub(item, "setDescription"), f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS}
            )
            for lang, text in (("fr", name_fr), ("en", name_en)):
                description = etree.SubElement(dc, f"{{{DC_NS}}}description")
                description.text = text
                description.set(XML_LANG, lang)
        return el

    def _get_record(self, session: Session, identifier: str, prefix: str) -> etree._Element:
        row = self._find(session, identifier, with_record=True)
        if prefix not in METADATA_FORMATS:
            raise OaiError("cannotDisseminateFormat", prefix[:40])
        el = _oai("GetRecord")
        el.append(self._record(row, prefix, self._relations(session, [row])))
        return el

    def _list(self, session: Session, verb: str, args: dict[str, str], now: datetime) -> etree._Element:
        token = args.get("resumptionToken")
        state = self._decode(token, verb) if token is not None else self._new_state(verb, args, now)
        if state.prefix not in METADATA_FORMATS:
            raise OaiError("cannotDisseminateFormat", state.prefix[:40])
        with_record = verb == "ListRecords"
        size = self.config.page_size
        rows = queries.page(
            session,
            set_spec=state.set_spec,
            lower=state.lower,
            upper=state.upper,
            after=state.after,
            limit=size + 1,
            with_record=with_record,
        )
        if not rows:
            detail = (
                "the records left changed after the harvest began; harvest again from its first responseDate"
            )
            raise OaiError("noRecordsMatch", detail if token is not None else "")
        page, more = rows[:size], len(rows) > size
        el = _oai(verb)
        relations = self._relations(session, page) if with_record else {}
        for row in page:
            el.append(self._record(row, state.prefix, relations) if with_record else self._header(row))
        if token is not None or more:
            total = queries.count(session, set_spec=state.set_spec, lower=state.lower, upper=state.upper)
            last = page[-1]
            following = ListState(
                verb,
                state.prefix,
                state.set_spec,
                state.lower,
                state.upper,
                state.cursor + len(page),
                (last.datestamp, last.id),
            )
            resumption = _sub(
                el, "resumptionToken", encode_token(following, self.config.secret) if more else None
            )
            resumption.set("completeListSize", str(max(total, state.cursor + len(page))))
            resumption.set("cursor", str(state.cursor))
        return el

    # --- helpers ----------------------------------------------------------------------------

    def _new_state(self, verb: str, args: dict[str, str], now: datetime) -> ListState:
        window = parse_window(args.get("from"), args.get("until"))
        snapshot = now + timedelta(microseconds=1)  # exclusive: records changed later wait for next time
        upper = min(window.upper, snapshot) if window.upper is not None else snapshot
        return ListState(verb, args["metadataPrefix"], args.get("set"), window.lower, upper)

    def _decode(self, token: str, verb: str) -> ListState:
        try:
            return decode_token(token, verb, self.config.secret)
        except TokenError as exc:
            raise OaiError("badResumptionToken", str(exc)) from exc

    def _find(self, session: Session, identifier: str, *, with_record: bool) -> queries.Row:
        resource_id = self.config.resource_id(identifier)
        row = queries.find(session, resource_id, with_record=with_record) if resource_id else None
        if row is None:
            raise OaiError("idDoesNotExist", identifier[:120])
        return row

    def _header(self, row: queries.Row) -> etree._Element:
        header = _oai("header")
        if row.deleted:
            header.set("status", "deleted")
        _sub(header, "identifier", self.config.oai_identifier(row.id))
        _sub(header, "datestamp", stamp(row.datestamp))
        for spec in row.set_specs():
            _sub(header, "setSpec", spec)
        return header

    def _relations(self, session: Session, rows: Sequence[queries.Row]) -> dict[str, list[Relation]]:
        """The confirmed relations of a page's live records: a few queries per page, not per record."""
        live = [row.id for row in rows if not row.deleted]
        return related(session, live, self.config.oai_identifier) if live else {}

    def _record(
        self, row: queries.Row, prefix: str, relations: Mapping[str, Sequence[Relation]]
    ) -> etree._Element:
        record = _oai("record")
        record.append(self._header(row))
        if not row.deleted:
            resource = _resource(row)
            identifier = self.config.oai_identifier(row.id)
            payload = metadata_element(resource, prefix, self.vocab, identifier, relations.get(row.id, ()))
            _sub(record, "metadata").append(payload)
        return record


def _resource(row: queries.Row) -> Resource:
    """The record's canonical form; a record the model no longer reads is served as bare as it gets."""
    try:
        return Resource.model_validate(row.record or {})
    except ValidationError:
        log.warning("OAI provider: record %s does not validate as a Resource; serving it empty", row.id)
        return Resource(provenance=Provenance(source=row.source_id, identifier=row.id, metadata_format="?"))


def _oai(name: str) -> etree._Element:
    return etree.Element(f"{{{OAI_NS}}}{name}")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI_NS}}}{name}")
    if text is not None:
        element.text = xml_text(text)
    return element
