"""The question log's hourly rollup: questions per UTC hour, team, language and decision.

The writer of the question log (escalation.spikes.watch) adds each batch's counts in the same transaction as
the questions, so the dashboard's rates, heatmap and daily series read a few thousand rows for a month
instead of every question. A date range starts and ends at local midnights, which are whole UTC hours in
every zone with a whole-hour offset (``FUNDDESK_TIMEZONE``; a half-hour zone would shift by 30 minutes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from funddesk.db import Question, QuestionHour

Key = tuple[datetime, str, str, str]


def hour_of(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.replace(minute=0, second=0, microsecond=0)


def counts(questions: Iterable[Question]) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for q in questions:
        out[hour_of(q.asked_at), q.team_id or "", q.lang, q.decision or ""] += 1
    return out


def add(session: Session, questions: Iterable[Question]) -> None:
    """Count ``questions`` in the rollup (an upsert per hour, team, language and decision)."""
    # In key order: concurrent writers then lock the rows they share in one order (PostgreSQL deadlocks otherwise).
    rows = [
        {"hour": hour, "team_id": team, "lang": lang, "decision": decision, "count": n}
        for (hour, team, lang, decision), n in sorted(counts(questions).items())
    ]
    if not rows:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(QuestionHour).values(rows)
    keys = ["hour", "team_id", "lang", "decision"]
    session.execute(
        statement.on_conflict_do_update(
            index_elements=keys, set_={"count": QuestionHour.count + statement.excluded.count}
        )
    )


def rebuild(connection: Connection) -> None:
    """Count every logged question again (after a bulk load that bypassed the writer)."""
    connection.execute(delete(QuestionHour))
    hour = (
        func.date_trunc("hour", Question.asked_at, "UTC")  # UTC hours, whatever the session's time zone
        if connection.dialect.name == "postgresql"
        else func.strftime("%Y-%m-%d %H:00:00.000000", Question.asked_at)
    )
    team, decision = func.coalesce(Question.team_id, ""), func.coalesce(Question.decision, "")
    grouped = select(hour, team, Question.lang, decision, func.count()).group_by(hour, team, Question.lang, decision)
    columns = ["hour", "team_id", "lang", "decision", "count"]
    connection.execute(insert(QuestionHour).from_select(columns, grouped))
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE question_hours"))
