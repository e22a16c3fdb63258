"""The WebSocket: a turn is pushed live, and a wrong token is refused before the upgrade."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy.orm import Session
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from funddesk.db import Conversation, State, repository
from tests.web.conftest import Api
from web.api import guards, live
from web.context import WebContext


def ws_url(api: Api, conversation_id: str, token: str) -> str:
    return f"ws://{api.client.host}:{api.client.port}/api/v1/conversations/{conversation_id}/ws?token={token}"


def test_a_turn_is_pushed_live_to_the_conversations_websocket(api: Api) -> None:
    conversation, auth = api.start()
    token = auth["Authorization"].removeprefix("Bearer ")

    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with connect(ws_url(api, conversation, token)) as ws:
            ready = json.loads(await ws.recv())
            url = f"{api.url}/api/v1/conversations/{conversation}/messages"
            posted = asyncio.ensure_future(api.http.post(url, json={"text": "How do I redeem?"}, headers=auth))
            events = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(5)]
            assert (await posted).status_code == 200
            return ready, events

    ready, events = api.run(scenario())
    assert ready == {"type": "ready", "state": "bot"}
    assert [(e["type"], e.get("message", {}).get("role"), e.get("active")) for e in events] == [
        ("message", "investor", None),
        ("typing", None, True),
        ("typing", None, False),
        ("message", "bot", None),
        ("message", "bot", None),
    ]
    assert events[0]["message"]["text"] == "How do I redeem?"
    assert events[4]["message"]["buttons"][0]["payload"] == "/affirm"


def test_another_conversations_events_are_not_pushed(api: Api) -> None:
    mine, my_auth = api.start()
    other, other_auth = api.start()

    async def scenario() -> list[str]:
        token = my_auth["Authorization"].removeprefix("Bearer ")
        async with connect(ws_url(api, mine, token)) as ws:
            await ws.recv()  # ready
            url = f"{api.url}/api/v1/conversations/{other}/messages"
            assert (await api.http.post(url, json={"text": "hi"}, headers=other_auth)).status_code == 200
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.3)
            return []

    assert api.run(scenario()) == []


def test_a_hand_off_between_the_token_check_and_the_subscription_is_in_the_ready_state(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversation, auth = api.start()
    token = auth["Authorization"].removeprefix("Bearer ")
    checked = guards.authorize

    async def then_handed_off(ctx: WebContext, conversation_id: str, given: str | None) -> Conversation:
        stale = await checked(ctx, conversation_id, given)  # read as "bot"; the hand-off lands before we listen

        def hand_off(session: Session) -> None:
            found = repository.find_conversation(session, conversation_id)
            assert found is not None
            repository.set_state(session, found, State.WAITING)

        await ctx.run_db(hand_off, write=True)
        return stale

    monkeypatch.setattr(live, "authorize", then_handed_off)

    async def scenario() -> dict[str, Any]:
        async with connect(ws_url(api, conversation, token)) as ws:
            return dict(json.loads(await ws.recv()))

    assert api.run(scenario()) == {"type": "ready", "state": "waiting"}


@pytest.mark.parametrize(("which", "status"), [("wrong-token", 401), ("unknown-conversation", 404)])
def test_the_websocket_refuses_a_wrong_token_or_conversation_before_upgrading(
    api: Api, which: str, status: int
) -> None:
    conversation, auth = api.start()
    token = auth["Authorization"].removeprefix("Bearer ")
    url = ws_url(api, conversation, "nope") if which == "wrong-token" else ws_url(api, "f" * 32, token)

    async def scenario() -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        return int(refused.value.response.status_code)

    assert api.run(scenario()) == status
