"""Simulated investors and staff chatting through the public API, and what each request came to.

Investors ask FAQ questions from the shipped paraphrase sets (``bench/data``) with think time;
some keep the investor WebSocket open and reconnect when it drops. Staff conversations run at
the same time: the investor asks for a person, a staff member logs in through the staff API,
claims the conversation and the two exchange messages. Every request's outcome is kept with
its start and end time, so a fault's window can be read back from it; every acknowledged
message (a 200 to the investor, a 201 to staff) is kept to be checked against the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

DATA = Path(__file__).resolve().parent / "data"
ASK_FOR_PERSON = "I want to talk to a human"
TIMEOUT_S = 60.0
DEFAULT_TEAM = "service-desk"
# As the widget (web/widget/static/widget.js): answers after which a message is sent again by itself.
RESEND_ON = (409, 502, 503, 504)
RESENDS = 3


def questions() -> dict[str, list[str]]:
    """The shipped FAQ paraphrase sets, by language."""
    found: dict[str, list[str]] = {}
    for lang in ("en", "zh"):
        with (DATA / f"shipped_faq_{lang}.csv").open(newline="", encoding="utf-8") as handle:
            found[lang] = [row["question"] for row in csv.DictReader(handle) if row["question"].strip()]
    return found


@dataclass
class Deadline:
    """When the load stops; the fault drills move it while they are still injecting."""

    at: float  # time.monotonic()

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.at


@dataclass(frozen=True)
class Outcome:
    started: float  # time.monotonic()
    ended: float
    who: str  # investor | staff
    kind: str  # answered | staff_state | unavailable | no_reply | rate_limited | http_<status> | <transport error>
    json_error: bool = True  # an error answer in the API's JSON shape (not an HTML page)

    @property
    def ok(self) -> bool:
        return self.kind in ("answered", "staff_state", "staff_sent")

    @property
    def failure(self) -> bool:
        """Not served, for a reason of the service's (a 429 is the rate limit doing its job)."""
        return not self.ok and self.kind != "rate_limited"

    @property
    def server_error(self) -> bool:
        return self.kind.startswith("http_5")


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    said: dict[str, list[str]] = field(default_factory=dict)  # conversation -> acknowledged investor texts
    reply_ids: dict[str, set[int]] = field(default_factory=dict)  # conversation -> ids answered to it
    sockets: Counter[str] = field(default_factory=Counter)  # opened, dropped, reopened
    reconnect_s: list[float] = field(default_factory=list)
    resent: Counter[str] = field(default_factory=Counter)  # what a message got before it was sent again

    def acknowledge(self, conversation: str, text: str | None, ids: list[int]) -> None:
        if text is not None:
            self.said.setdefault(conversation, []).append(text)
        self.reply_ids.setdefault(conversation, set()).update(ids)


def classify(response: httpx.Response) -> tuple[str, bool]:
    """What a message answer came to, and whether an error was the API's JSON error shape."""
    if response.status_code == 200:
        body = response.json()
        if body.get("state") != "bot":
            return "staff_state", True  # waiting for or with a person: the message went to staff
        messages = body.get("messages", [])
        if any(m["role"] == "system" for m in messages):
            return "unavailable", True  # the polite "assistant temporarily unavailable"; the message is kept
        return ("answered" if messages else "no_reply"), True  # no_reply: kept, but the bot said nothing
    if response.status_code == 201:
        return "staff_sent", True
    try:
        shaped = "code" in response.json()["error"]
    except (ValueError, KeyError, TypeError):
        shaped = False
    return ("rate_limited" if response.status_code == 429 else f"http_{response.status_code}"), shaped


# -- investors ---------------------------------------------------------------------------------


