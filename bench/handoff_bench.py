"""Live chat between staff and investors: delivery latency through the WebSockets.

    python -m bench.handoff_bench [--duration 30] [--live 20] [--waiting 100] [--agents 5]

Starts ``python -m web`` in front of the fake Rasa (as ``bench.web_bench`` does): the bot is not
part of a staff conversation, so the figures are the web service's own. Then:

* ``agents`` staff members log in and keep the console's WebSocket open (they are online);
* ``waiting`` investors ask for a person and stay in the queue with their widget's WebSocket open;
* ``live`` more investors ask for a person and are claimed, spread over the agents, who watch them.

For ``duration`` seconds, in each live conversation the investor and the agent take turns every
``gap`` seconds on average. Latency is from just before the POST to the moment the other side's
WebSocket delivers the message. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.stats import percentile
from bench.web_bench import fake_stack
from escalation.staff import accounts
from funddesk.db import Database, StaffRole, database_url
from funddesk.settings import Settings

PASSWORD = "benchmark password"


@dataclass
class Latencies:
    staff_to_investor: list[float] = field(default_factory=list)
    investor_to_staff: list[float] = field(default_factory=list)
    errors: int = 0

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {"errors": self.errors}
        for name in ("staff_to_investor", "investor_to_staff"):
            values = getattr(self, name)
            out[name] = {
                "messages": len(values),
                "p50_ms": round(percentile(values, 0.5) * 1000, 1) if values else None,
                "p95_ms": round(percentile(values, 0.95) * 1000, 1) if values else None,
                "max_ms": round(max(values) * 1000, 1) if values else None,
            }
        return out


class Inbox:
    """Delivers each text's arrival time to whoever waits for it (texts are unique per run)."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}

    def expect(self, text: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[text] = future
        return future

    async def read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            message = frame.get("message") if frame.get("type") == "message" else None
            if message is not None:
                future = self.waiting.pop(message.get("text", ""), None)
                if future is not None and not future.done():
                    future.set_result(time.perf_counter())


def _add_agents(settings: Settings, count: int) -> list[str]:
    db = Database.from_url(database_url(settings.database_url, settings.data_dir))
    try:
        with db.session(write=True) as session:
            names = [f"agent{i}" for i in range(count)]
            for name in names:
                accounts.create_user(session, name, PASSWORD, role=StaffRole.AGENT, teams=[settings.default_team])
            return names
    finally:
        db.dispose()


async def _investor(http: httpx.AsyncClient, base: str) -> tuple[str, dict[str, str], str]:
    created = (await http.post(f"{base}/api/v1/conversations", json={"lang": "en"})).json()
    token = created["token"]
    return created["conversation_id"], {"Authorization": f"Bearer {token}"}, token


async def _scenario(
    settings: Settings, names: list[str], live: int, waiting: int, duration: float, gap: float
) -> Latencies:
    base = f"http://{settings.web_host}:{settings.web_port}"
    ws_base = f"ws://{settings.web_host}:{settings.web_port}"
    tally = Latencies()
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    agents: list[tuple[httpx.AsyncClient, str, ClientConnection, Inbox]] = []
    readers: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        for name in names:
            client = httpx.AsyncClient(timeout=30, limits=limits)
            login = (
                await client.post(f"{base}/api/v1/staff/session", json={"username": name, "password": PASSWORD})
            ).json()
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            ws = await connect(f"{ws_base}/api/v1/staff/live", additional_headers={"Cookie": cookie}, max_queue=None)
            await ws.recv()  # ready
            inbox = Inbox()
            readers.append(asyncio.create_task(inbox.read(ws)))
            agents.append((client, login["csrf_token"], ws, inbox))

        async def queue_up() -> tuple[str, dict[str, str], ClientConnection, Inbox]:
            conversation, auth, token = await _investor(http, base)
            ws = await connect(f"{ws_base}/api/v1/conversations/{conversation}/ws?token={token}", max_queue=None)
            await ws.recv()  # ready
            inbox = Inbox()
            readers.append(asyncio.create_task(inbox.read(ws)))
            await http.post(
                f"{base}/api/v1/conversations/{conversation}/messages", json={"text": "a person please"}, headers=auth
            )
            return conversation, auth, ws, inbox

        chats = [await queue_up() for _ in range(live)]
        waiters = [await queue_up() for _ in range(waiting)]
        pairs = []
        for i, (conversation, auth, _, inbox) in enumerate(chats):
            client, csrf, ws, agent_inbox = agents[i % len(agents)]
            headers = {"X-CSRF-Token": csrf}
            claimed = await client.post(f"{base}/api/v1/staff/conversations/{conversation}/claim", headers=headers)
            claimed.raise_for_status()
            await ws.send(json.dumps({"type": "watch", "conversation_id": conversation}))
            pairs.append((conversation, auth, inbox, client, headers, agent_inbox))
        await asyncio.sleep(1.0)  # let the watches register

        async def chat(index: int, pair: tuple[Any, ...]) -> None:
            conversation, auth, inbox, client, headers, agent_inbox = pair
            rng, turn, until = random.Random(index), 0, time.perf_counter() + duration
            while time.perf_counter() < until:
                await asyncio.sleep(rng.expovariate(1 / gap))
                turn += 1
                text = f"{conversation[:8]} turn {turn}"
                staff_turn = turn % 2 == 0
                arrived = (inbox if staff_turn else agent_inbox).expect(text)
                started = time.perf_counter()
                try:
                    if staff_turn:
                        url = f"{base}/api/v1/staff/conversations/{conversation}/messages"
                        response = await client.post(url, json={"text": text}, headers=headers)
                    else:
                        url = f"{base}/api/v1/conversations/{conversation}/messages"
                        response = await http.post(url, json={"text": text}, headers=auth)
                    response.raise_for_status()
                    done = await asyncio.wait_for(arrived, 10)
                except (httpx.HTTPError, TimeoutError):
                    tally.errors += 1
                    continue
                (tally.staff_to_investor if staff_turn else tally.investor_to_staff).append(done - started)

        await asyncio.gather(*(chat(i, pair) for i, pair in enumerate(pairs)))
        for task in readers:
            task.cancel()
        for _, _, ws, _ in [*agents, *[(None, None, w, None) for _, _, w, _ in chats + waiters]]:
            await ws.close()
        for client, *_ in agents:
            await client.aclose()
    return tally


def run(
    *, live: int = 20, waiting: int = 100, agents: int = 5, duration: float = 30.0, gap: float = 2.0
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="funddesk-handoff-bench-") as tmp, fake_stack(Path(tmp)) as settings:
        names = _add_agents(settings, agents)
        tally = asyncio.run(_scenario(settings, names, live, waiting, duration, gap))
    return {
        "cpus": os.cpu_count(),
        "agents": agents,
        "live_conversations": live,
        "waiting_investors": waiting,
        "duration_s": duration,
        "mean_gap_s": gap,
        **tally.figures(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.handoff_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--live", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=100)
    parser.add_argument("--agents", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(run(live=args.live, waiting=args.waiting, agents=args.agents, duration=args.duration)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
