"""Questions through a bot's REST channel (``POST /webhooks/rest/webhook``), one or many clients at once.

Every question opens a new conversation (a fresh sender), so no bot pays for a growing history, unless
``timings`` is given a conversation length: then each client keeps a sender for that many questions.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def ask(url: str, text: str, sender: str | None = None, timeout: float = 120) -> tuple[float, list[dict[str, Any]]]:
    """Milliseconds until the reply, and the reply's messages."""
    payload = json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()
    request = urllib.request.Request(url, payload, {"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.load(response)
    return (time.perf_counter() - started) * 1000, list(body)


def reply_text(messages: Sequence[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text") or "") for m in messages)


def timings(
    url: str, questions: Sequence[str], clients: int, per_client: int, offset: int = 0, length: int | None = None
) -> list[float]:
    """``clients`` threads each ask ``per_client`` questions back to back; every reply's milliseconds.

    ``length``: each client asks in conversations of that many questions (``None``: a new one each time)."""

    def client(number: int) -> list[float]:
        start = offset + number * per_client
        senders = [uuid.uuid4().hex for _ in range(-(-per_client // length))] if length else []
        return [
            ask(url, questions[(start + i) % len(questions)], senders[i // length] if length else None)[0]
            for i in range(per_client)
        ]

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [ms for result in pool.map(client, range(clients)) for ms in result]


def wait_for(url: str, checks: Sequence[tuple[str, str]], timeout: float, interval: float = 0.2) -> float:
    """Seconds until, for every (question, expected text), asking the question gets a reply containing it."""
    started = time.monotonic()
    pending = list(checks)
    while pending:
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not live after {timeout:.0f} s: {[q for q, _ in pending]}")
        pending = [(q, want) for q, want in pending if want not in _reply_or_empty(url, q)]
        if pending:
            time.sleep(interval)
    return time.monotonic() - started


def _reply_or_empty(url: str, question: str) -> str:
    try:
        return reply_text(ask(url, question, timeout=30)[1])
    except OSError:  # a server reloading its model may refuse or time out for a moment
        return ""
