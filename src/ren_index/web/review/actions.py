"""The review pages' writes: approve, reject, withdraw, correct, apply a suggestion, bulk decisions, undo.

Every route needs a documentalist or an admin (:data:`Decider`) and the session's CSRF token
(checked app-wide). Each calls a review service (:mod:`ren_index.review.decisions`), publishes what
a decision changed at once (:func:`ren_index.review.publish.publish`) and answers 303 with one
banner naming the record by its title (:mod:`ren_index.web.review.banner`), so a reload never
repeats a decision. A :class:`ReviewError` (a reason missing, a deleted record...) is shown as a
message on the page the person came from, never as an error page.

Every form of the record page carries the record's ``version`` as the page showed it. A post from a
page that is out of date (someone else decided or corrected, a re-harvest changed the record) does
nothing and answers **409** with the record page as it is now, what changed since, and what the
person typed kept in the forms (:mod:`ren_index.web.review.conflict`). Bulk decisions from the
queue carry each row's version (``ids`` = ``ID:VERSION``): stale rows are refused and listed in
the banner, the others go through. A post without a version (an older page, a script) is not
checked.

After a decision the banner offers « Annuler / Undo » (``POST /review/records/{id}/undo``,
:mod:`ren_index.review.undo`): the record goes back to what it was and the index follows.

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
    StaleRecordError,
    apply_suggestion,
    bulk_decide,
    decide_by_person,
    keep_correction,
    save_corrections,
    withdraw,
)
from ren_index.review.publish import PublishResult, publish
from ren_index.review.undo import undo_decision, undoable
from ren_index.review.versions import STATUS_WORDS
from ren_index.settings import Settings
from ren_index.web.auth import Decider, UserInfo
from ren_index.web.deps import SettingsDep, flash, get_ledger
from ren_index.web.review.banner import announce, bulk_sentence, sentence, titles
from ren_index.web.review.conflict import conflict_page
from ren_index.web.review.deps import (
    RulebookDep,
    VocabulariesDep,
    flash_error,
    record_url,
    redirect,
    resolve,
    tell_platforms,
)
from ren_index.web.review.forms import (
    EditForm,
    edit_changes,
    encode,
    filters_from_query,
    parse_version,
    selected_versions,
    service_filters,
)

router = APIRouter(prefix="/review", tags=["review"])

FiltersField = Annotated[str, Form()]
TextField = Annotated[str, Form()]
VersionField = Annotated[str, Form()]
"""The record's version as the page showed it (text: an empty or missing one is not checked)."""


def _after_decision(
    factory: sessionmaker[Session],
    rid: str,
    filters: dict[str, str],
    vocabularies: Vocabularies,
    user: str,
) -> str:
    """Where to go after deciding on ``rid``: the next record of the queue, else the queue.

    Asked before the decision, which changes the record's place in the queue.
    """
    _previous, following = review_queries.neighbours(
        factory, rid, **service_filters(filters), user=user, vocabularies=vocabularies
    )
    return record_url(following, filters) if following else "/review/queue" + encode(filters)


def _publish(
    factory: sessionmaker[Session], settings: Settings, vocabularies: Vocabularies, ids: list[str]
) -> PublishResult:
    return publish(factory, settings, vocabularies, ids)


def _decide(
    request: Request,
    record_id: str,
    decision: str,
    user: UserInfo,
    settings: Settings,
    vocabularies: Vocabularies,
    filters_query: str,
    comment: str,
    version: str,
) -> Response:
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    filters = filters_from_query(filters_query)
    target = _after_decision(factory, rid, filters, vocabularies, user.name)
    expected = parse_version(version)
    try:
        if decision == "withdrawn":
            reason = comment.strip() or None
            withdraw(factory, rid, actor=user.name, comment=reason, expected_version=expected)
            target = record_url(rid, filters)
        else:
            status: PersonDecision = "approved" if decision == "approved" else "rejected"
            decide_by_person(
                factory,
                rid,
                status,
                actor=user.name,
                comment=comment.strip() or None,
                expected_version=expected,
            )
    except StaleRecordError as exc:
        kept = {"withdraw_reason" if decision == "withdrawn" else "reason": comment}
        return conflict_page(request, rid, user, filters, exc, kept)
    except ReviewError as exc:
        flash_error(request, exc)
        return redirect(record_url(rid, filters))
    result = _publish(factory, settings, vocabularies, [rid])
    chance = undoable(factory, rid, actor=user.name, role=user.role)
    announce(request, *sentence(decision, titles(factory, rid)), result=result, undo=chance)
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
    version: VersionField = "",
) -> Response:
    return _decide(request, record_id, "approved", user, settings, vocabularies, filters, comment, version)


@router.post("/records/{record_id}/reject", summary="Reject with a reason / rejeter avec un motif")
def reject(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    filters: FiltersField = "",
    reason: TextField = "",
    version: VersionField = "",
) -> Response:
    return _decide(request, record_id, "rejected", user, settings, vocabularies, filters, reason, version)


@router.post("/records/{record_id}/withdraw", summary="Put back in the queue / remettre en file")
def withdraw_record(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    filters: FiltersField = "",
    reason: TextField = "",
    version: VersionField = "",
) -> Response:
    return _decide(request, record_id, "withdrawn", user, settings, vocabularies, filters, reason, version)


