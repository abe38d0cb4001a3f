"""SQLAlchemy tables of the ledger.

Portable on purpose: no SQLite-only types or pragmas. JSON columns use SQLAlchemy's generic
``JSON`` (JSONB-like on PostgreSQL, text on SQLite); timestamps are timezone-aware UTC.
The schema is created by the Alembic migrations in ``ledger/migrations`` — never by ``create_all``
outside tests — so a production database is upgraded the same way as a laptop's.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps the offset; SQLite drops it and gives back naive values, so they are
    re-labelled as UTC on the way out (everything written is UTC).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Base of every ledger table."""


class SourceRow(Base):
    """A configured source, as last seen in sources.yaml (the YAML stays the truth)."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class HarvestRun(Base):
    """One run of one command on one source, with its checkpoint and its counts.

    ``checkpoint`` is rewritten after every page (set being harvested, resumption token, window)
    so a run killed at any point resumes where it stopped.
    """

    __tablename__ = "harvest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="harvest")  # harvest|process|index
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    window_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
    window_until: Mapped[str | None] = mapped_column(String(32), nullable=True)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    next_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The ``from`` the next incremental harvest should use (set when the run completes)."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    coverage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """A process run: the share of the source's live records with each field after the run
    (``{"records": n, "fields": {"title": 0.98, ...}}``), so coverage can be followed over time."""


class RawRecordRow(Base):
    """A record as harvested: the payload and its hash, first and last seen."""

    __tablename__ = "raw_records"
    __table_args__ = (UniqueConstraint("source_id", "identifier", name="uq_raw_source_identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(512))
    datestamp: Mapped[str | None] = mapped_column(String(32), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    metadata_prefix: Mapped[str] = mapped_column(String(64))
    set_specs: Mapped[list[str]] = mapped_column(JSON, default=list)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    processed_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The ``content_hash`` the resource was last built from; differs → needs processing."""
    processed_with: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Fingerprint of the rules and vocabularies it was processed with; differs → process again."""
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"), nullable=True)


class ResourceRow(Base):
    """The normalized record, its issues, its status and what was last sent to the index."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """Stable id: derived from source + OAI identifier, so re-harvests land on the same row."""
    raw_id: Mapped[int] = mapped_column(ForeignKey("raw_records.id"), unique=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    portals: Mapped[list[str]] = mapped_column(JSON, default=list)
    url_key: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    """SHA-1 of the normalized resource URL: finds records that point at the same resource."""
    decided_by: Mapped[str] = mapped_column(String(128), default="rules")
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    indexed_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Hash of the document last sent to OpenSearch; ``None`` = not in the index."""
    indexed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    quality_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Documentary quality 0–100 (:mod:`ren_index.quality.score`), written by the process step so the
    queue sorts by it; ``None`` until the record is processed after migration 0006."""
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Raised by every change a person could have missed (decision, correction, re-harvest that
    changes the record): a decision carries the version its author saw and is refused when stale."""


