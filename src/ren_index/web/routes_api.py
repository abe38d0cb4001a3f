"""The portals' search API: ``/api/search``, ``/api/resources/{id}``, ``/api/suggest``.

Public and read-only: it reads the index through the ``<prefix>-resources`` alias and nothing
else (no ledger, no session). Kept thin on purpose, because the benchmark holds it to 1.2× the
latency of asking OpenSearch directly: the OpenSearch client and the vocabularies are made once
per application and kept on ``app.state`` (``opensearch``, ``vocabularies``), endpoints are plain
``def`` (the client is synchronous; FastAPI runs them in its thread pool), and the response is
built as plain dicts by :mod:`ren_index.search.portal` and sent as :class:`FastJSONResponse`, so
the declared response models document the shape in ``/docs`` without being re-validated per hit.
JSON is read from OpenSearch and written to the portal with orjson
(:mod:`ren_index.search.fast_json`: the same objects and the same bytes as the standard library,
several times faster on answers of 20–60 KB).

Every field of every answer is plain text (never escaped, never markup) except a hit's
``highlight`` object, which is escaped HTML whose only tags are ``<mark>`` / ``</mark>``: the
contract is stated field by field in the response models below (``Field(description=...)``),
so ``/docs`` says it too, and kept by :mod:`ren_index.search.results`.

No answer carries more of a text than the limits of ``validation.yaml`` (titles 300 characters,
descriptions 10,000 by default): an over-long text is cut, ending in "…" (see
:mod:`ren_index.search.portal`). An id that cannot be a resource (longer than OpenSearch accepts)
is a 404 without asking OpenSearch, never a 503: the search is not unavailable, the id is wrong.

Records of one resource (a group of duplicates, docs/duplicates.md) are one result per portal,
with the other sources, editions and translations named in the result
(:mod:`ren_index.index.group_documents`); a search without ``portal`` collapses on ``group``. A
grouped record that has no document of its own redirects (308) to the one that stands for it: the
index says which (``group_members``), so the ledger is still not read.

Size: past 450 lines because the response models are the API's documentation, one description
per field (``/docs``, ``docs/openapi.json``), and they stay beside the three routes they describe.

``create_app`` includes :data:`router` and adds CORS for :func:`cors_origins`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError
from pydantic import BaseModel, Field

from ren_index.config.rules import PortalPolicy, TextRules, clip, load_portals, load_text_rules
from ren_index.config.vocabularies import Vocabularies, load_vocabularies
from ren_index.index.client import make_client
from ren_index.index.schema import alias_name
from ren_index.search import portal as search_api
from ren_index.search.fast_json import dumps, fast_reader
from ren_index.search.portal import InvalidParameter, SearchParams
from ren_index.search.results import resource_view
from ren_index.settings import Settings

router = APIRouter(prefix="/api", tags=["search"])

MAX_ID_BYTES = 512
"""OpenSearch's own limit on a document ``_id``: a longer id names no resource (ledger ids are 40)."""


def cors_origins(settings: Settings) -> list[str]:
    """Origins allowed to call the API from a browser: ``settings.cors_origins`` (``REN_CORS_ORIGINS``).

    Empty (no cross-origin access) unless set; ``*`` allows any origin, which is safe here
    because the API is read-only and uses no cookies.
    """
    return list(settings.cors_origins)


# -- response models: documentation only (responses are sent as built) ----------------------

PLAIN = "Plain text (not HTML: insert it as text, never as markup)."


def _plain(what: str) -> Any:
    return Field(description=f"{what} {PLAIN}")


class Labelled(BaseModel):
    """A concept of a vocabulary of config/vocabularies, with its labels."""

    uri: str = Field(description="The concept's URI (or the value as harvested when none was validated).")
    label_fr: str | None = _plain("French preferred label; null when the vocabulary does not know the value.")
    label_en: str | None = _plain(
        "English preferred label; null when the vocabulary does not know the value."
    )


