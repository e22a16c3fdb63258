"""`make run`'s process control: settings to children, the token, start, health and stop."""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

import pytest

from funddesk import stack
from funddesk.settings import Settings, load
from funddesk.stack import Service, free_port


def python_service(tmp_path: Path, code: str, health: str = "http://127.0.0.1:9/") -> Service:
    return Service("probe", [sys.executable, "-c", code], health, {}, tmp_path, tmp_path / "probe.log", 10)


def test_children_get_every_setting_as_an_environment_variable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rasa_port=6005, lexical_weight=0.5)
    env = stack.settings_env(settings, {"PATH": "/bin", "FUNDDESK_RASA_PORT": "1"})
    assert env["PATH"] == "/bin"
    assert env["FUNDDESK_RASA_PORT"] == "6005"
    assert load({k: v for k, v in env.items() if k != "PATH"}) == settings


def test_the_token_setting_wins(tmp_path: Path) -> None:
    assert stack.rasa_token(Settings(data_dir=tmp_path, rasa_token="given")) == "given"
    assert not (tmp_path / "rasa_token").exists()


def test_a_token_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    token = stack.rasa_token(settings)
    assert len(token) >= 40
    assert stack.rasa_token(settings) == token
    assert stat.S_IMODE((tmp_path / "var" / "rasa_token").stat().st_mode) == 0o600


def test_every_child_learns_the_generated_token(tmp_path: Path) -> None:
    _fake_rasa(tmp_path)
    settings = stack.with_token(Settings(data_dir=tmp_path / "var"))
    services = stack.plan(settings, tmp_path / "m.tar.gz", tmp_path)
    assert [s.name for s in services] == ["rasa", "actions", "web"]
    assert settings.rasa_token == (tmp_path / "var" / "rasa_token").read_text().strip()
    assert all(s.env["FUNDDESK_RASA_TOKEN"] == settings.rasa_token for s in services)


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_tokens_value(tmp_path: Path) -> None:
    # secrets.token_urlsafe starts with "-" one time in 64; as a separate argument, Rasa's
    # argparse would take it for an option and exit with 2.
    _fake_rasa(tmp_path)
    settings = Settings(data_dir=tmp_path, rasa_port=6005, actions_port=6055)
    service = stack.rasa_service(settings, tmp_path / "m.tar.gz", "-PJqXd6", root=tmp_path)
    assert "--auth-token=-PJqXd6" in service.command


def test_the_rasa_command_serves_the_model_with_the_api_behind_the_token(tmp_path: Path) -> None:
    _fake_rasa(tmp_path)
    settings = Settings(data_dir=tmp_path, rasa_port=6005, actions_port=6055)
    service = stack.rasa_service(settings, tmp_path / "m.tar.gz", "tok", root=tmp_path)
    command = " ".join(service.command)
    assert "run --enable-api --auth-token=tok -i 127.0.0.1 -p 6005" in command
    assert f"--model {tmp_path / 'm.tar.gz'}" in command
    assert "--endpoints bot/endpoints.yml --credentials bot/credentials.yml" in command
    assert service.env["FUNDDESK_ACTIONS_PORT"] == "6055"
    assert service.health_url == "http://127.0.0.1:6005/status?token=tok"


def test_the_web_service_is_checked_for_health_on_its_port(tmp_path: Path) -> None:
    web = stack.web_service(Settings(web_port=8123), root=tmp_path)
    assert web.health_url == "http://127.0.0.1:8123/health" and web.command[-2:] == ["-m", "web"]


def test_a_service_is_started_waited_for_and_stopped(tmp_path: Path) -> None:
    port = free_port()
    service = Service(
        "web",
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        f"http://127.0.0.1:{port}/",
        {},
        tmp_path,
        tmp_path / "logs" / "web.log",
        20,
    )
    with stack.running([service]):
        assert stack.healthy(service.health_url)
        assert not stack.port_free("127.0.0.1", port)
    assert service.process is not None and service.process.returncode is not None
    assert stack.port_free("127.0.0.1", port)


def test_a_service_that_dies_while_starting_is_reported_with_its_log(tmp_path: Path) -> None:
    service = stack.start(python_service(tmp_path, "print('cannot bind'); raise SystemExit(3)"))
    with pytest.raises(stack.ServiceFailed, match="exited with 3") as failure:
        stack.wait_healthy(service)
    assert "cannot bind" in str(failure.value)


def test_a_service_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    service = stack.start(python_service(tmp_path, code))
    deadline = time.monotonic() + 10
    while "ready" not in (tmp_path / "probe.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    stack.stop([service], grace=0.5)
    assert service.process is not None and service.process.returncode == -9
    assert time.monotonic() - started < 5


def _fake_rasa(root: Path) -> None:
    """An empty ``.venv-rasa/bin/rasa``: the commands are built, never run."""
    rasa = root / ".venv-rasa" / "bin" / "rasa"
    rasa.parent.mkdir(parents=True)
    rasa.touch()
