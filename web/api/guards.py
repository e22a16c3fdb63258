"""Who may do what: bearer tokens per conversation, and the two rate limits."""

from __future__ import annotations

from funddesk.db import Conversation, repository
from web.context import WebContext, WebRequest
from web.errors import NotFound, TooManyRequests, Unauthorized


def bearer_token(request: WebRequest) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authorize(ctx: WebContext, conversation_id: str, token: str | None) -> Conversation:
    """The conversation if ``token`` opens it: 401 without a token or with a wrong one, 404 if unknown."""
    _require(token)
    conversation = await ctx.run_db(lambda s: repository.find_conversation(s, conversation_id))
    if conversation is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    ctx.token_hashes.put(conversation_id, conversation.token_hash)
    _check(conversation.token_hash, token)
    return conversation


async def check_token(ctx: WebContext, conversation_id: str, token: str | None) -> None:
    """As :func:`authorize`, without reading the database when the token's hash is known."""
    token = _require(token)
    known = ctx.token_hashes.get(conversation_id)
    if known is None:
        await authorize(ctx, conversation_id, token)
    else:
        _check(known, token)


def _require(token: str | None) -> str:
    if not token:
        raise Unauthorized("Send the conversation's token: Authorization: Bearer <token>.", code="missing_token")
    return token


def _check(token_hash: str, token: str | None) -> None:
    if not repository.hash_matches(token_hash, token or ""):
        raise Unauthorized("The token does not open this conversation.", code="invalid_token")


def client_address(request: WebRequest) -> str:
    """The client's address (through ``web_proxies_count`` trusted proxies), for rate limiting."""
    return request.remote_addr or request.ip or "unknown"


async def limit_client(ctx: WebContext, request: WebRequest) -> None:
    wait = await ctx.client_limit.hit(client_address(request))
    if wait:
        raise TooManyRequests(
            "Too many messages from your address; please wait a moment.", retry_after=wait, code="client_rate_limited"
        )


async def limit_conversation(ctx: WebContext, conversation_id: str) -> None:
    wait = await ctx.conversation_limit.hit(conversation_id)
    if wait:
        raise TooManyRequests(
            "Too many messages in this conversation; please wait a moment.",
            retry_after=wait,
            code="conversation_rate_limited",
        )
