"""Asking Rasa must not search the import path on every request.

httpcore imports ``sniffio`` each time it sends a request and falls back to asyncio when that fails.
A failed import is not cached, so without the package every call to Rasa searched ``sys.path`` again:
4% of the web service's CPU at saturation (py-spy, 2026-12-05). ``requirements.txt`` pins it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

import httpx


class _Lookups(MetaPathFinder):
    """Records every module the import system has to look for (modules already loaded are never looked for)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        self.names.append(fullname)
        return None


async def _requests_to_a_local_server(count: int, lookups: _Lookups) -> list[int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n[]")
            await writer.drain()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await client.post("/webhooks/rest/webhook", json={"sender": "warm-up", "message": "hi"})
        sys.meta_path.insert(0, lookups)
        try:
            replies = [await client.post("/webhooks/rest/webhook", json={"message": "hi"}) for _ in range(count)]
        finally:
            sys.meta_path.remove(lookups)
    return [reply.status_code for reply in replies]


def test_requests_through_httpx_look_up_no_module_once_the_first_one_is_sent() -> None:
    lookups = _Lookups()
    statuses = asyncio.run(_requests_to_a_local_server(5, lookups))
    assert statuses == [200] * 5
    assert lookups.names == []
