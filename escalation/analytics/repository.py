"""The analytics queries: every figure is aggregated in the database over one date range (no rows are
streamed to Python but hand-offs, incidents and the members of the largest gaps); the question counts
come from the hourly rollup (escalation/analytics/rollup.py).

``team`` narrows each query to one queue: its questions (routed when logged), its hand-offs and
incidents, and the conversations that had either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from escalation.analytics.metrics import HandoffTimes
from funddesk.db import (
    Conversation,
    Feedback,
    Handoff,
    HandoffStatus,
    Incident,
    Message,
    Question,
    QuestionHour,
    Role,
    Team,
)
from funddesk.db.base import as_utc

CHOICE_PAYLOAD = "/choose_faq%"  # a clarify button (actions.replies.choose_faq_payload)
CHOICE_MINUTES = 30  # a clarify counts as picked when a button is clicked this soon after it


@dataclass(frozen=True)
class Range:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    team: str | None = None


def _in(column: Any, span: Range) -> ColumnElement[bool]:
    return and_(column >= span.start, column < span.end)


def _team_conversation(column: Any, team: str) -> ColumnElement[bool]:
    """The conversation ``column`` asked a question routed to ``team`` or was handed to it."""
    asked = select(Question.conversation_id).where(Question.team_id == team)
    handed = select(Handoff.conversation_id).where(Handoff.team_id == team)
    return or_(column.in_(asked), column.in_(handed))


def conversation_counts(session: Session, span: Range) -> tuple[int, int]:
    """Conversations started in the range, and how many of them were handed to a person."""
    started = select(Conversation.id).where(_in(Conversation.created_at, span))
    if span.team:
        started = started.where(_team_conversation(Conversation.id, span.team))
    total = session.scalar(select(func.count()).select_from(started.subquery())) or 0
    handed = select(func.count(func.distinct(Handoff.conversation_id))).where(
        Handoff.conversation_id.in_(started), Handoff.status != HandoffStatus.CANCELLED
    )
    return int(total), int(session.scalar(handed) or 0)


def message_count(session: Session, span: Range) -> int:
    query = select(func.count()).select_from(Message).where(_in(Message.created_at, span))
    if span.team:
        query = query.where(_team_conversation(Message.conversation_id, span.team))
    return int(session.scalar(query) or 0)


def question_counts(session: Session, span: Range) -> dict[tuple[int, str, str | None], int]:
    """Questions by (UTC hour since 1970, language, decision), from the hourly rollup: the rates, the heatmap
    and the daily series."""
    keys = (QuestionHour.hour, QuestionHour.lang, QuestionHour.decision)
    query = select(*keys, func.sum(QuestionHour.count)).where(_in(QuestionHour.hour, span)).group_by(*keys)
    if span.team:
        query = query.where(QuestionHour.team_id == span.team)
    out: dict[tuple[int, str, str | None], int] = {}
    for hour, lang, decision, n in session.execute(query):
        out[int(as_utc(hour).timestamp()) // 3600, lang, decision or None] = int(n)
    return out


def without_jit(session: Session) -> None:
    """PostgreSQL's JIT compiles these short aggregates for longer than they run: off for this transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _handoffs(span: Range, *columns: Any) -> Select[Any]:
    query = select(*columns).where(_in(Handoff.created_at, span))
    return query.where(Handoff.team_id == span.team) if span.team else query


def handoffs_by_reason(session: Session, span: Range) -> dict[str, int]:
    query = _handoffs(span, Handoff.reason, func.count()).group_by(Handoff.reason)
    return {reason: int(n) for reason, n in session.execute(query)}


def handoff_times(session: Session, span: Range) -> list[HandoffTimes]:
    columns = (Handoff.created_at, Handoff.first_response_at, Handoff.resolved_at, Team.sla_seconds, Handoff.status)
    query = _handoffs(span, *columns).join(Team, Team.id == Handoff.team_id)
    return [
        HandoffTimes(
            as_utc(c), as_utc(f) if f else None, as_utc(r) if r else None, int(sla), status == HandoffStatus.CANCELLED
        )
        for c, f, r, sla, status in session.execute(query)
    ]


def handoffs_by_entry(session: Session, span: Range) -> dict[str, int]:
    """Hand-offs that came right after an entry was shown (the hand-off keeps the entry), by entry."""
    query = _handoffs(span, Handoff.entry_id, func.count()).where(Handoff.entry_id.is_not(None))
    return {entry: int(n) for entry, n in session.execute(query.group_by(Handoff.entry_id))}


def _feedback(span: Range, *columns: Any) -> Select[Any]:
    query = select(*columns).where(_in(Feedback.created_at, span))
    return query.where(_team_conversation(Feedback.conversation_id, span.team)) if span.team else query


def feedback_by_entry(session: Session, span: Range) -> dict[str | None, dict[str, int]]:
    """``{entry: {"helpful": n, "not_helpful": n}}``."""
    query = _feedback(span, Feedback.entry_id, Feedback.helpful, func.count())
    out: dict[str | None, dict[str, int]] = {}
    for entry, helpful, n in session.execute(query.group_by(Feedback.entry_id, Feedback.helpful)):
        out.setdefault(entry, {"helpful": 0, "not_helpful": 0})["helpful" if helpful else "not_helpful"] += int(n)
    return out


def incidents(session: Session, span: Range) -> list[Incident]:
    query = select(Incident).where(_in(Incident.detected_at, span)).order_by(Incident.detected_at)
    if span.team:
        query = query.where(Incident.team_id == span.team)
    return list(session.scalars(query))


# -- knowledge gaps ---------------------------------------------------------------------------------------


