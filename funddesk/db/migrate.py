"""Alembic, driven from code. Migrations have one owner: whoever starts the processes.

The launchers upgrade before anything starts: ``make run`` (:mod:`funddesk.stack`, also for the
tests and benchmarks that start services), ``python -m funddesk.db upgrade`` by hand, and a
deployment once before its replicas. A schema change is a deploy step: run once, while no
process of the new release is up, never raced by replicas nor applied under running ones.

The services only check (:func:`require_current`): the web service, the action server and
``python -m escalation users`` stop at start with :class:`SchemaNotCurrent`, which names the
command, when the schema is not the one their code was written for (older or newer). The one
exception is development: ``python -m web`` on the embedded SQLite file (no database URL)
upgrades it first, as that file belongs to one checkout and has no deploy step (``web/__main__``).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = ".venv/bin/python -m funddesk.db upgrade"


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the newest this code knows: a service will not start on it."""

    def __init__(self, database: str, current: str | None, head: str | None, *, behind: bool) -> None:
        self.database, self.current, self.head, self.behind = database, current, head, behind
        if behind:
            found = f"is at schema revision {current}" if current else "has no FundDesk schema yet"
            advice = f"run `{UPGRADE_COMMAND}` (make run does it before starting the services)"
        else:
            found = f"is at schema revision {current}, which this release does not know"
            advice = "a newer release migrated it: run that one (or downgrade with its `python -m funddesk.db`)"
        super().__init__(f"the database {database} {found}; this release needs {head}: {advice}")


def alembic_config(engine: Engine | None = None) -> Config:
    """A config for ``engine`` (migrations run on its connection), without reading alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _one_at_a_time(engine):
        command.upgrade(alembic_config(engine), revision)


@contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """Two upgrades at once (two launchers, ``python -m web`` beside ``make run``) must not migrate
    one SQLite file together.

    Alembic runs SQLite's DDL outside one transaction, so a lock file beside the database
    serialises them; PostgreSQL takes an advisory lock in ``env.py`` instead.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def check(engine: Engine) -> SchemaNotCurrent | None:
    """What is wrong with the database's schema for this code, or None when it is the newest."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    known = current is None or _knows(current)
    database = engine.url.render_as_string(hide_password=True)
    return SchemaNotCurrent(database, current, head, behind=known)


def require_current(engine: Engine) -> None:
    """A service's check at start: raise :class:`SchemaNotCurrent` unless the schema is the newest."""
    problem = check(engine)
    if problem is not None:
        raise problem


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return _scripts().get_current_head()


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _knows(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:  # alembic's answer to a revision it has no script for
        return False
