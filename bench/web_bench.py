"""Web service figures: 50 investors chatting through the API, and messages/s at saturation.

    python -m bench.web_bench [--duration 30] [--real]

Starts ``python -m web`` (as ``make run`` does) on a private SQLite database, in front of the
fake Rasa (``python -m tests.doubles.fake_rasa``, answering at once, in its own process) so the figures are
the web service's own: API, database, live push. ``--real`` also runs the steady load against
the real stack (Rasa + action server + web, as ``make run`` starts it).

* steady: ``investors`` simulated investors, each in its own conversation, each asking a FAQ
  question every ``mean_interval`` seconds on average (exponential gaps: 50 x 1/5 s = 10
  messages/s), for ``duration`` seconds. Reports p50/p95/max latency, errors, and whether every
  accepted message and every reply is in the database afterwards.
* saturation: ``clients`` investors sending back to back for ``seconds``: messages/s and errors.

All simulated investors share 127.0.0.1, so the per-address rate limit is raised for the run.
Everything is local and bounded in time. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.stats import percentile
from bot.tooling import rasa_model
from funddesk import stack
from funddesk.db import Database, Role, database_url, repository
from funddesk.settings import PROJECT_ROOT, Settings
from funddesk.stack import free_port
from tests.doubles.fake_rasa import ENTRIES

# What the fake bot answers (an answer, a clarify, a fallback); the real FAQ answers the first ones.
FAKE_QUESTIONS = (
    "How long until my redemption money arrives?",
    "What is the daily cut-off time?",
    "what are the fees?",
    "赎回的钱多久到账？",
    "Can I buy funds with a credit card?",
)
REAL_QUESTIONS = (
    "How long until redemption money reaches my bank card?",
    "How can I update the bank card on my account?",
    "when is the daily cut-off time for orders?",
    "I forgot my password",
    "怎么更换绑定的银行卡",
    "赎回的钱多久到账？",
)
HIGH_LIMIT = 1_000_000
assert ENTRIES  # the fake bot's content is what FAKE_QUESTIONS ask about


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # conversation -> messages accepted
    replies: dict[str, int] = field(default_factory=dict)  # conversation -> replies received

    def figures(self, elapsed: float) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        return {
            "messages": len(ordered),
            "errors": len(self.errors),
            "error_samples": sorted(set(self.errors))[:5],
            "seconds": round(elapsed, 1),
            "messages_per_s": round(len(ordered) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": _ms(statistics.median(ordered)) if ordered else None,
            "p95_ms": _ms(percentile(ordered, 0.95)) if ordered else None,
            "max_ms": _ms(ordered[-1]) if ordered else None,
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# -- the simulated investors ------------------------------------------------------------------


async def _start(http: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    response = await http.post("/conversations", json={"lang": "en"})
    response.raise_for_status()
    body = response.json()
    return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}


async def _ask(http: httpx.AsyncClient, tally: Tally, conversation: str, auth: dict[str, str], text: str) -> str | None:
    """Ask once; the conversation's state afterwards ("bot", or "waiting" once it was handed to a person), None on
    an error. Some paraphrases are complaints, which the bot hands to staff: that turn and its system notice are an
    answer, not an error, and the investor then waits for a person, so the caller starts a new conversation."""
    started = time.perf_counter()
    try:
        response = await http.post(f"/conversations/{conversation}/messages", json={"text": text}, headers=auth)
    except httpx.HTTPError as exc:
        tally.errors.append(type(exc).__name__)
        return None
    elapsed = time.perf_counter() - started
    body = response.json() if response.status_code == 200 else {}
    replies, state = body.get("messages", []), body.get("state")
    answered = bool(replies) and not any(m["role"] == "system" for m in replies)
    handed = state is not None and state != "bot"  # waiting for a person: the bot rightly stays silent
    if response.status_code != 200 or not (answered or handed):
        tally.errors.append(f"{response.status_code}: {response.text[:80]}")
        return None
    tally.latencies.append(elapsed)
    tally.accepted[conversation] = tally.accepted.get(conversation, 0) + 1
    tally.replies[conversation] = tally.replies.get(conversation, 0) + len(replies)
    return str(state)


async def _investor(
    http: httpx.AsyncClient, tally: Tally, questions: tuple[str, ...], interval: float, until: float
) -> None:
    rng = random.Random()
    conversation, auth = await _start(http)
    await asyncio.sleep(rng.uniform(0, interval))  # investors do not arrive in lockstep
    while time.monotonic() < until:
        if await _ask(http, tally, conversation, auth, rng.choice(questions)) not in (None, "bot"):
            conversation, auth = await _start(http)
        await asyncio.sleep(min(rng.expovariate(1 / interval), max(0.0, until - time.monotonic())))


async def _eager(
    http: httpx.AsyncClient, tally: Tally, questions: tuple[str, ...], until: float, length: int | None = None
) -> None:
    """Questions back to back; a new conversation every ``length`` of them (``None``: one conversation)."""
    conversation, auth = await _start(http)
    index = 0
    while time.monotonic() < until:
        if length and index and index % length == 0:
            conversation, auth = await _start(http)
        if await _ask(http, tally, conversation, auth, questions[index % len(questions)]) not in (None, "bot"):
            conversation, auth = await _start(http)  # handed to a person: this investor now waits for staff
        index += 1


def _client(base: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base + "/api/v1", timeout=30, limits=limits)


async def _steady(
    base: str, questions: tuple[str, ...], investors: int, interval: float, seconds: float
) -> tuple[Tally, float]:
    tally = Tally()
    async with _client(base, investors) as http:
        for _ in range(10):  # warm-up, not counted
            await _ask(http, Tally(), *(await _start(http)), questions[0])
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(_investor(http, tally, questions, interval, until) for _ in range(investors)))
        return tally, time.monotonic() - started


async def _saturate(
    base: str, questions: tuple[str, ...], clients: int, seconds: float, length: int | None = None
) -> tuple[Tally, float]:
    tally = Tally()
    async with _client(base, clients) as http:
        started = time.monotonic()
        await asyncio.gather(*(_eager(http, tally, questions, started + seconds, length) for _ in range(clients)))
        return tally, time.monotonic() - started


# -- what was stored --------------------------------------------------------------------------


def persisted(settings: Settings, tally: Tally) -> dict[str, Any]:
    """Every accepted message, and every reply, is in the database (the warm-up aside)."""
    db = Database.from_url(database_url(settings.database_url, settings.data_dir))
    missing = 0
    try:
        with db.session() as session:
            for conversation, accepted in tally.accepted.items():
                investor = repository.count_messages(session, conversation, role=Role.INVESTOR)
                total = repository.count_messages(session, conversation)
                missing += abs(investor - accepted) + abs(total - investor - tally.replies[conversation])
    finally:
        db.dispose()
    return {"conversations_checked": len(tally.accepted), "rows_missing": missing, "all_persisted": missing == 0}


# -- the services -----------------------------------------------------------------------------


@contextmanager
def fake_stack(data: Path) -> Iterator[Settings]:
    """The fake Rasa and ``python -m web``, each in its own process."""
    rasa_port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.doubles.fake_rasa", "--port", str(rasa_port)],
        cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    settings = Settings(
        data_dir=data, rasa_port=rasa_port, web_port=free_port(),
        web_rate_client=HIGH_LIMIT, web_rate_conversation=HIGH_LIMIT,
    )  # fmt: skip
    web = stack.web_service(settings)
    try:
        _wait_for(f"http://127.0.0.1:{rasa_port}/", fake)
        with stack.running([web]):
            yield settings
    finally:
        fake.terminate()
        fake.wait(timeout=10)


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def real_stack(data: Path) -> Iterator[Settings]:
    """Rasa + action server + web, as ``make run`` starts them (model trained first if needed)."""
    with real_services(data) as (settings, _):
        yield settings


@contextmanager
def real_services(data: Path, metrics_token: str = "") -> Iterator[tuple[Settings, Sequence[stack.Service]]]:
    """:func:`real_stack` and its running services; ``metrics_token`` opens their ``/metrics``."""
    project = Settings()
    model = rasa_model.train(project, quiet=True)
    (data / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(model, data / "models" / model.name)
    if project.embedding_cache.is_file():
        with sqlite3.connect(project.embedding_cache) as src, sqlite3.connect(data / "embeddings.sqlite") as dst:
            src.backup(dst)
    settings = Settings(
        data_dir=data, rasa_port=free_port(), actions_port=free_port(), web_port=free_port(),
        web_rate_client=HIGH_LIMIT, web_rate_conversation=HIGH_LIMIT, metrics_token=metrics_token,
    )  # fmt: skip
    settings = stack.with_token(settings)
    stack.build_index(settings)
    with stack.running(stack.plan(settings, model)) as services:
        yield settings, services


# -- the benchmark ----------------------------------------------------------------------------


def steady_load(
    settings: Settings, questions: tuple[str, ...], *, investors: int, mean_interval: float, duration: float
) -> dict[str, Any]:
    base = f"http://{settings.web_host}:{settings.web_port}"
    tally, elapsed = asyncio.run(_steady(base, questions, investors, mean_interval, duration))
    figures = tally.figures(elapsed)
    return {"investors": investors, "mean_interval_s": mean_interval, **figures, **persisted(settings, tally)}


def warm_up(settings: Settings, questions: tuple[str, ...], count: int = 10) -> None:
    """``count`` questions from one client, not counted: the first turns load what later ones reuse."""

    async def ask() -> None:
        async with _client(f"http://{settings.web_host}:{settings.web_port}", 1) as http:
            conversation, auth = await _start(http)
            for index in range(count):
                await _ask(http, Tally(), conversation, auth, questions[index % len(questions)])

    asyncio.run(ask())


def saturation(
    settings: Settings,
    questions: tuple[str, ...],
    *,
    clients: int,
    seconds: float,
    conversation_length: int | None = None,
) -> dict[str, Any]:
    """``clients`` asking back to back for ``seconds``, each in one conversation or in conversations of
    ``conversation_length`` questions."""
    base = f"http://{settings.web_host}:{settings.web_port}"
    tally, elapsed = asyncio.run(_saturate(base, questions, clients, seconds, conversation_length))
    shape = {"conversation_length": conversation_length} if conversation_length else {}
    return {"clients": clients, **shape, **tally.figures(elapsed), **persisted(settings, tally)}


def run(
    *,
    investors: int = 50,
    mean_interval: float = 5.0,
    duration: float = 30.0,
    saturation_clients: tuple[int, ...] = (8, 16),
    saturation_seconds: float = 10.0,
    real: bool = False,
) -> dict[str, Any]:
    """Every figure of the web service, as one dict (``python -m bench`` puts them in RESULTS.md)."""
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="funddesk-web-bench-") as tmp:
        with fake_stack(Path(tmp) / "fake") as settings:
            results["fake_rasa_steady"] = steady_load(
                settings, FAKE_QUESTIONS, investors=investors, mean_interval=mean_interval, duration=duration
            )
            results["fake_rasa_saturation"] = [
                saturation(settings, FAKE_QUESTIONS, clients=c, seconds=saturation_seconds) for c in saturation_clients
            ]
        if real:
            with real_stack(Path(tmp) / "real") as settings:
                results["real_stack_steady"] = steady_load(
                    settings, REAL_QUESTIONS, investors=investors, mean_interval=mean_interval, duration=duration
                )
                results["real_stack_saturation"] = [
                    saturation(settings, REAL_QUESTIONS, clients=c, seconds=saturation_seconds)
                    for c in saturation_clients
                ]
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of steady load")
    parser.add_argument("--investors", type=int, default=50)
    parser.add_argument("--saturation-seconds", type=float, default=10.0)
    parser.add_argument("--real", action="store_true", help="also load the real stack (Rasa + actions + web)")
    args = parser.parse_args(argv)
    results = run(
        investors=args.investors, duration=args.duration, saturation_seconds=args.saturation_seconds, real=args.real
    )
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
