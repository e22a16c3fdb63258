"""``/api/v1/staff/conversations/{id}``: read, claim, release, transfer, reply, resolve, reveal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanic import Blueprint
from sanic.response import HTTPResponse, empty, json
from sqlalchemy.orm import Session

from escalation.staff import access
from escalation.staff import handoff as machine
from escalation.staff.errors import Missing
from funddesk.db import StaffUser, repository
from web.api import turns
from web.api.staff import payloads
from web.api.staff.auth import staff_of
from web.api.staff.docs import staff_route
from web.context import WebContext, WebRequest
from web.events import iso
from web.staff import handoff_service as handoffs

bp = Blueprint("staff_conversations", url_prefix="/conversations")
ALL = (401, 403, 404, 409)
Change = Callable[[WebContext, Session, StaffUser, str], handoffs.Outcome]


async def _change(request: WebRequest, conversation_id: str, change: Change) -> handoffs.Outcome:
    """Make a hand-off change as the signed-in member of staff, then push what it changed."""
    ctx, user = request.app.ctx, staff_of(request).user
    outcome = await ctx.run_db(lambda s: change(ctx, s, user, conversation_id), write=True)
    await handoffs.publish(ctx, outcome)
    return outcome


@bp.get("/<conversation_id:str>")
@staff_route("A conversation: its hand-off and the whole transcript (personal data masked)", errors=(401, 403, 404))
async def read(request: WebRequest, conversation_id: str) -> HTTPResponse:
    user = staff_of(request).user

    def load(session: Session) -> dict[str, Any]:
        team_id = handoffs.team_of(session, conversation_id)
        access.require_team(user, team_id)
        access.audit(session, user, "view", team_id=team_id, conversation_id=conversation_id)  # who read whose data
        conversation = repository.find_conversation(session, conversation_id)
        assert conversation is not None  # team_of found it
        handoff = machine.open_handoff_of(session, conversation_id)
        return {
            "conversation_id": conversation.id,
            "state": str(conversation.state),
            "lang": conversation.lang,
            "created_at": iso(conversation.created_at),
            "handoff": handoffs.item_json_of(session, handoff, handoffs.now()) if handoff else None,
            "messages": handoffs.transcript(session, conversation_id),
        }

    return json(await request.app.ctx.run_db(load, write=True))


@bp.post("/<conversation_id:str>/claim")
@staff_route("Claim a waiting conversation (of several agents claiming at once, exactly one wins)", errors=ALL)
async def claim(request: WebRequest, conversation_id: str) -> HTTPResponse:
    return json((await _change(request, conversation_id, handoffs.claim)).item)


@bp.post("/<conversation_id:str>/release")
@staff_route("Put a claimed conversation back in its team's queue", errors=ALL)
async def release(request: WebRequest, conversation_id: str) -> HTTPResponse:
    return json((await _change(request, conversation_id, handoffs.release)).item)


@bp.post("/<conversation_id:str>/transfer")
@staff_route("Transfer to another team's queue, or to one agent (user_id)", body=payloads.TransferBody, errors=ALL)
async def transfer(request: WebRequest, conversation_id: str) -> HTTPResponse:
    body = payloads.parse(request.body)
    team_id = payloads.required_text(body, "team_id", limit=64)
    user_id = payloads.number(body, "user_id", low=1, high=2**31, required=False)

    def to_team(ctx: WebContext, session: Session, user: StaffUser, conversation_id: str) -> handoffs.Outcome:
        return handoffs.transfer(ctx, session, user, conversation_id, team_id, user_id)

    return json((await _change(request, conversation_id, to_team)).item)


@bp.post("/<conversation_id:str>/resolve")
@staff_route("Hand the conversation back to the bot, which greets the investor again", errors=ALL)
async def resolve(request: WebRequest, conversation_id: str) -> HTTPResponse:
    await _change(request, conversation_id, handoffs.resolve)
    await turns.greet_back(request.app.ctx, conversation_id)
    return json({"state": "bot"})


@bp.post("/<conversation_id:str>/handoff")
@staff_route("Take a conversation from the bot into a team's queue", body=payloads.HandoffBody, status=201, errors=ALL)
async def take_from_bot(request: WebRequest, conversation_id: str) -> HTTPResponse:
    ctx, user = request.app.ctx, staff_of(request).user
    team_id = payloads.required_text(payloads.parse(request.body), "team_id", limit=64)
    access.require_team(user, team_id)

    def hand_off(session: Session) -> handoffs.Outcome:
        conversation = repository.find_conversation(session, conversation_id)
        if conversation is None:
            raise Missing("No such conversation.", code="conversation_not_found")
        return handoffs.open_handoff(
            ctx, session, conversation_id, team_id=team_id, reason="staff", lang=conversation.lang, by=user
        )

    outcome = await ctx.run_db(hand_off, write=True)
    await handoffs.publish(ctx, outcome)
    return json(outcome.item, status=201)


@bp.post("/<conversation_id:str>/messages")
@staff_route(
    "Reply to the investor, or write an internal note (internal: true)", body=payloads.ReplyBody, status=201, errors=ALL
)
async def reply(request: WebRequest, conversation_id: str) -> HTTPResponse:
    ctx, user = request.app.ctx, staff_of(request).user
    body = payloads.parse(request.body)
    text = payloads.required_text(body, "text")
    internal = payloads.flag(body, "internal", default=False)
    outcome, message = await ctx.run_db(
        lambda s: handoffs.staff_message(s, user, conversation_id, text, internal=internal), write=True
    )
    ctx.metrics.messages.labels("note" if internal else "staff").inc()
    await handoffs.publish(ctx, outcome)
    return json(message, status=201)


@bp.post("/<conversation_id:str>/typing")
@staff_route("Show or hide 'typing' to the investor", body=payloads.TypingBody, status=204, errors=(401, 403, 404))
async def typing(request: WebRequest, conversation_id: str) -> HTTPResponse:
    ctx, user = request.app.ctx, staff_of(request).user
    active = payloads.flag(payloads.parse(request.body), "active")
    team_id = await ctx.run_db(lambda s: handoffs.team_of(s, conversation_id))
    access.require_team(user, team_id)
    await handoffs.staff_typing(ctx, user, conversation_id, active)
    return empty()


@bp.post("/<conversation_id:str>/messages/<message_id:int>/reveal")
@staff_route(
    "Reveal a message's masked personal data (audited; roles in FUNDDESK_REVEAL_ROLES)", errors=(401, 403, 404)
)
async def reveal(request: WebRequest, conversation_id: str, message_id: int) -> HTTPResponse:
    ctx, user = request.app.ctx, staff_of(request).user
    roles = ctx.settings.reveal_roles.split(",")
    text = await ctx.run_db(lambda s: handoffs.reveal(s, user, conversation_id, message_id, roles), write=True)
    return json({"id": message_id, "text": text})