@router.post("/records/{record_id}/undo", summary="Undo the last decision / annuler la décision")
def undo(
    request: Request,
    record_id: str,
    user: Decider,
    settings: SettingsDep,
    vocabularies: VocabulariesDep,
    event: Annotated[int | None, Form()] = None,
    version: VersionField = "",
    filters: FiltersField = "",
) -> Response:
    """Put the record back as it was before the person's newest decision; the index follows."""
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    back = record_url(rid, filters_from_query(filters))
    try:
        done = undo_decision(
            factory,
            rid,
            actor=user.name,
            role=user.role,
            expected_version=parse_version(version),
            event_id=event,
        )
    except ReviewError as exc:
        flash_error(request, exc)
        return redirect(back)
    status_fr, status_en = STATUS_WORDS.get(done.status, (done.status, done.status))
    text = sentence("undone", titles(factory, rid), status_fr=status_fr, status_en=status_en)
    announce(request, *text, result=_publish(factory, settings, vocabularies, [rid]))
    return tell_platforms(request, redirect(back), settings, [rid])


def _indexed(factory: sessionmaker[Session], rid: str) -> bool:
    with factory() as session:
        return session.get_one(ResourceRow, rid).indexed_hash is not None


def _after_correction(
    factory: sessionmaker[Session],
    rid: str,
    status: str,
    was_indexed: bool,
    settings: Settings,
    vocabularies: Vocabularies,
) -> PublishResult | None:
    """A correction of a published record (or one the rules now approve) goes to the index too."""
    if status == Status.APPROVED.value or was_indexed:
        return _publish(factory, settings, vocabularies, [rid])
    return None


def _field_names(fields: list[str]) -> tuple[str, str]:
    return ", ".join(FIELD_LABELS[f][0] for f in fields), ", ".join(FIELD_LABELS[f][1] for f in fields)


def _typed(form: EditForm) -> dict[str, str]:
    """What the person typed in the edit form's text fields, to give back on a 409 page."""
    names = ("title_fr", "title_en", "description_fr", "description_en", "url", "comment")
    return {name: str(getattr(form, name)) for name in names}


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
    target = (
        _after_decision(factory, rid, filters, vocabularies, user.name)
        if approve_too
        else record_url(rid, filters)
    )
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
            expected_version=parse_version(form.version),
        )
    except StaleRecordError as exc:
        return conflict_page(request, rid, user, filters, exc, _typed(form))
    except ReviewError as exc:
        flash_error(request, exc)
        return redirect(record_url(rid, filters))
    title = titles(factory, rid)
    fields_fr, fields_en = _field_names(result.changed_fields)
    if approve_too:
        action = "corrected_approved" if result.changed_fields else "saved_approved"
        text = sentence(action, title, fields_fr=fields_fr, fields_en=fields_en)
        chance = undoable(factory, rid, actor=user.name, role=user.role)
        announce(request, *text, result=_publish(factory, settings, vocabularies, [rid]), undo=chance)
        return tell_platforms(request, redirect(target), settings, [rid])
    if not result.changed_fields:
        announce(request, *sentence("nothing_changed", title), kind="info")
        return redirect(target)
    published = _after_correction(factory, rid, result.status, was_indexed, settings, vocabularies)
    text = sentence("corrected", title, fields_fr=fields_fr, fields_en=fields_en)
    announce(request, *text, result=published)
    return redirect(target)


def _correction_action(
    request: Request,
    record_id: str,
    user: UserInfo,
    settings: Settings,
    vocabularies: Vocabularies,
    filters: str,
    apply: Callable[[sessionmaker[Session], str], CorrectionResult],
    action: str,
) -> Response:
    """One correction from a button (suggestion, keep my correction): apply, one banner, publish, back."""
    factory = get_ledger(request)
    rid = resolve(factory, record_id)
    chosen = filters_from_query(filters)
    was_indexed = _indexed(factory, rid)
    try:
        result = apply(factory, rid)
    except StaleRecordError as exc:
        return conflict_page(request, rid, user, chosen, exc)
    except ReviewError as exc:
        flash_error(request, exc)
    else:
        published = _after_correction(factory, rid, result.status, was_indexed, settings, vocabularies)
        announce(request, *sentence(action, titles(factory, rid)), result=published)
    return redirect(record_url(rid, chosen))


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
    version: VersionField = "",
) -> Response:
    expected = parse_version(version)
    return _correction_action(
        request,
        record_id,
        user,
        settings,
        vocabularies,
        filters,
        lambda factory, rid: apply_suggestion(
            factory, rulebook, rid, issue, actor=user.name, expected_version=expected
        ),
        "suggestion_applied",
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
    version: VersionField = "",
) -> Response:
    expected = parse_version(version)
    return _correction_action(
        request,
        record_id,
        user,
        settings,
        vocabularies,
        filters,
        lambda factory, rid: keep_correction(
            factory, rulebook, rid, field, actor=user.name, expected_version=expected
        ),
        "correction_kept",
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
    versions = selected_versions(ids[:500])
    decision: PersonDecision = "approved" if action == "approve" else "rejected"
    try:
        outcome = bulk_decide(
            factory,
            list(versions),
            decision,
            actor=user.name,
            comment=reason.strip() or None,
            versions={rid: v for rid, v in versions.items() if v is not None},
        )
    except ReviewError as exc:
        flash_error(request, exc)
        return redirect(back)
    stale = [
        (
            titles(factory, e.record_id),
            " ; ".join(c.text_fr for c in e.changes),
            "; ".join(c.text_en for c in e.changes),
        )
        for e in outcome.stale
    ]
    text = bulk_sentence(outcome.counts["decided"], stale, decision == "approved")
    kind = "warning" if stale or not outcome.decided else "success"
    if not outcome.decided:
        announce(request, *text, kind=kind)
        return redirect(back)
    announce(request, *text, kind=kind, result=_publish(factory, settings, vocabularies, outcome.decided))
    return tell_platforms(request, redirect(back), settings, outcome.decided)
