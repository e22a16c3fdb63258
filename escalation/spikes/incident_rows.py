"""The incidents' reads for the console: a team's incidents with how many conversations asked, in a fixed
number of queries, and the conversations still owed a published answer.

Incidents are opened and stored by the detector's side (:mod:`escalation.spikes.watch`); the web service reads
them here and changes them through the loaded rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from funddesk.db import Incident, IncidentConversation, IncidentStatus

LISTED = 200  # the newest incidents a listing shows


@dataclass(frozen=True)
class IncidentRow:
    """One incident with everything its card shows, already loaded."""

    incident: Incident
    conversations: int  # how many conversations asked its question


def listing(session: Session, team_ids: Iterable[str], *, include_closed: bool) -> list[IncidentRow]:
    """The teams' incidents, newest first (closed ones only if asked for)."""
    query = select(Incident).where(Incident.team_id.in_(list(team_ids))).order_by(Incident.id.desc()).limit(LISTED)
    if not include_closed:
        query = query.where(Incident.status != IncidentStatus.CLOSED)
    return rows(session, session.scalars(query).all())


def rows(session: Session, incidents: Iterable[Incident]) -> list[IncidentRow]:
    """These incidents with their conversation counts: one query for all of them."""
    incidents = list(incidents)
    if not incidents:
        return []
    ids = [incident.id for incident in incidents]
    counted = select(IncidentConversation.incident_id, func.count()).where(IncidentConversation.incident_id.in_(ids))
    counts = {
        incident_id: count for incident_id, count in session.execute(counted.group_by(IncidentConversation.incident_id))
    }
    return [IncidentRow(incident, int(counts.get(incident.id, 0))) for incident in incidents]


def row_of(session: Session, incident: Incident) -> IncidentRow:
    [row] = rows(session, [incident])
    return row


def get(session: Session, incident_id: int) -> Incident | None:
    """The incident as the database has it now (another process may have changed it)."""
    return session.get(Incident, incident_id, populate_existing=True)


def by_key(session: Session, key: str) -> Incident | None:
    return session.scalars(select(Incident).where(Incident.key == key)).first()


def unanswered(session: Session, incident_id: int) -> Sequence[IncidentConversation]:
    """The links to the conversations that asked and have not had the published answer yet."""
    query = select(IncidentConversation).where(
        IncidentConversation.incident_id == incident_id, IncidentConversation.answered_at.is_(None)
    )
    return session.scalars(query).all()
