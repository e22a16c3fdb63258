"""A team's canned responses (the console offers them after ``/``): the reads and writes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalation.staff.errors import Conflict, Missing
from funddesk.db import CannedResponse, unique_violation


def of_team(session: Session, team_id: str) -> Sequence[CannedResponse]:
    """The team's canned responses, by shortcut."""
    query = select(CannedResponse).where(CannedResponse.team_id == team_id).order_by(CannedResponse.shortcut)
    return session.scalars(query).all()


def add(session: Session, team_id: str, shortcut: str, text: str) -> CannedResponse:
    row = CannedResponse(team_id=team_id, shortcut=shortcut, text=text)
    try:
        with session.begin_nested():  # a shortcut is unique within its team
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        if not unique_violation(exc, "shortcut"):  # a team that is not there, say: a fault, not a 409
            raise
        raise Conflict(f"The shortcut /{shortcut} exists in this team.", code="shortcut_taken") from exc
    return row


def find(session: Session, team_id: str, canned_id: int) -> CannedResponse:
    """The team's canned response with this id (another team's is not found either)."""
    row = session.get(CannedResponse, canned_id)
    if row is None or row.team_id != team_id:
        raise Missing("No such canned response.", code="canned_not_found")
    return row


def remove(session: Session, row: CannedResponse) -> None:
    session.delete(row)
    session.flush()
