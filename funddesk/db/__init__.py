"""Persistence shared by the investor API and the staff console: models, engine, queries, migrations.

from funddesk.db import Database, database_url, migrate, repository
"""

from __future__ import annotations

from funddesk.db import migrate, repository
from funddesk.db.base import Base
from funddesk.db.engine import Database, database_url, make_engine
from funddesk.db.models import Conversation, Feedback, Message, Role, State

__all__ = [
    "Base",
    "Conversation",
    "Database",
    "Feedback",
    "Message",
    "Role",
    "State",
    "database_url",
    "make_engine",
    "migrate",
    "repository",
]
