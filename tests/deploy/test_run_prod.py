"""``make run-prod`` end to end: the production profile on free ports, driven through nginx.

It starts ``python -m deploy`` once for the module (two Rasa replicas load their model: the slow
part), chats through nginx, kills one process of each role with SIGKILL and sees supervisord
bring it back (a new pid in processes.json) while the conversation goes on, then stops it all.
Skipped, saying why, when nginx, PostgreSQL or Redis is missing.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from websockets.sync.client import connect

from bench.prod_run import ProdRun, production_profile
from deploy import nginx_exec
from deploy.layout import NGINX
from funddesk.stack import healthy, port_free

pytestmark = pytest.mark.integration
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/0"
BACK_WITHIN_S = 10.0  # the contract: a new pid in processes.json within 10 s
RECOVERY: dict[str, dict[str, float]] = {}


def missing() -> str | None:
    if not NGINX.is_file():
        return f"{NGINX} is missing (make nginx installs Debian's nginx)"
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return f"PostgreSQL is unreachable at {POSTGRES}: {exc}"
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis is unreachable at {REDIS}: {exc}"
    return None


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdRun]:
    reason = missing()
    if reason:
        pytest.skip(reason)
    database = f"funddesk_prod_test_{uuid.uuid4().hex[:8]}"  # run-prod creates it
    try:
        with production_profile(tmp_path_factory.mktemp("prod") / "var", f"{POSTGRES}/{database}", REDIS) as running:
            yield running
    finally:
        drop_database(database)
        if RECOVERY:
            print(f"\nrecovery times (s): {json.dumps(RECOVERY)}")


def drop_database(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a generated name, not input


# -- talking to it as an investor ---------------------------------------------------------------


@dataclass
class Investor:
    http: httpx.Client
    conversation_id: str
    token: str
    acknowledged: list[dict[str, Any]] = field(default_factory=list)  # what each 200 answered

    @classmethod
    def start(cls, prod: ProdRun) -> Investor:
        # A connection per request: one kept alive to a killed nginx would fail the next request
        # before it is sent, which says nothing about the service.
        no_keepalive = httpx.Limits(max_keepalive_connections=0)
        http = httpx.Client(base_url=f"{prod.public}/api/v1", timeout=60, limits=no_keepalive)
        created = http.post("/conversations", json={"lang": "en"})
        assert created.status_code == 201, created.text
        return cls(http, created.json()["conversation_id"], created.json()["token"])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def say(self, text: str) -> dict[str, Any]:
        path = f"/conversations/{self.conversation_id}/messages"
        reply = self.http.post(path, json={"text": text}, headers=self.auth)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        self.acknowledged.append({"text": text, "ids": [m["id"] for m in body["messages"]]})
        return body

    def history(self) -> list[dict[str, Any]]:
        reply = self.http.get(f"/conversations/{self.conversation_id}/messages", headers=self.auth)
        assert reply.status_code == 200, reply.text
        messages: list[dict[str, Any]] = reply.json()["messages"]
        return messages


def bot_answered(body: dict[str, Any]) -> bool:
    return bool(body["messages"]) and all(m["role"] == "bot" for m in body["messages"])


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add("127.0.0.1" if address == "0100007F" else address)
    return found


# -- the tests, in order --------------------------------------------------------------------------


def test_processes_json_lists_every_role_and_only_nginx_takes_outside_traffic(prod: ProdRun) -> None:
    listed = prod.listed()
    assert [(e["role"], e["replica"]) for e in listed] == [
        ("nginx", 1), ("web", 1), ("web", 2), ("rasa", 1), ("rasa", 2), ("actions", 1), ("actions", 2)
    ]  # fmt: skip
    for entry in listed:
        os.kill(entry["pid"], 0)  # alive
        assert listening_addresses(entry["port"]) == {"127.0.0.1"}, entry
    assert listed[0]["port"] == int(prod.public.rsplit(":", 1)[1])


def test_an_investor_chats_through_nginx_and_gets_live_messages_from_either_web_replica(prod: ProdRun) -> None:
    investor = Investor.start(prod)
    ws_url = f"{prod.public.replace('http', 'ws')}/api/v1/conversations/{investor.conversation_id}/ws"
    with connect(f"{ws_url}?token={investor.token}", open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "ready"
        pushed: set[int] = set()
        for _ in range(3):  # nginx alternates replicas: some of these POSTs land on the other one
            body = investor.say("How long until my redemption money reaches my bank card?")
            assert bot_answered(body), body
            wanted = {m["id"] for m in body["messages"]}
            while not wanted <= pushed:
                event = json.loads(socket.recv(timeout=10))
                if event["type"] == "message":
                    pushed.add(event["message"]["id"])


def test_each_killed_process_comes_back_and_the_conversation_goes_on(prod: ProdRun) -> None:
    investor = Investor.start(prod)
    assert bot_answered(investor.say("what is the redemption fee for 900002?"))
    for role in ("web", "rasa", "actions", "nginx"):
        RECOVERY[role] = kill_and_wait(prod, role)
        body = investor.say("and what does it cost to buy?")  # fund 900002 is still the subject
        assert bot_answered(body), (role, body)
    rasa_1 = prod.entry("rasa", 1)
    assert rasa_1 is not None
    tracker = httpx.get(f"http://127.0.0.1:{rasa_1['port']}/conversations/{investor.conversation_id}/tracker",
                        params={"token": prod.rasa_token}, timeout=30).json()  # fmt: skip
    # A Rasa process that started after the conversation knows it: the dialog state is in PostgreSQL.
    assert tracker["slots"]["fund_code"] == "900002"
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == [a["text"] for a in investor.acknowledged]
    history = investor.history()
    assert [m["text"] for m in history if m["role"] == "investor"] == said  # nothing acknowledged is lost
    assert {i for a in investor.acknowledged for i in a["ids"]} <= {m["id"] for m in history}


def kill_and_wait(prod: ProdRun, role: str) -> dict[str, float]:
    """SIGKILL replica 1 of ``role``; seconds until processes.json lists a new pid, and until it answers."""
    before = prod.entry(role, 1)
    assert before is not None
    os.kill(before["pid"], signal.SIGKILL)
    killed = time.monotonic()
    while (now := prod.entry(role, 1)) is None or now["pid"] == before["pid"]:
        assert time.monotonic() - killed < BACK_WITHIN_S, f"{role} has no new pid after {BACK_WITHIN_S}s"
        time.sleep(0.05)
    listed = time.monotonic() - killed
    url = prod.health_url(role, now["port"])
    # Until a killed nginx master's workers have quit, they (not the new master) may be answering.
    while nginx_exec.orphans(before["pid"]) or not healthy(url):
        assert time.monotonic() - killed < 180, f"{role} did not answer again"
        time.sleep(0.2)
    return {"new_pid_s": round(listed, 2), "serving_s": round(time.monotonic() - killed, 2)}


def test_stopping_stops_every_process_it_started(prod: ProdRun) -> None:
    prod.listed()
    ports = {e["port"] for e in prod.listed()}
    supervisord = int((prod.folder / "supervisord.pid").read_text())
    prod.process.send_signal(signal.SIGINT)  # Ctrl-C
    assert prod.process.wait(timeout=120) == 0
    assert prod.listed() == []
    for pid in prod.seen_pids | {supervisord}:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert all(port_free("127.0.0.1", port) for port in ports)
