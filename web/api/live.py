"""``/api/v1/conversations/{id}/ws?token=...``: live messages, state changes and typing.

The token is checked before the WebSocket upgrade, so a wrong one gets a plain 401/404 JSON
answer. After the upgrade the server sends ``{"type": "ready", "state": ...}``, then every event
of the conversation (see :mod:`web.events`). The client may send ``{"type": "typing", "active":
true|false}`` while staff have the conversation (shown in the console); anything else is ignored. A client that
falls too far behind is closed with code 1013; it should reconnect and reload the history. A client that floods
(more than ``MAX_FRAMES_PER_SECOND`` frames in a second) is closed with 1008, and a frame over Sanic's
``WEBSOCKET_MAX_SIZE`` (web.app) with 1009: neither costs other clients anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from sanic import Blueprint
from sanic.server.websockets.impl import WebsocketImplProtocol
from sanic_ext import openapi

from funddesk.db import repository
from web.api.guards import authorize, bearer_token
from web.context import WebRequest
from web.events import investor_channel
from web.staff import handoff_service as handoffs

bp = Blueprint("live", url_prefix="/conversations")
TRY_AGAIN_LATER = 1013
TYPING_EVERY = 1.0  # seconds between "still typing" events passed on
POLICY_VIOLATION = 1008
MAX_FRAMES_PER_SECOND = 20  # the widget sends one "typing" frame every 2 s at most: more is a runaway client


@bp.on_request
async def check_token(request: WebRequest) -> None:
    conversation_id = str(request.match_info.get("conversation_id", ""))
    token = request.args.get("token") or bearer_token(request)
    request.ctx.conversation = await authorize(request.app.ctx, conversation_id, token)


async def live(request: WebRequest, ws: WebsocketImplProtocol, conversation_id: str) -> None:
    ctx = request.app.ctx
    async with ctx.hub.subscribe(investor_channel(conversation_id)) as listener:
        # The state as of now that we listen: one read at the token check, before the subscription, missed a change
        # made in between (a hand-off turn landing as the widget connects), which was then neither in "ready" nor
        # among the events, and the widget showed the bot's state while staff were being asked.
        fresh, place = await ctx.run_db(
            lambda s: (repository.find_conversation(s, conversation_id), handoffs.position_of(ctx, s, conversation_id))
        )
        state = (fresh or request.ctx.conversation).state
        await ws.send(json.dumps({"type": "ready", "state": str(state)}))
        if place is not None:
            await ws.send(json.dumps(place.as_json()))
        client_gone = asyncio.create_task(_until_closed(request, ws, conversation_id))
        event: asyncio.Future[dict[str, Any] | None] | None = None
        try:
            while True:
                event = asyncio.ensure_future(listener.next())
                await asyncio.wait({event, client_gone}, return_when=asyncio.FIRST_COMPLETED)
                if not event.done():  # the client went away
                    return
                data = event.result()
                if data is None:  # dropped by the hub: this client fell too far behind
                    await ws.close(TRY_AGAIN_LATER, "reconnect and reload the history")
                    return
                await ws.send(json.dumps(data, ensure_ascii=False))
        finally:
            await _cancel(client_gone, event)


async def _cancel(*tasks: asyncio.Future[Any] | None) -> None:
    for task in tasks:
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


bp.add_websocket_route(live, "/<conversation_id:str>/ws")


async def _until_closed(request: WebRequest, ws: WebsocketImplProtocol, conversation_id: str) -> None:
    """Read what the client sends (the investor's typing, passed on at most once a second) until it goes away."""
    last: tuple[float, bool] = (0.0, False)
    second, frames = time.monotonic(), 0
    while (raw := await ws.recv()) is not None:
        moment = time.monotonic()
        second, frames = (second, frames + 1) if moment - second < 1.0 else (moment, 1)
        if frames > MAX_FRAMES_PER_SECOND:
            await ws.close(POLICY_VIOLATION, "too many frames")
            return
        active = _typing(raw)
        if active is None or (active == last[1] and moment - last[0] < TYPING_EVERY):
            continue
        last = (moment, active)
        await handoffs.investor_typing(request.app.ctx, conversation_id, active)


def _typing(raw: str | bytes) -> bool | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested thousands deep
        return None
    if isinstance(data, dict) and data.get("type") == "typing" and isinstance(data.get("active"), bool):
        return bool(data["active"])
    return None


def document() -> None:
    """Describe the WebSocket route in the OpenAPI document (call after registering ``bp``).

    Sanic wraps WebSocket handlers, so a decorator on ``live`` would describe the wrong function.
    """
    definition = openapi.definition(
        summary="Live updates (WebSocket)",
        description="Upgrade to a WebSocket; the server pushes JSON text frames: "
        '`{"type": "ready", "state"}`, `{"type": "message", "message"}`, `{"type": "state", "state"}`, '
        '`{"type": "typing", "role", "active"}`. 401/404 before the upgrade as for the other routes.',
        parameter=openapi.definitions.Parameter("token", str, "query", required=True),
        tag="investor",
    )
    for route in bp.routes:
        definition(route.handler)
