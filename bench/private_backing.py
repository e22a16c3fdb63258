"""A Redis and a PostgreSQL of the benchmark's own, so its outages never touch the machine's shared ones.

Redis is Debian's ``redis-server`` on a free port with persistence off; PostgreSQL is a fresh
cluster (``initdb`` + ``pg_ctl`` from Debian's PostgreSQL 15) in a temporary folder, trust auth,
listening on 127.0.0.1 only. Both can be stopped and started again on the same port, which is
what the fault drills do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from funddesk.stack import free_port

REDIS_SERVER = Path("/usr/bin/redis-server")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"  # initdb refuses to run as root: the cluster belongs to Debian's postgres user


class BackingMissing(RuntimeError):
    """The binaries this needs are not installed."""


def missing() -> str | None:
    if not REDIS_SERVER.exists():
        return f"{REDIS_SERVER} is missing (Debian's redis-server)"
    if not (PG_BIN / "initdb").exists():
        return f"{PG_BIN}/initdb is missing (Debian's postgresql-15)"
    return None


@dataclass
class PrivateRedis:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--protected-mode", "yes"]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _wait(lambda: bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()), "redis")

    def stop(self) -> None:
        """A crash, not a shutdown: every key and connection is gone at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class PrivatePostgres:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _as_postgres(self, *command: str) -> None:
        runuser = ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []
        subprocess.run([*runuser, *command], check=True, capture_output=True)

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            self.folder.parent.chmod(0o711)  # the temporary folder: postgres must pass through it
            shutil.chown(self.folder, PG_USER, PG_USER)
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres",
                          "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on"
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "pg.log"),
                          "-o", options, "-w", "start")  # fmt: skip

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server comes back on the same port."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300"
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "pg.log"),
                          "-o", options, "-m", "fast", "-w", "restart")  # fmt: skip

    def stop(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")

    def answers(self) -> bool:
        try:
            psycopg.connect(f"{self.url}/postgres", connect_timeout=1).close()
            return True
        except psycopg.OperationalError:
            return False


def _wait(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if callable(check) and check():
                return
        except Exception:  # not up yet, whatever the client says
            pass
        time.sleep(0.1)
    raise BackingMissing(f"private {what} did not start within {timeout:.0f}s")


@contextmanager
def private_backing() -> Iterator[tuple[PrivateRedis, PrivatePostgres]]:
    """A private Redis and PostgreSQL for the run, removed afterwards."""
    reason = missing()
    if reason:
        raise BackingMissing(reason)
    with tempfile.TemporaryDirectory(prefix="funddesk-reliability-") as tmp:
        private_redis = PrivateRedis(free_port(), Path(tmp) / "redis.log")
        postgres = PrivatePostgres(Path(tmp) / "pg", free_port())
        private_redis.start()
        try:
            postgres.init()
            postgres.start()
            try:
                yield private_redis, postgres
            finally:
                postgres.stop()
        finally:
            private_redis.stop()
