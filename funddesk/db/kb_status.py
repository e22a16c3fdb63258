"""What each action server's knowledge base serves, as it last read the FAQ files: the staff console's
"Knowledge base" page reads it, so a fund team sees its broken edit as ``file:line`` and what serves meanwhile
without a server's log. One row per action server (``host:port``), replaced at each read and deleted when the
server stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from funddesk.db.base import Base, Updated


class KbStatus(Base):
    __tablename__ = "kb_status"

    server: Mapped[str] = mapped_column(String(200), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)  # when it read the files
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # ok | rejected | failed
    files: Mapped[int] = mapped_column(Integer, nullable=False)
    entries: Mapped[int] = mapped_column(Integer, nullable=False)  # entries serving, last good versions included
    problems: Mapped[list[Any]] = mapped_column(nullable=False)  # [{file, line, severity, message, scope, serving}]
    reported_at: Mapped[Updated]


def report(
    session: Session,
    server: str,
    *,
    checked_at: datetime,
    outcome: str,
    files: int,
    entries: int,
    problems: Sequence[dict[str, Any]],
) -> None:
    """Replace ``server``'s row with what its knowledge base read at ``checked_at``."""
    row = session.get(KbStatus, server)
    if row is None:
        row = KbStatus(server=server)
        session.add(row)
    row.checked_at, row.outcome, row.files, row.entries = checked_at, outcome, files, entries
    row.problems = [dict(p) for p in problems]


def forget(session: Session, server: str) -> None:
    """``server`` stopped: what it served is no longer anyone's (a crash leaves its row until it starts again)."""
    session.execute(delete(KbStatus).where(KbStatus.server == server))


def servers(session: Session) -> list[KbStatus]:
    """Every action server's latest report, the most recent first (timestamps: :func:`as_utc` them)."""
    return list(session.scalars(select(KbStatus).order_by(KbStatus.checked_at.desc(), KbStatus.server)))
