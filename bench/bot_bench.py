"""Bot figures: REST-channel latency of a FAQ answer, stack cold start, Rasa training time.

    python -m bench.bot_bench [--train] [--requests 100]

Starts the real Rasa server and action server on free ports (a private data dir seeded from the
project's embedding cache), warms up, then times ``--requests`` questions through
``/webhooks/rest/webhook``: each in a new conversation, then in conversations of 10 questions
(Rasa re-reads a conversation's whole history on every message). ``--train`` also times a training from
scratch (no Rasa cache). The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.stats import percentile
from bot.tooling import rasa_model
from funddesk import stack
from funddesk.settings import Settings
from funddesk.stack import free_port

# Questions the shipped FAQ answers directly (English and Chinese); each request asks one.
QUESTIONS = (
    "How can I update the bank card on my account?",
    "when is the daily cut-off time for orders?",
    "what happens if I place an order after 3pm?",
    "where can I download my account statement?",
    "I forgot my password",
    "怎么更换绑定的银行卡",
    "分红方式怎么修改",
    "怎么修改手机号",
)
WARM_UP = 10


def send(url: str, message: str, sender: str) -> tuple[float, list[dict[str, Any]]]:
    request = urllib.request.Request(
        url, json.dumps({"sender": sender, "message": message}).encode(), {"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    return (time.perf_counter() - started) * 1000, body


def decision_of(messages: list[dict[str, Any]]) -> str | None:
    for message in messages:
        custom = message.get("custom") or {}
        if custom.get("type") == "faq_match":
            return str(custom.get("faq_decision"))
    return None


LONG_CONVERSATION = 150  # as long as the one in which the issue saw p50 grow from 36 to 122 ms


def time_training(root: Path) -> float:
    settings = Settings(data_dir=root / "train-var")
    started = time.monotonic()
    rasa_model.train(settings, force=True, quiet=True)
    return time.monotonic() - started


def latency(settings: Settings, requests: int, turns: int = 1) -> dict[str, Any]:
    """Time ``requests`` questions, asked in conversations of ``turns`` questions each."""
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    for i in range(WARM_UP):
        send(url, QUESTIONS[i % len(QUESTIONS)], f"warm-{i}")
    timings, decisions = [], []
    conversation = ""
    for i in range(requests):
        if i % turns == 0:
            conversation = f"bench-{uuid.uuid4().hex[:8]}"
        ms, body = send(url, QUESTIONS[i % len(QUESTIONS)], conversation)
        timings.append(ms)
        decisions.append(decision_of(body))
    return {
        "requests": requests,
        "turns_per_conversation": turns,
        "answered": decisions.count("answer"),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
    }


def warm_caches(project: Settings, settings: Settings) -> None:
    """Start from the project's embedding cache and persisted index ("cold start, warm caches")."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if project.embedding_cache.is_file():
        with sqlite3.connect(project.embedding_cache) as src, sqlite3.connect(settings.embedding_cache) as dst:
            src.backup(dst)
    if project.index_dir.is_dir():
        shutil.copytree(project.index_dir, settings.index_dir, dirs_exist_ok=True)


def run(requests: int, train: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="funddesk-bot-bench-") as tmp:
        root = Path(tmp)
        if train:
            results["training_s"] = round(time_training(root), 1)
        model = rasa_model.train(Settings(), quiet=True)
        settings = Settings(
            data_dir=root / "var", rasa_port=free_port(), actions_port=free_port(), rasa_token=uuid.uuid4().hex
        )
        warm_caches(Settings(), settings)
        services = [stack.rasa_service(settings, model, settings.rasa_token), stack.action_service(settings)]
        started = time.monotonic()
        with stack.running(services):
            results["stack_start_s"] = round(time.monotonic() - started, 1)
            results["faq_answer"] = latency(settings, requests)
            results["faq_answer_10_turns"] = latency(settings, requests, turns=10)
            # One long conversation: does a turn cost more as the conversation grows? (Rasa's sessions bound it.)
            results["faq_answer_150_turns"] = latency(settings, LONG_CONVERSATION, turns=LONG_CONVERSATION)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bot_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--train", action="store_true", help="also time a Rasa training from scratch")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.requests, args.train)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