class Event(Base):
    """The audit trail: who did what to which record, when, with before and after."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)
    source_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)


def new_session_key() -> str:
    """A fresh random :attr:`User.session_key` (128 bits, hex)."""
    return secrets.token_hex(16)


class User(Base):
    """An account of the review UI. Passwords are stored as argon2 hashes, never in clear.

    Failed logins and lock-outs are not counted here but per client address, in
    :class:`LoginLock`: one address guessing must not lock the account out for everyone.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # documentalist | librarian | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    session_key: Mapped[str] = mapped_column(String(32), default=new_session_key)
    """Copied into the session cookie at login and compared on every request; replacing it ends
    every open session of the account at once (logout, password or role change). Random rather
    than a counter, so an account created later under a reused id or name inherits no session."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LoginLock(Base):
    """Consecutive failed logins to one account from one client address, and the lock they led to.

    Keyed by the pair so that five wrong passwords from one address lock that address out of that
    account only: the person at another address still logs in. Deleted with the account, on a
    successful login from the address and by ``ren-index users unlock``.
    """

    __tablename__ = "login_locks"
    __table_args__ = (UniqueConstraint("user_id", "client", name="uq_login_lock_user_client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client: Mapped[str] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Overlay(Base):
    """A person's correction of one field of one record, kept apart from the harvested data.

    Re-applied after every re-harvest. ``base_value`` is what the source said for the field when
    the correction was made: when the source later says something else, the record comes back
    to the queue (``SOURCE_CHANGED_AFTER_EDIT``) with both values.
    """

    __tablename__ = "overlays"
    __table_args__ = (UniqueConstraint("resource_id", "field", name="uq_overlay_resource_field"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    base_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Platform(Base):
    """A platform that pushes contributions (Ma classe of École ouverte): its key and its callbacks.

    Its name *is* a source id (a foreign key to ``sources``): the platform's contributions are raw
    records of that source, so runs, the queue's source filter, the dashboard and the OAI-PMH
    provider's ``source:`` sets see them without knowing about platforms. Only a hash of the key
    is kept (``key_hash``: looked up on every request, hence unique and indexed) and a short
    non-secret ``key_prefix`` to recognise it in listings. The ``callback_*`` columns are the
    outbox's position in the audit trail: the id of the last event delivered and the retries of
    the next one.
    """

    __tablename__ = "platforms"

    name: Mapped[str] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    label: Mapped[str] = mapped_column(String(255))
    portal: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    callback_cursor: Mapped[int] = mapped_column(Integer, default=0)
    """Id of the last event delivered to ``callback_url`` (or given up on)."""
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Failed deliveries of the event after the cursor, so far."""
    callback_next_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Not before then is the next delivery tried (backoff after a failure)."""


class Claim(Base):
    """Who opened a record for editing, until when. A claim informs the others; it never blocks a
    decision. One row per record: the next person to open it takes it over."""

    __tablename__ = "claims"

    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(128), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SavedView(Base):
    """A person's named queue filter (the query string's parameters as a JSON object)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_name", "name", name="uq_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_name: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(120))
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class LinkCheck(Base):
    """One check of one record's landing URL (issue 15): what was asked, what answered, when.

    The history behind a record's :class:`LinkHealthRow`: a record page shows it, and a judgement
    can be explained from it. ``spared``: the check failed while its host was down for the whole
    run (an outage, :mod:`ren_index.links.outage`), so it was kept but not judged. Bounded: the
    links step keeps the last :data:`ren_index.ledger.link_health.KEEP_CHECKS` of each record.
    """

    __tablename__ = "link_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_runs.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    final_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    redirects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Each redirect followed: ``[status, location]``."""
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    failure: Mapped[str | None] = mapped_column(String(32), nullable=True)
    spared: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class LinkHealthRow(Base):
    """Where one record's link stands now (:class:`ren_index.links.patience.LinkHealth`).

    A table of its own rather than columns on ``resources``: the links step writes it on its own
    rhythm without touching the rows the process step rewrites, a record never checked simply has
    no row (``unchecked``), and its shape can follow the patience rules without another migration
    (``health`` holds every field as JSON). ``state`` is a column, indexed, for the queue's filter
    by link state. ``held``: the decision the record had when its broken link took it off the
    portals (``status``, ``portals``, ``decided_by``, ``decided_at``), to return to on recovery.
    """

    __tablename__ = "link_health"

    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    health: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    held: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DupSignature(Base):
    """What duplicate matching keeps of one record (:class:`ren_index.duplicates.records.Signature`).

    Kept so that a new or changed record is compared with stored signatures, never with every record
    again; ``digest`` changes when the signature does (a record whose signature did not change is
    not compared again, and a pair said « different » comes back only when a digest moves).
    """

    __tablename__ = "dup_signatures"

    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), index=True)
    signature: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DupKey(Base):
    """One lookup key of one record (:func:`ren_index.duplicates.similarity.stored_keys`): the
    ledger's index of signatures. A record's candidates are the records sharing one of its keys."""

    __tablename__ = "dup_keys"
    __table_args__ = (
        PrimaryKeyConstraint("key", "resource_id", name="pk_dup_keys"),
        Index("ix_dup_keys_resource_id", "resource_id"),
    )

    key: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))


class DupPair(Base):
    """Two records that may describe one resource: the proposal, and what a person said of it.

    ``a`` < ``b`` (one row per pair whichever record came first). ``proposed`` is the matcher's
    relation, ``relation`` the one that stands (the proposal until a person confirms another).
    ``status``: ``pending`` (waits for a documentalist), ``confirmed`` (by a person, or by the rules
    for a high-confidence ``same``: ``decided_by`` = ``rules``), ``rejected`` (« different »).
    ``a_digest`` / ``b_digest``: the signatures the pair was last found or labelled with.
    """

    __tablename__ = "dup_pairs"
    __table_args__ = (
        PrimaryKeyConstraint("a", "b", name="pk_dup_pairs"),
        Index("ix_dup_pairs_b", "b"),
        Index("ix_dup_pairs_status", "status"),
    )

    a: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    b: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(16))
    proposed: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    whole: Mapped[str | None] = mapped_column(String(40), nullable=True)
    newer: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    a_digest: Mapped[str] = mapped_column(String(40))
    b_digest: Mapped[str] = mapped_column(String(40))
    found_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class DupMember(Base):
    """A record's place in a group of records of one resource (``same`` and ``version`` pairs that
    stand). Rebuilt from the pairs (:mod:`ren_index.duplicates.groups`); a record in no group has
    no row. ``group_id`` is the smallest member id; ``relation`` is ``primary``, ``same`` or
    ``version``."""

    __tablename__ = "dup_members"

    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(40), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer, default=0)
    """0 for the primary, then the order the primary's rules give the others: on a portal where the
    primary is not published, the first published member stands for the group."""


class DupChoice(Base):
    """A documentalist's choice of a group's primary record: outlives regrouping (the newest choice
    among a group's members wins over the rules)."""

    __tablename__ = "dup_choices"

    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    chosen_by: Mapped[str] = mapped_column(String(128))
    chosen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
