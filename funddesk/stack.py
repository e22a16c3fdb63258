"""``make run``: train if needed, build the index, start every service, stop them all on Ctrl-C.

    python -m funddesk.stack

Migrations are the launcher's job: the database a service opens is brought to the newest
schema before any service starts (the services only check it; see :mod:`funddesk.db.migrate`).
Each service runs in its own process group, logs to ``<data_dir>/logs/<name>.log`` and is
healthy when its health URL answers 200. On Ctrl-C or SIGTERM (or if one service dies) all are
sent SIGTERM, given a grace period, then killed. Tests reuse :func:`start`, :func:`wait_healthy`
and :func:`stop` to run the real servers on free ports.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import FrameType
from typing import NoReturn

from bot.tooling import rasa_model
from funddesk.db import database_url, make_engine, migrate
from funddesk.settings import PROJECT_ROOT, Settings, env_name, load

GRACE_SECONDS = 10.0


class ServiceFailed(RuntimeError):
    def __init__(self, name: str, reason: str, log: Path | None) -> None:
        tail = _tail(log) if log else ""
        super().__init__(f"{name} {reason}" + (f"\n--- last lines of {log} ---\n{tail}" if tail else ""))
        self.name = name
        self.log = log


class Stopped(Exception):
    """Raised in the main thread by the SIGTERM handler, like KeyboardInterrupt for SIGINT."""


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    env: dict[str, str]
    cwd: Path = PROJECT_ROOT
    log: Path | None = None
    startup_timeout: float = 180.0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    database: str = ""  # the database URL it opens, migrated before it starts ("" for none)


# -- settings and token -----------------------------------------------------------------------


def settings_env(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this environment) plus every setting as FUNDDESK_*, for child processes."""
    env = dict(os.environ if base is None else base)
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    env.update({env_name(name): "" if value is None else str(value) for name, value in values.items()})
    return env


def rasa_token(settings: Settings) -> str:
    """FUNDDESK_RASA_TOKEN, else a token generated once into ``<data_dir>/rasa_token``."""
    if settings.rasa_token:
        return settings.rasa_token
    path = settings.data_dir / "rasa_token"
    if path.is_file() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token


# -- the services -----------------------------------------------------------------------------


def rasa_service(settings: Settings, model: Path, token: str, *, root: Path = PROJECT_ROOT) -> Service:
    origins = [f"http://{host}:{settings.web_port}" for host in (settings.web_host, "localhost")]
    command = [
        *rasa_model.rasa_server(root), "run",
        "--enable-api", f"--auth-token={token}",  # one argument: a urlsafe token may start with "-"
        "-i", settings.rasa_host, "-p", str(settings.rasa_port),
        "--model", str(model),
        "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
        "--cors", *dict.fromkeys(origins),
    ]  # fmt: skip
    env = rasa_model.rasa_env(settings, settings_env(settings))
    health = f"{settings.rasa_url}/status?token={token}"
    return Service("rasa", command, health, env, root, _log(settings, "rasa"))


def action_service(settings: Settings, *, root: Path = PROJECT_ROOT, python: str = sys.executable) -> Service:
    health = f"http://127.0.0.1:{settings.actions_port}/health"
    command = [python, "-m", "actions"]
    database = database_url(settings.database_url, settings.data_dir)
    return Service(
        "actions", command, health, settings_env(settings), root, _log(settings, "actions"), database=database
    )


def web_service(settings: Settings, *, root: Path = PROJECT_ROOT, python: str = sys.executable) -> Service:
    """The web service (widget, console, APIs): it reads settings with ``funddesk.settings.load()``
    (Rasa's URL and token included) and answers ``GET /health`` with 200 when ready."""
    health = f"http://{settings.web_host}:{settings.web_port}/health"
    database = database_url(settings.database_url, settings.data_dir)
    return Service(
        "web", [python, "-m", "web"], health, settings_env(settings), root, _log(settings, "web"), database=database
    )


def with_token(settings: Settings) -> Settings:
    """``settings`` with the Rasa token resolved, so every child (the web service too) knows it."""
    return replace(settings, rasa_token=rasa_token(settings))


def plan(settings: Settings, model: Path, root: Path = PROJECT_ROOT) -> list[Service]:
    """What ``make run`` starts, in start order: Rasa, the action server, the web service."""
    rasa = rasa_service(settings, model, settings.rasa_token, root=root)
    return [rasa, action_service(settings, root=root), web_service(settings, root=root)]


def _log(settings: Settings, name: str) -> Path:
    return settings.data_dir / "logs" / f"{name}.log"


# -- process control --------------------------------------------------------------------------


def migrate_databases(services: Sequence[Service]) -> None:
    """Bring each database the services open to the newest schema, once, before any of them starts."""
    for url in dict.fromkeys(s.database for s in services if s.database):
        migrate_database(url)


