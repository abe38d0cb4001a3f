"""The OpenAPI schema of ``/docs`` and ``/openapi.json``: the portals' contract, and nothing else.

Portal developers (École ouverte, Pavillon, Campus numérique) read it to build a search page, so it
documents what they may call — ``/api/*``, ``/oai``, ``/healthz`` — and leaves out the
documentalists' HTML pages under ``/review`` (their router is included with
``include_in_schema=False``: see :func:`documented`). FastAPI builds the schema from the routes;
:func:`portal_openapi` then adds what the routes cannot say themselves: one tag per part of the
API, the OAI-PMH arguments (``/oai`` reads its query string as the protocol says, so FastAPI sees
no parameter), the caching and version headers of :mod:`ren_index.web.http_cache`, and the
compatibility policy. ``ren-index openapi`` writes the result to ``docs/openapi.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from ren_index.web.http_cache import (
    API_VERSION,
    API_VERSION_HEADER,
    PRIVATE_CACHE_CONTROL,
    PUBLIC_CACHE_CONTROL,
    cacheable_path,
)

DOCUMENTED_PREFIXES = ("/api/", "/oai", "/healthz")
"""Paths a portal may call; a router with any other path stays out of the schema."""

TITLE = "ren-index"
"""Kept short: the description says what it is (the portals' API); tools show it as the name."""

DESCRIPTION = f"""\
API de recherche des ressources éducatives numériques (REN) approuvées, pour les portails École
ouverte et Pavillon, et entrepôt OAI-PMH pour Campus numérique. Guide d'intégration, avec une page
d'exemple servie à `/api/example` : `docs/portal.md`.

**Texte et HTML.** Tous les champs sont du texte brut, à échapper par le portail. Seul l'objet
`highlight` d'un résultat de recherche contient du HTML : du texte déjà échappé, dont les seules
balises sont `<mark>` et `</mark>`.

**Version et compatibilité.** Version {API_VERSION}, annoncée par l'en-tête
`{API_VERSION_HEADER}: {API_VERSION}` de chaque réponse sous `/api`. Dans une version, les
changements sont seulement additifs (un nouveau champ, un nouveau paramètre facultatif, une nouvelle
facette) : un client ignore les champs qu'il ne connaît pas. Un changement incompatible (un champ
retiré, renommé ou d'un autre type, un paramètre qui change de sens) fait une nouvelle version.

**Cache.** Les lectures anonymes (`/api/search`, `/api/resources/{{id}}`, `/api/suggest`, `/oai`)
portent `Cache-Control: {PUBLIC_CACHE_CONTROL}` et un `ETag` ; renvoyez-le dans `If-None-Match`
pour recevoir `304 Not Modified` sans corps. Une requête authentifiée (clé de plateforme, session de
révision) reçoit `Cache-Control: {PRIVATE_CACHE_CONTROL}`.

---

Search API over the approved educational resources, for the École ouverte and Pavillon portals,
and an OAI-PMH provider for Campus numérique. Integration guide, with an example page served at
`/api/example`: `docs/portal.md`.

**Text and HTML.** Every field is plain text, to be escaped by the portal. Only the `highlight`
object of a search hit holds HTML: already-escaped text whose only tags are `<mark>` and `</mark>`.

**Version and compatibility.** Version {API_VERSION}, announced by the `{API_VERSION_HEADER}:
{API_VERSION}` header of every response under `/api`. Within a version, changes are additive only
(a new field, a new optional parameter, a new facet): clients ignore fields they do not know. A
breaking change (a field removed, renamed or retyped, a parameter whose meaning changes) makes a
new version.

**Caching.** Anonymous reads (`/api/search`, `/api/resources/{{id}}`, `/api/suggest`, `/oai`) carry
`Cache-Control: {PUBLIC_CACHE_CONTROL}` and an `ETag`; send it back in `If-None-Match` to get
`304 Not Modified` with no body. An authenticated request (platform key, review session) gets
`Cache-Control: {PRIVATE_CACHE_CONTROL}`.
"""

TAGS: list[dict[str, str]] = [
    {"name": "search", "description": "Recherche avec facettes / search with facets (`/api/search`)."},
    {"name": "resources", "description": "Une ressource / one resource (`/api/resources/{id}`)."},
    {"name": "suggest", "description": "Saisie semi-automatique / type-ahead (`/api/suggest`)."},
    {
        "name": "contributions",
        "description": "Plateformes contributrices (clé d'API) / contributing platforms (API key).",
    },
    {"name": "oai-pmh", "description": "Entrepôt OAI-PMH 2.0 / OAI-PMH 2.0 provider (`/oai`)."},
    {"name": "health", "description": "État du service / liveness (`/healthz`)."},
]

_TAG_OF_PREFIX: tuple[tuple[str, str], ...] = (
    ("/api/search", "search"),
    ("/api/resources", "resources"),
    ("/api/suggest", "suggest"),
    ("/api/contributions", "contributions"),
    ("/oai", "oai-pmh"),
    ("/healthz", "health"),
)

OAI_VERBS = ["Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord"]
OAI_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "verb",
        "description": "La requête OAI-PMH / the OAI-PMH request. `Identify` pour commencer / to start.",
        "schema": {"type": "string", "enum": OAI_VERBS},
        "required": True,
    },
    {
        "name": "metadataPrefix",
        "description": "Format des notices / metadata format: `oai_dc` (Dublin Core) ou `lom` (IEEE LOM, "
        "Normetic). Requis par / required by ListIdentifiers, ListRecords, GetRecord "
        "(sauf avec / except with resumptionToken).",
        "schema": {"type": "string", "enum": ["oai_dc", "lom"]},
    },
    {
        "name": "identifier",
        "description": "Identifiant OAI d'une notice / a record's OAI identifier "
        "(`oai:<dépôt>:<id>`, voir / see Identify). GetRecord, ListMetadataFormats.",
        "schema": {"type": "string"},
    },
    {
        "name": "from",
        "description": "Notices modifiées depuis cette date incluse / records changed on or after "
        "(UTC, `YYYY-MM-DD` ou / or `YYYY-MM-DDThh:mm:ssZ`). ListIdentifiers, ListRecords.",
        "schema": {"type": "string"},
    },
    {
        "name": "until",
        "description": "Notices modifiées jusqu'à cette date incluse / records changed on or before "
        "(même granularité que / same granularity as `from`). ListIdentifiers, ListRecords.",
        "schema": {"type": "string"},
    },
    {
        "name": "set",
        "description": "Ensemble / set (ListSets) : `portal:<id>` (un portail / one portal), "
        "`source:<id>` (une source / one source), ou / or `portal`, `source`.",
        "schema": {"type": "string"},
    },
    {
        "name": "resumptionToken",
        "description": "Jeton de la page suivante, tel que reçu / the next page's token, as received "
        "(exclusif : seul avec / exclusive: alone with `verb`).",
        "schema": {"type": "string"},
    },
]


