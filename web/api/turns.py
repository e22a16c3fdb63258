"""One investor turn: store the message, ask the bot, store and push its replies.

The investor's message is committed before Rasa is asked, so it is kept whatever happens next;
a message rejected earlier (bad JSON, limits, auth, an unknown button) stores nothing. If Rasa
is down or slow, the reply is a polite system message saying so, with a way to reach a person.
Turns of one conversation run one at a time (the bot's state is per conversation).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from funddesk.bot_payload import FaqMatch, Feedback, HandoffRequest, parse
from funddesk.db import Message, Role, State, repository, unique_violation
from funddesk.db.repository import MessageDraft
from funddesk.masking import mask
from funddesk.text import detect_lang
from web.api.payloads import Incoming, MessagesJson
from web.context import WebContext
from web.errors import BadRequest, NotFound, RasaUnavailable, TurnInProgress
from web.events import Event, MessageCreated, MessageOut, Typing, message_json
from web.rasa_client import BotReply
from web.staff import handoff_service as handoffs
from web.staff import incident_service as incidents
from web.staff import notices

log = logging.getLogger("web.turns")

UNAVAILABLE = {
    "en": "Sorry, our assistant is temporarily unavailable. Your message has been kept. "
    "Please try again in a few minutes, {contact}",
    "zh": "抱歉，智能助手暂时无法使用，您的消息已保存。请几分钟后再试，{contact}",
}
CONTACT = {
    "en": (
        "or reach a person at {contact}.",
        "or call the customer service hotline on our website to talk to a person.",
    ),
    "zh": ("或通过 {contact} 联系人工客服。", "或拨打官网上的客服热线联系人工客服。"),
}


def unavailable_text(lang: str, support_contact: str) -> str:
    lang = lang if lang in UNAVAILABLE else "en"
    configured, generic = CONTACT[lang]
    contact = configured.format(contact=support_contact) if support_contact else generic
    return UNAVAILABLE[lang].format(contact=contact)


@dataclass(frozen=True)
class Stored:
    """The investor's message as stored, and what the turn needs to know about its conversation."""

    message: Message
    state: State
    lang: str  # of this message
    conversation_lang: str
    again: bool = False  # sent before with the same Idempotency-Key: stored then, not now


async def take_turn(ctx: WebContext, conversation_id: str, incoming: Incoming) -> MessagesJson:
    with ctx.metrics.timed("web"):
        body = await _take_turn(ctx, conversation_id, incoming)
        if body["state"] == State.WAITING:  # the place is read after the turn, as the state was
            state, place = await ctx.run_db(lambda s: handoffs.state_of(ctx, s, conversation_id))
            body["state"] = str(state)
            if place is not None:
                body["queue"] = place
    return body


def same_key_stored(error: IntegrityError, incoming: Incoming) -> bool:
    """The error is the unique index on idempotency keys: another replica stored this key at this moment.
    Any other integrity error (a foreign key, say) is a fault, not a message sent twice."""
    return incoming.key is not None and unique_violation(error, "idempotency_key")


async def _take_turn(ctx: WebContext, conversation_id: str, incoming: Incoming) -> MessagesJson:
    async with ctx.turn_locks.hold(conversation_id):
        try:
            stored = await ctx.run_db(lambda s: _store_incoming(s, conversation_id, incoming), write=True)
        except IntegrityError as exc:
            if not same_key_stored(exc, incoming):
                raise
            raise TurnInProgress("This message is being answered; ask again in a moment.") from exc
        if stored.again:
            return await _sent_again(ctx, conversation_id, stored, incoming)
        ctx.metrics.stored([stored.message])
        await ctx.hub.publish(MessageCreated(conversation_id, message_json(stored.message)))
        if stored.state is State.BOT:
            return await _bot_turn(ctx, conversation_id, stored, _said(stored, incoming))
        # The investor leaves the queue; once a person has it, the queue's button is only words to them (the
        # investor may have clicked an old one, and staff hand back when the chat is done).
        if incoming.payload == notices.BACK_TO_BOT and stored.state is State.WAITING:
            left = await ctx.run_db(lambda s: handoffs.cancel_by_investor(s, conversation_id), write=True)
            await handoffs.publish(ctx, left)
            back = replace(stored, state=State.BOT)
            turn = await _bot_turn(ctx, conversation_id, back, notices.BACK_TO_BOT)
            return {"messages": [*_messages_of(left), *turn["messages"]], "state": turn["state"]}
        # People have the conversation: the message goes to them and the bot stays quiet.
        await handoffs.publish(ctx, await ctx.run_db(lambda s: handoffs.investor_message(s, stored.message)))
        return {"messages": [], "state": str(stored.state)}