def migrate_database(url: str) -> None:
    """Upgrade one database to the newest schema (also for tests that start an app in process)."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def start(service: Service) -> Service:
    """Start ``service`` in a new process group, its output appended to its log file."""
    if service.log:
        service.log.parent.mkdir(parents=True, exist_ok=True)
        with service.log.open("ab") as sink:
            service.process = subprocess.Popen(
                service.command, cwd=service.cwd, env=service.env, stdin=subprocess.DEVNULL,
                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
    else:
        service.process = subprocess.Popen(
            service.command, cwd=service.cwd, env=service.env, stdin=subprocess.DEVNULL, start_new_session=True
        )
    return service


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(service: Service, timeout: float | None = None) -> None:
    deadline = time.monotonic() + (service.startup_timeout if timeout is None else timeout)
    while not healthy(service.health_url):
        if service.process is not None and service.process.poll() is not None:
            raise ServiceFailed(service.name, f"exited with {service.process.returncode} while starting", service.log)
        if time.monotonic() > deadline:
            raise ServiceFailed(service.name, f"not healthy after {service.startup_timeout:.0f}s", service.log)
        time.sleep(0.25)


def stop(services: Sequence[Service], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every process group, wait up to ``grace`` seconds, then SIGKILL what is left."""
    running = [s.process for s in reversed(services) if s.process and s.process.poll() is None]
    for process in running:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # start_new_session: the group id is the child's pid


@contextmanager
def running(services: Sequence[Service], grace: float = GRACE_SECONDS) -> Iterator[Sequence[Service]]:
    """Migrate their databases, start all, wait until all are healthy, and always stop all on the way out."""
    try:
        migrate_databases(services)
        for service in services:
            start(service)
        for service in services:
            wait_healthy(service)
        yield services
    finally:
        stop(services, grace)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for tests and benchmarks that start servers)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- make run ---------------------------------------------------------------------------------


def build_index(settings: Settings, root: Path = PROJECT_ROOT) -> None:
    print("building the knowledge-base index ...", flush=True)
    subprocess.run([sys.executable, "-m", "knowledge_base", "build"], cwd=root, env=settings_env(settings), check=True)


def _check_ports(settings: Settings, services: Sequence[Service]) -> None:
    wanted = {"rasa": (settings.rasa_host, settings.rasa_port, "FUNDDESK_RASA_PORT"),
              "actions": ("127.0.0.1", settings.actions_port, "FUNDDESK_ACTIONS_PORT"),
              "web": (settings.web_host, settings.web_port, "FUNDDESK_WEB_PORT")}  # fmt: skip
    for service in services:
        host, port, variable = wanted[service.name]
        if not port_free(host, port):
            reason = f"cannot start: {host}:{port} is in use (another FundDesk running? set {variable})"
            raise ServiceFailed(service.name, reason, None)


def _banner(settings: Settings, services: Sequence[Service]) -> str:
    rest = f"{settings.rasa_url}/webhooks/rest/webhook"
    lines = ["", "FundDesk is running:"]
    if any(s.name == "web" for s in services):
        lines.append(f"  web:      http://{settings.web_host}:{settings.web_port}/")
        lines.append(
            f"  console:  http://{settings.web_host}:{settings.web_port}/console "
            "(first admin: .venv/bin/python -m escalation users add NAME --role admin)"
        )
    lines += [
        f'  chat:     curl -s {rest} -d \'{{"sender": "me", "message": "How do I redeem my shares?"}}\'',
        f"  rasa API: {settings.rasa_url} (token: FUNDDESK_RASA_TOKEN or {settings.data_dir / 'rasa_token'})",
        f"  actions:  http://127.0.0.1:{settings.actions_port}/health",
        f"  logs:     {settings.data_dir / 'logs'}/",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def run(settings: Settings, root: Path = PROJECT_ROOT) -> int:
    signal.signal(signal.SIGTERM, _raise_stopped)
    services: list[Service] = []
    try:
        _serve(settings, root, services)
    except (KeyboardInterrupt, Stopped):
        print("\nstopping ...", flush=True)
        return 0
    except (ServiceFailed, subprocess.CalledProcessError, rasa_model.TrainingFailed, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(services)


def _serve(settings: Settings, root: Path, services: list[Service]) -> NoReturn:
    """Start everything, then watch it until a signal or a dying service raises.

    ``services`` is filled as each one starts, so the caller stops exactly those.
    """
    settings = with_token(settings)
    model = rasa_model.train(settings, root)
    planned = plan(settings, model, root)
    rasa = planned[0]
    _check_ports(settings, planned)
    print("migrating the database ...", flush=True)
    migrate_databases(planned)
    services.append(start(rasa))  # the slowest to start: it loads while the index builds
    build_index(settings, root)
    services.extend(start(s) for s in planned[1:])
    for service in services:
        wait_healthy(service)
    print(_banner(settings, services), flush=True)
    while all(s.process and s.process.poll() is None for s in services):
        time.sleep(0.5)
    dead = next(s for s in services if s.process and s.process.poll() is not None)
    raise ServiceFailed(dead.name, f"exited with {dead.process.returncode if dead.process else '?'}", dead.log)


def main() -> int:
    return run(load())


if __name__ == "__main__":
    raise SystemExit(main())
