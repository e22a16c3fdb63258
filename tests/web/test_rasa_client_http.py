"""The Rasa client as the service runs it (aiohttp, real HTTP): what Rasa answers, and every way it fails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from tests.doubles.local_http import Handler, serving
from web.errors import RasaUnavailable
from web.rasa_client import REST_PATH, RasaClient


async def _with_rasa(handler: Handler, talk: Callable[[str], Awaitable[Any]]) -> Any:
    """``talk(url)`` against a local HTTP server answering the REST channel with ``handler``."""
    async with serving(REST_PATH, handler) as url:
        return await talk(url)


async def _send(url: str, message: str = "hello", *, timeout: float = 2.0) -> list[str]:
    client = RasaClient(url, timeout=timeout)
    try:
        return [reply.text for reply in await client.send("c1", message, {"lang": "en"})]
    finally:
        await client.close()


def test_a_turn_posts_sender_message_and_metadata_and_reads_the_replies() -> None:
    seen: list[Any] = []

    async def rasa(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response([{"recipient_id": "c1", "text": "Hi!"}])

    assert asyncio.run(_with_rasa(rasa, _send)) == ["Hi!"]
    assert seen == [{"sender": "c1", "message": "hello", "metadata": {"lang": "en"}}]


def test_turns_of_one_client_share_a_kept_connection() -> None:
    peers: list[Any] = []

    async def rasa(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername") if request.transport else None)
        return web.json_response([{"recipient_id": "c1", "text": "ok"}])

    async def three_turns(url: str) -> None:
        client = RasaClient(url, timeout=2.0)
        try:
            for _ in range(3):
                await client.send("c1", "hi")
        finally:
            await client.close()

    asyncio.run(_with_rasa(rasa, three_turns))
    assert len(peers) == 3 and len(set(peers)) == 1


def test_replies_sent_as_text_are_still_read_as_json() -> None:
    async def rasa(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps([{"recipient_id": "c1", "text": "plain"}]), content_type="text/plain")

    assert asyncio.run(_with_rasa(rasa, _send)) == ["plain"]


@pytest.mark.parametrize(
    "answer",
    [
        lambda: web.json_response([{"text": "error page"}], status=500),
        lambda: web.json_response({"message": "not found"}, status=404),
        lambda: web.Response(text="<html>not json</html>", content_type="text/html"),
    ],
    ids=["server error", "missing channel", "not json"],
)
def test_a_failing_rasa_is_unavailable(answer: Callable[[], web.Response]) -> None:
    async def rasa(request: web.Request) -> web.Response:
        return answer()

    with pytest.raises(RasaUnavailable) as caught:
        asyncio.run(_with_rasa(rasa, _send))
    assert caught.value.code != "assistant_timeout"


def test_a_slow_rasa_is_unavailable_in_time() -> None:
    async def rasa(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response([])

    with pytest.raises(RasaUnavailable) as caught:
        asyncio.run(_with_rasa(rasa, lambda url: _send(url, timeout=0.1)))
    assert caught.value.code == "assistant_timeout"


def test_a_rasa_that_hangs_up_is_unavailable() -> None:
    async def rasa(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    with pytest.raises(RasaUnavailable):
        asyncio.run(_with_rasa(rasa, _send))


def test_a_rasa_that_is_not_running_is_unavailable() -> None:
    async def nobody_listens() -> list[str]:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        return await _send(f"http://127.0.0.1:{port}")

    with pytest.raises(RasaUnavailable):
        asyncio.run(nobody_listens())
