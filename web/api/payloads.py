"""The investor API's request and response bodies: parsed strictly, typed, and documented.

The dataclasses are the OpenAPI schemas (sanic-ext reads their annotations); the parsers turn a
raw request into typed values or raise :class:`web.errors.BadRequest` before anything is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NotRequired, TypedDict

from funddesk.db import Role, State
from web.errors import BadRequest
from web.events import MessageOut, QueueJson

MAX_TEXT = 2000
MAX_PAYLOAD = 500


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


LANGS = tuple(lang.value for lang in Lang)


# -- OpenAPI schemas --------------------------------------------------------------------------


@dataclass
class CreateConversation:
    lang: Lang


@dataclass
class ConversationCreated:
    conversation_id: str
    token: str


@dataclass
class SendMessage:
    """Exactly one of ``text`` (typed, 1 to 2,000 characters) or ``payload`` (a button offered)."""

    text: str
    payload: str


@dataclass
class Button:
    title: str
    payload: str


@dataclass
class MessageSchema:
    id: int
    role: Role
    text: str
    buttons: list[Button]
    created_at: str


@dataclass
class QueueSchema:
    position: int
    estimate_seconds: int | None
    ticket: bool


@dataclass
class Messages:
    messages: list[MessageSchema]
    state: State
    queue: QueueSchema | None = None  # only while waiting: the investor's place, read with the state


@dataclass
class ErrorDetailSchema:
    code: str
    message: str


@dataclass
class Error:
    error: ErrorDetailSchema


# -- what the views send ----------------------------------------------------------------------


class ConversationCreatedJson(TypedDict):
    conversation_id: str
    token: str


class MessagesJson(TypedDict):
    messages: list[MessageOut]
    state: str
    queue: NotRequired[QueueJson]


# -- parsing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """What the investor sent: typed ``text``, or a clicked button's ``payload``."""

    text: str | None = None
    payload: str | None = None


def json_object(body: bytes, *, optional: bool = False) -> dict[str, Any]:
    if not body.strip() and optional:
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The request body is not valid JSON.", code="malformed_json") from exc
    if not isinstance(value, dict):
        raise BadRequest("The request body must be a JSON object.", code="malformed_json")
    return value


def parse_create(body: bytes) -> str:
    """The conversation's language (``en`` unless ``{"lang": "zh"}``)."""
    data = json_object(body, optional=True)
    lang = data.get("lang", "en")
    if lang not in LANGS:
        raise BadRequest('"lang" must be "en" or "zh".', code="invalid_lang")
    return str(lang)


def parse_message(body: bytes) -> Incoming:
    data = json_object(body)
    text, payload = data.get("text"), data.get("payload")
    if (text is None) == (payload is None):
        raise BadRequest('Send exactly one of "text" or "payload".', code="invalid_message")
    if payload is not None:
        if not isinstance(payload, str) or not payload.strip() or len(payload) > MAX_PAYLOAD:
            raise BadRequest('"payload" must be the payload of a button you were offered.', code="invalid_payload")
        return Incoming(payload=payload)
    if not isinstance(text, str):
        raise BadRequest('"text" must be a string.', code="invalid_message")
    if not text.strip():
        raise BadRequest("The message is empty.", code="empty_text")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"The message is longer than {MAX_TEXT} characters.", code="text_too_long")
    return Incoming(text=text)
