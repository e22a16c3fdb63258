"""The machine's PostgreSQL and Redis, made ready before any replica starts.

The database named in FUNDDESK_DATABASE_URL is created when missing (connecting to the server's
``postgres`` database to do it), migrated once here rather than by replicas racing at start, and
Redis must answer PING.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import redis
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from funddesk.db import database_url, make_engine, migrate

CONNECT_TIMEOUT_S = 5


class BackingUnavailable(RuntimeError):
    """PostgreSQL or Redis cannot be used; the message says which and how to fix it."""


def ensure_database(url: str) -> bool:
    """Create the URL's database if it does not exist; True if it was created."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "postgresql" or not name:
        raise BackingUnavailable(f"FUNDDESK_DATABASE_URL must name a PostgreSQL database, not {url!r}")
    host, port = parsed.host or "127.0.0.1", parsed.port or 5432
    conninfo = make_conninfo(
        "", host=host, port=port, user=parsed.username, password=parsed.password, dbname="postgres",
        connect_timeout=CONNECT_TIMEOUT_S,
    )  # fmt: skip
    try:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return False
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    except psycopg.errors.DuplicateDatabase:
        return False  # created meanwhile by someone else
    except psycopg.OperationalError as exc:
        raise BackingUnavailable(f"PostgreSQL at {host}:{port} is unreachable: {exc}") from exc


def migrate_once(url: str) -> None:
    """Bring the schema to the newest revision before the replicas start."""
    engine = make_engine(database_url(url, Path()))  # a URL is given: no data folder involved
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def check_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise BackingUnavailable(f"Redis at {url} does not answer: {exc}") from exc
    finally:
        client.close()
