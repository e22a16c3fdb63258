"""The investor API's request and response bodies: parsed strictly, typed, and documented.

The dataclasses are the OpenAPI schemas (sanic-ext reads their annotations); the parsers turn a
raw request into typed values or raise :class:`web.errors.BadRequest` before anything is stored.
A response is written once, as the TypedDict the views build (mypy checks them); its schema is
derived from it by :func:`documented`.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass, field, make_dataclass
from enum import StrEnum
from functools import reduce
from types import UnionType
from typing import Any, NotRequired, TypedDict, Union, get_args, get_origin, get_type_hints

from funddesk.db import Role, State
from web.api.characters import check_strings
from web.api.request_schema import body_schema, rule, schema
from web.api.request_schema import text as text_rule
from web.errors import BadRequest, ErrorBody, ErrorDetail
from web.events import ButtonOut, MessageOut, QueueJson

MAX_TEXT = 2000
MAX_PAYLOAD = 500
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


LANGS = tuple(lang.value for lang in Lang)


# -- what the investor sends, as the OpenAPI document describes it ----------------------------


@dataclass
class CreateConversation:
    lang: Lang = field(metadata=rule(optional=True))


_NULL = schema(nullable=True, enum=[None])  # a key that may be sent only as null


@dataclass
class TypedText:
    """What the investor typed: 1 to 2,000 characters, not only spaces."""

    text: str = field(metadata=text_rule(MAX_TEXT))
    payload: None = field(metadata=rule(optional=True, schema=_NULL))


@dataclass
class ButtonClick:
    """The ``payload`` of a button this conversation was offered."""

    payload: str = field(metadata=text_rule(MAX_PAYLOAD))
    text: None = field(metadata=rule(optional=True, schema=_NULL))


# Exactly one of ``text`` (typed) or ``payload`` (a button offered).
SendMessage = schema(oneOf=[body_schema(TypedText), body_schema(ButtonClick)], title="SendMessage")


# -- what the views send, and its schema -------------------------------------------------------


class ConversationCreatedJson(TypedDict):
    conversation_id: str
    token: str


class MessagesJson(TypedDict):
    messages: list[MessageOut]
    state: str
    queue: NotRequired[QueueJson]  # only while waiting: the investor's place, read with the state


_SCHEMAS: dict[type, type] = {}  # each response TypedDict documented so far -> its schema


def documented(shape: type, name: str, *, leave_out: tuple[str, ...] = (), **precise: Any) -> type:
    """The OpenAPI schema of the response TypedDict ``shape``: a dataclass with its keys, in order.

    A TypedDict inside it stands for its own schema (documented first); ``precise`` names a key's
    documented type where the TypedDict only says ``str`` (an enum); a ``NotRequired`` key is
    documented as nullable, default null; ``leave_out`` keys are sent only at times and undocumented.
    """
    fields: list[Any] = []
    for key, hint in get_type_hints(shape, include_extras=True).items():
        if key in leave_out:
            continue
        optional = get_origin(hint) is NotRequired
        documented_type = precise.get(key, _schema_of(get_args(hint)[0] if optional else hint))
        fields.append((key, documented_type | None, field(default=None)) if optional else (key, documented_type))
    schema = make_dataclass(name, fields, namespace={"__module__": __name__})
    _SCHEMAS[shape] = schema
    return schema


def _schema_of(hint: Any) -> Any:
    if isinstance(hint, type) and hint in _SCHEMAS:
        return _SCHEMAS[hint]
    args = get_args(hint)
    if not args:
        return hint
    inner = tuple(_schema_of(arg) for arg in args)
    if inner == args:
        return hint
    if get_origin(hint) in (Union, UnionType):
        return reduce(operator.or_, inner)
    return get_origin(hint)[inner]  # list[...]


Button = documented(ButtonOut, "Button")
MessageSchema = documented(MessageOut, "MessageSchema", leave_out=("payload", "author"), role=Role)
QueueSchema = documented(QueueJson, "QueueSchema")
Messages = documented(MessagesJson, "Messages", state=State)
ConversationCreated = documented(ConversationCreatedJson, "ConversationCreated")
# ``problems``: only a refused FAQ draft (staff) has them; the investor API's error is documented as its contract says.
ErrorDetailSchema = documented(ErrorDetail, "ErrorDetailSchema", leave_out=("problems",))
Error = documented(ErrorBody, "Error")


# -- parsing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """What the investor sent: typed ``text``, or a clicked button's ``payload``."""

    text: str | None = None
    payload: str | None = None
    key: str | None = None  # its Idempotency-Key: sent again with the same key, it is the same message


def parse_idempotency_key(header: str | None) -> str | None:
    """The Idempotency-Key header's key: 1-64 of ``A-Z a-z 0-9 . _ : -``, bare or as a quoted string
    (the IETF draft's structured-field form)."""
    if header is None:
        return None
    key = header[1:-1] if len(header) >= 2 and header[0] == header[-1] == '"' else header
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise BadRequest(
            "Idempotency-Key must be 1 to 64 letters, digits, '.', '_', ':' or '-'.", code="invalid_idempotency_key"
        )
    return key


def json_object(body: bytes, *, optional: bool = False) -> dict[str, Any]:
    if not body.strip() and optional:
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nesting thousands deep
        raise BadRequest("The request body is not valid JSON.", code="malformed_json") from exc
    if not isinstance(value, dict):
        raise BadRequest("The request body must be a JSON object.", code="malformed_json")
    return value


def parse_create(body: bytes) -> str:
    """The conversation's language (``en`` unless ``{"lang": "zh"}``)."""
    data = json_object(body, optional=True)
    lang = data.get("lang", "en")
    check_strings(lang)
    if lang not in LANGS:
        raise BadRequest('"lang" must be "en" or "zh".', code="invalid_lang")
    return str(lang)


def parse_message(body: bytes) -> Incoming:
    data = json_object(body)
    text, payload = data.get("text"), data.get("payload")
    check_strings([text, payload])  # the keys read; any other is ignored
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
