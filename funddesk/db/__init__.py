"""Persistence shared by the investor API and the staff console: models, engine, queries, migrations.

from funddesk.db import Database, database_url, migrate, repository
"""

from __future__ import annotations

from funddesk.db import migrate, repository
from funddesk.db.base import Base
from funddesk.db.engine import CommitUncertain, ConnectionLost, Database, database_url, make_engine, unique_violation
from funddesk.db.incidents import (
    Incident,
    IncidentConversation,
    IncidentStatus,
    Question,
    QuestionHour,
    SpikeSnapshot,
)
from funddesk.db.kb_status import KbStatus
from funddesk.db.models import Conversation, Feedback, Message, Role, State
from funddesk.db.staff import (
    AuditEntry,
    CannedResponse,
    Handoff,
    HandoffStatus,
    StaffRole,
    StaffSession,
    StaffUser,
    Team,
    TeamMember,
)

__all__ = [
    "AuditEntry",
    "Base",
    "CannedResponse",
    "CommitUncertain",
    "ConnectionLost",
    "Conversation",
    "Database",
    "Feedback",
    "Handoff",
    "HandoffStatus",
    "Incident",
    "IncidentConversation",
    "IncidentStatus",
    "KbStatus",
    "Message",
    "Question",
    "QuestionHour",
    "Role",
    "SpikeSnapshot",
    "StaffRole",
    "StaffSession",
    "StaffUser",
    "State",
    "Team",
    "TeamMember",
    "database_url",
    "make_engine",
    "migrate",
    "repository",
    "unique_violation",
]
