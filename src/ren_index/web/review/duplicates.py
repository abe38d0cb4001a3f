"""The review queue of suspected duplicates (issue 16): the list, a pair side by side, a group.

- ``GET /review/duplicates``: the pairs (``status`` pending by default, confirmed, rejected, all;
  ``source``: the pairs touching that source — the dashboard links here per source; ``sort``),
  with the count of each status in the filter bar.
- ``GET /review/duplicates/{a}/{b}``: the two records side by side, the rows that differ marked
  (a class and a visible « diffère »: not colour alone), the score and the reasons, the groups the
  records are in; five buttons to say what the records are to each other, and « Choisir comme
  principale » for a record in a group.
- ``GET /review/duplicates/group/{group_id}``: every member of a group side by side, the primary
  first.
- ``POST /review/duplicates/{a}/{b}/label`` (``relation``) and ``POST /review/duplicates/primary``
  (``record``): the services of :mod:`ren_index.review.duplicate_actions` (audited, regrouped),
  then the records whose documents change are published at once, as decisions are, and the answer
  is a 303 with one banner naming the action and the titles: after a label, to the next pending
  pair of the same list (or the list), after a choice back to the page it came from.

Every logged-in person reads the pages (as the validation queue); only documentalists and admins
post (:data:`Decider`: 403 otherwise), with the session's CSRF token (checked app-wide). A refusal
(:class:`ReviewError`: an unknown relation, a record in no group) is the page again with the
message, status 400; an unknown record is a 404.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ren_index.config.rules import PortalPolicy
from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger import duplicates as dup_ledger
from ren_index.overlays import ReviewError
from ren_index.review import duplicate_queue as queue
from ren_index.review.duplicate_actions import RELATION_WORDS, choose_primary, label, pair_row
from ren_index.review.publish import publish
from ren_index.web.auth import CurrentUser, Decider, UserInfo
from ren_index.web.deps import SettingsDep, get_ledger, render
from ren_index.web.i18n import language_of, t
from ren_index.web.review import duplicate_view as view
from ren_index.web.review.banner import announce, titles
from ren_index.web.review.deps import PortalsDep, VocabulariesDep, redirect, resolve, source_names
from ren_index.web.review.forms import PAGE_SIZES, encode, filters_from_query, positive_int

router = APIRouter(prefix="/review/duplicates", tags=["review"])

BASE = "/review/duplicates"
LIST_STATUSES = (*dup_ledger.STATUSES, "all")
BUTTONS = ("same", "version", "translation", "part", "different")
"""The five labels a person may give a pair, in the order of the buttons."""
MAX_FILTER = 64
_BACK = re.compile(
    r"^/review/duplicates/(?:group/(?P<group>[0-9a-f]{6,64})|(?P<a>[0-9a-f]{6,64})/(?P<b>[0-9a-f]{6,64}))$"
)

LABELLED = ("« {a} » et « {b} » : {rel_fr}.", "“{a}” and “{b}”: {rel_en}.")
PRIMARY = (
    "« {fr} » est maintenant la notice principale de son groupe.",
    "“{en}” is now the primary record of its group.",
)


# Filters and links ------------------------------------------------------------------------------------


def list_filters(params: Any) -> dict[str, str]:
    """The list's filters from a query string, defaults left out (pending, by score)."""
    filters: dict[str, str] = {}
    status = str(params.get("status") or "").strip()
    if status in LIST_STATUSES and status != "pending":
        filters["status"] = status
    source = str(params.get("source") or "").strip()[:MAX_FILTER]
    if source:
        filters["source"] = source
    sort = str(params.get("sort") or "").strip()
    if sort in queue.SORTS and sort != "score":
        filters["sort"] = sort
    return filters


def pair_url(a: str, b: str, filters: dict[str, str] | None = None) -> str:
    return f"{BASE}/{quote(a, safe='')}/{quote(b, safe='')}{encode(filters or {})}"


def group_url(group_id: str) -> str:
    return f"{BASE}/group/{quote(group_id, safe='')}"


def list_url(filters: dict[str, str], **extra: object) -> str:
    return BASE + encode(filters, **extra)