@dataclass
class Investor:
    http: httpx.AsyncClient
    tally: Tally
    lang: str
    conversation: str = ""
    token: str = ""

    async def start(self) -> bool:
        began = time.monotonic()
        try:
            response = await self.http.post("/conversations", json={"lang": self.lang})
        except httpx.HTTPError as exc:
            self.tally.outcomes.append(Outcome(began, time.monotonic(), "investor", type(exc).__name__))
            return False
        if response.status_code != 201:
            kind, shaped = classify(response)
            self.tally.outcomes.append(Outcome(began, time.monotonic(), "investor", kind, shaped))
            return False
        body = response.json()
        self.conversation, self.token = body["conversation_id"], body["token"]
        return True

    async def say(self, text: str) -> Outcome:
        """One message, sent again as the widget does (the same Idempotency-Key) after a 409, a 502-504 or a
        dropped connection, three times at most; the outcome is what the investor finally saw."""
        began = time.monotonic()
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": uuid.uuid4().hex}
        for attempt in range(RESENDS + 1):
            try:
                response = await self.http.post(
                    f"/conversations/{self.conversation}/messages", json={"text": text}, headers=headers
                )
            except httpx.HTTPError as exc:
                outcome, wait = Outcome(began, time.monotonic(), "investor", type(exc).__name__), 2.0**attempt
            else:
                kind, shaped = classify(response)
                outcome = Outcome(began, time.monotonic(), "investor", kind, shaped)
                if response.status_code not in RESEND_ON:
                    if response.status_code == 200:
                        ids = [int(m["id"]) for m in response.json()["messages"]]
                        self.tally.acknowledge(self.conversation, text, ids)
                    break
                wait = float(response.headers.get("Retry-After") or 2.0**attempt)
            if attempt < RESENDS:
                self.tally.resent[outcome.kind] += 1
                await asyncio.sleep(min(wait, 20.0))
        self.tally.outcomes.append(outcome)
        return outcome

    async def keep_socket(self, ws_base: str, until: Deadline) -> None:
        """The widget's live connection: reopened with backoff whenever it drops, like the widget does."""
        url = f"{ws_base}/api/v1/conversations/{self.conversation}/ws?token={self.token}"
        dropped_at: float | None = None
        while not until.passed():
            try:
                async with connect(url, open_timeout=10, close_timeout=1) as ws:
                    json.loads(await asyncio.wait_for(ws.recv(), 10))  # the ready frame
                    if dropped_at is None:
                        self.tally.sockets["opened"] += 1
                    else:
                        self.tally.sockets["reopened"] += 1
                        self.tally.reconnect_s.append(time.monotonic() - dropped_at)
                    dropped_at = None
                    while not until.passed():
                        with contextlib.suppress(TimeoutError):  # short waits: the deadline may move
                            await asyncio.wait_for(ws.recv(), min(1.0, max(0.1, until.left())))
                    return
            except Exception:  # any way a socket can fail is a drop to recover from
                if dropped_at is None:
                    self.tally.sockets["dropped"] += 1
                    dropped_at = time.monotonic()
                await asyncio.sleep(1.0)


async def investor(
    http: httpx.AsyncClient, tally: Tally, asked: dict[str, list[str]], think: float, until: Deadline,
    ws_base: str | None, seed: int,
) -> None:  # fmt: skip
    rng = random.Random(seed)
    lang = "zh" if rng.random() < 0.4 else "en"
    person = Investor(http, tally, lang)
    await asyncio.sleep(rng.uniform(0, think))  # investors do not arrive in lockstep
    while not await person.start():
        if until.passed():
            return
        await asyncio.sleep(1.0)
    socket = asyncio.create_task(person.keep_socket(ws_base, until)) if ws_base else None
    while not until.passed():
        said = await person.say(rng.choice(asked[lang]))
        if said.kind == "staff_state":  # an FAQ entry marked escalate: the bot is done; a new chat keeps it busy
            while not await person.start() and not until.passed():
                await asyncio.sleep(1.0)
        await asyncio.sleep(min(1.0 + rng.expovariate(1 / think), 5 * think, until.left()))
    if socket is not None:
        await socket


# -- staff conversations -------------------------------------------------------------------------


