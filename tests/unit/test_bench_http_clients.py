"""bench.http_clients times both libraries on real calls that get the server's reply."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bench import http_clients
from tests.doubles.local_http import serving


@pytest.mark.parametrize("kind", ["httpx", "aiohttp"])
def test_each_client_is_timed_on_calls_the_server_answered(kind: str) -> None:
    answered: list[dict[str, object]] = []

    async def answer(request: web.Request) -> web.Response:
        answered.append(await request.json())
        return web.json_response(http_clients.REPLY)

    async def scenario() -> float:
        async with serving(http_clients.PATH, answer) as url:
            return await http_clients.cpu_per_call(kind, url, calls=40, concurrency=4)

    cpu_ms = asyncio.run(scenario())
    assert cpu_ms > 0
    assert len(answered) == 50 + 40 and all(body == http_clients.TURN for body in answered)
