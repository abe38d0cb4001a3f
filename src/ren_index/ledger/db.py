"""Opening the ledger: engine, sessions and migrations.

No connection is made at import time. :func:`open_ledger` creates the data directory for a
SQLite URL, runs the Alembic migrations up to head (idempotent) and returns a session factory.

A ledger that cannot be used is a :class:`LedgerError`: one line naming the file and saying what
to do, which every command (and ``serve``) prints instead of a 300-line SQLAlchemy traceback. A
SQLite file that is not a database or is shorter than its header says is refused before SQLite
opens it (:func:`check_sqlite_file`); one that is damaged inside, or that another process keeps
locked past :data:`LOCK_TIMEOUT`, is recognised wherever it is read — at opening, or in the
middle of a command — by the engine's ``handle_error`` hook; a database server that does not
answer is recognised when the ledger is opened.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ren_index.errors import LedgerError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

LOCK_TIMEOUT = 30.0
"""Seconds a SQLite connection waits for another process's lock before giving up (a harvest writing
a page holds it for a moment; a process that never lets go becomes a :class:`LedgerError`)."""

_DAMAGED = ("file is not a database", "database disk image is malformed", "file is encrypted")
_LOCKED = ("database is locked",)
_UNOPENABLE = ("unable to open database file",)


def unreadable(path: str, said: str) -> LedgerError:
    """The ledger file is damaged or is not a ledger at all (``said``: what gave it away)."""
    return LedgerError(
        f"le registre {path} est illisible ({said}) : corrompu, tronqué ou pas une base SQLite ;"
        " restaurez-le d'une sauvegarde, ou déplacez-le pour repartir d'un registre vide / the "
        f"ledger {path} is unreadable: corrupt, truncated or not an SQLite database; restore it"
        " from a backup, or move it aside to start from an empty ledger"
    )


def sqlite_problem(path: str, exc: BaseException) -> LedgerError | None:
    """The :class:`LedgerError` for what SQLite said about the file at ``path``, or ``None`` when
    it is not about the file itself (a constraint, a bug: those keep their own exception)."""
    said = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    if any(m in said for m in _DAMAGED):
        return unreadable(path, said)
    if any(m in said for m in _LOCKED):
        return LedgerError(
            f"le registre {path} est verrouillé par un autre processus depuis plus de {LOCK_TIMEOUT:g} s :"
            " attendez qu'il finisse ou arrêtez-le, puis recommencez / the ledger "
            f"{path} has been locked by another process for over {LOCK_TIMEOUT:g} s: wait for it to"
            " finish or stop it, then try again"
        )
    if any(m in said for m in _UNOPENABLE):
        return LedgerError(
            f"le registre {path} ne peut pas être ouvert ({said}) : vérifiez que c'est un fichier et"
            f" que son dossier est accessible en écriture / the ledger {path} cannot be opened: check"
            " that it is a file and that its folder is writable"
        )
    return None


_HEADER = b"SQLite format 3\x00"


def check_sqlite_file(path: Path) -> None:
    """Refuse, before SQLite is asked, a file that is not a database or is shorter than its header
    says (a copy or a disk cut short): SQLite itself would only notice when it reads a missing page,
    deep inside some command, or while ``serve`` is already answering requests.

    Cheap (the first 100 bytes), and silent when it cannot judge: no file yet or an empty one (a
    new ledger), or a write-ahead log beside it (SQLite recovers from it; the header may be ahead
    of the file until then).
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb") as file:
        header = file.read(100)
    if not header.startswith(_HEADER[: len(header)]):
        raise unreadable(str(path), "file is not a database")
    if len(header) < 100:
        raise unreadable(str(path), f"truncated: {len(header)} bytes")
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        return
    page_size = int.from_bytes(header[16:18], "big")
    expected = int.from_bytes(header[28:32], "big") * (65536 if page_size == 1 else page_size)
    size = path.stat().st_size
    if header[24:28] == header[92:96] and size < expected:
        raise unreadable(str(path), f"truncated: {size} bytes of {expected}")


