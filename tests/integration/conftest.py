"""Integration fixtures: the real embedding model, and the real bot (Rasa + action server)."""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.tooling import rasa_model
from funddesk import stack
from funddesk.settings import Settings
from funddesk.stack import free_port
from knowledge_base.embedder import Embedder, SentenceTransformerEmbedder
from tests.conftest import SHIPPED_FAQ


@pytest.fixture(scope="session")
def real_embedder() -> Embedder:
    return SentenceTransformerEmbedder()


# -- the bot: the real Rasa server and action server on free ports ---------------------------


@dataclass(frozen=True)
class Bot:
    """A running Rasa + action server pair over a private copy of the shipped FAQ."""

    settings: Settings
    token: str
    model: Path

    @property
    def kb_dir(self) -> Path:
        return self.settings.kb_dir

    def send(self, message: str, sender: str) -> list[dict[str, Any]]:
        """One message through the REST channel; the bot's messages in order."""
        reply = _post(f"{self.settings.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": message})
        assert isinstance(reply, list)
        return reply

    def tracker(self, sender: str) -> dict[str, Any]:
        url = f"{self.settings.rasa_url}/conversations/{sender}/tracker?token={self.token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            data: dict[str, Any] = json.load(response)
        return data


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


@pytest.fixture(scope="session")
def rasa_model_file() -> Path:
    """The project's model, trained first if its inputs changed (cached in var/models)."""
    return rasa_model.train(Settings(), quiet=True)


@pytest.fixture(scope="session")
def bot(rasa_model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    root = tmp_path_factory.mktemp("bot")
    shutil.copytree(SHIPPED_FAQ, root / "faq")
    settings = Settings(
        kb_dir=root / "faq",
        data_dir=root / "var",
        rasa_port=free_port(),
        actions_port=free_port(),
        rasa_token=secrets.token_urlsafe(16),
        reload_interval=0.2,
    )
    _seed_embedding_cache(Settings().embedding_cache, settings.embedding_cache)
    services = [
        stack.rasa_service(settings, rasa_model_file, settings.rasa_token),
        stack.action_service(settings),
    ]
    with stack.running(services):
        yield Bot(settings, settings.rasa_token, rasa_model_file)


def _seed_embedding_cache(source: Path, target: Path) -> None:
    """Start from the project's cache (keyed by model and text), so the copy embeds nothing new."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not source.is_file():
        return
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
