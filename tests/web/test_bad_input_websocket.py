"""WebSocket floods on the investor's live channel: a client sending frames as fast as it can, or frames
too big, or garbage, is closed (1008, 1009) or ignored, while another investor's live updates and the
API carry on as usual."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.web.conftest import Api
from tests.web.test_live import ws_url
from web.api.live import MAX_FRAMES_PER_SECOND, POLICY_VIOLATION
from web.app import WEBSOCKET_MAX_SIZE

MESSAGE_TOO_BIG = 1009


def _url(api: Api, conversation: str, auth: dict[str, str]) -> str:
    return ws_url(api, conversation, auth["Authorization"].removeprefix("Bearer "))


async def _flood(ws: ClientConnection, frames: int, frame: str) -> int:
    """Send ``frames`` frames back to back; how many went out before the server closed the socket."""
    sent = 0
    try:
        for _ in range(frames):
            await ws.send(frame)
            sent += 1
        await asyncio.wait_for(ws.wait_closed(), 5)
    except ConnectionClosed:
        pass
    return sent


async def _bystander_turn(api: Api, conversation: str, auth: dict[str, str]) -> list[str]:
    """Another investor asks a question with their WebSocket open: the event types they are pushed."""
    async with connect(_url(api, conversation, auth)) as ws:
        await ws.recv()  # ready
        url = f"{api.url}/api/v1/conversations/{conversation}/messages"
        posted = await api.http.post(url, json={"text": "How do I redeem?"}, headers=auth)
        assert posted.status_code == 200
        return [json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] for _ in range(5)]


@pytest.mark.parametrize(
    "frame",
    [json.dumps({"type": "typing", "active": True}), "not json at all", "[" * 3000, "\u0000" * 100],
    ids=["typing", "garbage", "deeply-nested", "nul"],
)
def test_a_client_flooding_frames_is_closed_and_another_investor_is_served_meanwhile(api: Api, frame: str) -> None:
    flooder, flooder_auth = api.start()
    other, other_auth = api.start()

    async def scenario() -> tuple[int | None, list[str], int]:
        async with connect(_url(api, flooder, flooder_auth)) as ws:
            await ws.recv()  # ready
            flood = asyncio.ensure_future(_flood(ws, 5_000, frame))
            pushed = await _bystander_turn(api, other, other_auth)
            await flood
            return ws.close_code, pushed, flood.result()

    close_code, pushed, _ = api.run(scenario())
    assert close_code == POLICY_VIOLATION
    assert pushed == ["message", "typing", "typing", "message", "message"]
    assert api.say(flooder, flooder_auth, text="Sorry, how do I redeem?").status_code == 200  # only the socket went


def test_a_frame_over_the_size_limit_closes_that_socket_with_1009(api: Api) -> None:
    conversation, auth = api.start()
    other, other_auth = api.start()

    async def scenario() -> tuple[int | None, list[str]]:
        async with connect(_url(api, conversation, auth), max_size=None) as ws:
            await ws.recv()  # ready
            try:
                await ws.send(json.dumps({"type": "typing", "active": True, "pad": "x" * (WEBSOCKET_MAX_SIZE * 256)}))
                await asyncio.wait_for(ws.wait_closed(), 5)
            except ConnectionClosed:
                pass
            return ws.close_code, await _bystander_turn(api, other, other_auth)

    close_code, pushed = api.run(scenario())
    assert close_code == MESSAGE_TOO_BIG
    assert pushed == ["message", "typing", "typing", "message", "message"]


def test_a_client_typing_at_a_human_pace_is_never_closed(api: Api) -> None:
    conversation, auth = api.start()

    async def scenario() -> Any:
        async with connect(_url(api, conversation, auth)) as ws:
            await ws.recv()  # ready
            for _ in range(MAX_FRAMES_PER_SECOND // 2):
                await ws.send(json.dumps({"type": "typing", "active": True}))
                await asyncio.sleep(0.05)
            url = f"{api.url}/api/v1/conversations/{conversation}/messages"
            assert (await api.http.post(url, json={"text": "How do I redeem?"}, headers=auth)).status_code == 200
            return json.loads(await asyncio.wait_for(ws.recv(), 5)), ws.close_code

    first, close_code = api.run(scenario())
    assert first["type"] == "message" and close_code is None


def test_many_flooding_clients_at_once_are_all_closed_and_the_api_still_answers(api: Api) -> None:
    floods = [api.start() for _ in range(10)]
    other, other_auth = api.start()

    async def one(conversation: str, auth: dict[str, str]) -> int | None:
        async with connect(_url(api, conversation, auth)) as ws:
            await ws.recv()
            await _flood(ws, 2_000, "x" * 1000)
            return ws.close_code

    async def scenario() -> tuple[list[int | None], list[str]]:
        codes = asyncio.gather(*(one(c, a) for c, a in floods))
        pushed = await _bystander_turn(api, other, other_auth)
        return list(await codes), pushed

    codes, pushed = api.run(scenario())
    assert codes == [POLICY_VIOLATION] * 10
    assert pushed == ["message", "typing", "typing", "message", "message"]