class Language(BaseModel):
    """A language of the resource, with its names."""

    code: str = Field(description="Language code (BCP 47 primary subtag: fr, en, iu, atj...).")
    label_fr: str | None = _plain('Its name in French ("français"); null for a code that names no language.')
    label_en: str | None = _plain('Its name in English ("French"); null for a code that names no language.')


LINK_HELP = (
    "Where the resource's link stands, checked regularly by ren-index (docs/links.md): ok (it "
    "answers; a failure not yet confirmed by further checks still counts as ok), redirected (it "
    "answers through a permanent redirect: url still leads there, the address is being corrected) "
    "or unchecked (not checked yet, or the site's robots.txt forbids checking it). A resource whose "
    "link is broken is never returned. Plain text (one of these three words)."
)
LinkValue = Literal["ok", "redirected", "unchecked"]


class Licence(BaseModel):
    uri: str | None = Field(
        description="Licence concept URI, or the rights statement as written when none was validated."
    )
    label_fr: str | None = _plain("French label of the licence.")
    label_en: str | None = _plain("English label of the licence.")
    family: str | None = Field(
        description="open, non-commercial, no-derivatives, non-commercial-no-derivatives, public-domain, "
        "educational-use, all-rights-reserved or undetermined."
    )


class ResourceLicence(Licence):
    raw: str | None = _plain("The licence as the source wrote it.")


class Localized(BaseModel):
    fr: str | None = _plain("French (or, when the resource has neither French nor English, any language).")
    en: str | None = _plain("English.")


class Highlight(BaseModel):
    """Where the words of `q` matched: HTML, unlike every other field."""

    title: str | None = Field(
        default=None,
        description="The title with the matched words in <mark>…</mark>: present only when the title "
        "matched. Escaped HTML (&amp; &lt; &gt; &quot; &#x27;) whose only tags are <mark> and "
        "</mark>: safe to insert as HTML without sanitizing.",
    )
    description: str | None = Field(
        default=None,
        description="A fragment of the description (about 200 characters) with the matched words in "
        "<mark>…</mark>: present only when the description matched. Same HTML contract as `title`.",
    )


class Elsewhere(BaseModel):
    """The same resource (same edition) as described by another source."""

    source: str | None = Field(description="That source's id.")
    id: str = Field(
        description="That record's id: /api/resources/{id} redirects (308) to the resource shown here."
    )
    url: str | None = Field(description="The resource's address at that source. Plain text.")
    language: str | None = Field(description="Its first language code (fr, en...).")


class RelatedRecord(BaseModel):
    """Another record related to this one: another edition, a translation, a whole or a part."""

    id: str = Field(
        description="The record that stands for it on the portals (use it with /api/resources/{id})."
    )
    url: str | None = Field(description="Its address. Plain text.")
    language: str | None = Field(description="Its first language code (fr, en...).")
    title: str | None = _plain("Its title (French first, else English, else any language).")


GROUP_HELP = (
    "The group of duplicates this resource stands for: the records of one resource found at several "
    "sources, or in several editions, are one result per portal. Its id; the resource's own id when "
    "it is in no group. A search without `portal` returns one result per group."
)


class Related(BaseModel):
    """What a result says of the records of the same resource and of related ones (issue 16)."""

    group: str = Field(description=GROUP_HELP)
    also_available_from: list[Elsewhere] = Field(
        description="The same resource at other sources (only records approved for the portals)."
    )
    other_versions: list[RelatedRecord] = Field(
        description="Other editions of the resource (older ones, or newer when this is an old edition)."
    )
    translations: list[RelatedRecord] = Field(description="The resource in other languages.")
    part_of: list[RelatedRecord] = Field(description="Resources this one is a part of (a book of a chapter).")
    parts: list[RelatedRecord] = Field(description="Parts of this resource (chapters of a book).")