def make_engine(url: str) -> Engine:
    """An engine for the ledger URL; for SQLite, the parent folder is created and FKs enforced."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            check_sqlite_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": LOCK_TIMEOUT})

        @event.listens_for(engine, "handle_error")
        def _ledger_problem(context: ExceptionContext) -> None:
            problem = sqlite_problem(path, context.original_exception)
            if problem is not None:
                raise problem from context.original_exception

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL stays consistent after any crash: a power cut may lose the
            # last commits, never half of one, so a page and its checkpoint still go together.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the bundled migrations and at ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


MIGRATION_LOCK = 0x72656E2D6C6564  # "ren-led": the advisory lock key of ledger migrations
"""Processes opening one PostgreSQL ledger at once take turns to migrate it (see :func:`upgrade`)."""


def upgrade(engine: Engine) -> None:
    """Bring the ledger schema to the latest migration (no-op when already there).

    On PostgreSQL two processes starting together on a fresh ledger (a schedule and a manual
    harvest) would both create the tables, and one would fail on a duplicate: a transaction-level
    advisory lock makes the second wait, then find the schema at head. SQLite's file lock already
    serializes them.
    """
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def verify_sqlite(engine: Engine) -> None:
    """Read every page of a SQLite ledger once (``PRAGMA quick_check``); :class:`LedgerError` when
    one is damaged. Linear in the file's size (about a second per few hundred MB): for a process
    that starts once and then serves for days, not for every command."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        found = [str(row[0]) for row in connection.execute(text("PRAGMA quick_check(3)"))]
    if found != ["ok"]:
        raise unreadable(str(engine.url.database), "; ".join(found)[:200])


def open_ledger(url: str, *, verify: bool = False) -> sessionmaker[Session]:
    """Migrate the ledger at ``url`` and return a session factory for it.

    :class:`LedgerError` when it cannot be used: a damaged or locked SQLite file (see
    :func:`sqlite_problem`), or a database server that refuses or does not answer. With
    ``verify`` (``serve`` asks for it) a SQLite file damaged anywhere is refused now
    (:func:`verify_sqlite`), rather than failing requests one by one once the app is up.
    """
    engine = make_engine(url)
    try:
        upgrade(engine)
        if verify:
            verify_sqlite(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        said = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        raise LedgerError(
            f"le registre {where} ne peut pas être ouvert : vérifiez REN_DATABASE_URL et que le serveur"
            f" répond / the ledger {where} cannot be opened ({said}): check REN_DATABASE_URL and that"
            " its server answers"
        ) from exc
    except LedgerError:
        engine.dispose()
        raise
    return sessionmaker(engine, expire_on_commit=False)


def wait_for_writers(engine: Engine, timeout: float = LOCK_TIMEOUT) -> bool:
    """Wait until every write transaction open now has ended; False if one outlived ``timeout``.

    Why: a step that reads "what changed since T" (the index step, :mod:`ren_index.steps.index_since`)
    takes T, then reads. A writer that stamped a row before T but commits after the read began
    would be missed for good. Taking T, then waiting for the writers open at T, closes that gap.
    SQLite: take the write lock once (it waits for the current writer, up to its busy timeout) and
    let it go. PostgreSQL: take a transaction id (newer than any open writer's), then wait until
    the oldest transaction still running is not older than it, polling a few times a second.
    """
    import time

    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except Exception:  # locked past the busy timeout: a writer outlived it
                return False
            raw.rollback()
            return True
        finally:
            raw.close()
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect() as conn:
        # A transaction id of our own: newer than every id assigned so far (a snapshot's xmax is
        # not: it is one past the newest *completed* id, and a writer still open may hold it).
        horizon = conn.execute(text("SELECT pg_current_xact_id()::text")).scalar_one()
        conn.rollback()
        deadline = time.monotonic() + timeout
        while True:
            done = conn.execute(
                text("SELECT pg_snapshot_xmin(pg_current_snapshot()) >= CAST(:h AS xid8)"), {"h": horizon}
            ).scalar_one()
            conn.rollback()
            if done:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