# Pages --------------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse, summary="Suspected duplicates / doublons présumés")
def duplicates_page(request: Request, user: CurrentUser) -> HTMLResponse:
    factory = get_ledger(request)
    lang = language_of(request)
    filters = list_filters(request.query_params)
    status = filters.get("status", "pending")
    size = positive_int(request.query_params.get("size"), PAGE_SIZES[0], PAGE_SIZES)
    page_number = positive_int(request.query_params.get("page"), 1)
    with factory() as session:
        result = queue.pair_list(
            session,
            status=None if status == "all" else status,
            source=filters.get("source"),
            sort=filters.get("sort", "score"),
            page=page_number,
            size=size,
        )
    names = source_names(factory)
    items = [
        {
            "a": item.a,
            "b": item.b,
            "titles": [
                view.display_title(title, lang, rid[:12])
                for title, rid in zip(item.titles, (item.a, item.b), strict=True)
            ],
            "sources": [names.get(s, s) for s in item.sources],
            "relation": item.relation,
            "relation_words": view.relation_word(item.relation, lang),
            "score": view.percent(item.score),
            "reasons": view.reason_words(item.reasons, lang),
            "status": item.status,
            "status_words": view.pair_status_word(item.status, lang),
            "found": view.when(item.found_at),
            "link": pair_url(item.a, item.b, {k: v for k, v in filters.items() if k != "status"}),
        }
        for item in result.items
    ]
    context = {
        "result": result,
        "items": items,
        "filters": filters,
        "status": status,
        "statuses": dup_ledger.STATUSES,
        "counts": result.counts,
        "count_all": sum(result.counts.values()),
        "sort": filters.get("sort", "score"),
        "sorts": queue.SORTS,
        "size": size,
        "sizes": PAGE_SIZES,
        "source_names": names,
        "status_names": {s: view.pair_status_word(s, lang) for s in dup_ledger.STATUSES},
        "page_link": lambda n: list_url(filters, page=n, size=size if size != PAGE_SIZES[0] else 0),
        "page_title": t(request, "dup.title"),
    }
    return render(request, "duplicates.html", context)


