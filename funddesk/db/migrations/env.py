"""Alembic environment: the engine comes from the caller (``funddesk.db.migrate``) or from settings."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Engine, text

from funddesk.db import Base
from funddesk.db.engine import database_url, make_engine
from funddesk.settings import load

MIGRATION_LOCK = 0x46554E44  # "FUND": the advisory lock taken while migrating PostgreSQL
config = context.config
if config.config_file_name is not None and config.get_section("loggers"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if isinstance(given, Engine):
        return given
    settings = load()  # the alembic command line: an entry point, so the environment is read here
    return make_engine(database_url(settings.database_url, settings.data_dir))


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,  # funddesk.db imports every model
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # replicas starting together migrate one at a time
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
