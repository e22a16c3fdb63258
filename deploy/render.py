"""Config files of the production profile, rendered from ``deploy/templates/`` at every start.

Plain :class:`string.Template` (``$name``; ``$$`` is nginx's own ``$``). Every value that
reaches a config file passes through one quoting function for that file's syntax.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template

from sqlalchemy.engine import make_url

from deploy.layout import HOST, Profile, Program

TEMPLATES = Path(__file__).resolve().parent / "templates"
WWW_USER = "www-data"  # Debian's nginx package creates it
# supervisord reads `environment` with a non-POSIX shlex and then strips quotes: a value is safe
# quoted only if it has no quote or backslash of its own.
_SAFE_ENV_VALUE = re.compile(r"[^\"'\\\n\r]*")


class UnsafeValue(ValueError):
    """A value that would not survive a config file's syntax intact."""


def template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


# -- supervisord --------------------------------------------------------------------------------


# One group per role: a group's processes start and stop together, groups in this order (the
# reverse to stop: nginx first, so no connection is held open to a replica that is stopping).
GROUP_ORDER = ("actions", "rasa", "web", "nginx")


def supervisord_conf(profile: Profile, planned: Sequence[Program]) -> str:
    listener = [sys.executable, "-m", "deploy.listener", str(profile.folder)]
    sections = "".join(program_section(profile, p, _priority(p.role)) for p in planned)
    for role in GROUP_ORDER:
        members = ",".join(p.name for p in planned if p.role == role)
        if members:
            sections += f"\n[group:{role}]\nprograms = {members}\npriority = {_priority(role)}\n"
    return template("supervisord.conf").substitute(
        socket=_ini(str(profile.socket)),
        logs=_ini(str(profile.logs)),
        folder=_ini(str(profile.folder)),
        root=_ini(str(profile.root)),
        listener=_ini(shlex.join(listener)),
        programs=sections,
    )


def _priority(role: str) -> int:
    return 10 * (GROUP_ORDER.index(role) + 1)


def program_section(profile: Profile, program: Program, priority: int) -> str:
    return template("program.conf").substitute(
        name=program.name,
        command=_ini(shlex.join(program.command)),
        priority=priority,
        logs=_ini(str(profile.logs)),
        environment=_ini(supervisor_env(program.env)),
    )


def supervisor_env(env: Mapping[str, str]) -> str:
    """``KEY="value",...`` as supervisord's ``environment`` reads it back."""
    for key, value in env.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or not _SAFE_ENV_VALUE.fullmatch(value):
            raise UnsafeValue(f"{key}={value!r} cannot be passed through supervisord's environment")
    return ",".join(f'{key}="{value}"' for key, value in env.items())


def _ini(value: str) -> str:
    """A supervisord value. It expands ``%(name)s`` in values, some twice (log files), so no
    escaping of ``%`` holds everywhere: a value with one is refused, like one spanning lines."""
    if "%" in value or "\n" in value:
        raise UnsafeValue(f"{value!r}: supervisord cannot take '%' or a line break here (choose another data folder)")
    return value


# -- nginx --------------------------------------------------------------------------------------


def nginx_conf(profile: Profile, *, as_root: bool | None = None) -> str:
    ports = profile.ports
    root = os.geteuid() == 0 if as_root is None else as_root
    return template("nginx.conf").substitute(
        user=f"user {WWW_USER};" if root else "# not root: workers run as this user",
        folder=_nginx(str(profile.folder)),
        logs=_nginx(str(profile.logs)),
        max_body=max(profile.settings.web_max_body, 1024),
        web_servers=_servers(ports.web),
        rasa_servers=_servers(ports.rasa),
        actions_servers=_servers(ports.actions),
        public_host=HOST,
        public_port=ports.public,
        rasa_upstream=ports.rasa_upstream,
        actions_upstream=ports.actions_upstream,
    )


def _servers(ports: Sequence[int]) -> str:
    # A replica that fails is left alone for 3 s, then tried again (it may be back by then).
    return "\n".join(f"        server {HOST}:{port} max_fails=1 fail_timeout=3s;" for port in ports)


def _nginx(path: str) -> str:
    """A path inside nginx's double quotes, where ``$`` still starts a variable."""
    if re.search(r'["\\$\n]', path):
        raise UnsafeValue(f"{path!r}: nginx cannot take '\"', '\\', '$' or a line break in this path")
    return path


# -- Rasa ---------------------------------------------------------------------------------------


def endpoints_yml(profile: Profile) -> str:
    """Rasa's endpoints: SQL tracker store on the app's PostgreSQL, Redis lock store, actions via nginx."""
    settings = profile.settings
    database = make_url(settings.database_url)
    if database.get_backend_name() != "postgresql":
        raise UnsafeValue(f"the production profile needs PostgreSQL, not {database.get_backend_name()}")
    redis = make_url(settings.redis_url)
    return template("endpoints.yml").substitute(
        action_url=_yaml(f"http://{HOST}:{profile.ports.actions_upstream}/webhook"),
        db_host=_yaml(database.host or HOST),
        db_port=database.port or 5432,
        db_name=_yaml(database.database or "funddesk"),
        db_user=_yaml(database.username),
        db_password=_yaml(database.password),
        redis_host=_yaml(redis.host or HOST),
        redis_port=redis.port or 6379,
        redis_db=int(redis.database or 0),
        redis_password=_yaml(redis.password),
    )


def _yaml(value: object) -> str:
    """A YAML scalar: JSON's string syntax is YAML's; ``${`` would be read as an environment variable."""
    if value is None:
        return "null"
    text = str(value)
    if "${" in text:
        raise UnsafeValue(f"{text!r}: Rasa would read '${{' as an environment variable")
    return json.dumps(text, ensure_ascii=False)


# -- all of them ----------------------------------------------------------------------------------


def write_all(profile: Profile, planned: Sequence[Program]) -> None:
    """Render every file into ``<data_dir>/prod`` (owner-only: they hold the Rasa token)."""
    for folder in (profile.folder, profile.logs, profile.folder / "nginx"):
        folder.mkdir(parents=True, exist_ok=True)
    _write(profile.folder / "supervisord.conf", supervisord_conf(profile, planned))
    _write(profile.folder / "nginx.conf", nginx_conf(profile))
    _write(profile.folder / "endpoints.yml", endpoints_yml(profile))


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(partial, path)
