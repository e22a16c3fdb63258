"""Serve a trained baseline with ``rasa run --enable-api`` and ask it through HTTP.

Accuracy is read from ``POST /model/parse`` (what NLU decided: the intent and the response
selector's retrieval intent), latency from the REST channel (what an investor waits for).
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.baseline.training import TrainedModel, rasa_env
from bot.tooling import rasa_model
from funddesk import stack

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class Parse:
    """What the baseline's NLU made of one question."""

    intent: str  # "faq", "greet", "goodbye" or "nlu_fallback"
    entry_id: str | None  # the response selector's choice, ``faq/<entry id>`` without ``faq/``
    confidence: float

    @property
    def answers(self) -> bool:
        """The bot replies with an FAQ answer (the ``faq → utter_faq`` rule fires)."""
        return self.intent == "faq" and self.entry_id is not None


def parse_of(body: dict[str, Any]) -> Parse:
    intent = body.get("intent") or {}
    selector = body.get("response_selector") or {}
    chosen = (selector.get("faq") or selector.get("default") or {}).get("response") or {}
    key = chosen.get("intent_response_key") or ""
    entry = key.split("/", 1)[1] if key.startswith("faq/") else None
    return Parse(str(intent.get("name") or ""), entry, float(intent.get("confidence") or 0.0))


class RasaServer:
    """``rasa run --enable-api`` on a free port, started and stopped as one :class:`stack.Service`."""

    def __init__(self, model: TrainedModel, log: Path) -> None:
        self.port = stack.free_port()
        self.token = uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(rasa_model.rasa_executable()), "run", "--enable-api", "--auth-token", self.token,
            "-i", "127.0.0.1", "-p", str(self.port),
            "--model", str(model.path.resolve()), "--credentials", "credentials.yml",
        ]  # fmt: skip
        env = rasa_env(model.project_dir.parent.parent / "rasa-cache" / model.project_dir.name, model.overlay)
        health = f"{self.url}/status?token={self.token}"
        self.service = stack.Service(f"baseline-{model.project_dir.name}", command, health, env, model.project_dir, log)
        self.service.startup_timeout = 600.0

    @property
    def rest_url(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def start(self) -> RasaServer:
        stack.start(self.service)
        stack.wait_healthy(self.service)
        return self

    def stop(self) -> None:
        stack.stop([self.service])

    @property
    def pid(self) -> int | None:
        return self.service.process.pid if self.service.process else None

    def parse(self, text: str) -> Parse:
        return parse_of(_post(f"{self.url}/model/parse?token={self.token}", {"text": text}))

    def load_model(self, model: Path) -> None:
        """Swap in a newly trained model the way the HTTP API offers it (``PUT /model``; blocks until loaded)."""
        _post(f"{self.url}/model?token={self.token}", {"model_file": str(model)}, method="PUT", timeout=600)


def _post(url: str, payload: dict[str, Any], *, method: str = "POST", timeout: float = 60) -> dict[str, Any]:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}, method=method
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return dict(json.loads(raw)) if raw.strip() else {}
