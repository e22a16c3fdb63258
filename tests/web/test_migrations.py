"""The migrations build exactly the schema the models describe, and can be undone; launchers run
them, and the services only check the schema at start."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from funddesk import stack
from funddesk.db import Base, database_url, make_engine, migrate
from funddesk.settings import Settings
from tests.web.db_fixtures import BACKENDS, postgres_schema
from web.__main__ import upgrade_embedded_database


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


def test_upgrades_started_together_migrate_one_sqlite_file_without_tripping_over_each_other(tmp_path: Path) -> None:
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


def test_a_service_refuses_a_database_behind_this_release_and_names_the_command(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with pytest.raises(migrate.SchemaNotCurrent, match="has no FundDesk schema yet") as refused:
        migrate.require_current(engine)
    assert refused.value.behind and migrate.UPGRADE_COMMAND in str(refused.value)
    migrate.upgrade(engine)
    migrate.require_current(engine)
    engine.dispose()


def test_a_service_refuses_a_database_a_newer_release_migrated(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'newer.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    problem = migrate.check(engine)
    assert problem is not None and not problem.behind and "does not know" in str(problem)
    engine.dispose()


def test_launchers_migrate_each_database_their_services_open_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    services = [stack.action_service(settings), stack.web_service(settings)]
    assert {service.database for service in services} == {database_url("", settings.data_dir)}
    stack.migrate_databases(services)
    engine = make_engine(services[0].database)
    assert migrate.check(engine) is None
    engine.dispose()


def test_python_m_web_upgrades_the_embedded_sqlite_file_but_never_a_configured_database(tmp_path: Path) -> None:
    embedded = Settings(data_dir=tmp_path / "var")
    upgrade_embedded_database(embedded)
    configured = replace(embedded, database_url=f"sqlite:///{tmp_path / 'server.sqlite3'}")
    upgrade_embedded_database(configured)
    for url in (database_url("", embedded.data_dir), configured.database_url):
        engine = make_engine(url)
        assert (migrate.current_revision(engine) == migrate.head_revision()) is (url != configured.database_url)
        engine.dispose()


def test_the_web_service_stops_at_start_on_a_database_nobody_migrated(tmp_path: Path) -> None:
    server = f"sqlite:///{tmp_path / 'server.sqlite3'}"  # a configured database: never migrated by the service
    settings = Settings(data_dir=tmp_path / "var", database_url=server, web_port=stack.free_port())
    web = stack.start(replace(stack.web_service(settings), database="", startup_timeout=60))  # no launcher
    try:
        with pytest.raises(stack.ServiceFailed, match="exited") as failure:
            stack.wait_healthy(web)
    finally:
        stack.stop([web])
    assert migrate.UPGRADE_COMMAND in str(failure.value)


def test_the_users_command_stops_on_a_database_nobody_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from escalation.__main__ import main

    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path))
    assert main(["users", "list"]) == 1
    assert migrate.UPGRADE_COMMAND in capsys.readouterr().err
