"""The review pages' writes: approve, reject, withdraw, correct, apply a suggestion, bulk decisions.

Every route needs a documentalist or an admin (:data:`Decider`) and the session's CSRF token
(checked app-wide). Each calls a review service (:mod:`ren_index.review.decisions`), publishes what a decision
changed at once (:func:`~ren_index.web.review.deps.publish_and_flash`) and answers 303 with a flash
message, so a reload never repeats a decision. A :class:`ReviewError` (a reason missing, a deleted
record...) is shown as a message on the page the person came from, never as an error page.

A person's decision on a platform's contribution is then told to that platform, in the background
once the answer is sent (:func:`~ren_index.web.review.deps.tell_platforms`): corrections alone are
not decisions and tell nothing.

After approving or rejecting from a record page the person is taken to the next record of the
same filtered queue: working through a queue is the job, one record after another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session, sessionmaker

from ren_index.config.vocabularies import Vocabularies
from ren_index.ledger.models import ResourceRow
from ren_index.model import Resource, Status
from ren_index.overlays import FIELD_LABELS
from ren_index.review import queries as review_queries
from ren_index.review.decisions import (
    CorrectionResult,
    PersonDecision,
    ReviewError,
    apply_suggestion,
    bulk_decide,
    decide_by_person,
    keep_correction,
    save_corrections,
    withdraw,
)
from ren_index.settings import Settings
from ren_index.web.auth import Decider, UserInfo
from ren_index.web.deps import SettingsDep, flash, get_ledger
from ren_index.web.i18n import language_of
from ren_index.web.review.deps import (
    RulebookDep,
    VocabulariesDep,
    flash_error,
    publish_and_flash,
    record_url,
    redirect,
    resolve,
    tell_platforms,
)
from ren_index.web.review.forms import EditForm, edit_changes, encode, filters_from_query, service_filters

router = APIRouter(prefix="/review", tags=["review"])

FiltersField = Annotated[str, Form()]
TextField = Annotated[str, Form()]


def _after_decision(
    factory: sessionmaker[Session], rid: str, filters: dict[str, str], vocabularies: Vocabularies
) -> str:
    """Where to go after deciding on ``rid``: the next record of the queue, else the queue.

    Asked before the decision, which changes the record's place in the queue.
    """
    _previous, following = review_queries.neighbours(
        factory, rid, **service_filters(filters), vocabularies=vocabularies
    )
    return record_url(following, filters) if following else "/review/queue" + encode(filters)


def _decide(
    request: Request,
    record_id: str,
    decision: str,
    user: UserInfo,
    settings: Settings,
    vocabularies: Vocabularies,
    filters_query: str,
    comment: str,
) -> Response:
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    filters = filters_from_query(filters_query)
    target = _after_decision(factory, rid, filters, vocabularies)
    try:
        if decision == "withdrawn":
            withdraw(factory, rid, actor=user.name, comment=comment.strip() or None)
            target = record_url(rid, filters)
        else:
            status: PersonDecision = "approved" if decision == "approved" else "rejected"
            decide_by_person(factory, rid, status, actor=user.name, comment=comment.strip() or None)
    except ReviewError as exc:
        flash_error(request, exc)
        return redirect(record_url(rid, filters))
    flash(request, f"review.flash.{decision}", "success", id=rid[:8])
    publish_and_flash(request, settings, vocabularies, [rid])
    return tell_platforms(request, redirect(target), settings, [rid])


@router.post("/records/{record_id}/approve", summary="Approve / approuver")
def approve(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    filters: FiltersField = "",
    comment: TextField = "",
) -> Response:
    return _decide(request, record_id, "approved", user, settings, vocabularies, filters, comment)


@router.post("/records/{record_id}/reject", summary="Reject with a reason / rejeter avec un motif")
def reject(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    filters: FiltersField = "",
    reason: TextField = "",
) -> Response:
    return _decide(request, record_id, "rejected", user, settings, vocabularies, filters, reason)


@router.post("/records/{record_id}/withdraw", summary="Put back in the queue / remettre en file")
def withdraw_record(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    filters: FiltersField = "",
    reason: TextField = "",
) -> Response:
    return _decide(request, record_id, "withdrawn", user, settings, vocabularies, filters, reason)


def _indexed(factory: sessionmaker[Session], rid: str) -> bool:
    with factory() as session:
        return session.get_one(ResourceRow, rid).indexed_hash is not None


def _after_correction(
    request: Request, rid: str, status: str, was_indexed: bool, settings: Settings, vocabularies: Vocabularies
) -> None:
    """A correction of a published record (or one the rules now approve) goes to the index too."""
    if status == Status.APPROVED.value or was_indexed:
        publish_and_flash(request, settings, vocabularies, [rid])


@router.post("/records/{record_id}/edit", summary="Correct (and approve) / corriger (et approuver)")
def edit(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    rulebook: RulebookDep,
    vocabularies: VocabulariesDep,
    form: Annotated[EditForm, Form()],
) -> Response:
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    filters = filters_from_query(form.filters)
    approve_too = form.action == "save_approve"
    target = _after_decision(factory, rid, filters, vocabularies) if approve_too else record_url(rid, filters)
    with factory() as session:
        row = session.get_one(ResourceRow, rid)
        was_indexed = row.indexed_hash is not None
        changes = edit_changes(form, Resource.model_validate(row.record)) if row.record else {}
    try:
        result = save_corrections(
            factory,
            rulebook,
            rid,
            changes,
            actor=user.name,
            comment=form.comment.strip() or None,
            approve=approve_too,
        )
    except ReviewError as exc:
        flash_error(request, exc)
        return redirect(record_url(rid, filters))
    if result.changed_fields:
        labels = ", ".join(
            FIELD_LABELS[f][1 if language_of(request) == "en" else 0] for f in result.changed_fields
        )
        flash(request, "review.flash.saved", "success", fields=labels)
    elif not approve_too:
        flash(request, "review.flash.nothing_changed", "info")
    if approve_too:
        flash(request, "review.flash.approved", "success", id=rid[:8])
        publish_and_flash(request, settings, vocabularies, [rid])
        return tell_platforms(request, redirect(target), settings, [rid])
    _after_correction(request, rid, result.status, was_indexed, settings, vocabularies)
    return redirect(target)


def _correction_action(
    request: Request,
    record_id: str,
    settings: Settings,
    vocabularies: Vocabularies,
    filters: str,
    apply: Callable[[sessionmaker[Session], str], CorrectionResult],
    success_key: str,
) -> Response:
    """One correction from a button (suggestion, keep my correction): apply, flash, publish, back."""
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    was_indexed = _indexed(factory, rid)
    try:
        result = apply(factory, rid)
    except ReviewError as exc:
        flash_error(request, exc)
    else:
        flash(request, success_key, "success")
        _after_correction(request, rid, result.status, was_indexed, settings, vocabularies)
    return redirect(record_url(rid, filters_from_query(filters)))


@router.post("/records/{record_id}/suggestion", summary="Apply a suggestion / appliquer la suggestion")
def suggestion(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    rulebook: RulebookDep,
    vocabularies: VocabulariesDep,
    issue: Annotated[int, Form()],
    filters: FiltersField = "",
) -> Response:
    return _correction_action(
        request,
        record_id,
        settings,
        vocabularies,
        filters,
        lambda factory, rid: apply_suggestion(factory, rulebook, rid, issue, actor=user.name),
        "review.flash.suggestion_applied",
    )


@router.post("/records/{record_id}/keep-correction", summary="Keep my correction / garder ma correction")
def keep(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    rulebook: RulebookDep,
    vocabularies: VocabulariesDep,
    field: Annotated[str, Form()],
    filters: FiltersField = "",
) -> Response:
    return _correction_action(
        request,
        record_id,
        settings,
        vocabularies,
        filters,
        lambda factory, rid: keep_correction(factory, rulebook, rid, field, actor=user.name),
        "review.flash.correction_kept",
    )


@router.post("/bulk", summary="Approve or reject the selected records / décision groupée")
def bulk(
    request: Request,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    action: Annotated[str, Form()],
    ids: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    reason: TextField = "",
    filters: FiltersField = "",
    page: Annotated[int, Form()] = 1,
) -> Response:
    factory = get_ledger(request)
    chosen = filters_from_query(filters)
    back = "/review/queue" + encode(chosen, page=page if page > 1 else 0)
    if action not in ("approve", "reject"):
        raise HTTPException(status_code=400, detail="error.generic.message")
    if not ids:
        flash(request, "review.flash.none_selected", "warning")
        return redirect(back)
    decision: PersonDecision = "approved" if action == "approve" else "rejected"
    try:
        counts = bulk_decide(factory, ids[:500], decision, actor=user.name, comment=reason.strip() or None)
    except ReviewError as exc:
        flash_error(request, exc)
        return redirect(back)
    flash(request, f"review.flash.bulk_{decision}", "success", **counts)
    if not counts["decided"]:
        return redirect(back)
    publish_and_flash(request, settings, vocabularies, ids[:500])
    return tell_platforms(request, redirect(back), settings, ids[:500])
