"""Conversations, their messages and the feedback investors give on answers.

A conversation belongs to one investor (whoever holds its token; only a hash of the token is
stored). Messages are ordered by ``id``. A bot message keeps the audit of the answer that
produced it: which FAQ entry, in which version, with which score and decision.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, false
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from funddesk.db.base import Base, Created, Lang, Updated, str_enum


class State(enum.StrEnum):
    BOT = "bot"  # the bot answers
    WAITING = "waiting"  # handed off, waiting for a person
    STAFF = "staff"  # a person answers


class Role(enum.StrEnum):
    INVESTOR = "investor"
    BOT = "bot"
    STAFF = "staff"
    SYSTEM = "system"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_created_at", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    lang: Mapped[Lang]
    state: Mapped[State] = mapped_column(str_enum(State, "state"), default=State.BOT, nullable=False)
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_created_at", "created_at"),
        # Clicked buttons (analytics: was a clarify picked?)
        Index(
            "ix_messages_clicks",
            "conversation_id",
            "created_at",
            sqlite_where=sql_text("payload IS NOT NULL"),
            postgresql_where=sql_text("payload IS NOT NULL"),
        ),
        # A message sent again with the same Idempotency-Key is the same message: stored once.
        Index(
            "ux_messages_idempotency_key",
            "conversation_id",
            "idempotency_key",
            unique=True,
            sqlite_where=sql_text("idempotency_key IS NOT NULL"),
            postgresql_where=sql_text("idempotency_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[str | None] = mapped_column(Text)  # the button an investor clicked
    buttons: Mapped[list[dict[str, str]] | None]
    entry_id: Mapped[str | None] = mapped_column(String(200))
    entry_version: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    meta: Mapped[dict[str, Any] | None]  # the bot's machine-readable payload, as received
    # A staff note: shown to staff only, never to the investor.
    internal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))  # the investor's client chose it
    created_at: Mapped[Created]

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Feedback(Base):
    """An investor's answer to "Did that answer your question?", tied to the answer it rates."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    entry_id: Mapped[str | None] = mapped_column(String(200), index=True)
    entry_version: Mapped[str | None] = mapped_column(String(64))
    helpful: Mapped[bool] = mapped_column(nullable=False)
    created_at: Mapped[Created]
