"""The queries behind the investor API (and, next, the staff console). Every function takes a session.

Tokens: a conversation's token is shown once, at creation; only its SHA-256 is stored, and a
presented token is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from funddesk.db.models import Conversation, Feedback, Message, Role, State

ANSWER_DECISIONS = ("answer", "chosen")


@dataclass(frozen=True)
class NewConversation:
    conversation: Conversation
    token: str


@dataclass(frozen=True)
class MessageDraft:
    """A message to store; the audit fields are set on bot answers."""

    role: Role
    text: str
    payload: str | None = None
    buttons: list[dict[str, str]] | None = None
    entry_id: str | None = None
    entry_version: str | None = None
    score: float | None = None
    decision: str | None = None
    language: str | None = None
    meta: dict[str, Any] | None = field(default=None, hash=False)
    idempotency_key: str | None = None  # an investor's message: the key its client sent it with


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_matches(token_hash: str, token: str) -> bool:
    return hmac.compare_digest(token_hash, hash_token(token))


def token_matches(conversation: Conversation, token: str) -> bool:
    return hash_matches(conversation.token_hash, token)


def create_conversation(session: Session, *, lang: str = "en") -> NewConversation:
    token = secrets.token_urlsafe(32)
    conversation = Conversation(id=uuid.uuid4().hex, token_hash=hash_token(token), lang=lang, state=State.BOT)
    session.add(conversation)
    session.flush()
    return NewConversation(conversation, token)


def find_conversation(session: Session, conversation_id: str, *, lock: bool = False) -> Conversation | None:
    """``lock``: hold the row until the transaction ends (PostgreSQL; SQLite writers queue anyway)."""
    if lock:
        return session.get(Conversation, conversation_id, with_for_update=True, populate_existing=True)
    return session.get(Conversation, conversation_id)


def find_message(session: Session, conversation_id: str, message_id: int) -> Message | None:
    """The conversation's message with this id (another conversation's is not found)."""
    message = session.get(Message, message_id)
    return message if message is not None and message.conversation_id == conversation_id else None


def set_state(session: Session, conversation: Conversation, state: State) -> None:
    conversation.state = state
    session.flush()


def add_messages(session: Session, conversation_id: str, drafts: Iterable[MessageDraft]) -> list[Message]:
    rows = [Message(conversation_id=conversation_id, **_columns(draft)) for draft in drafts]
    session.add_all(rows)
    session.flush()
    return rows


def _columns(draft: MessageDraft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in MessageDraft.__dataclass_fields__}


def history(
    session: Session, conversation_id: str, *, after_id: int = 0, include_internal: bool = False
) -> Sequence[Message]:
    """The conversation's messages in order; staff notes only when ``include_internal`` (never for investors)."""
    query = select(Message).where(Message.conversation_id == conversation_id, Message.id > after_id)
    if not include_internal:
        query = query.where(Message.internal.is_(False))
    return session.scalars(query.order_by(Message.id)).all()


def keyed_message(session: Session, conversation_id: str, key: str) -> Message | None:
    """The investor's message sent with Idempotency-Key ``key`` in this conversation, if any."""
    query = select(Message).where(Message.conversation_id == conversation_id, Message.idempotency_key == key)
    return session.scalars(query).one_or_none()


def offered_button(session: Session, conversation_id: str, payload: str) -> dict[str, str] | None:
    """The button with ``payload`` among those the conversation's bot and staff messages offered."""
    query = (
        select(Message.buttons)
        .where(Message.conversation_id == conversation_id, Message.buttons.is_not(None))
        .order_by(Message.id.desc())
    )
    for buttons in session.scalars(query):
        for button in buttons or ():
            if button.get("payload") == payload:
                return button
    return None


def latest_answer(session: Session, conversation_id: str, entry_id: str | None = None) -> Message | None:
    """The last bot message that answered from an FAQ entry (``entry_id``: that entry)."""
    query = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.role == Role.BOT,
        Message.entry_id.is_not(None),
        Message.decision.in_(ANSWER_DECISIONS),
    )
    if entry_id is not None:
        query = query.where(Message.entry_id == entry_id)
    return session.scalars(query.order_by(Message.id.desc()).limit(1)).first()


def add_feedback(
    session: Session, conversation_id: str, *, helpful: bool, entry_id: str | None, entry_version: str | None
) -> Feedback:
    """Record feedback against the answer it rates (the latest answer from that entry)."""
    answer = latest_answer(session, conversation_id, entry_id)
    feedback = Feedback(
        conversation_id=conversation_id,
        message_id=answer.id if answer else None,
        entry_id=entry_id or (answer.entry_id if answer else None),
        entry_version=entry_version or (answer.entry_version if answer else None),
        helpful=helpful,
    )
    session.add(feedback)
    session.flush()
    return feedback


def feedback_for(session: Session, conversation_id: str) -> Sequence[Feedback]:
    query = select(Feedback).where(Feedback.conversation_id == conversation_id).order_by(Feedback.id)
    return session.scalars(query).all()


def count_messages(session: Session, conversation_id: str | None = None, *, role: Role | None = None) -> int:
    query = select(func.count()).select_from(Message)
    if conversation_id is not None:
        query = query.where(Message.conversation_id == conversation_id)
    if role is not None:
        query = query.where(Message.role == role)
    return int(session.scalar(query) or 0)


def count_conversations(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Conversation)) or 0)


def count_feedback(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Feedback)) or 0)
