"""What the web service pushes to a conversation's listeners (WebSocket clients, later the console).

Each event has a stable ``name`` and serialises to the JSON a WebSocket client receives:
``{"type": "message", "message": {...}}``, ``{"type": "state", "state": "waiting"}``,
``{"type": "typing", "role": "bot", "active": true}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, NotRequired, TypedDict

from funddesk.db.base import as_utc
from funddesk.db.models import Message


class ButtonOut(TypedDict):
    title: str
    payload: str


class MessageOut(TypedDict):
    id: int
    role: str
    text: str
    buttons: list[ButtonOut]
    created_at: str
    payload: NotRequired[str]


def message_json(message: Message) -> MessageOut:
    out: MessageOut = {
        "id": message.id,
        "role": str(message.role),
        "text": message.text,
        "buttons": [{"title": b["title"], "payload": b["payload"]} for b in message.buttons or ()],
        "created_at": _iso(message.created_at),
    }
    if message.payload is not None:
        out["payload"] = message.payload
    return out


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class MessageCreated:
    name: ClassVar[str] = "message"
    conversation_id: str
    message: MessageOut

    def as_json(self) -> dict[str, Any]:
        return {"type": self.name, "message": self.message}


@dataclass(frozen=True)
class StateChanged:
    name: ClassVar[str] = "state"
    conversation_id: str
    state: str

    def as_json(self) -> dict[str, Any]:
        return {"type": self.name, "state": self.state}


@dataclass(frozen=True)
class Typing:
    name: ClassVar[str] = "typing"
    conversation_id: str
    role: Literal["bot", "staff"]
    active: bool

    def as_json(self) -> dict[str, Any]:
        return {"type": self.name, "role": self.role, "active": self.active}


Event = MessageCreated | StateChanged | Typing
