"""Incidents as the console works them: list, publish one answer for everyone, close.

The detector in the action server opens incidents (and logs who asked); the web service shows
them in the owning team's queue and publishes the answer: an FAQ entry (hot reload makes the
bot give it), plus the answer pushed to every conversation that asked and is with the bot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from escalation.spikes import incident_faq, incident_rows
from escalation.spikes.incident_rows import IncidentRow
from escalation.staff import access
from escalation.staff.errors import Conflict, Missing
from funddesk.db import Incident, IncidentStatus, Role, StaffUser, State, repository
from funddesk.db.repository import MessageDraft
from funddesk.settings import Settings
from web.events import Event, IncidentChanged, MessageCreated, iso, message_json


def incident_json(row: IncidentRow) -> dict[str, Any]:
    incident = row.incident
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
        "conversations": row.conversations,
        "entry_id": incident.entry_id,
        "answer": incident.answer,
        "answered_at": iso(incident.answered_at),
        "closed_at": iso(incident.closed_at),
        "surge_ended_at": iso(incident.surge_ended_at),  # the bot holds its askers no longer, answered or not
        "chart": f"/api/v1/staff/incidents/{incident.id}/chart.svg",
        "chart_version": _chart_version(incident.series or []),  # changes whenever the chart does
    }


def _chart_version(series: list[Any]) -> str:
    last = series[-1] if series else []
    return "-".join(str(part) for part in [len(series), *last])


def find(session: Session, user: StaffUser, incident_id: int) -> Incident:
    incident = incident_rows.get(session, incident_id)
    if incident is None:
        raise Missing("No such incident.", code="incident_not_found")
    access.require_team(user, incident.team_id)
    return incident


def read(session: Session, user: StaffUser, incident_id: int) -> dict[str, Any]:
    """One incident of the user's teams, as the console shows it."""
    return incident_json(incident_rows.row_of(session, find(session, user, incident_id)))


def listing(session: Session, team_ids: list[str], *, include_closed: bool) -> list[dict[str, Any]]:
    return [incident_json(row) for row in incident_rows.listing(session, team_ids, include_closed=include_closed)]


def opened_event(session: Session, key: str) -> Event | None:
    """The console event for an incident the action server just opened (named in the bot's reply)."""
    incident = incident_rows.by_key(session, key)
    return None if incident is None else _changed(session, incident)


def _changed(session: Session, incident: Incident) -> Event:
    return IncidentChanged(incident.team_id, incident_json(incident_rows.row_of(session, incident)))


def publish_answer(
    session: Session,
    user: StaffUser,
    incident_id: int,
    question: str | None,
    answer: str,
    settings: Settings,
    now: datetime,
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
    incident_faq.publish(settings, incident.id, text)
    first_answer = incident.status is IncidentStatus.OPEN
    incident.status, incident.answer = IncidentStatus.ANSWERED, answer.strip()
    incident.entry_id, incident.answered_by, incident.answered_at = incident_faq.entry_id(incident.id), user.id, now
    access.audit(
        session, user, "incident_answer", team_id=incident.team_id, incident=incident.id, update=not first_answer
    )
    superseded = _supersede(session, user, incident, text, settings, now)
    return [_changed(session, incident), *superseded, *_push(session, incident, now)]


def _supersede(
    session: Session, user: StaffUser, incident: Incident, text: str, settings: Settings, now: datetime
) -> list[Event]:
    """Earlier incidents of the user's teams that asked the same question (incident_faq.asked_before): their answers
    are retired and they are closed, so the bot gives the new answer alone."""
    earlier = (incident_rows.get(session, i) for i in incident_faq.asked_before(settings, incident.id, text))
    return [
        _close(session, user, e, retire=True, settings=settings, now=now, superseded_by=incident.id)
        for e in earlier
        if e is not None and access.in_team(user, e.team_id)  # another team's is theirs to retire
    ]


def close(
    session: Session, user: StaffUser, incident_id: int, *, retire: bool, settings: Settings, now: datetime
) -> list[Event]:
    incident = find(session, user, incident_id)
    if incident.status is IncidentStatus.CLOSED:
        raise Conflict("The incident is already closed.", code="incident_closed")
    return [_close(session, user, incident, retire=retire, settings=settings, now=now)]


def _close(
    session: Session,
    user: StaffUser,
    incident: Incident,
    *,
    retire: bool,
    settings: Settings,
    now: datetime,
    **detail: Any,
) -> Event:
    """Close ``incident`` (one closed already keeps its time) and, with ``retire``, remove its published answer."""
    if incident.status is not IncidentStatus.CLOSED:
        incident.status, incident.closed_at = IncidentStatus.CLOSED, now
    retired = retire and incident_faq.retire(settings, incident.id)
    access.audit(session, user, "incident_close", team_id=incident.team_id, incident=incident.id, retired=retired,
                 **detail)  # fmt: skip
    return _changed(session, incident)


def _push(session: Session, incident: Incident, now: datetime) -> list[Event]:
    """The answer, as a bot message, to each conversation that asked and has not had it (and is with the bot)."""
    events: list[Event] = []
    for link in incident_rows.unanswered(session, incident.id):
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
