"""Engines and units of work: SQLite in the data folder by default, PostgreSQL by URL.

SQLite runs in WAL mode (readers never wait for the writer) with foreign keys on. Transactions
that write start with ``BEGIN IMMEDIATE``: a deferred transaction that reads first and writes
later fails at once with "database is locked" under concurrent writers, whereas an immediate
one waits its turn (``busy_timeout``). Within one process, writers also queue on a lock:
SQLite's own wait polls with growing sleeps, which under load costs far more than queueing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_FILE = "funddesk.sqlite3"
BUSY_TIMEOUT_MS = 10_000
_WRITE = "funddesk_write"


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

    def dispose(self) -> None:
        self.engine.dispose()
