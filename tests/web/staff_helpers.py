"""Staff members for web tests: accounts made in the app's database, each with their own cookie jar."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from escalation.staff import accounts
from funddesk.db import Database, StaffRole, database_url
from tests.web.conftest import Api

PASSWORD = "correct horse battery"


def add_user(api: Api, username: str, role: str = "agent", teams: Iterable[str] = ("service-desk",)) -> int:
    db = Database.from_url(database_url("", api.settings.data_dir))
    try:
        with db.session(write=True) as session:
            user = accounts.create_user(
                session, username, PASSWORD, role=StaffRole(role), display_name=username.title(), teams=teams
            )
            return user.id
    finally:
        db.dispose()


@dataclass
class StaffClient:
    api: Api
    username: str
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))
    csrf: str = ""

    def login(self, password: str = PASSWORD) -> httpx.Response:
        response = self.request("post", "/api/v1/staff/session", json={"username": self.username, "password": password})
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    async def arequest(self, method: str, path: str, *, csrf: bool = True, **kwargs: Any) -> httpx.Response:
        """On the server's loop (inside a scenario that runs there)."""
        headers = dict(kwargs.pop("headers", {}))
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        return await self.http.request(method.upper(), self.api.url + path, headers=headers, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = self.api.run(self.arequest(method, path, **kwargs))
        return response

    def conversation(self, conversation_id: str, action: str = "", **kwargs: Any) -> httpx.Response:
        return self.request("get" if not action else "post", _path(conversation_id, action), **kwargs)

    async def aconversation(self, conversation_id: str, action: str, **kwargs: Any) -> httpx.Response:
        return await self.arequest("post", _path(conversation_id, action), **kwargs)

    @asynccontextmanager
    async def live(self) -> AsyncIterator[ClientConnection]:
        """The console's WebSocket (so this member counts as online); the ``ready`` frame is read."""
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        url = f"ws://{self.api.client.host}:{self.api.client.port}/api/v1/staff/live"
        async with connect(url, additional_headers={"Cookie": cookie}) as ws:
            ready = json.loads(await ws.recv())
            assert ready["type"] == "ready", ready
            yield ws

    def close(self) -> None:
        self.api.run(self.http.aclose())


def _path(conversation_id: str, action: str) -> str:
    return f"/api/v1/staff/conversations/{conversation_id}" + (f"/{action}" if action else "")


async def next_of(ws: ClientConnection, kind: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
    """The next frame of type ``kind`` (and with ``match``'s values), skipping others."""

    async def find() -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
                return dict(frame)

    return await asyncio.wait_for(find(), timeout)
