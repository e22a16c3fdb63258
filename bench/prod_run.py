"""The production profile (``python -m deploy``) started for a benchmark, on free ports in a temporary data folder.

It is the end-to-end test's way of starting it (``tests/deploy/test_run_prod.py``: same seeding,
same block of free ports), pointed at the PostgreSQL and Redis it is given through the profile's
own settings (FUNDDESK_DATABASE_URL, FUNDDESK_REDIS_URL), with metrics on and the per-address
rate limit raised: every simulated investor comes from 127.0.0.1.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from deploy import processes
from deploy.launcher import BANNER
from escalation.staff import accounts
from escalation.staff.teams import load_teams
from funddesk.db import Database, StaffRole
from funddesk.db import database_url as sql_url
from funddesk.settings import PROJECT_ROOT, Settings
from funddesk.stack import port_free
from tests.web.stack_fixture import seed

STARTUP_S = 900
STAFF_PASSWORD = "reliability bench " + "x" * 8
HIGH_LIMIT = "1000000"


@dataclass
class ProdRun:
    process: subprocess.Popen[bytes]
    data: Path
    first_port: int
    public: str
    database_url: str
    metrics_token: str
    seen_pids: set[int] = field(default_factory=set)  # every pid processes.json has listed

    @property
    def folder(self) -> Path:
        return self.data / "prod"

    def listed(self) -> list[processes.Entry]:
        listed = processes.read(self.folder / "processes.json")
        self.seen_pids.update(e["pid"] for e in listed)
        return listed

    def entry(self, role: str, replica: int) -> processes.Entry | None:
        return next((e for e in self.listed() if (e["role"], e["replica"]) == (role, replica)), None)

    @property
    def rasa_token(self) -> str:
        return (self.data / "rasa_token").read_text().strip()

    def health_url(self, role: str, port: int) -> str:
        if role == "rasa":
            return f"http://127.0.0.1:{port}/status?token={self.rasa_token}"
        return f"http://127.0.0.1:{port}/health"

    def metrics_urls(self) -> list[str]:
        """Every web replica and action server, each scraped directly (each has its own registry)."""
        first = self.first_port
        return [f"http://127.0.0.1:{port}/metrics" for port in (first, first + 1, first + 4, first + 5)]


def free_block(size: int) -> int:
    """The first of ``size`` consecutive free ports, below Linux's ephemeral range."""
    for _ in range(200):
        first = random.randrange(20000, 32000 - size)
        if all(port_free("127.0.0.1", port) for port in range(first, first + size)):
            return first
    raise RuntimeError("no free block of ports")


@contextmanager
def production_profile(
    data: Path, database_url: str, redis_url: str, keep_logs: Path | None = None
) -> Iterator[ProdRun]:
    """``python -m deploy`` on ``data``, until the block ends (then SIGTERM, as Ctrl-C would); its
    logs are copied to ``keep_logs`` afterwards (the data folder is usually temporary)."""
    data.mkdir(parents=True, exist_ok=True)
    seed(data)
    first = free_block(9)
    token = secrets.token_urlsafe(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDDESK_")}
    env.update(
        FUNDDESK_DATA_DIR=str(data),
        FUNDDESK_DATABASE_URL=database_url,
        FUNDDESK_REDIS_URL=redis_url,
        FUNDDESK_PROD_PORTS_FROM=str(first),
        FUNDDESK_PROD_PORT=str(first + 8),
        FUNDDESK_WEB_RATE_CLIENT=HIGH_LIMIT,
        FUNDDESK_STAFF_LOGIN_RATE="1000",
        FUNDDESK_METRICS_TOKEN=token,
    )
    out = (data / "run-prod.out").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "deploy"], cwd=PROJECT_ROOT, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    run = ProdRun(process, data, first, f"http://127.0.0.1:{first + 8}", database_url, token)
    try:
        _wait_for_banner(run)
        yield run
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        out.close()
        if keep_logs is not None:
            shutil.rmtree(keep_logs, ignore_errors=True)
            if (run.folder / "logs").is_dir():  # a profile that never started has none
                shutil.copytree(run.folder / "logs", keep_logs)
            keep_logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(data / "run-prod.out", keep_logs)


def _wait_for_banner(run: ProdRun) -> None:
    log, deadline = run.data / "run-prod.out", time.monotonic() + STARTUP_S
    while BANNER not in log.read_text(errors="replace"):
        if run.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"run-prod did not start ({run.process.poll()}):\n{log.read_text()[-4000:]}")
        time.sleep(1)


def add_staff(database_url: str, usernames: list[str], teams_file: Path | None = None) -> None:
    """Admins (every team's queue) in the profile's database, as ``python -m escalation users add`` makes them."""
    db = Database.from_url(sql_url(database_url, Path()))
    try:
        with db.session(write=True) as session:
            teams = load_teams(teams_file or Settings().teams_file)
            accounts.sync_teams(session, teams)
            for name in usernames:
                accounts.create_user(session, name, STAFF_PASSWORD, role=StaffRole.ADMIN, display_name=name.title(),
                                     teams=[team.id for team in teams])  # fmt: skip
    finally:
        db.dispose()