def _picked_soon_after(session: Session) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return Question.asked_at + func.make_interval(0, 0, 0, 0, 0, CHOICE_MINUTES)
    return func.strftime("%Y-%m-%d %H:%M:%f", Question.asked_at, f"+{CHOICE_MINUTES} minutes")


def _unpicked(session: Session) -> ColumnElement[bool]:
    """No clarify button of the question was clicked soon after it."""
    picked = exists().where(
        Message.conversation_id == Question.conversation_id,
        Message.role == Role.INVESTOR,
        Message.payload.is_not(None),
        Message.payload.like(CHOICE_PAYLOAD),
        Message.created_at >= Question.asked_at,
        Message.created_at < _picked_soon_after(session),
    )
    return ~picked


def _rated_not_helpful() -> ColumnElement[bool]:
    """An answer the investor rated "not helpful" (the rating follows the answer in its conversation)."""
    return exists().where(
        Feedback.conversation_id == Question.conversation_id,
        Feedback.entry_id == Question.entry_id,
        Feedback.helpful.is_(False),
        Feedback.created_at >= Question.asked_at,
    )


def _gap_branches(session: Session, span: Range, *columns: Any) -> list[Select[Any]]:
    """The questions the FAQ failed, one query per decision (disjoint, so they add up without duplicates):
    fallbacks, clarifies nobody picked, answers rated not helpful."""

    def branch(decision: str) -> Select[Any]:
        query = select(*columns).where(
            _in(Question.asked_at, span), Question.decision == decision, Question.cluster_id.is_not(None)
        )
        return query.where(Question.team_id == span.team) if span.team else query

    # Not-helpful answers are found from the (few) ratings, not by probing every answer.
    asked = aliased(Question)
    rated = (
        select(asked.id)
        .where(
            asked.conversation_id == Feedback.conversation_id,
            asked.entry_id == Feedback.entry_id,
            asked.asked_at <= Feedback.created_at,
            asked.decision == "answer",
        )
        .order_by(asked.asked_at.desc())
        .limit(1)
        .correlate(Feedback)
        .scalar_subquery()
    )
    unhelpful = (
        select(*columns)
        .select_from(Feedback)
        .join(Question, Question.id == rated)
        .where(_in(Feedback.created_at, span), Feedback.helpful.is_(False), Question.cluster_id.is_not(None))
    )
    if span.team:
        unhelpful = unhelpful.where(Question.team_id == span.team)
    return [branch("fallback"), branch("clarify").where(_unpicked(session)), unhelpful]


@dataclass(frozen=True)
class GroupCount:
    cluster_id: str
    lang: str
    fund_code: str | None
    team_id: str | None
    count: int


def gap_groups(session: Session, span: Range) -> list[GroupCount]:
    """Gap questions per logged topic cluster, language, fund and team."""
    keys = (Question.cluster_id, Question.lang, Question.fund_code, Question.team_id)
    counted = [branch.group_by(*keys) for branch in _gap_branches(session, span, *keys, func.count().label("n"))]
    both = union_all(*counted).subquery()
    query = select(*(both.c[k.key] for k in keys), func.sum(both.c.n)).group_by(*(both.c[k.key] for k in keys))
    return [GroupCount(row[0], row[1], row[2], row[3], int(row[4])) for row in session.execute(query)]


@dataclass(frozen=True)
class Member:
    id: int
    cluster_id: str
    text: str
    lang: str
    fund_code: str | None
    embedding: bytes | None


def gap_members(session: Session, span: Range, cluster_ids: Sequence[str], per_cluster: int) -> list[Member]:
    """Up to ``per_cluster`` of the latest gap questions of each cluster, with their embeddings."""
    if not cluster_ids:
        return []
    columns = (Question.id, Question.cluster_id, Question.text, Question.lang, Question.fund_code, Question.embedding)
    gap = or_(
        Question.decision == "fallback",
        and_(Question.decision == "clarify", _unpicked(session)),
        and_(Question.decision == "answer", _rated_not_helpful()),
    )
    if session.get_bind().dialect.name == "postgresql":
        return _latest_per_cluster(session, span, cluster_ids, per_cluster, columns, gap)
    rank = func.row_number().over(partition_by=Question.cluster_id, order_by=Question.id.desc()).label("rank")
    query = select(*columns, rank).where(_in(Question.asked_at, span), Question.cluster_id.in_(list(cluster_ids)), gap)
    if span.team:
        query = query.where(Question.team_id == span.team)
    ranked = query.subquery()
    rows = session.execute(select(*(ranked.c[c.key] for c in columns)).where(ranked.c.rank <= per_cluster))
    return [Member(*row) for row in rows]


def _latest_per_cluster(
    session: Session,
    span: Range,
    cluster_ids: Sequence[str],
    per_cluster: int,
    columns: tuple[Any, ...],
    gap: ColumnElement[bool],
) -> list[Member]:
    """PostgreSQL: one LATERAL walk per cluster down its (cluster_id, asked_at) index, newest first."""
    wanted = select(func.unnest(cast(list(cluster_ids), ARRAY(String))).label("cluster")).subquery()
    latest = (
        select(*columns)
        .where(Question.cluster_id == wanted.c.cluster, _in(Question.asked_at, span), gap)
        .order_by(Question.asked_at.desc())
        .limit(per_cluster)
    )
    if span.team:
        latest = latest.where(Question.team_id == span.team)
    walked = latest.lateral()
    query = select(*(walked.c[c.key] for c in columns)).select_from(wanted).join(walked, true())
    return [Member(*row) for row in session.execute(query)]