async def staff_conversation(
    base: str, tally: Tally, username: str, password: str, think: float, until: Deadline
) -> None:
    """An investor asks for a person; ``username`` logs in, claims it, and they talk until ``until``."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=TIMEOUT_S, limits=limits) as investor_http,
        httpx.AsyncClient(base_url=f"{base}/api/v1/staff", timeout=TIMEOUT_S, limits=limits) as staff_http,
    ):
        person = Investor(investor_http, tally, "en")
        while not await person.start() or not (await person.say(ASK_FOR_PERSON)).ok:
            await asyncio.sleep(1.0)
        csrf = await _log_in(staff_http, username, password)
        path = f"/conversations/{person.conversation}"
        claimed = await staff_http.post(f"{path}/claim", headers={"X-CSRF-Token": csrf})
        if claimed.status_code != 200:  # the bot did not take it as a request for a person: staff take it
            await _until_ok(tally, lambda: staff_http.post(f"{path}/handoff", json={"team_id": DEFAULT_TEAM},
                                                           headers={"X-CSRF-Token": csrf}))  # fmt: skip
            await _until_ok(tally, lambda: staff_http.post(f"{path}/claim", headers={"X-CSRF-Token": csrf}))
        turn = 0
        while not until.passed():
            turn += 1
            await person.say(f"staff conversation {username}: investor message {turn}")
            await asyncio.sleep(think / 2)
            began = time.monotonic()
            try:
                response = await staff_http.post(
                    f"/conversations/{person.conversation}/messages",
                    json={"text": f"staff reply {turn}"}, headers={"X-CSRF-Token": csrf},
                )  # fmt: skip
            except httpx.HTTPError as exc:
                tally.outcomes.append(Outcome(began, time.monotonic(), "staff", type(exc).__name__))
            else:
                kind, shaped = classify(response)
                tally.outcomes.append(Outcome(began, time.monotonic(), "staff", kind, shaped))
                if response.status_code == 201:
                    tally.acknowledge(person.conversation, None, [int(response.json()["id"])])
            await asyncio.sleep(think / 2)


async def _log_in(http: httpx.AsyncClient, username: str, password: str) -> str:
    while True:
        try:
            response = await http.post("/session", json={"username": username, "password": password})
            if response.status_code == 200:
                return str(response.json()["csrf_token"])
        except httpx.HTTPError:
            pass
        await asyncio.sleep(1.0)


async def _until_ok(tally: Tally, call: Any) -> None:
    for _ in range(60):
        began = time.monotonic()
        try:
            response = await call()
        except httpx.HTTPError as exc:
            tally.outcomes.append(Outcome(began, time.monotonic(), "staff", type(exc).__name__))
        else:
            if response.status_code in (200, 201):
                return
            kind, shaped = classify(response)
            tally.outcomes.append(Outcome(began, time.monotonic(), "staff", kind, shaped))
        await asyncio.sleep(1.0)
    raise RuntimeError("staff could not claim the conversation")


# -- all of them at once -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    investors: int
    seconds: float
    think: float = 6.0
    staff: tuple[str, ...] = ()
    staff_password: str = ""
    socket_every: int = 10  # every tenth investor keeps the widget's WebSocket open


async def run_load(
    base: str, plan: Plan, tally: Tally, asked: dict[str, list[str]], until: Deadline | None = None
) -> float:
    """Every investor and staff conversation until ``plan.seconds`` (or ``until``) have passed; the seconds it took."""
    connections = max(plan.investors, 10)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    ws_base = base.replace("http://", "ws://")
    began = time.monotonic()
    until = until or Deadline(began + plan.seconds)
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=TIMEOUT_S, limits=limits) as http:
        await asyncio.gather(
            *(
                investor(http, tally, asked, plan.think, until, ws_base if n % plan.socket_every == 0 else None, n)
                for n in range(plan.investors)
            ),
            *(staff_conversation(base, tally, name, plan.staff_password, plan.think, until) for name in plan.staff),
        )
    return time.monotonic() - began