class Result(Related):
    """One resource found. Every field is plain text except `highlight`."""

    id: str = Field(description="The resource id (use it with /api/resources/{id}).")
    title: Localized = _plain("Title by language, whole up to the title limit (300 characters).")
    description: Localized = _plain(
        "The beginning of the description by language: at most 300 characters, ending in … when cut "
        "(the whole text is on /api/resources/{id})."
    )
    highlight: Highlight = Field(
        description="Highlighted title and/or description, only for the fields the query matched "
        "({} without q or when only keywords matched). The language that matched: the query's own "
        "first, then French, English, other."
    )
    url: str | None = Field(description="The resource's address.")
    link: LinkValue = Field(description=LINK_HELP)
    levels: list[Labelled] = Field(description="Educational levels (the record's own, not the broader ones).")
    licence: Licence
    languages: list[Language]
    resource_types: list[Labelled] = Field(description="Learning resource types.")
    authors: list[str] = _plain("Names of the authors (persons or organisations), as the source wrote them.")
    contributors: list[str] = _plain(
        "Names of the other contributors (editors, designers, content providers...)."
    )
    publishers: list[str] = _plain("Names of the publishers (organisations, mostly).")
    created: str | None = Field(
        description="The resource's own date as its source gives it (creation or publication). "
        "ISO 8601 UTC with offset; a date known only to the day is midnight UTC (show it as a date)."
    )
    modified: str | None = Field(
        description="When the source last changed the record (its datestamp), else when this version "
        "was harvested. ISO 8601 UTC with offset; what sort=date orders by."
    )
    harvested: str | None = Field(
        description="When the record was first harvested (in the catalogue since). ISO 8601 UTC with offset."
    )
    approved: str | None = Field(
        description="When the record was last approved for the portals. ISO 8601 UTC with offset."
    )
    source: str | None = Field(description="Source id.")
    portals: list[str] = Field(description="Portal ids of config/portals.yaml.")


class ResourcePage(Related):
    """One resource: the fields of a search result but `highlight`, the description whole, and more."""

    id: str
    title: Localized = _plain("Title by language.")
    description: Localized = _plain("The whole description by language (up to 10,000 characters).")
    url: str | None
    link: LinkValue = Field(description="As in a search result: ok, redirected or unchecked.")
    levels: list[Labelled]
    licence: ResourceLicence
    languages: list[Language]
    resource_types: list[Labelled]
    authors: list[str] = _plain("As in a search result.")
    contributors: list[str] = _plain("As in a search result.")
    publishers: list[str] = _plain("As in a search result.")
    created: str | None = Field(description="As in a search result (ISO 8601 UTC with offset).")
    modified: str | None = Field(description="As in a search result (ISO 8601 UTC with offset).")
    harvested: str | None = Field(description="As in a search result (ISO 8601 UTC with offset).")
    approved: str | None = Field(description="As in a search result (ISO 8601 UTC with offset).")
    source: str | None
    portals: list[str]
    keywords: list[str] = _plain("Keywords (French first).")
    disciplines: list[str] = _plain("Disciplines as the source names them.")
    source_identifier: str | None = Field(description="The record's identifier at its source.")
    status: str = Field(description="Always approved (other records are not public).")


class FacetValue(BaseModel):
    value: str = Field(description="The value to pass back as the filter.")
    label_fr: str | None = _plain("French label.")
    label_en: str | None = _plain("English label.")
    count: int


class SearchResponse(BaseModel):
    total: int
    page: int
    size: int
    results: list[Result]
    facets: dict[str, list[FacetValue]]


class Suggestion(BaseModel):
    id: str
    title: str | None = _plain("A title that starts like the words typed.")


class SuggestResponse(BaseModel):
    suggestions: list[Suggestion]


