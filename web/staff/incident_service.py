"""Incidents as the console works them: list, publish one answer for everyone, close.

The detector in the action server opens incidents (and logs who asked); the web service shows
them in the owning team's queue and publishes the answer: an FAQ entry (hot reload makes the
bot give it), plus the answer pushed to every conversation that asked and is with the bot.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalation.spikes import incident_faq
from escalation.staff import access
from escalation.staff.errors import Conflict, Missing
from funddesk.db import Incident, IncidentConversation, IncidentStatus, Role, StaffUser, State, repository
from funddesk.db.repository import MessageDraft
from web.events import Event, IncidentChanged, MessageCreated, iso, message_json


def incident_json(session: Session, incident: Incident) -> dict[str, Any]:
    asked = select(func.count()).where(IncidentConversation.incident_id == incident.id)
    return {
        "id": incident.id,
        "team_id": incident.team_id,
        "status": str(incident.status),
        "label": incident.label,
        "fund_code": incident.fund_code,
        "started_at": iso(incident.started_at),
        "detected_at": iso(incident.detected_at),
        "count": incident.count,
        "baseline": incident.baseline,
        "samples": list(incident.samples or []),
        "evidence": incident.evidence,
        "conversations": int(session.scalar(asked) or 0),
        "entry_id": incident.entry_id,
        "answer": incident.answer,
        "answered_at": iso(incident.answered_at),
        "closed_at": iso(incident.closed_at),
        "chart": f"/api/v1/staff/incidents/{incident.id}/chart.svg",
    }


def find(session: Session, user: StaffUser, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id, populate_existing=True)
    if incident is None:
        raise Missing("No such incident.", code="incident_not_found")
    access.require_team(user, incident.team_id)
    return incident


def listing(session: Session, team_ids: list[str], *, include_closed: bool) -> list[dict[str, Any]]:
    query = select(Incident).where(Incident.team_id.in_(team_ids)).order_by(Incident.id.desc()).limit(200)
    if not include_closed:
        query = query.where(Incident.status != IncidentStatus.CLOSED)
    return [incident_json(session, row) for row in session.scalars(query)]


def opened_event(session: Session, key: str) -> Event | None:
    """The console event for an incident the action server just opened (named in the bot's reply)."""
    incident = session.scalars(select(Incident).where(Incident.key == key)).first()
    return None if incident is None else IncidentChanged(incident.team_id, incident_json(session, incident))


def publish_answer(
    session: Session, user: StaffUser, incident_id: int, question: str | None, answer: str, kb_dir: Path, now: datetime
) -> list[Event]:
    incident = find(session, user, incident_id)
    if incident.status is IncidentStatus.CLOSED:
        raise Conflict("The incident is closed.", code="incident_closed")
    text = incident_faq.render(
        incident.id,
        question or incident.label,
        answer,
        [incident.label, *(incident.samples or [])],
        team=incident.team_id,
        fund_code=incident.fund_code,
    )
    incident_faq.publish(kb_dir, incident.id, text)
    first_answer = incident.status is IncidentStatus.OPEN
    incident.status, incident.answer = IncidentStatus.ANSWERED, answer.strip()
    incident.entry_id, incident.answered_by, incident.answered_at = incident_faq.entry_id(incident.id), user.id, now
    access.audit(
        session, user, "incident_answer", team_id=incident.team_id, incident=incident.id, update=not first_answer
    )
    events: list[Event] = [IncidentChanged(incident.team_id, incident_json(session, incident))]
    return events + _push(session, incident, now)


def close(
    session: Session, user: StaffUser, incident_id: int, *, retire: bool, kb_dir: Path, now: datetime
) -> list[Event]:
    incident = find(session, user, incident_id)
    if incident.status is IncidentStatus.CLOSED:
        raise Conflict("The incident is already closed.", code="incident_closed")
    incident.status, incident.closed_at = IncidentStatus.CLOSED, now
    retired = retire and incident_faq.retire(kb_dir, incident.id)
    access.audit(session, user, "incident_close", team_id=incident.team_id, incident=incident.id, retired=retired)
    return [IncidentChanged(incident.team_id, incident_json(session, incident))]


def _push(session: Session, incident: Incident, now: datetime) -> list[Event]:
    """The answer, as a bot message, to each conversation that asked and has not had it (and is with the bot)."""
    waiting = session.scalars(
        select(IncidentConversation).where(
            IncidentConversation.incident_id == incident.id, IncidentConversation.answered_at.is_(None)
        )
    ).all()
    events: list[Event] = []
    for link in waiting:
        conversation = repository.find_conversation(session, link.conversation_id)
        if conversation is None or conversation.state is not State.BOT:
            continue  # not one of ours (a REST sender), or a person is talking with them
        draft = MessageDraft(
            Role.BOT,
            incident.answer or "",
            entry_id=incident.entry_id,
            decision="incident",
            language=conversation.lang,
            meta={"type": "incident_answer", "incident": incident.id},
        )
        [row] = repository.add_messages(session, conversation.id, [draft])
        link.answered_at = now
        events.append(MessageCreated(conversation.id, message_json(row)))
    return events
