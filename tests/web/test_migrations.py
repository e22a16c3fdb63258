"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from funddesk.db import Base, make_engine, migrate
from tests.web.db_fixtures import BACKENDS, postgres_schema


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _check(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _differences(engine) == []
    assert {"conversations", "messages", "feedback"} <= set(inspect(engine).get_table_names())
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)  # and back up again
    assert _differences(engine) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migrations_and_the_models_agree(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        try:
            _check(engine)
        finally:
            engine.dispose()
    else:
        with postgres_schema() as engine:
            _check(engine)


def test_the_sqlite_database_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'w.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_command_line_upgrades_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from funddesk.db.__main__ import main

    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path))
    assert main(["upgrade"]) == 0
    assert f"at {migrate.head_revision()}" in capsys.readouterr().out
    assert main(["downgrade", "base"]) == 0
    assert "at None" in capsys.readouterr().out
    assert (tmp_path / "funddesk.sqlite3").is_file()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


def test_services_starting_together_migrate_one_sqlite_file_without_tripping_over_each_other(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'together.sqlite3'}"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_migrate, args=(url,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    engine = make_engine(url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