def documented(router: APIRouter) -> bool:
    """Whether ``router`` belongs in the portals' schema: every one of its paths is a portal path.

    An allow-list on purpose: a new router of pages (the review UI, an admin page) stays out of
    ``/docs`` without anyone having to remember it.
    """
    paths = [route.path for route in router.routes if isinstance(route, APIRoute)]
    return bool(paths) and all(path.startswith(DOCUMENTED_PREFIXES) for path in paths)


def install(app: FastAPI) -> None:
    """Make ``app.openapi`` build (once) the portal schema of :func:`portal_openapi`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = portal_openapi(app)
        return app.openapi_schema

    replace: Callable[[], dict[str, Any]] = openapi
    app.openapi = replace  # type: ignore[method-assign]  # FastAPI's documented way to customise


def portal_openapi(app: FastAPI) -> dict[str, Any]:
    """The schema of ``app``'s documented routes, with tags, OAI arguments, headers and policy."""
    schema = get_openapi(
        title=TITLE,
        version=API_VERSION,
        openapi_version=app.openapi_version,
        description=DESCRIPTION,
        routes=app.routes,
        tags=TAGS,
    )
    for path, operations in schema.get("paths", {}).items():
        tag = _tag_of(path)
        for method, operation in operations.items():
            if tag is not None:
                operation["tags"] = [tag]
            if method == "get" and cacheable_path(path):
                _document_caching(operation)
            if path.startswith("/api/"):
                _document_version(operation)
        if path == "/oai":
            _document_oai(operations)
    return schema


