"""``/api/v1/conversations``: start a conversation, send a message, read the history."""

from __future__ import annotations

from dataclasses import replace

from sanic import Blueprint
from sanic.response import HTTPResponse, json
from sanic_ext import openapi
from sanic_ext.extensions.openapi.types import String
from sqlalchemy.orm import Session

from funddesk.db import repository
from web.api import payloads, turns
from web.api.guards import authorize, bearer_token, check_token, limit_client, limit_conversation
from web.api.payloads import ConversationCreatedJson, MessagesJson
from web.api.request_schema import body_schema
from web.context import WebRequest
from web.events import message_json
from web.staff import handoff_service as handoffs

bp = Blueprint("conversations", url_prefix="/conversations")

_ERRORS = {
    400: "Malformed JSON, empty text, text over 2,000 characters, or a button that was not offered",
    401: "Missing or wrong token",
    404: "Unknown conversation",
    413: "Body too large",
    409: "The same Idempotency-Key is still being answered (another replica may hold it); see Retry-After",
    429: "Too many messages (per conversation or per client address); see Retry-After",
}

# Optional on every message: sent again with the same key (after a lost reply), the message is stored once
# and answered with the replies it already had.
_IDEMPOTENCY_KEY = openapi.definitions.Parameter(
    "Idempotency-Key",
    String(pattern='^("[A-Za-z0-9._:-]{1,64}"|[A-Za-z0-9._:-]{1,64})$'),  # type: ignore[no-untyped-call]
    "header",
    description="Any 1-64 letters, digits, '.', '_', ':' or '-', new for each new message; reused when the "
    "same message is sent again.",
    required=False,
)


def _document_errors(*statuses: int) -> list[openapi.definitions.Response]:
    body = {"application/json": payloads.Error}
    return [openapi.definitions.Response(body, status=s, description=_ERRORS[s]) for s in statuses]


@bp.post("/")
@openapi.definition(
    summary="Start a conversation",
    description="Returns the conversation id and its token: the only way to read or write it.",
    body=openapi.definitions.RequestBody(
        {"application/json": body_schema(payloads.CreateConversation)}, required=False
    ),
    response=[
        openapi.definitions.Response({"application/json": payloads.ConversationCreated}, status=201),
        *_document_errors(400, 413, 429),
    ],
    tag="investor",
)
async def create_conversation(request: WebRequest) -> HTTPResponse:
    ctx = request.app.ctx
    await limit_client(ctx, request)
    lang = payloads.parse_create(request.body)
    created = await ctx.run_db(lambda s: repository.create_conversation(s, lang=lang), write=True)
    body: ConversationCreatedJson = {"conversation_id": created.conversation.id, "token": created.token}
    return json(body, status=201)


@bp.post("/<conversation_id:str>/messages")
@openapi.definition(
    summary="Send a message or click a button",
    description="Answers with the replies (bot, staff or system) and the conversation's state. Sent again "
    "with the same Idempotency-Key, a message is not stored twice: the answer is the replies it had.",
    body=openapi.definitions.RequestBody({"application/json": payloads.SendMessage}, required=True),
    parameter=_IDEMPOTENCY_KEY,
    response=[
        openapi.definitions.Response({"application/json": payloads.Messages}, status=200),
        *_document_errors(400, 401, 404, 409, 413, 429),
    ],
    secured={"token": []},
    tag="investor",
)
async def send_message(request: WebRequest, conversation_id: str) -> HTTPResponse:
    ctx = request.app.ctx
    await limit_client(ctx, request)
    await check_token(ctx, conversation_id, bearer_token(request))
    incoming = payloads.parse_message(request.body)
    incoming = replace(incoming, key=payloads.parse_idempotency_key(request.headers.get("idempotency-key")))
    await limit_conversation(ctx, conversation_id)
    return json(await turns.take_turn(ctx, conversation_id, incoming))


@bp.get("/<conversation_id:str>/messages")
@openapi.definition(
    summary="The whole history, in order",
    response=[
        openapi.definitions.Response({"application/json": payloads.Messages}, status=200),
        *_document_errors(401, 404),
    ],
    secured={"token": []},
    tag="investor",
)
async def read_messages(request: WebRequest, conversation_id: str) -> HTTPResponse:
    ctx = request.app.ctx
    await authorize(ctx, conversation_id, bearer_token(request))

    def read(session: Session) -> MessagesJson:
        state, place = handoffs.state_of(ctx, session, conversation_id)
        rows = repository.history(session, conversation_id)
        body: MessagesJson = {"messages": [message_json(row) for row in rows], "state": str(state)}
        if place is not None:
            body["queue"] = place
        return body

    return json(await ctx.run_db(read))
