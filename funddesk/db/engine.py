"""Engines and units of work: SQLite in the data folder by default, PostgreSQL by URL.

SQLite runs in WAL mode (readers never wait for the writer) with foreign keys on. Transactions
that write start with ``BEGIN IMMEDIATE``: a deferred transaction that reads first and writes
later fails at once with "database is locked" under concurrent writers, whereas an immediate
one waits its turn (``busy_timeout``). Within one process, writers also queue on a lock:
SQLite's own wait polls with growing sleeps, which under load costs far more than queueing.

PostgreSQL connections are pinged when taken from the pool (``pool_pre_ping``): after a restart,
the first unit of work to find a dead connection makes the pool drop every older one, so the
next attempt connects afresh. :meth:`Database.attempt` tells the caller whether a unit that
failed may safely run again, and when the connection went during COMMIT, which transaction to
ask the server about (:meth:`Database.committed`): only the server knows whether it committed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILE = "funddesk.sqlite3"
BUSY_TIMEOUT_MS = 10_000
_WRITE = "funddesk_write"
T = TypeVar("T")


def unique_violation(error: IntegrityError, column: str) -> bool:
    """``error`` is a unique constraint or index over ``column``, in SQLite's words ("UNIQUE constraint failed:
    table.column") or PostgreSQL's ("duplicate key value violates unique constraint" with the index's name,
    which names its columns here). Any other integrity error (a foreign key, say) is not."""
    said = str(error.orig)
    return ("UNIQUE constraint failed" in said or "duplicate key value" in said) and column in said


class ConnectionLost(Exception):
    """A unit of work lost its database connection, or could not open one, before it began to
    commit or while committing a transaction that wrote nothing: nothing of it was written, so it
    may run again. ``__cause__`` is the driver's error."""


class CommitUncertain(Exception):
    """The connection went while a PostgreSQL unit of work that wrote was committing: transaction
    ``xid`` may or may not have committed. If it did, ``result`` is what the work returned."""

    def __init__(self, xid: str, result: object) -> None:
        super().__init__(f"database connection lost while committing transaction {xid}")
        self.xid = xid
        self.result = result


def database_url(configured: str, data_dir: Path) -> str:
    """The configured URL (``postgresql://`` means psycopg 3), else SQLite in ``data_dir``."""
    if not configured:
        return f"sqlite:///{data_dir / SQLITE_FILE}"
    url = make_url(configured)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (savepoints work)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS:d}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(_WRITE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class Database:
    """One engine and its session factories; ``session()`` is one unit of work, always closed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        self._writer = threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """Commit on success, roll back on error."""
        if not write:
            with self._read.begin() as session:
                yield session
            return
        with self._writer, self._write.begin() as session:
            yield session

    def attempt(self, work: Callable[[Session], T], *, write: bool = False) -> T:
        """``work`` in one unit of work, raising :class:`ConnectionLost` when it may safely run again.

        That is when the connection could not be opened, or was lost (the driver reports a
        disconnect) while the work ran, or during the COMMIT of a transaction that wrote nothing.
        When it is lost during the COMMIT of one that wrote, the server may have committed before
        the connection went: running the work again could store it twice, so on PostgreSQL this
        raises :class:`CommitUncertain` with the transaction to ask about, and elsewhere the error.
        """
        stage, xid, result = "connect", None, None
        try:
            with self.session(write=write) as session:
                session.connection()  # taken from the pool (and pinged) now, before any work
                stage = "work"
                result = work(session)
                session.flush()  # every statement sent: what fails after this is the COMMIT
                if self.engine.dialect.name == "postgresql":  # NULL unless the transaction wrote
                    xid = session.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar()
                stage = "commit"
            return result
        except DBAPIError as exc:
            lost = stage == "connect" or exc.connection_invalidated
            if lost and stage == "commit" and xid is not None:
                raise CommitUncertain(str(xid), result) from exc
            if lost and (stage != "commit" or self.engine.dialect.name == "postgresql"):
                raise ConnectionLost(f"database connection lost ({stage}), nothing committed") from exc
            raise

    def committed(self, xid: str) -> bool | None:
        """Whether PostgreSQL transaction ``xid`` committed, asked on a new connection: None while
        it is still in progress (its backend has not yet noticed that the client is gone)."""
        with self.engine.connect() as connection:
            status = connection.execute(text("SELECT pg_xact_status(CAST(:xid AS xid8))"), {"xid": xid}).scalar()
        return {"committed": True, "aborted": False}.get(str(status))

    def dispose(self) -> None:
        self.engine.dispose()
