"""The production profile's config files, as supervisord, nginx and Rasa read them back."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from supervisor.options import ServerOptions

from deploy import render
from deploy.layout import Ports, Profile, Program, common_env, programs, resolve
from funddesk.settings import Settings


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    settings = Settings(
        data_dir=tmp_path / "data dir",  # a space must survive quoting
        database_url="postgresql://fund:s3cret@db.internal:6543/funddesk_prod",
        redis_url="redis://:pw@cache.internal:6380/3",
        prod_port=9080,
        prod_ports_from=9100,
    )
    return Profile(resolve(settings), model=tmp_path / "model.tar.gz")


def read_supervisord(profile: Profile, planned: list[Program]) -> ServerOptions:
    conf = profile.folder / "supervisord.conf"
    profile.logs.mkdir(parents=True, exist_ok=True)
    conf.write_text(render.supervisord_conf(profile, planned), encoding="utf-8")
    options = ServerOptions()
    options.realize(args=["-c", str(conf)])
    return options


def test_every_process_has_its_own_port_and_only_nginx_faces_outside(profile: Profile) -> None:
    planned = programs(profile)
    assert [(p.role, p.replica) for p in planned] == [
        ("nginx", 1), ("actions", 1), ("actions", 2), ("rasa", 1), ("rasa", 2), ("web", 1), ("web", 2)
    ]  # fmt: skip
    ports = Ports.of(profile.settings)
    assert len({ports.public, *ports.private()}) == 9 and ports.private() == list(range(9100, 9108))
    assert [p.port for p in planned] == [9080, 9104, 9105, 9102, 9103, 9100, 9101]


def test_web_replicas_reach_rasa_through_nginx_and_trust_one_proxy(profile: Profile) -> None:
    env = common_env(profile)
    assert env["FUNDDESK_RASA_PORT"] == "9106" and env["FUNDDESK_RASA_HOST"] == "127.0.0.1"
    assert env["FUNDDESK_WEB_PROXIES_COUNT"] == "1" and env["FUNDDESK_WEB_HOST"] == "127.0.0.1"
    assert env["FUNDDESK_REDIS_URL"] == "redis://:pw@cache.internal:6380/3"
    assert env["TICKET_LOCK_LIFETIME"] == "10"  # the web service's patience with Rasa, FUNDDESK_RASA_TIMEOUT
    webs = [p for p in programs(profile) if p.role == "web"]
    assert [p.env for p in webs] == [{"FUNDDESK_WEB_PORT": "9100"}, {"FUNDDESK_WEB_PORT": "9101"}]


def test_each_action_server_keeps_its_own_spike_state(profile: Profile) -> None:
    actions = [p for p in programs(profile) if p.role == "actions"]
    assert [p.env["FUNDDESK_ACTIONS_PORT"] for p in actions] == ["9104", "9105"]
    states = {p.env["FUNDDESK_SPIKE_STATE_FILE"] for p in actions}
    assert states == {str(profile.folder / "spikes_state-1.json"), str(profile.folder / "spikes_state-2.json")}


def test_supervisord_reads_back_every_program_command_and_environment(profile: Profile) -> None:
    planned = programs(profile)
    options = read_supervisord(profile, planned)
    configs = {c.name: c for group in options.process_group_configs for c in group.process_configs}
    assert set(configs) == {p.name for p in planned} | {"processes"}
    for program in planned:
        config = configs[program.name]
        assert shlex.split(config.command) == program.command
        assert (config.environment or {}) == program.env
        assert config.autorestart and config.stopasgroup and config.killasgroup
    assert shlex.split(configs["processes"].command)[-1] == str(profile.folder)


def test_supervisord_stops_nginx_first_and_the_action_servers_last(profile: Profile) -> None:
    options = read_supervisord(profile, programs(profile))
    groups = {g.name: g.priority for g in options.process_group_configs if g.name != "processes"}
    assert sorted(groups, key=groups.__getitem__, reverse=True) == ["nginx", "web", "rasa", "actions"]


def test_a_value_supervisord_would_mangle_is_refused(tmp_path: Path) -> None:
    with pytest.raises(render.UnsafeValue):
        render.supervisor_env({"FUNDDESK_SPIKE_STATE_FILE": '/data/"quoted"/state.json'})
    percent = Profile(resolve(Settings(data_dir=tmp_path / "100%")), model=tmp_path / "m")
    with pytest.raises(render.UnsafeValue, match="%"):
        render.supervisord_conf(percent, programs(percent))


def test_nginx_balances_two_web_replicas_with_websockets_and_keeps_rasa_and_actions_private(profile: Profile) -> None:
    conf = render.nginx_conf(profile, as_root=False)
    assert "server 127.0.0.1:9100 " in conf and "server 127.0.0.1:9101 " in conf
    assert "listen 127.0.0.1:9080;" in conf
    assert "listen 127.0.0.1:9106;" in conf and "listen 127.0.0.1:9107;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_read_timeout 3600s;" in conf
    assert "\nuser " not in conf


def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).is_file():
        pytest.skip("nginx is not installed (make nginx installs Debian's)")
    profile = Profile(resolve(Settings(data_dir=tmp_path / "var dir")), model=tmp_path / "model.tar.gz")
    render.write_all(profile, programs(profile))
    checked = subprocess.run(
        [nginx, "-t", "-p", str(profile.folder / "nginx"), "-c", str(profile.folder / "nginx.conf"),
         "-e", str(profile.logs / "nginx-error.log")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr


def test_a_data_folder_nginx_cannot_quote_is_refused(tmp_path: Path) -> None:
    profile = Profile(resolve(Settings(data_dir=tmp_path / "a$b")), model=tmp_path / "m")
    with pytest.raises(render.UnsafeValue):
        render.nginx_conf(profile)


def test_rasa_keeps_dialog_state_in_postgresql_and_locks_in_redis(profile: Profile) -> None:
    endpoints = yaml.safe_load(render.endpoints_yml(profile))
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:9107/webhook"}
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "url": "db.internal", "port": 6543,
        "db": "funddesk_prod", "username": "fund", "password": "s3cret",
    }  # fmt: skip
    assert endpoints["lock_store"] == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6380,
        "db": 3,
        "password": "pw",
        "key_prefix": "funddesk",
    }


def test_the_profile_defaults_to_the_machines_postgresql_and_redis(tmp_path: Path) -> None:
    settings = resolve(Settings(data_dir=tmp_path))
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/funddesk"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.rasa_token  # generated once into the data folder, like make run's
    endpoints = yaml.safe_load(render.endpoints_yml(Profile(settings, model=tmp_path / "m")))
    assert (endpoints["tracker_store"]["password"], endpoints["lock_store"]["password"]) == (None, None)


def test_sqlite_is_refused_for_several_replicas(tmp_path: Path) -> None:
    settings = replace(resolve(Settings(data_dir=tmp_path)), database_url="sqlite:///x.sqlite3")
    with pytest.raises(render.UnsafeValue, match="PostgreSQL"):
        render.endpoints_yml(Profile(settings, model=tmp_path / "m"))
