"""The staff queues' reads: open hand-offs with what a queue card shows, in a fixed number of queries.

A card needs the hand-off (and its assignee, joined by the model), the team's first-response target, the last
message that the investor or staff can see, and the waiting place. Read one card at a time, that was three queries
per card on every queue view; here it is three queries per view, however long the queues are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalation.staff import handoff as machine
from funddesk.db import Handoff, HandoffStatus, Message, Team

DEFAULT_SLA_SECONDS = 120  # a team that no longer exists keeps the default first-response target


@dataclass(frozen=True)
class QueueRow:
    """One open hand-off with everything its card shows, already loaded."""

    handoff: Handoff
    sla_seconds: int
    last: Message | None  # the last message the investor can see
    position: int  # 1 for the next in line; 0 unless waiting


def open_rows(session: Session, team_ids: Iterable[str]) -> dict[str, list[QueueRow]]:
    """The open hand-offs of these teams, oldest first, by team."""
    teams = list(team_ids)
    handoffs = session.scalars(
        select(Handoff).where(Handoff.team_id.in_(teams), Handoff.status.in_(machine.OPEN)).order_by(Handoff.id)
    ).all()
    rows = _rows(session, handoffs)
    by_team: dict[str, list[QueueRow]] = {team: [] for team in teams}
    for row in rows:
        by_team[row.handoff.team_id].append(row)
    return by_team


def waiting(session: Session, team_id: str) -> Sequence[Handoff]:
    """The team's waiting hand-offs, next in line first."""
    query = select(Handoff).where(Handoff.team_id == team_id, Handoff.status == HandoffStatus.WAITING)
    return session.scalars(query.order_by(Handoff.id)).all()


def last_team_of(session: Session, conversation_id: str) -> str | None:
    """The team whose queue the conversation is (or last was) in; None if it never left the bot."""
    query = select(Handoff.team_id).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc())
    return session.scalars(query.limit(1)).first()


def row_of(session: Session, handoff: Handoff) -> QueueRow:
    """One card (after a change to it): its place still counts the waiting hand-offs ahead of it."""
    [row] = _rows(session, [handoff], places=False)
    return replace(row, position=machine.position(session, handoff))


def _rows(session: Session, handoffs: Iterable[Handoff], *, places: bool = True) -> list[QueueRow]:
    handoffs = list(handoffs)
    if not handoffs:
        return []
    team_ids = {h.team_id for h in handoffs}
    sla = {
        team_id: seconds
        for team_id, seconds in session.execute(select(Team.id, Team.sla_seconds).where(Team.id.in_(team_ids)))
    }
    conversations = {h.conversation_id for h in handoffs}
    latest = (
        select(func.max(Message.id))
        .where(Message.conversation_id.in_(conversations), Message.internal.is_(False))
        .group_by(Message.conversation_id)
    )
    last = {m.conversation_id: m for m in session.scalars(select(Message).where(Message.id.in_(latest)))}
    waiting: dict[str, int] = {}
    rows = []
    for handoff in handoffs:  # oldest first within a team: a waiting one's place is its rank among the waiting
        position = 0
        if places and handoff.status is HandoffStatus.WAITING:
            position = waiting[handoff.team_id] = waiting.get(handoff.team_id, 0) + 1
        seconds = sla.get(handoff.team_id)
        rows.append(
            QueueRow(
                handoff,
                seconds if seconds is not None else DEFAULT_SLA_SECONDS,
                last.get(handoff.conversation_id),
                position,
            )
        )
    return rows


def waiting_counts(session: Session) -> dict[str, int]:
    """How many conversations wait in each team's queue (every team, 0 included): for the metrics."""
    waiting = (Handoff.team_id == Team.id) & (Handoff.status == HandoffStatus.WAITING)
    rows = session.execute(select(Team.id, func.count(Handoff.id)).outerjoin(Handoff, waiting).group_by(Team.id))
    return {team_id: count for team_id, count in rows}