async def greet_back(ctx: WebContext, conversation_id: str) -> None:
    """After staff hand a conversation back, the bot says so and carries on with its context."""
    async with ctx.turn_locks.hold(conversation_id):
        conversation = await ctx.run_db(lambda s: repository.find_conversation(s, conversation_id))
        if conversation is None or conversation.state is not State.BOT:
            return
        last = await ctx.run_db(lambda s: repository.history(s, conversation_id)[-1])
        stored = Stored(last, State.BOT, conversation.lang, conversation.lang)
        await _bot_turn(ctx, conversation_id, stored, notices.BACK_TO_BOT)


async def _bot_turn(ctx: WebContext, conversation_id: str, stored: Stored, said: str) -> MessagesJson:
    await ctx.hub.publish(Typing(conversation_id, "bot", True))
    try:
        drafts = await _ask_bot(ctx, conversation_id, stored, said)
        rows, state, handed = await ctx.run_db(lambda s: _store_replies(ctx, s, stored, drafts), write=True)
    finally:
        await ctx.hub.publish(Typing(conversation_id, "bot", False))
    ctx.metrics.stored(rows)
    ctx.metrics.incidents.inc(_incidents_opened(rows))  # counted once committed: a unit may run twice
    replies = [message_json(row) for row in rows]
    for reply in replies:
        await ctx.hub.publish(MessageCreated(conversation_id, reply))
    if handed is not None:
        await handoffs.publish(ctx, handed)
        replies += _messages_of(handed)
    return {"messages": replies, "state": str(state)}


async def _sent_again(ctx: WebContext, conversation_id: str, stored: Stored, incoming: Incoming) -> MessagesJson:
    """A message its client sent again (a reply it never got): the replies it had, or the turn it never had.

    Nothing after it and the bot has the conversation: its turn is either still running somewhere (another
    replica) or died with its replica. A turn cannot outlast Rasa's timeout plus storing the replies, so
    until then the client is asked to come back (Retry-After: when that time is up), and after that the
    turn is taken again, once."""
    later = await ctx.run_db(lambda s: repository.history(s, conversation_id, after_id=stored.message.id))
    if later or stored.state is not State.BOT:
        replies = itertools.takewhile(lambda row: row.role is not Role.INVESTOR, later)
        return {"messages": [message_json(row) for row in replies], "state": str(stored.state)}
    longest = ctx.settings.rasa_timeout + ctx.settings.db_retry_seconds
    age = _age_seconds(stored.message)
    if age < longest:  # come back when it has an answer, or when it can have had none
        raise TurnInProgress("This message is being answered; ask again in a moment.", retry_after=longest - age)
    log.warning("conversation %s: message %s sent again, its turn never finished", conversation_id, stored.message.id)
    return await _bot_turn(ctx, conversation_id, stored, _said(stored, incoming))


def _age_seconds(message: Message) -> float:
    created = message.created_at
    if created.tzinfo is None:  # SQLite hands back naive datetimes; they were stored in UTC
        created = created.replace(tzinfo=UTC)
    return (datetime.now(UTC) - created).total_seconds()


def _said(stored: Stored, incoming: Incoming) -> str:
    if incoming.payload is not None:  # a button the conversation was offered
        return incoming.payload
    # Rasa reads a leading "/" as an intent: typed text must not pose as a button or a command.
    return stored.message.text.lstrip("/") or stored.message.text


def _incidents_opened(rows: list[Message]) -> int:
    """Incidents the detector opened on the question these replies answer."""
    payloads = [parse(row.meta) for row in rows]
    return sum(len(payload.incidents_opened) for payload in payloads if isinstance(payload, FaqMatch))


def _messages_of(outcome: handoffs.Outcome) -> list[MessageOut]:
    return [event.message for event in outcome.events if isinstance(event, MessageCreated)]