class FastJSONResponse(JSONResponse):
    """Starlette's ``JSONResponse``, rendered by orjson: the same bytes, faster."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


# -- application state -----------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _client(request: Request) -> OpenSearch:
    state = request.app.state
    client: OpenSearch | None = getattr(state, "opensearch", None)
    if client is None:
        client = fast_reader(make_client(_settings(request)))
        state.opensearch = client
    return client


def _vocabularies(request: Request) -> Vocabularies:
    state = request.app.state
    vocabularies: Vocabularies | None = getattr(state, "vocabularies", None)
    if vocabularies is None:
        vocabularies = load_vocabularies(_settings(request).config_dir)
        state.vocabularies = vocabularies
    return vocabularies


def _portals(request: Request) -> dict[str, PortalPolicy]:
    """The portals of ``config/portals.yaml``, read once per application."""
    state = request.app.state
    portals: dict[str, PortalPolicy] | None = getattr(state, "portals", None)
    if portals is None:
        portals = load_portals(_settings(request).config_dir)
        state.portals = portals
    return portals


def _limits(request: Request) -> TextRules:
    """The text limits of ``validation.yaml``, read once per application."""
    state = request.app.state
    limits: TextRules | None = getattr(state, "text_limits", None)
    if limits is None:
        limits = load_text_rules(_settings(request).config_dir)
        state.text_limits = limits
    return limits


def _ask(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    """Send one search to the main alias; OpenSearch trouble becomes a 503 with one line."""
    alias = alias_name(_settings(request).index_prefix)
    try:
        response: dict[str, Any] = _client(request).search(index=alias, body=body)
    except NotFoundError as exc:
        raise HTTPException(503, f"index {alias} absent / index {alias} is not built yet") from exc
    except (TransportError, OSError) as exc:
        raise HTTPException(503, "recherche indisponible / search is unavailable") from exc
    return response


def _invalid(exc: InvalidParameter) -> HTTPException:
    """The same body FastAPI gives a failed validation, so clients parse one 422 shape."""
    return HTTPException(422, [{"loc": ["query", exc.name], "msg": str(exc), "type": "value_error"}])


Repeated = Annotated[list[str], Query()]
PORTAL_HELP = "Restrict to one portal: a portal id of config/portals.yaml."


@router.get("/search", response_model=SearchResponse, summary="Search resources, with facets")
def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            max_length=500,
            description="Words to find (French or English; accents and plurals ignored). All words "
            'must match. Operators: "exact phrase", -exclude, a | b, prefix*.',
        ),
    ] = "",
    portal: Annotated[str | None, Query(description=PORTAL_HELP)] = None,
    level: Annotated[
        list[str], Query(description="Level concept URI (or its label / notation); broader levels match.")
    ] = [],  # noqa: B006 - FastAPI copies defaults
    language: Annotated[list[str], Query(description="Language code (fr, en...).")] = [],  # noqa: B006
    licence: Annotated[
        list[str], Query(description="Licence URI, or a family: open, non-commercial, ...")
    ] = [],  # noqa: B006
    type: Annotated[list[str], Query(description="Resource type concept URI.")] = [],  # noqa: B006
    discipline: Annotated[list[str], Query(description="Discipline as the source names it.")] = [],  # noqa: B006
    source: Annotated[list[str], Query(description="Source id.")] = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    size: Annotated[int, Query(ge=1, le=search_api.MAX_PAGE_SIZE, description="Results per page.")] = 10,
    sort: Annotated[str, Query(description="relevance (default) or date (newest first).")] = "relevance",
) -> FastJSONResponse:
    """Ranked resources, their total, and facet counts for every filter.

    Repeat a filter to OR its values (`level=A&level=B`); different filters AND. Each facet is
    counted with the other filters applied. Without `q`, results come newest first.

    Every field of a result is plain text, except `highlight`: the title and/or description
    fragment that matched `q`, as escaped HTML whose only tags are `<mark>` and `</mark>`.
    `link` says whether the resource's link answers (ok, redirected, unchecked); a resource whose
    link is broken is never among the results.
    """
    params = SearchParams(
        q=q,
        portal=portal,
        filters={
            "level": level,
            "language": language,
            "licence": licence,
            "type": type,
            "discipline": discipline,
            "source": source,
        },
        page=page,
        size=size,
        sort=sort,
    )
    vocabularies = _vocabularies(request)
    try:
        body = search_api.build_search(params, _portals(request), vocabularies)
    except InvalidParameter as exc:
        raise _invalid(exc) from exc
    shaped = search_api.shape_search(
        _ask(request, body), params, _portals(request), vocabularies, _limits(request)
    )
    return FastJSONResponse(shaped)


@router.get("/suggest", response_model=SuggestResponse, summary="Type-ahead on titles")
def suggest(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=100, description="What the user typed so far.")],
    portal: Annotated[str | None, Query(description=PORTAL_HELP)] = None,
) -> FastJSONResponse:
    """Up to 10 titles that start like the words typed (accents and case ignored)."""
    try:
        body = search_api.build_suggest(q, _portals(request), portal)
    except InvalidParameter as exc:
        raise _invalid(exc) from exc
    return FastJSONResponse({"suggestions": search_api.shape_suggest(_ask(request, body), _limits(request))})


def _standing_for(request: Request, alias: str, resource_id: str) -> str | None:
    """The document that stands for a record of a group of duplicates that has none of its own
    (its ``group_members`` holds the record), or None. Asked of the index, like everything here."""
    body = {"query": {"term": {"group_members": resource_id}}, "size": 1, "_source": False, "sort": ["_doc"]}
    try:
        hits = _client(request).search(index=alias, body=body)["hits"]["hits"]
    except (TransportError, OSError) as exc:
        raise HTTPException(503, "recherche indisponible / search is unavailable") from exc
    return str(hits[0]["_id"]) if hits else None


@router.get(
    "/resources/{resource_id}",
    response_model=ResourcePage,
    summary="One resource",
    responses={
        308: {
            "description": "The record is one of a group of duplicates (the same resource at several "
            "sources, or another edition) and another record stands for the group: `Location` is that "
            "record's /api/resources/{id} / redirection vers la notice qui représente le groupe"
        },
        404: {
            "description": "No approved resource with this id, or its link is broken / ressource introuvable"
        },
    },
)
def resource(request: Request, resource_id: str) -> Response:
    """The resource page: every field of a search result but `highlight` (all plain text), the
    description whole, keywords, disciplines and the licence as the source wrote it. A resource
    whose link is broken is not found (404), like one that is not approved. A record of a group of
    duplicates for which another record stands (its `also_available_from`, `other_versions`)
    redirects there (308; `Cache-Control: no-cache`, as every answer but a 200: a documentalist may
    choose another record to stand for the group)."""
    missing = HTTPException(404, f"ressource introuvable / no such resource: {clip(resource_id, 100)}")
    if len(resource_id.encode("utf-8")) > MAX_ID_BYTES:
        raise missing  # OpenSearch would answer 400 (id too long): no such resource, not an outage
    alias = alias_name(_settings(request).index_prefix)
    try:
        found = _client(request).get(index=alias, id=resource_id, _source_excludes=["suggest"])
    except (NotFoundError, RequestError):
        found = None  # 400: an id OpenSearch cannot hold names no resource either
    except (TransportError, OSError) as exc:
        raise HTTPException(503, "recherche indisponible / search is unavailable") from exc
    source = found.get("_source") if found else None
    if not source or source.get("status") != "approved":
        standing = _standing_for(request, alias, resource_id)
        if standing is None:
            raise missing
        location = request.url_for("resource", resource_id=standing).path
        # web/http_cache.py marks it `no-cache`: a documentalist may choose another primary
        return RedirectResponse(location, status_code=308)
    view = resource_view(resource_id, source, _vocabularies(request), _limits(request))
    return FastJSONResponse(view)
