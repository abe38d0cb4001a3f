# mypy: disable-error-code="import-untyped"
"""What a repository offers before it is harvested: its metadata formats and its sets.

``ren-index sources check`` asks these of a partner's repository to judge it before it is added
(issue 13). The bodies go through :func:`~ren_index.harvest.oai_response.parse_response` first, so
an OAI-PMH error, a body that is not OAI-PMH or an HTTP failure is reported the same way as during
a harvest; only then are the list's elements read. Lists are bounded: a repository announcing
thousands of sets is asked for the first pages only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from ren_index.errors import OaiProtocolError
from ren_index.harvest.oai_http import HttpResponse
from ren_index.harvest.oai_response import OAI_NS, RequestContext, parse_response
from ren_index.xmlsafe import parse_xml

_OAI = "{" + OAI_NS + "}"
MAX_LIST_PAGES = 5
"""At most this many ``ListSets`` pages are read (each page usually holds 50 to 500 sets)."""

Get = Callable[[dict[str, str], RequestContext], HttpResponse]


@dataclass(frozen=True)
class MetadataFormat:
    """One ``<metadataFormat>``: its prefix, schema and namespace as the repository announces them."""

    prefix: str
    schema: str | None
    namespace: str | None


@dataclass(frozen=True)
class SetInfo:
    """One ``<set>``: its spec (what ``sets:`` takes) and its name."""

    spec: str
    name: str | None


def list_formats(get: Get, endpoint: str) -> list[MetadataFormat]:
    """The repository's ``ListMetadataFormats`` answer, in its order."""
    context = RequestContext(endpoint=endpoint, verb="ListMetadataFormats")
    root = _answer(get, {"verb": "ListMetadataFormats"}, context)
    formats: list[MetadataFormat] = []
    for el in root.iter(_OAI + "metadataFormat"):
        prefix = _text(el.find(_OAI + "metadataPrefix"))
        if prefix:
            formats.append(
                MetadataFormat(
                    prefix=prefix,
                    schema=_text(el.find(_OAI + "schema")),
                    namespace=_text(el.find(_OAI + "metadataNamespace")),
                )
            )
    return formats


def list_sets(get: Get, endpoint: str, *, limit: int = 50) -> tuple[list[SetInfo], bool]:
    """The first ``limit`` sets, and whether the repository has more than those.

    A repository without sets answers ``noSetHierarchy``: that is an empty list, not a failure.
    """
    sets: list[SetInfo] = []
    params = {"verb": "ListSets"}
    for _ in range(MAX_LIST_PAGES):
        context = RequestContext(
            endpoint=endpoint, verb="ListSets", resumption_token=params.get("resumptionToken")
        )
        try:
            root = _answer(get, params, context)
        except OaiProtocolError as exc:
            if exc.code == "noSetHierarchy":
                return sets, False
            raise
        for el in root.iter(_OAI + "set"):
            spec = _text(el.find(_OAI + "setSpec"))
            if spec:
                sets.append(SetInfo(spec=spec, name=_text(el.find(_OAI + "setName"))))
            if len(sets) > limit:
                return sets[:limit], True
        token = _text(root.find(f"{_OAI}ListSets/{_OAI}resumptionToken"))
        if not token:
            return sets, False
        params = {"verb": "ListSets", "resumptionToken": token}
    return sets[:limit], True


def _answer(get: Get, params: dict[str, str], context: RequestContext) -> etree._Element:
    """The response's root once :func:`parse_response` found no error in it."""
    response = get(params, context)
    parse_response(response.body, context=dataclasses.replace(context, http_status=response.status))
    return parse_xml(response.body.lstrip(b" \t\r\n"))


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = "".join(str(t) for t in el.itertext()).strip()
    return value or None
