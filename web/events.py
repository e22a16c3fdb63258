"""What the web service pushes live, and on which channel.

Each event has a stable ``name``, a ``channel`` and serialises to the JSON a WebSocket client
receives. The investor's channel (``conversation:<id>``) carries ``{"type": "message",
"message": {...}}``, ``{"type": "state", "state": "waiting"}``, ``{"type": "typing", "role":
"bot", "active": true}`` and ``{"type": "queue", "position": 2, "estimate_seconds": 240,
"ticket": false}``. The staff side of a conversation (``staff:<id>``) and each team's queue
(``team:<id>``) carry the console's events, which name their conversation since a console
listens to several.
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
    author: NotRequired[str]  # a staff message's sender, as the investor sees it


def investor_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def staff_channel(conversation_id: str) -> str:
    return f"staff:{conversation_id}"


def team_channel(team_id: str) -> str:
    return f"team:{team_id}"


def user_channel(user_id: int) -> str:
    return f"staff-user:{user_id}"


def message_json(message: Message, author: str | None = None) -> MessageOut:
    """A stored message as the investor's widget reads it; the console's view builds on it."""
    out: MessageOut = {
        "id": message.id,
        "role": str(message.role),
        "text": message.text,
        "buttons": [{"title": b["title"], "payload": b["payload"]} for b in message.buttons or ()],
        "created_at": _iso(message.created_at),
    }
    if message.payload is not None:
        out["payload"] = message.payload
    if author is not None:
        out["author"] = author
    return out


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else _iso(moment)


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class MessageCreated:
    name: ClassVar[str] = "message"
    conversation_id: str
    message: MessageOut

    @property
    def channel(self) -> str:
        return investor_channel(self.conversation_id)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.name, "message": self.message}


@dataclass(frozen=True)
class StateChanged:
    name: ClassVar[str] = "state"
    conversation_id: str
    state: str
    author: str | None = None  # who took the conversation (state "staff")

    @property
    def channel(self) -> str:
        return investor_channel(self.conversation_id)

    def as_json(self) -> dict[str, Any]:
        out = {"type": self.name, "state": self.state}
        return out | {"author": self.author} if self.author else out


@dataclass(frozen=True)
class Typing:
    name: ClassVar[str] = "typing"
    conversation_id: str
    role: Literal["bot", "staff"]
    active: bool
    author: str | None = None

    @property
    def channel(self) -> str:
        return investor_channel(self.conversation_id)

    def as_json(self) -> dict[str, Any]:
        out = {"type": self.name, "role": self.role, "active": self.active}
        return out | {"author": self.author} if self.author else out


class QueueJson(TypedDict):
    position: int
    estimate_seconds: int | None
    ticket: bool


@dataclass(frozen=True)
class QueuePosition:
    """Tells a waiting investor where they are in the queue."""

    name: ClassVar[str] = "queue"
    conversation_id: str
    position: int
    estimate_seconds: int | None
    ticket: bool

    @property
    def channel(self) -> str:
        return investor_channel(self.conversation_id)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.name, **self.place()}

    def place(self) -> QueueJson:
        return {"position": self.position, "estimate_seconds": self.estimate_seconds, "ticket": self.ticket}


@dataclass(frozen=True)
class StaffEvent:
    """An event of one conversation for the consoles watching it (staff only: notes, investor typing)."""

    name: str  # message, typing or state
    conversation_id: str
    body: dict[str, Any]

    @property
    def channel(self) -> str:
        return staff_channel(self.conversation_id)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.name, "conversation_id": self.conversation_id, **self.body}


@dataclass(frozen=True)
class QueueChanged:
    """A team's queue gained or changed an item (``item``), or lost one (``item`` is None)."""

    team_id: str
    handoff_id: int
    item: dict[str, Any] | None

    @property
    def channel(self) -> str:
        return team_channel(self.team_id)

    def as_json(self) -> dict[str, Any]:
        if self.item is None:
            return {"type": "queue_removed", "team_id": self.team_id, "handoff_id": self.handoff_id}
        return {"type": "queue", "item": self.item}


@dataclass(frozen=True)
class IncidentChanged:
    """An incident of the team was opened, answered or closed (the console's incident list)."""

    team_id: str
    incident: dict[str, Any]

    @property
    def channel(self) -> str:
        return team_channel(self.team_id)

    def as_json(self) -> dict[str, Any]:
        return {"type": "incident", "incident": self.incident}


@dataclass(frozen=True)
class PresenceChanged:
    """A console of one of the team's members connected or went away: how many are online now."""

    team_id: str
    online: int

    @property
    def channel(self) -> str:
        return team_channel(self.team_id)

    def as_json(self) -> dict[str, Any]:
        return {"type": "presence", "team_id": self.team_id, "online": self.online}


@dataclass(frozen=True)
class SessionsClosed:
    """Some of the user's sessions ended (logged out, deactivated, a new password): each of the user's live consoles
    checks its own at once rather than at its next heartbeat."""

    user_id: int

    @property
    def channel(self) -> str:
        return user_channel(self.user_id)

    def as_json(self) -> dict[str, Any]:
        return {"type": "sessions_closed"}


Event = (
    MessageCreated
    | StateChanged
    | Typing
    | QueuePosition  # the investor's channel
    | StaffEvent
    | QueueChanged
    | IncidentChanged
    | PresenceChanged  # the console's channels
    | SessionsClosed  # one user's consoles
)
