"""``/api/v1/staff/live``: the console's WebSocket.

The server pushes the queues of the user's teams (``queue`` / ``queue_removed``), their incidents
(``incident``: opened, answered or closed) and, for each conversation the console watches, its
messages, the investor's typing and state changes. The console sends ``{"type": "watch" |
"unwatch", "conversation_id": ...}``. While the socket is open the user counts as online for their
teams. The session is checked again at once when one of the user's sessions ends (a logout, a
deactivation, a new password: :class:`~web.events.SessionsClosed`), and at least every
``HEARTBEAT`` seconds however busy the socket is, so an ended session closes it (code 4401).

Cookies ride along on WebSocket upgrades from any site, so the Origin must be this service's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from sanic import Blueprint
from sanic.server.websockets.impl import WebsocketImplProtocol
from sanic_ext import openapi
from sqlalchemy.orm import Session

from escalation.staff import access, accounts
from escalation.staff.errors import EscalationError
from web.api.staff.auth import COOKIE, Staff, current, staff_of
from web.context import WebContext, WebRequest
from web.errors import Forbidden
from web.events import PresenceChanged, staff_channel, team_channel, user_channel
from web.hub import Listener
from web.staff import handoff_service as handoffs
from web.staff.serializers import user_json

bp = Blueprint("staff_live")
log = logging.getLogger("web.staff")
HEARTBEAT = 20.0
LOGGED_OUT = 4401
TRY_AGAIN_LATER = 1013


@bp.on_request
async def same_origin(request: WebRequest) -> None:
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.host:
        raise Forbidden("The console's live connection only opens from the console's own site.", code="origin")


async def live(request: WebRequest, ws: WebsocketImplProtocol) -> None:
    ctx, staff = request.app.ctx, staff_of(request)
    teams = await ctx.run_db(lambda s: access.visible_teams(staff.user, [t.id for t in accounts.teams(s)]))
    channels = (*(team_channel(t) for t in teams), user_channel(staff.user.id))
    async with ctx.hub.subscribe(*channels) as listener:
        ctx.consoles[staff.session_id] += 1
        await _online(ctx, staff, True)
        try:
            await ws.send(json.dumps({"type": "ready", "user": user_json(staff.user), "teams": teams}))
            await _serve(request, ws, staff, listener)
        finally:
            ctx.consoles[staff.session_id] -= 1
            if ctx.consoles[staff.session_id] <= 0:  # the session's last tab here closed
                del ctx.consoles[staff.session_id]
                await _online(ctx, staff, False)


async def _serve(request: WebRequest, ws: WebsocketImplProtocol, staff: Staff, listener: Listener) -> None:
    ctx = request.app.ctx
    loop = asyncio.get_running_loop()
    incoming: asyncio.Future[Any] = asyncio.ensure_future(ws.recv())
    event: asyncio.Future[dict[str, Any] | None] = asyncio.ensure_future(listener.next())
    checked = loop.time()
    try:
        while True:
            wait = max(0.0, checked + HEARTBEAT - loop.time())
            done, _ = await asyncio.wait({incoming, event}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            ended = False
            if event in done:
                data = event.result()
                if data is None:  # fell too far behind
                    await ws.close(TRY_AGAIN_LATER, "reconnect and reload")
                    return
                ended = data.get("type") == "sessions_closed"
                if not ended:
                    await ws.send(json.dumps(data, ensure_ascii=False))
                event = asyncio.ensure_future(listener.next())
            due = loop.time() >= checked + HEARTBEAT  # a busy socket is asked too, not only a quiet one
            if ended or due:  # still logged in?
                if await current(ctx, request.cookies.get(COOKIE)) is None:
                    await ws.close(LOGGED_OUT, "logged out")
                    return
                if due:
                    await _online(ctx, staff, True, announce=False)
                    checked = loop.time()
            if incoming in done:
                raw = incoming.result()
                if raw is None:
                    return
                await _command(ctx, ws, staff, listener, raw)
                incoming = asyncio.ensure_future(ws.recv())
    finally:
        for task in (incoming, event):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _command(ctx: WebContext, ws: WebsocketImplProtocol, staff: Staff, listener: Listener, raw: Any) -> None:
    try:
        command = json.loads(raw)
        kind, conversation_id = command["type"], str(command["conversation_id"])
    except (ValueError, KeyError, TypeError):
        await ws.send(json.dumps({"type": "error", "code": "bad_command", "message": "Send watch or unwatch."}))
        return
    if kind == "unwatch":
        ctx.hub.unlisten(listener, staff_channel(conversation_id))
        return
    if kind != "watch":
        await ws.send(json.dumps({"type": "error", "code": "bad_command", "message": f"Unknown command {kind!r}."}))
        return
    try:
        team_id = await ctx.run_db(lambda s: handoffs.team_of(s, conversation_id))
        access.require_team(staff.user, team_id)
    except EscalationError as exc:
        await ws.send(json.dumps({"type": "error", "code": exc.code, "message": exc.message}))
        return
    ctx.hub.listen(listener, staff_channel(conversation_id))
    # From here on every event of the conversation reaches this socket: saying so lets a client
    # (and a test) know that nothing said after this point can be missed.
    await ws.send(json.dumps({"type": "watching", "conversation_id": conversation_id}))


async def _online(ctx: WebContext, staff: Staff, online: bool, *, announce: bool = True) -> None:
    """Mark the console's session online (until the next heartbeat is due) or offline; on connect
    and disconnect, tell the consoles of the user's teams how many members are online now."""
    until = handoffs.now() + accounts.ONLINE_FOR if online else None

    def mark(session: Session) -> list[PresenceChanged]:
        accounts.mark_online(session, staff.session_id, until)
        if not announce:
            return []
        moment = handoffs.now()
        return [PresenceChanged(t, accounts.online_count(session, t, moment)) for t in staff.user.team_ids]

    with contextlib.suppress(Exception):  # presence is best effort; the socket matters more
        for event in await ctx.run_db(mark, write=True):
            await ctx.hub.publish(event)


bp.add_websocket_route(live, "/live")


def document() -> None:
    definition = openapi.definition(
        summary="The console's live updates (WebSocket)",
        description="Upgrade to a WebSocket with the session cookie. Server → console: "
        '`{"type": "ready", "user", "teams"}`, `{"type": "queue", "item"}`, `{"type": "queue_removed", '
        '"team_id", "handoff_id"}`, `{"type": "incident", "incident"}` (opened, answered or closed: upsert '
        'by id), `{"type": "presence", "team_id", "online"}` (a member\'s console connected or went away), '
        'and for watched conversations `{"type": "message" | "typing" | "state", "conversation_id", ...}`, '
        'each watch acknowledged by `{"type": "watching", "conversation_id"}`. '
        'Console → server: `{"type": "watch" | "unwatch", "conversation_id"}`.',
        secured={"staff_session": []},
        tag="staff",
    )
    for route in bp.routes:
        definition(route.handler)