def pair_page(
    request: Request,
    user: UserInfo,
    a: str,
    b: str,
    vocabularies: Vocabularies,
    portals: dict[str, PortalPolicy],
    filters: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The two records side by side (``a`` left, as the address gives them)."""
    factory = get_ledger(request)
    lang = language_of(request)
    if a == b:
        raise HTTPException(status_code=404, detail="error.404.message")
    names = source_names(factory)
    with factory() as session:
        pair = pair_row(session, a, b)
        group_ids = {rid: queue.group_id_of(session, rid) for rid in (a, b)}
        relations = {
            rid: dict(queue.group_members(session, gid)).get(rid) if gid else None
            for rid, gid in group_ids.items()
        }
        in_groups = dict.fromkeys(g for g in group_ids.values() if g)
        groups = [view.group_summary(session, names, gid, group_url(gid), lang) for gid in in_groups]
        shown_pair = None
        if pair is not None:
            named = {a: "a", b: "b"}
            shown_pair = {
                "relation": pair.relation,
                "relation_words": view.relation_word(pair.relation, lang),
                "proposed": pair.proposed,
                "proposed_words": view.relation_word(pair.proposed, lang),
                "score": view.percent(pair.score),
                "reasons": view.reason_words(pair.reasons or {}, lang),
                "status": pair.status,
                "status_words": view.pair_status_word(pair.status, lang),
                "decided_by": view.decider_word(pair.decided_by, lang),
                "decided_at": view.when(pair.decided_at),
                "found": view.when(pair.found_at),
                "whole": named.get(pair.whole or ""),
                "newer": named.get(pair.newer or ""),
            }
    columns = view.columns_of(factory, [a, b], relations, vocabularies, portals, lang)
    context = {
        "columns": columns,
        "rows": view.rows(columns),
        "pair": shown_pair,
        "groups": groups,
        "buttons": [(key, t(request, f"dup.button.{key}")) for key in BUTTONS],
        "filters_query": encode(filters).lstrip("?"),
        "back": pair_url(a, b),
        "list_link": list_url(filters),
        "error": error,
        "page_title": t(request, "dup.pair.title"),
    }
    return render(request, "duplicate_pair.html", context, status_code=status_code)


@router.get("/group/{group_id}", response_class=HTMLResponse, summary="A group of duplicates / un groupe")
def group_page_route(
    request: Request, group_id: str, user: CurrentUser, vocabularies: VocabulariesDep, portals: PortalsDep
) -> HTMLResponse:
    return group_page(request, user, group_id, vocabularies, portals)


def group_page(
    request: Request,
    user: UserInfo,
    group_id: str,
    vocabularies: Vocabularies,
    portals: dict[str, PortalPolicy],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Every member of a group side by side, the primary first; the pairs to records outside it."""
    factory = get_ledger(request)
    lang = language_of(request)
    with factory() as session:
        members = queue.group_members(session, group_id)
        if not members:
            raise HTTPException(status_code=404, detail="error.404.message")
        ids = [rid for rid, _rel in members]
        linked = []
        for pair in queue.linked_pairs(session, ids):
            outside = pair.b if pair.a in ids else pair.a
            inside = pair.a if outside == pair.b else pair.b
            linked.append(
                {
                    "link": pair_url(inside, outside),
                    "inside": titles(factory, inside)[1 if lang == "en" else 0],
                    "outside": titles(factory, outside)[1 if lang == "en" else 0],
                    "relation_words": view.relation_word(pair.relation, lang),
                    "status_words": view.pair_status_word(pair.status, lang),
                    "score": view.percent(pair.score),
                }
            )
    columns = view.columns_of(factory, ids, dict(members), vocabularies, portals, lang)
    context = {
        "group_id": group_id,
        "columns": columns,
        "rows": view.rows(columns),
        "linked": linked,
        "back": group_url(group_id),
        "error": error,
        "page_title": t(request, "dup.group.title"),
    }
    return render(request, "duplicate_group.html", context, status_code=status_code)


@router.get("/{a}/{b}", response_class=HTMLResponse, summary="Two records side by side / deux notices")
def pair_page_route(
    request: Request, a: str, b: str, user: CurrentUser, vocabularies: VocabulariesDep, portals: PortalsDep
) -> HTMLResponse:
    factory = get_ledger(request)
    filters = list_filters(request.query_params)
    filters.pop("status", None)
    return pair_page(request, user, resolve(factory, a), resolve(factory, b), vocabularies, portals, filters)


# Writes -------------------------------------------------------------------------------------------------


def _message(request: Request, exc: ReviewError) -> str:
    return exc.message_en if language_of(request) == "en" else exc.message_fr


@router.post("/{a}/{b}/label", summary="Say what two records are / qualifier deux notices")
def label_pair(
    request: Request,
    a: str,
    b: str,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    portals: PortalsDep,
    relation: Annotated[str, Form()] = "",
    filters: Annotated[str, Form()] = "",
) -> Response:
    factory = get_ledger(request)
    ra, rb = resolve(factory, a), resolve(factory, b)
    chosen = list_filters(filters_from_query(filters))
    chosen.pop("status", None)
    with factory() as session:
        keys = queue.pending_keys(session, chosen.get("source"), chosen.get("sort", "score"))
    try:
        done = label(factory, ra, rb, relation, user.name)
    except ReviewError as exc:
        return pair_page(
            request,
            user,
            ra,
            rb,
            vocabularies,
            portals,
            chosen,
            error=_message(request, exc),
            status_code=400,
        )
    result = publish(factory, settings, vocabularies, sorted(done.affected))
    (fr_a, en_a), (fr_b, en_b) = titles(factory, ra), titles(factory, rb)
    rel_fr, rel_en = RELATION_WORDS[relation]
    announce(
        request,
        LABELLED[0].format(a=fr_a, b=fr_b, rel_fr=rel_fr),
        LABELLED[1].format(a=en_a, b=en_b, rel_en=rel_en),
        result=result,
    )
    following = queue.next_pending(keys, ra, rb)
    return redirect(pair_url(*following, chosen) if following else list_url(chosen))


@router.post("/primary", summary="Make a record its group's primary / choisir la notice principale")
def make_primary(
    request: Request,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    portals: PortalsDep,
    record: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    factory = get_ledger(request)
    rid = resolve(factory, record)
    where = _BACK.match(back.split("?", 1)[0])
    try:
        done = choose_primary(factory, rid, user.name)
    except ReviewError as exc:
        message = _message(request, exc)
        if where and where["group"]:
            return group_page(
                request, user, where["group"], vocabularies, portals, error=message, status_code=400
            )
        if where:
            a, b = resolve(factory, where["a"]), resolve(factory, where["b"])
            return pair_page(request, user, a, b, vocabularies, portals, {}, error=message, status_code=400)
        raise HTTPException(status_code=400, detail="error.generic.message") from None
    result = publish(factory, settings, vocabularies, sorted(done.affected))
    fr, en = titles(factory, rid)
    announce(request, PRIMARY[0].format(fr=fr), PRIMARY[1].format(en=en), result=result)
    if where:
        return redirect(where.group(0))
    with factory() as session:
        gid = queue.group_id_of(session, rid)
    return redirect(group_url(gid) if gid else BASE)
