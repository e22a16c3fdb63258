"""The spike detectors' queries: the question log read in event order, its snapshots, and incidents filed."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from escalation.spikes.filed_incident import Filed
from funddesk.db import Incident, IncidentConversation, IncidentStatus, Question, SpikeSnapshot

START = (datetime(1970, 1, 1, tzinfo=UTC), 0)  # before every question

Position = tuple[datetime, int]  # the last question read: (asked_at, id)


@dataclass(frozen=True)
class Snapshot:
    position: Position
    state: dict[str, Any]


def read_after(session: Session, position: Position, watermark: datetime, limit: int) -> list[Question]:
    """Questions after ``position`` in ``(asked_at, id)`` order, asked before ``watermark``.

    The watermark (a few seconds ago) leaves time for the transactions of every action server that logged a
    question asked before it to commit: what was read is never followed by an earlier question.
    """
    at, last = position
    after = or_(Question.asked_at > at, and_(Question.asked_at == at, Question.id > last))
    query = (
        select(Question)
        .where(after, Question.asked_at < watermark)
        .order_by(Question.asked_at, Question.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def filed_up_to(session: Session) -> Position:
    """The last question a detector already filed under a cluster (the start of a log nobody snapshotted)."""
    row = session.execute(
        select(Question.asked_at, Question.id)
        .where(Question.cluster_id.is_not(None))
        .order_by(Question.asked_at.desc(), Question.id.desc())
        .limit(1)
    ).first()
    return (aware(row[0]), int(row[1])) if row is not None else START


def logged_late(session: Session, after_id: int, until: datetime) -> tuple[int, int]:
    """Questions past id ``after_id`` asked before ``until`` that no detector filed, and the highest such id: they
    were logged after the reader had passed their time (a write slower than the settle delay, or clocks apart)."""
    where = (Question.id > after_id, Question.asked_at < until, Question.cluster_id.is_(None))
    count, last = session.execute(
        select(func.count(), func.max(Question.id)).where(*where, Question.embedding.is_not(None))
    ).one()
    return int(count or 0), int(last or after_id)


def last_incident_number(session: Session) -> int:
    """The highest ``i<N>`` incident key taken: a detector starting afresh numbers its incidents after it."""
    keys = session.scalars(select(Incident.key).order_by(func.length(Incident.key).desc(), Incident.key.desc()))
    numbers = [int(m.group(1)) for key in keys.all() if (m := re.fullmatch(r"i(\d+)", key))]
    return max(numbers, default=0)


def load_snapshot(session: Session, name: str) -> Snapshot | None:
    row = session.get(SpikeSnapshot, name)
    if row is None:
        return None
    return Snapshot((aware(row.read_at), row.read_id), json.loads(zlib.decompress(row.state)))


def save_snapshot(session: Session, name: str, position: Position, state: str) -> None:
    """Store the detector's state (JSON) as of ``position``, replacing the previous snapshot."""
    packed = zlib.compress(state.encode("utf-8"), 6)
    row = session.get(SpikeSnapshot, name)
    if row is None:
        session.add(SpikeSnapshot(name=name, read_at=position[0], read_id=position[1], state=packed))
    else:
        row.read_at, row.read_id, row.state = position[0], position[1], packed


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: the log's times are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def incident_ids(session: Session, keys: set[str]) -> dict[str, int]:
    """The database ids of the incidents with these detector keys."""
    if not keys:
        return {}
    return {key: id_ for key, id_ in session.execute(select(Incident.key, Incident.id).where(Incident.key.in_(keys)))}


def insert_incident_if_absent(session: Session, row: dict[str, Any]) -> bool:
    """Insert the incident unless its key is taken; True if this insert won.

    The unique ``incidents.key`` decides, in one statement, between action servers that open
    the same spike at once: no duplicate row, no IntegrityError for the loser.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Incident).values(**row).on_conflict_do_nothing(index_elements=[Incident.key])
    return session.execute(statement.returning(Incident.id)).first() is not None


@dataclass(frozen=True)
class SurgeEnded:
    """An incident whose surge's end this process recorded (so it, and no other, tells the webhook)."""

    key: str
    team_id: str
    label: str
    fund_code: str | None
    count: int
    answered: bool


def mark_surge_ended(session: Session, keys: list[str], at: datetime) -> list[SurgeEnded]:
    """Record when these incidents' surges ended; a row keeps the first end recorded. The rows this call changed."""
    ended = Incident.key.in_(keys) & Incident.surge_ended_at.is_(None)
    rows = session.execute(
        update(Incident)
        .where(ended)
        .values(surge_ended_at=at)
        .returning(Incident.key, Incident.team_id, Incident.label, Incident.fund_code, Incident.count, Incident.status)
    ).all()
    return [SurgeEnded(*row[:5], answered=row[5] is IncidentStatus.ANSWERED) for row in rows]


def file_earlier(session: Session, incident_id: int, filed: Filed) -> None:
    """The questions of the incident's clusters asked since it started and filed under no incident go under it, and
    their conversations are linked to it: those who asked before the spike was detected get the answer too. Only the
    questions that belong to it (surge.joins): its clusters may hold other topics."""
    query = select(Question.id, Question.conversation_id, Question.asked_at).where(
        Question.cluster_id.in_(filed.clusters), Question.asked_at >= filed.started, Question.incident_id.is_(None)
    )
    if filed.asks is not None:
        query = query.where(or_(Question.entry_id.is_(None), Question.entry_id == filed.asks))
    else:
        query = query.where(or_(Question.decision.is_(None), Question.decision != "answer"))
    earlier = session.execute(query).all()
    for question_id, conversation_id, asked_at in earlier:
        session.execute(update(Question).where(Question.id == question_id).values(incident_id=incident_id))
        if conversation_id:
            link = IncidentConversation(incident_id=incident_id, conversation_id=conversation_id, asked_at=asked_at)
            session.merge(link)


def update_filed(session: Session, filed: dict[int, Filed]) -> None:
    """What later writes update of each incident (by row id): its count, samples and chart."""
    for incident_id, known in filed.items():
        values = {"count": known.count, "samples": known.samples, "series": known.series}
        session.execute(update(Incident).where(Incident.id == incident_id).values(**values))


def jsonable(value: Any) -> Any:
    """numpy values in the detector's state, as JSON can hold them."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save {type(value).__name__}")