def _tag_of(path: str) -> str | None:
    return next((tag for prefix, tag in _TAG_OF_PREFIX if path.startswith(prefix)), None)


def _header(description: str, example: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if example is not None:
        schema["example"] = example
    return {"description": description, "schema": schema}


def _document_version(operation: dict[str, Any]) -> None:
    for response in operation.get("responses", {}).values():
        response.setdefault("headers", {})[API_VERSION_HEADER] = _header(
            "Version de l'API / API version", API_VERSION
        )


def _document_caching(operation: dict[str, Any]) -> None:
    """Headers of a cacheable read, and its ``If-None-Match`` / ``304`` exchange."""
    parameters = operation.setdefault("parameters", [])
    parameters.append(
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "L'ETag d'une réponse déjà reçue : 304 sans corps si rien n'a changé / "
            "the ETag of a response already received: 304 with no body when nothing changed.",
            "schema": {"type": "string"},
        }
    )
    responses = operation.setdefault("responses", {})
    ok = responses.get("200")
    if ok is not None:
        headers = ok.setdefault("headers", {})
        headers["ETag"] = _header("Empreinte de la réponse / the response's validator")
        headers["Cache-Control"] = _header(
            f"`{PUBLIC_CACHE_CONTROL}` (anonyme / anonymous); `{PRIVATE_CACHE_CONTROL}` "
            "(authentifié / authenticated)",
            PUBLIC_CACHE_CONTROL,
        )
    responses["304"] = {
        "description": "Inchangé depuis l'ETag envoyé, pas de corps / "
        "not modified since the ETag sent, no body"
    }


def _document_oai(operations: dict[str, Any]) -> None:
    """The protocol's arguments: query parameters for GET, a form body for POST (spec 3.1.1)."""
    get = operations.get("get")
    if get is not None:
        get["parameters"] = [
            {**parameter, "in": "query", "required": parameter.get("required", False)}
            for parameter in OAI_PARAMETERS
        ] + [p for p in get.get("parameters", []) if p.get("in") == "header"]
        get.setdefault("responses", {})["200"] = _oai_response(get["responses"].get("200"))
    post = operations.get("post")
    if post is not None:
        post["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["verb"],
                        "properties": {
                            p["name"]: {**p["schema"], "description": p["description"]}
                            for p in OAI_PARAMETERS
                        },
                    }
                }
            },
        }
        post.setdefault("responses", {})["200"] = _oai_response(post["responses"].get("200"))


def _oai_response(existing: dict[str, Any] | None) -> dict[str, Any]:
    response = dict(existing or {})
    response["description"] = (
        "Réponse OAI-PMH (XML), erreurs du protocole comprises (`<error code=…>`) / "
        "an OAI-PMH response (XML), protocol errors included"
    )
    response["content"] = {"text/xml": {"schema": {"type": "string"}}}
    return response


def schema_text(schema: dict[str, Any]) -> str:
    """``schema`` as ``docs/openapi.json`` holds it: sorted keys, two-space indent, final newline.

    Deterministic, so the committed file changes only when the contract does.
    """
    return json.dumps(schema, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
