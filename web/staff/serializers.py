"""The staff console's JSON: queue items, transcript messages (personal data masked), users, teams.

Built from rows already loaded (the staff repositories in ``escalation.staff`` read them): no query here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from escalation.staff.queues import QueueRow
from escalation.staff.sla import sla_state
from funddesk.db import Message, Role, StaffUser, Team
from funddesk.masking import mask
from web.events import ButtonOut, iso, message_json


class PersonJson(TypedDict):
    id: int
    display_name: str


class UserJson(TypedDict):
    id: int
    username: str
    display_name: str
    role: str
    teams: list[str]
    active: bool


class TeamJson(TypedDict):
    id: str
    name: str
    sla_seconds: int
    online: int


class LastMessageJson(TypedDict):
    role: str
    text: str
    created_at: str | None


class ItemJson(TypedDict):
    handoff_id: int
    conversation_id: str
    team_id: str
    status: str
    ticket: bool
    reason: str
    lang: str
    fund_code: str | None
    entry_id: str | None
    created_at: str | None
    claimed_at: str | None
    first_response_at: str | None
    assignee: PersonJson | None
    position: int
    sla_seconds: int
    sla: str
    last_message: LastMessageJson | None


class MatchJson(TypedDict):
    entry_id: str | None
    entry_version: str | None
    score: float | None
    decision: str | None


class StaffMessageJson(TypedDict):
    id: int
    role: str
    text: str
    masked: bool
    internal: bool
    author: str | None
    created_at: str
    buttons: list[ButtonOut]
    match: MatchJson | None


def user_json(user: StaffUser) -> UserJson:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "teams": user.team_ids,
        "active": user.active,
    }


def team_json(team: Team, online: int) -> TeamJson:
    return {"id": team.id, "name": team.name, "sla_seconds": team.sla_seconds, "online": online}


def staff_message_json(message: Message, authors: Mapping[int, str]) -> StaffMessageJson:
    """:func:`web.events.message_json` as the console shows it: masked, with notes, senders and the match."""
    shown = message_json(message)
    # Investors type their personal data; staff see it masked until they reveal it (audited).
    masked = mask(message.text) if message.role is Role.INVESTOR else None
    return {
        "id": shown["id"],
        "role": shown["role"],
        "text": masked.text if masked else shown["text"],
        "masked": bool(masked and masked.changed),
        "internal": message.internal,
        "author": authors.get(message.author_id) if message.author_id is not None else None,
        "created_at": shown["created_at"],
        "buttons": shown["buttons"],
        "match": _match_json(message),
    }


def _match_json(message: Message) -> MatchJson | None:
    if message.role is not Role.BOT or message.decision is None:
        return None
    return {
        "entry_id": message.entry_id,
        "entry_version": message.entry_version,
        "score": message.score,
        "decision": message.decision,
    }


def item_json(row: QueueRow, now: datetime) -> ItemJson:
    """A queue card from a loaded row (``escalation.staff.queues``): no query here."""
    handoff = row.handoff
    assignee: PersonJson | None = None
    if handoff.assignee is not None:
        assignee = {"id": handoff.assignee.id, "display_name": handoff.assignee.display_name}
    return {
        "handoff_id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "team_id": handoff.team_id,
        "status": str(handoff.status),
        "ticket": handoff.ticket,
        "reason": handoff.reason,
        "lang": handoff.lang,
        "fund_code": handoff.fund_code,
        "entry_id": handoff.entry_id,
        "created_at": iso(handoff.created_at),
        "claimed_at": iso(handoff.claimed_at),
        "first_response_at": iso(handoff.first_response_at),
        "assignee": assignee,
        "position": row.position,
        "sla_seconds": row.sla_seconds,
        "sla": sla_state(handoff.created_at, handoff.first_response_at, row.sla_seconds, now),
        "last_message": _last(row.last),
    }


def _last(message: Message | None) -> LastMessageJson | None:
    if message is None:
        return None
    text = mask(message.text).text if message.role is Role.INVESTOR else message.text
    return {"role": str(message.role), "text": text[:200], "created_at": iso(message.created_at)}


def audit_json(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "username": entry.username,
        "action": entry.action,
        "team_id": entry.team_id,
        "conversation_id": entry.conversation_id,
        "detail": entry.detail,
        "created_at": iso(entry.created_at),
    }
