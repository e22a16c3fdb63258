"""The question log and spike incidents.

Every question the bot is asked is logged with the embedding the matcher computed (float32
bytes), the entry it matched and the topic cluster it joined. An incident is one spike of one
topic: opened by the detector in the action server, worked by the owning team in the console,
answered once (the answer becomes an FAQ entry), then closed.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from funddesk.db.base import Base, Created, Updated, str_enum


class IncidentStatus(enum.StrEnum):
    OPEN = "open"  # spiking, no answer yet: the bot gives a holding reply
    ANSWERED = "answered"  # staff published an answer; the bot gives it
    CLOSED = "closed"


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_cluster_id_asked_at", "cluster_id", "asked_at"),
        # The analytics range queries (escalation/analytics/repository.py): rates, gaps, one team's questions.
        Index("ix_questions_asked_at_decision_lang", "asked_at", "decision", "lang"),
        Index("ix_questions_team_id_asked_at", "team_id", "asked_at"),
        Index(
            "ix_questions_gaps",  # the knowledge gaps: fallbacks and clarifies, with what they are grouped by
            *("decision", "asked_at", "cluster_id", "lang", "fund_code", "team_id", "conversation_id"),
            sqlite_where=sql_text("decision IN ('fallback', 'clarify')"),
            postgresql_where=sql_text("decision IN ('fallback', 'clarify')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)  # Rasa's sender id
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    lang: Mapped[str] = mapped_column(String(8), nullable=False)
    fund_code: Mapped[str | None] = mapped_column(String(16))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    entry_id: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str | None] = mapped_column(String(32))
    cluster_id: Mapped[str | None] = mapped_column(String(32))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    team_id: Mapped[str | None] = mapped_column(String(64))  # the queue it routes to (None: logged before 0005)


class QuestionHour(Base):
    """Questions per UTC hour, team, language and decision: the analytics' rollup, kept by the question
    log's writer in the same transaction as the questions (escalation/analytics/rollup.py)."""

    __tablename__ = "question_hours"

    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" for questions without a team
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    decision: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" for questions without a decision
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # the detector's incident id
    cluster_id: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)  # what the surge asks (escalation/spikes/surge.py)
    fund_code: Mapped[str | None] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), nullable=False, index=True)
    status: Mapped[IncidentStatus] = mapped_column(str_enum(IncidentStatus, "incident_status"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    baseline: Mapped[float] = mapped_column(Float, nullable=False)  # expected questions per bucket
    samples: Mapped[list[str] | None]
    series: Mapped[list[Any] | None]  # [bucket start, count, expected] for the chart
    # Why it opened (escalation.spikes.evidence.Evidence as JSON): trigger, resolution_minutes, observed, expected,
    # p_value, significance, funds, entry, asks, and the share test's share_total, share_expected, share_p_value,
    # share_others, share_others_expected, share_others_p_value (absent in rows written before they were kept). None
    # for incidents opened before evidence was kept.
    evidence: Mapped[dict[str, Any] | None]
    entry_id: Mapped[str | None] = mapped_column(String(200))  # the published answer's FAQ entry
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the detector saw its surge end (escalation/spikes/answered.py): from then on an unanswered incident holds
    # no asker, and the next surge of its question is a new incident. None while it lasts, and in older rows.
    surge_ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class SpikeSnapshot(Base):
    """The elected spike detector's state and the last question it read, as ``(asked_at, id)``: whichever action
    server is elected next restores it and reads the log on from there (escalation/spikes/worker.py)."""

    __tablename__ = "spike_snapshots"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    read_id: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)  # zlib of QuestionPipeline.to_dict() as JSON
    saved_at: Mapped[Updated]


class IncidentConversation(Base):
    """A conversation that asked about an incident (to push it the answer once there is one)."""

    __tablename__ = "incident_conversations"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
