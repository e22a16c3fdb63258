"""Web service fixtures: a fresh app per test over its own SQLite file, Rasa faked through httpx."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic_testing.reusable import ReusableClient

from funddesk.db import Database, Role, database_url, repository
from funddesk.settings import Settings
from funddesk.stack import free_port, migrate_database
from tests.doubles.fake_rasa import FakeBot, mock_transport
from tests.web.db_fixtures import migrated_engine, session
from web.app import DEFAULT_MODULES, create_app

__all__ = ["migrated_engine", "session"]  # database fixtures, see db_fixtures.py
_names = itertools.count()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", rasa_port=9, rasa_timeout=2.0)


@dataclass
class Api:
    """A running app (in this process, on the client's event loop) and shortcuts for the API."""

    client: ReusableClient
    settings: Settings
    bot: FakeBot
    http: httpx.AsyncClient

    @property
    def url(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"

    def run(self, coroutine: Any) -> Any:
        """Run ``coroutine`` on the server's loop (the server only serves while the loop runs)."""
        return self.client._run(coroutine)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.run(self.http.request(method.upper(), self.url + path, **kwargs))
        return response

    def start(self, lang: str | None = None) -> tuple[str, dict[str, str]]:
        """A new conversation: its id and the headers that carry its token."""
        response = self.request("post", "/api/v1/conversations", json={"lang": lang} if lang else None)
        assert response.status_code == 201, response.text
        body = response.json()
        return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}

    def say(self, conversation_id: str, headers: dict[str, str], **body: Any) -> httpx.Response:
        return self.request("post", f"/api/v1/conversations/{conversation_id}/messages", json=body, headers=headers)

    def counts(self) -> dict[str, int]:
        """Rows in the database right now (read through a separate engine)."""
        db = Database.from_url(database_url("", self.settings.data_dir))
        try:
            with db.session() as session:
                return {
                    "conversations": repository.count_conversations(session),
                    "messages": repository.count_messages(session),
                    "investor": repository.count_messages(session, role=Role.INVESTOR),
                    "feedback": repository.count_feedback(session),
                }
        finally:
            db.dispose()


MakeApi = Callable[..., Api]


@pytest.fixture
def make_api(settings: Settings) -> Iterator[MakeApi]:
    """Start the app with some settings changed (and, optionally, another Rasa transport)."""
    running: list[Api] = []

    def make(
        transport: httpx.AsyncBaseTransport | None = None, *, modules: Sequence[str] = DEFAULT_MODULES, **changes: Any
    ) -> Api:
        configured = replace(settings, **changes)
        migrate_database(database_url(configured.database_url, configured.data_dir))  # as a launcher does
        bot = FakeBot()
        app = create_app(
            configured,
            modules=modules,
            rasa_transport=transport or mock_transport(bot),
            name=f"funddesk_web_test_{next(_names)}",
        )
        client = ReusableClient(app, port=free_port())  # runs the app on a new event loop
        client.run()
        api = Api(client, configured, bot, httpx.AsyncClient(timeout=30))
        running.append(api)
        return api

    yield make
    for api in running:
        api.run(api.http.aclose())
        api.client.stop()
        _finish_pending_tasks(api.client._loop)
        api.client._loop.close()
    asyncio.set_event_loop(None)


def _finish_pending_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what the server left running (e.g. a WebSocket handler) before closing its loop."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()

    async def settle() -> None:  # gathered inside ``loop``: with two apps running, it is not the current one
        await asyncio.gather(*pending, return_exceptions=True)

    loop.run_until_complete(settle())


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    return make_api()