def _store_incoming(session: Session, conversation_id: str, incoming: Incoming) -> Stored:
    conversation = repository.find_conversation(session, conversation_id)
    if conversation is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    prior = repository.keyed_message(session, conversation_id, incoming.key) if incoming.key else None
    if prior is not None:
        if not _same_message(prior, incoming):
            raise BadRequest("This Idempotency-Key was used for another message.", code="idempotency_key_reused")
        return Stored(prior, conversation.state, prior.language or conversation.lang, conversation.lang, again=True)
    if incoming.payload is not None:
        button = repository.offered_button(session, conversation_id, incoming.payload)
        if button is None:
            raise BadRequest("That button was not offered in this conversation.", code="unknown_button")
        draft = MessageDraft(
            Role.INVESTOR, button["title"], payload=incoming.payload, language=conversation.lang,
            idempotency_key=incoming.key,
        )  # fmt: skip
    else:
        text = incoming.text or ""
        # The transcript keeps what the investor wrote, personal numbers included: staff may need
        # them to help, see them masked (web.staff.serializers) and reveal them only as an audited action.
        # Everything else (question log, incidents, webhooks, logs) keeps only the masked text.
        draft = MessageDraft(
            Role.INVESTOR, text, language=detect_lang(text, conversation.lang), idempotency_key=incoming.key
        )
    [message] = repository.add_messages(session, conversation_id, [draft])
    return Stored(message, conversation.state, draft.language or conversation.lang, conversation.lang)


def _same_message(prior: Message, incoming: Incoming) -> bool:
    if incoming.payload is not None:
        return prior.payload == incoming.payload
    return prior.payload is None and prior.text == incoming.text


async def _ask_bot(ctx: WebContext, conversation_id: str, stored: Stored, said: str) -> list[MessageDraft]:
    metadata = {"lang": stored.lang, "channel": "funddesk-web", "message_id": stored.message.id}
    try:
        with ctx.metrics.timed("rasa"):
            replies = await ctx.rasa.send(conversation_id, said, metadata)
    except RasaUnavailable as exc:
        log.warning("conversation %s: %s", conversation_id, exc)
        return [_unavailable(stored.lang, ctx.settings.support_contact)]
    if not replies:
        # Rasa's REST channel answers an empty 200 when handling the message failed (its lock or
        # tracker store unreachable): tell the investor, as when Rasa is down. Masked before it is
        # cut, so a number cut in half is not left readable.
        log.warning("conversation %s: the bot had nothing to say to %r", conversation_id, mask(said).text[:80])
        return [_unavailable(stored.lang, ctx.settings.support_contact)]
    return [_draft(reply, stored.lang) for reply in replies]


def _unavailable(lang: str, support_contact: str) -> MessageDraft:
    return MessageDraft(Role.SYSTEM, unavailable_text(lang, support_contact), language=lang, decision="unavailable")


def _draft(reply: BotReply, lang: str) -> MessageDraft:
    return MessageDraft(
        Role.BOT,
        reply.text,
        buttons=[{"title": b["title"], "payload": b["payload"]} for b in reply.buttons] or None,
        entry_id=reply.entry_id,
        entry_version=reply.entry_version,
        score=reply.score,
        decision=reply.decision,
        language=reply.language or lang,
        meta=reply.custom,
    )


def _store_replies(
    ctx: WebContext, session: Session, stored: Stored, drafts: list[MessageDraft]
) -> tuple[list[Message], State, handoffs.Outcome | None]:
    """The replies, the feedback they record, a hand-off they ask for, and the conversation's language.

    If people took the conversation while the bot was thinking (the staff API can), the bot's
    replies are dropped: the investor never gets two answers.
    """
    conversation_id = stored.message.conversation_id
    conversation = repository.find_conversation(session, conversation_id, lock=True)
    if conversation is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    if conversation.state is not State.BOT:
        log.info("conversation %s: with staff now, the bot's %d replies are dropped", conversation_id, len(drafts))
        return [], conversation.state, None
    rows = repository.add_messages(session, conversation_id, drafts)
    handoff_request: HandoffRequest | None = None
    opened: list[Event] = []
    for draft in drafts:
        payload = parse(draft.meta)
        if isinstance(payload, FaqMatch):
            for key in payload.incidents_opened:  # the detector opened these on this question
                event = incidents.opened_event(session, key)
                opened += [event] if event is not None else []
        if isinstance(payload, Feedback):
            repository.add_feedback(
                session,
                conversation_id,
                helpful=payload.helpful,
                entry_id=payload.faq_id,
                entry_version=payload.faq_version,
            )
        if isinstance(payload, HandoffRequest):
            handoff_request = payload
        if draft.role is Role.BOT and draft.language in ("en", "zh"):
            conversation.lang = draft.language
    if handoff_request is None:
        return rows, State.BOT, handoffs.Outcome(opened, set()) if opened else None
    handed = handoffs.request_from_bot(ctx, session, conversation_id, handoff_request, conversation.lang)
    handed.events += opened
    return rows, State.WAITING, handed
