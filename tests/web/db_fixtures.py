"""Databases for repository tests: SQLite and the real PostgreSQL, each test in a rolled-back transaction.

PostgreSQL tests run in a schema of their own (created, migrated and dropped per test session),
so they never touch other data in the ``test`` database. They are skipped, saying why, only
when PostgreSQL is unreachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from funddesk.db import make_engine, migrate

POSTGRES_URL = os.environ.get("FUNDDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine whose database has every migration applied: a SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}")
        migrate.upgrade(engine)
        yield engine
        engine.dispose()
    else:
        with postgres_schema() as engine:
            migrate.upgrade(engine)
            yield engine


@contextmanager
def postgres_schema_url(prefix: str = "funddesk_test") -> Iterator[str]:
    """The app's database URL on a schema of its own on the real PostgreSQL, dropped afterwards;
    the test is skipped, saying why, when PostgreSQL is unreachable."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))  # a generated name, not input
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL is unreachable at {POSTGRES_URL}: {exc.orig}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def postgres_schema() -> Iterator[Engine]:
    """An engine on a schema of its own on the real PostgreSQL, dropped afterwards."""
    with postgres_schema_url() as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def session(migrated_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test, whatever it committed."""
    with migrated_engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()
