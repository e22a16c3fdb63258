"""What run-prod makes ready before any replica starts, and what it refuses to start on."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from deploy import backing, launcher
from deploy.layout import NGINX
from funddesk.settings import Settings
from funddesk.stack import free_port

POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def new_database() -> Iterator[str]:
    name = f"funddesk_backing_{uuid.uuid4().hex[:8]}"
    yield name
    try:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')  # a generated name, not input
    except psycopg.OperationalError:
        pass


@pytest.mark.integration
def test_a_missing_database_is_created_once_and_migrated(new_database: str) -> None:
    url = f"{POSTGRES}/{new_database}"
    try:
        created = backing.ensure_database(url)
    except backing.BackingUnavailable as exc:
        pytest.skip(str(exc))
    assert created and not backing.ensure_database(url)
    backing.migrate_once(url)
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT to_regclass('public.incidents')").fetchone() == ("incidents",)


def test_an_unreachable_postgresql_or_redis_says_which() -> None:
    closed = free_port()
    with pytest.raises(backing.BackingUnavailable, match="PostgreSQL"):
        backing.ensure_database(f"postgresql://postgres@127.0.0.1:{closed}/funddesk")
    with pytest.raises(backing.BackingUnavailable, match="Redis"):
        backing.check_redis(f"redis://127.0.0.1:{closed}/0")
    with pytest.raises(backing.BackingUnavailable, match="PostgreSQL database"):
        backing.ensure_database("sqlite:///funddesk.sqlite3")


def test_a_busy_port_stops_the_start_before_anything_is_touched(tmp_path: Path) -> None:
    if not NGINX.is_file():
        pytest.skip(f"{NGINX} is missing (make nginx installs Debian's nginx)")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        settings = Settings(data_dir=tmp_path, prod_port=busy.getsockname()[1], prod_ports_from=free_port())
        with pytest.raises(launcher.ProfileFailed, match="FUNDDESK_PROD_PORT"):
            launcher.prepare(settings)
    assert not (tmp_path / "prod").exists()
