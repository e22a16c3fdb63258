"""The staff side: teams and their queues, staff accounts and sessions, hand-offs, canned
responses and the audit log.

A hand-off is one stay of a conversation with people: created when the conversation leaves the
bot, claimed by one agent, resolved when it goes back to the bot. At most one hand-off of a
conversation is open (waiting or active) at a time; a partial unique index holds that even
when two replicas race. A claim is one conditional UPDATE, so exactly one agent wins it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from funddesk.db.base import Base, Created, Lang, Updated, str_enum

OPEN_STATUSES = ("waiting", "active")


class StaffRole(enum.StrEnum):
    AGENT = "agent"  # works the queues of their own teams
    LEAD = "lead"  # and sets team settings, reassigns, keeps canned responses
    ADMIN = "admin"  # and manages users and teams


class HandoffStatus(enum.StrEnum):
    WAITING = "waiting"  # in the team's queue
    ACTIVE = "active"  # claimed by an agent
    RESOLVED = "resolved"  # handed back to the bot by staff
    CANCELLED = "cancelled"  # the investor went back to the bot before anyone claimed it


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the slug FAQ front matter uses
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    sla_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=120)  # first-response target
    created_at: Mapped[Created]


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)  # argon2id
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "staff_role"), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[Created]

    teams: Mapped[list[Team]] = relationship(secondary="team_members", order_by="Team.id", lazy="selectin")

    @property
    def team_ids(self) -> list[str]:
        return [team.id for team in self.teams]


class StaffSession(Base):
    """A console login. Only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[Created]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Set while the console's live connection is open: who is online to take conversations.
    online_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[StaffUser] = relationship(lazy="joined")


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        Index(
            "uq_handoffs_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'active')"),
            postgresql_where=text("status IN ('waiting', 'active')"),
        ),
        Index("ix_handoffs_team_id_status", "team_id", "status"),
        Index("ix_handoffs_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), nullable=False)
    status: Mapped[HandoffStatus] = mapped_column(str_enum(HandoffStatus, "handoff_status"), nullable=False)
    ticket: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # left while nobody was there
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    lang: Mapped[Lang]
    fund_code: Mapped[str | None] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[Created]
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[Updated]

    assignee: Mapped[StaffUser | None] = relationship(lazy="joined")


class CannedResponse(Base):
    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("team_id", "shortcut", name="uq_canned_responses_team_id_shortcut"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    shortcut: Mapped[str] = mapped_column(String(32), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[Created]


class AuditEntry(Base):
    """Who did what, when: every staff action, including revealing an investor's personal data."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)  # kept if the user is deleted
    action: Mapped[str] = mapped_column(String(48), nullable=False)
    team_id: Mapped[str | None] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[dict[str, Any] | None]
    created_at: Mapped[Created]
