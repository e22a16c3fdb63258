"""What the production profile runs: every process with its role, replica, port and command.

Public: nginx on ``prod_port``. Private, on 127.0.0.1 only, from ``prod_ports_from`` on:

    +0, +1  web replicas          (nginx's public server balances them)
    +2, +3  Rasa replicas         (reached through nginx on +6)
    +4, +5  action servers        (reached through nginx on +7)
    +6      nginx: Rasa upstream   (the web replicas' FUNDDESK_RASA_PORT)
    +7      nginx: action upstream (Rasa's action endpoint)
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from bot.tooling import rasa_model
from funddesk.settings import PROJECT_ROOT, Settings
from funddesk.stack import rasa_token, settings_env

REPLICAS = 2
PORTS_USED = 8
HOST = "127.0.0.1"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/funddesk"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
NGINX = Path("/usr/sbin/nginx")  # Debian's package: `make nginx` installs it


@dataclass(frozen=True)
class Ports:
    public: int
    web: tuple[int, ...]
    rasa: tuple[int, ...]
    actions: tuple[int, ...]
    rasa_upstream: int
    actions_upstream: int

    @classmethod
    def of(cls, settings: Settings) -> Ports:
        first = settings.prod_ports_from
        return cls(
            public=settings.prod_port,
            web=(first, first + 1),
            rasa=(first + 2, first + 3),
            actions=(first + 4, first + 5),
            rasa_upstream=first + 6,
            actions_upstream=first + 7,
        )

    def private(self) -> list[int]:
        return [*self.web, *self.rasa, *self.actions, self.rasa_upstream, self.actions_upstream]


@dataclass(frozen=True)
class Program:
    """One process supervisord keeps running; ``env`` adds to the profile's common environment."""

    role: str  # web | rasa | actions | nginx: the contract of processes.json
    replica: int
    port: int
    command: list[str]
    health_url: str
    env: dict[str, str]

    @property
    def name(self) -> str:
        return f"{self.role}-{self.replica}"


@dataclass(frozen=True)
class Profile:
    """The resolved settings (token, database and Redis filled in), the model and where files go."""

    settings: Settings
    model: Path
    root: Path = PROJECT_ROOT
    nginx: Path = NGINX

    @property
    def ports(self) -> Ports:
        return Ports.of(self.settings)

    @property
    def folder(self) -> Path:
        return self.settings.data_dir / "prod"

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def processes_file(self) -> Path:
        return self.folder / "processes.json"

    @property
    def layout_file(self) -> Path:
        return self.folder / "layout.json"

    @property
    def socket(self) -> Path:
        return self.folder / "supervisor.sock"

    @property
    def public_url(self) -> str:
        return f"http://{HOST}:{self.ports.public}"


def resolve(settings: Settings) -> Settings:
    """``settings`` with what the profile cannot do without: a Rasa token, PostgreSQL, Redis, one proxy."""
    return replace(
        settings,
        rasa_token=rasa_token(settings),
        database_url=settings.database_url or DEFAULT_DATABASE_URL,
        redis_url=settings.redis_url or DEFAULT_REDIS_URL,
        web_host=HOST,
        web_proxies_count=1,  # nginx: its X-Forwarded-For entry is the client's address
        rasa_host=HOST,
        rasa_port=Ports.of(settings).rasa_upstream,
    )


def common_env(profile: Profile) -> dict[str, str]:
    """Every setting as FUNDDESK_*, plus Rasa's quiet environment, for every program."""
    settings = profile.settings
    env = rasa_model.rasa_env(settings, settings_env(settings, base={}))
    # A conversation whose Rasa replica died mid-turn stays locked until its ticket expires (Rasa's
    # default: 60 s). The web service gives up on a turn after rasa_timeout, so the lock need not outlive it.
    env["TICKET_LOCK_LIFETIME"] = str(max(1, math.ceil(settings.rasa_timeout)))
    return env


def programs(profile: Profile) -> list[Program]:
    """Every supervised process, nginx first."""
    ports, python = profile.ports, sys.executable
    nginx = Program("nginx", 1, ports.public, nginx_command(profile), f"{profile.public_url}/health", {})
    webs = [
        Program("web", n, port, [python, "-m", "web"], f"http://{HOST}:{port}/health", {"FUNDDESK_WEB_PORT": str(port)})
        for n, port in enumerate(ports.web, start=1)
    ]
    rasas = [
        Program("rasa", n, port, rasa_command(profile, port), _rasa_health(profile, port), {})
        for n, port in enumerate(ports.rasa, start=1)
    ]
    actions = [
        Program("actions", n, port, [python, "-m", "actions"], f"http://{HOST}:{port}/health", _actions_env(profile, n))
        for n, port in enumerate(ports.actions, start=1)
    ]
    return [nginx, *actions, *rasas, *webs]


def nginx_command(profile: Profile) -> list[str]:
    """nginx in the foreground (``daemon off`` in its config), through :mod:`deploy.nginx_exec`."""
    folder = profile.folder
    nginx = [str(profile.nginx), "-p", str(folder / "nginx"), "-c", str(folder / "nginx.conf"),
             "-e", str(profile.logs / "nginx-error.log")]  # fmt: skip
    return [sys.executable, "-m", "deploy.nginx_exec", str(folder / "nginx.pid"), *nginx]


def rasa_command(profile: Profile, port: int) -> list[str]:
    return [
        *rasa_model.rasa_server(profile.root), "run",
        "--enable-api", f"--auth-token={profile.settings.rasa_token}",  # one argument: a token may start with "-"
        "-i", HOST, "-p", str(port),
        "--model", str(profile.model),
        "--endpoints", str(profile.folder / "endpoints.yml"),
        "--credentials", str(profile.root / "bot" / "credentials.yml"),
    ]  # fmt: skip


def _rasa_health(profile: Profile, port: int) -> str:
    return f"http://{HOST}:{port}/status?token={profile.settings.rasa_token}"


def _actions_env(profile: Profile, replica: int) -> dict[str, str]:
    # Each action server keeps its own spike detector, so each needs its own state file.
    port, state = profile.ports.actions[replica - 1], profile.folder / f"spikes_state-{replica}.json"
    return {"FUNDDESK_ACTIONS_PORT": str(port), "FUNDDESK_SPIKE_STATE_FILE": str(state)}


def internal_health_urls(profile: Profile) -> list[str]:
    """nginx's private upstreams, which must answer too before the profile is ready."""
    ports = profile.ports
    return [
        f"http://{HOST}:{ports.rasa_upstream}/status?token={profile.settings.rasa_token}",
        f"http://{HOST}:{ports.actions_upstream}/health",
    ]


def write_layout(profile: Profile, planned: list[Program]) -> None:
    """``layout.json``: program name -> role, replica and port, read by the event listener."""
    layout = {p.name: {"role": p.role, "replica": p.replica, "port": p.port} for p in planned}
    profile.folder.mkdir(parents=True, exist_ok=True)
    partial = profile.layout_file.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(layout, indent=1), encoding="utf-8")
    os.replace(partial, profile.layout_file)
