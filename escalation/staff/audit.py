"""The audit log's reads: a page of entries, newest first, as much of it as the reader may see.

Entries are written by :func:`escalation.staff.access.audit`, next to the rules they record.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from funddesk.db import AuditEntry, StaffRole, StaffUser


def page(session: Session, reader: StaffUser, *, limit: int, before_id: int = 0) -> Sequence[AuditEntry]:
    """Up to ``limit`` entries older than ``before_id`` (0: the newest). Admins see everything; others
    their teams' entries and what they did themselves."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, limit))
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    if reader.role is not StaffRole.ADMIN:
        query = query.where(or_(AuditEntry.team_id.in_(reader.team_ids), AuditEntry.user_id == reader.id))
    return session.scalars(query).all()
