"""``make run-prod`` (``python -m deploy``): the production profile on one machine.

Prepares what replicas must not race for (the PostgreSQL database and its migrations, the Rasa
model, the knowledge-base index), renders the config files, starts supervisord in the
foreground, waits until every replica and nginx answer, and prints where to go. supervisord
restarts any process that dies. Ctrl-C or SIGTERM shuts supervisord down, which stops every
process (nginx included) before this exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from bot.tooling import rasa_model
from deploy import backing, processes, render
from deploy.layout import HOST, Profile, Program, common_env, internal_health_urls, programs, resolve, write_layout
from funddesk.settings import PROJECT_ROOT, Settings, load
from funddesk.stack import Stopped, build_index, healthy, port_free, settings_env

STARTUP_TIMEOUT_S = 600.0  # two Rasa replicas load their model at once on a small machine
SHUTDOWN_TIMEOUT_S = 60.0
BANNER = "FundDesk production profile is running"


class ProfileFailed(RuntimeError):
    pass


def prepare(settings: Settings, root: Path = PROJECT_ROOT) -> tuple[Profile, list[Program]]:
    """Everything before the first replica starts; returns what to run."""
    settings = resolve(settings)
    profile = Profile(settings, model=Path(), root=root)
    if not profile.nginx.is_file():
        raise ProfileFailed(f"{profile.nginx} not found: `make nginx` installs Debian's nginx")
    _check_ports(profile)
    if backing.ensure_database(settings.database_url):
        print(f"created the database {settings.database_url}", flush=True)
    backing.check_redis(settings.redis_url)
    backing.migrate_once(settings.database_url)
    model = rasa_model.train(settings, root)
    build_index(settings, root)
    profile = Profile(settings, model=model, root=root)
    planned = programs(profile)
    render.write_all(profile, planned)
    write_layout(profile, planned)
    processes.write(profile.processes_file, [])
    return profile, planned


def _check_ports(profile: Profile) -> None:
    ports = profile.ports
    busy = [port for port in (ports.public, *ports.private()) if not port_free(HOST, port)]
    if busy:
        raise ProfileFailed(
            f"ports in use on {HOST}: {', '.join(map(str, busy))} (another FundDesk running? "
            "set FUNDDESK_PROD_PORT / FUNDDESK_PROD_PORTS_FROM)"
        )


def start_supervisor(profile: Profile) -> subprocess.Popen[bytes]:
    """supervisord in its own session (Ctrl-C reaches only this launcher, which shuts it down)."""
    command = [sys.executable, "-m", "supervisor.supervisord", "-c", str(profile.folder / "supervisord.conf")]
    env = settings_env(profile.settings)
    env.update(common_env(profile))
    out = (profile.logs / "supervisord.out").open("ab")
    with out:
        return subprocess.Popen(command, cwd=profile.root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def wait_ready(profile: Profile, planned: Sequence[Program], supervisor: subprocess.Popen[bytes]) -> None:
    """Every replica answers, then nginx in front of them (asked only once there is something behind it)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    replicas = [p.health_url for p in planned if p.role != "nginx"]
    fronts = [p.health_url for p in planned if p.role == "nginx"] + internal_health_urls(profile)
    for urls in (replicas, fronts):
        _wait(profile, urls, supervisor, deadline)


def _wait(profile: Profile, urls: list[str], supervisor: subprocess.Popen[bytes], deadline: float) -> None:
    waiting = list(urls)
    while waiting:
        if supervisor.poll() is not None:
            raise ProfileFailed(f"supervisord exited with {supervisor.returncode}; see {profile.logs}/")
        if time.monotonic() > deadline:
            raise ProfileFailed(f"not ready after {STARTUP_TIMEOUT_S:.0f}s: {', '.join(_safe(u) for u in waiting)}")
        waiting = [url for url in waiting if not healthy(url)]
        time.sleep(0.5)


def _safe(url: str) -> str:
    return url.split("?", 1)[0]  # never print the Rasa token


def stop_supervisor(profile: Profile, supervisor: subprocess.Popen[bytes]) -> None:
    """SIGTERM supervisord (it stops every program, then exits); kill what is left if it hangs."""
    last = processes.read(profile.processes_file)
    if supervisor.poll() is None:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait()
            for entry in last:  # supervisord hung: each program is a process group of its own
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(entry["pid"], signal.SIGKILL)
    processes.write(profile.processes_file, [])


def banner(profile: Profile) -> str:
    return "\n".join(
        [
            "",
            f"{BANNER}:",
            f"  web:        {profile.public_url}/  (console: {profile.public_url}/console)",
            f"  processes:  {profile.processes_file}",
            f"  logs:       {profile.logs}/",
            "  supervisor: .venv/bin/supervisorctl -c " + str(profile.folder / "supervisord.conf") + " status",
            "Press Ctrl-C to stop.",
        ]
    )


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def run(settings: Settings, root: Path = PROJECT_ROOT) -> int:
    for sig in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a shell may start us with it ignored
        signal.signal(sig, _raise_stopped)
    supervisor: subprocess.Popen[bytes] | None = None
    profile: Profile | None = None
    try:
        profile, planned = prepare(settings, root)
        supervisor = start_supervisor(profile)
        wait_ready(profile, planned, supervisor)
        print(banner(profile), flush=True)
        while supervisor.poll() is None:
            time.sleep(0.5)
        raise ProfileFailed(f"supervisord exited with {supervisor.returncode}; see {profile.logs}/")
    except (KeyboardInterrupt, Stopped):
        print("\nstopping ...", flush=True)
        return 0
    except (ProfileFailed, backing.BackingUnavailable, render.UnsafeValue, rasa_model.TrainingFailed,
            subprocess.CalledProcessError, FileNotFoundError) as exc:  # fmt: skip
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if profile is not None and supervisor is not None:
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the shutdown short
                signal.signal(sig, signal.SIG_IGN)
            stop_supervisor(profile, supervisor)


def main() -> int:
    return run(load())
