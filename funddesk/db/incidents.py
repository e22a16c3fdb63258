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
from sqlalchemy.orm import Mapped, mapped_column

from funddesk.db.base import Base, Created, Updated, str_enum


class IncidentStatus(enum.StrEnum):
    OPEN = "open"  # spiking, no answer yet: the bot gives a holding reply
    ANSWERED = "answered"  # staff published an answer; the bot gives it
    CLOSED = "closed"


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_cluster_id_asked_at", "cluster_id", "asked_at"),)

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


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # the detector's incident id
    cluster_id: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)  # the cluster's representative question
    fund_code: Mapped[str | None] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), nullable=False, index=True)
    status: Mapped[IncidentStatus] = mapped_column(str_enum(IncidentStatus, "incident_status"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    baseline: Mapped[float] = mapped_column(Float, nullable=False)  # expected questions per bucket
    samples: Mapped[list[str] | None]
    series: Mapped[list[Any] | None]  # [bucket start, count, expected] for the chart
    # Why it opened (escalation.spikes.pipeline.Evidence as JSON): trigger, resolution_minutes, observed, expected,
    # p_value, significance, funds. None for incidents opened before evidence was kept.
    evidence: Mapped[dict[str, Any] | None]
    entry_id: Mapped[str | None] = mapped_column(String(200))  # the published answer's FAQ entry
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class IncidentConversation(Base):
    """A conversation that asked about an incident (to push it the answer once there is one)."""

    __tablename__ = "incident_conversations"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
