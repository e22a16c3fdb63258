"""bench.http_clients times both libraries on real calls that get the server's reply."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bench import http_clients


@pytest.mark.parametrize("kind", ["httpx", "aiohttp"])
def test_each_client_is_timed_on_calls_the_server_answered(kind: str) -> None:
    answered: list[dict[str, object]] = []

    async def answer(request: web.Request) -> web.Response:
        answered.append(await request.json())
        return web.json_response(http_clients.REPLY)

    async def scenario() -> float:
        app = web.Application()
        app.router.add_post(http_clients.PATH, answer)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            return await http_clients.cpu_per_call(kind, f"http://127.0.0.1:{port}", calls=40, concurrency=4)
        finally:
            await runner.cleanup()

    cpu_ms = asyncio.run(scenario())
    assert cpu_ms > 0
    assert len(answered) == 50 + 40 and all(body == http_clients.TURN for body in answered)
