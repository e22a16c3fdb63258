"""How the services log: text or JSON lines, each with its conversation id, never a personal number.

    configure("json")   # in an entry point, once the Sanic app exists (Sanic installs handlers of its own)

Every record passes :class:`MaskPersonalNumbers` at the handler: its message, arguments and
traceback are rendered and masked (:func:`funddesk.masking.mask`) before any formatter sees
them, whatever the logger. The conversation a record belongs to comes from a context variable
that the web service and the action server set per request (:func:`track_conversations`).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from sanic import Request, Sanic

from funddesk.masking import mask

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(conversation_id)s]: %(message)s"
# Sanic's loggers get handlers of their own; records go through the root handler instead.
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")

conversation_id: ContextVar[str | None] = ContextVar("conversation_id", default=None)


class MaskPersonalNumbers(logging.Filter):
    """Renders the message (``msg % args``) and the traceback, masked; adds ``conversation_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call (args not matching the format) must not raise at the caller
            message = f"{record.msg} {record.args!r}"
        record.msg = mask(message).text
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = mask(record.exc_text).text
        if record.stack_info:
            record.stack_info = mask(record.stack_info).text
        # Rasa's sender id is the channel's to choose (a phone number, say): masked like the message.
        named = getattr(record, "conversation_id", None) or conversation_id.get() or "-"
        record.conversation_id = mask(str(named)).text
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, conversation_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        conversation = getattr(record, "conversation_id", "-")
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "conversation_id": None if conversation == "-" else conversation,
        }
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler in ``log_format`` (``text`` or ``json``) that masks every record."""
    if log_format not in FORMATS:
        raise ValueError(f"FUNDDESK_LOG_FORMAT={log_format!r}: expected one of {', '.join(FORMATS)}")
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    out.addFilter(MaskPersonalNumbers())
    return out


def configure(log_format: str, *, level: int = logging.INFO, stream: IO[str] | None = None) -> logging.Handler:
    """Make the root logger's only handler a masking one, and send Sanic's loggers through it."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    installed = handler(log_format, stream)
    root.addHandler(installed)
    root.setLevel(level)
    for name in SANIC_LOGGERS:
        sanic_logger = logging.getLogger(name)
        sanic_logger.handlers.clear()
        sanic_logger.propagate = True
    return installed


def track_conversations(app: Sanic[Any, Any], conversation_of: Callable[[Request], str | None]) -> None:
    """Set the conversation id of every request's log records (``conversation_of`` reads it)."""

    async def bind(request: Request) -> None:
        conversation_id.set(conversation_of(request))

    app.register_middleware(bind, "request")
