"""Request bodies through the production profile's real nginx: capped for the public, not for Rasa's action calls.

Rasa posts the whole conversation's tracker to the action server on every turn, so its body grows
with the conversation; found by ``python -m bench reliability``, where conversations of a dozen
turns stopped being answered (nginx answered Rasa 413).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bench.prod_run import free_block
from deploy import render
from deploy.layout import NGINX, Profile, programs, resolve
from funddesk.settings import Settings
from funddesk.stack import port_free


class Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = str(len(self.rfile.read(length))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def nginx_in_front_of_echoes(tmp_path: Path) -> Iterator[Profile]:
    """The rendered nginx.conf, run by Debian's nginx, with an echo server on every replica's port."""
    if not NGINX.is_file():
        pytest.skip(f"{NGINX} is missing (make nginx installs Debian's nginx)")
    first = free_block(9)
    settings = Settings(data_dir=tmp_path / "var", prod_ports_from=first, prod_port=first + 8)
    profile = Profile(resolve(settings), model=tmp_path / "model.tar.gz")
    render.write_all(profile, programs(profile))
    servers = [ThreadingHTTPServer(("127.0.0.1", port), Echo) for port in range(first, first + 6)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    nginx = subprocess.Popen(
        [str(NGINX), "-p", str(profile.folder / "nginx"), "-c", str(profile.folder / "nginx.conf"),
         "-e", str(profile.logs / "nginx-error.log")],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while port_free("127.0.0.1", first + 8) or port_free("127.0.0.1", first + 7):
            assert nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        yield profile
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=15)
        for server in servers:
            server.shutdown()


def test_rasa_can_send_a_long_conversations_tracker_to_the_action_servers(nginx_in_front_of_echoes: Profile) -> None:
    tracker = b"x" * 400_000  # a few hundred turns of events
    answer = httpx.post(f"http://127.0.0.1:{nginx_in_front_of_echoes.ports.actions_upstream}/webhook", content=tracker)
    assert answer.status_code == 200 and answer.text == str(len(tracker))


def test_the_public_entry_still_refuses_bodies_over_the_web_services_limit(nginx_in_front_of_echoes: Profile) -> None:
    limit = nginx_in_front_of_echoes.settings.web_max_body
    answer = httpx.post(
        f"http://127.0.0.1:{nginx_in_front_of_echoes.ports.public}/api/v1/x", content=b"x" * (limit + 1)
    )
    assert answer.status_code == 413
