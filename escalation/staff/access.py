"""Who may do what in the console: agents work their own teams' queues, leads also run their
teams (settings, reassigning, canned responses, the audit log), admins run everything."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy.orm import Session

from escalation.staff.errors import NotAllowed
from funddesk.db import AuditEntry, Handoff, StaffRole, StaffUser


def visible_teams(user: StaffUser, all_teams: Iterable[str]) -> list[str]:
    return sorted(all_teams) if user.role is StaffRole.ADMIN else user.team_ids


def in_team(user: StaffUser, team_id: str) -> bool:
    """The user works ``team_id``'s queue (an admin works every queue)."""
    return user.role is StaffRole.ADMIN or team_id in user.team_ids


def require_team(user: StaffUser, team_id: str) -> None:
    if not in_team(user, team_id):
        raise NotAllowed("That conversation belongs to another team's queue.", code="other_team")


def owns_teams(user: StaffUser, teams: Collection[str]) -> bool:
    """Every one of ``teams`` is the user's (an admin's are all). What names no team speaks for no team in
    particular, so it is an admin's alone."""
    return user.role is StaffRole.ADMIN or (bool(teams) and all(in_team(user, team) for team in teams))


def require_teams(user: StaffUser, teams: Collection[str], what: str) -> None:
    """``what`` answers investors in the name of ``teams``: a lead may act on it only for their own."""
    if owns_teams(user, teams):
        return
    others = sorted(set(teams) - set(user.team_ids))
    if not others:
        raise NotAllowed(f"{what} names no team: only an admin may do that.", code="other_team")
    named = ", ".join(repr(team) for team in others)
    raise NotAllowed(f"{what} answers for team {named}, which is not one of yours.", code="other_team")


def require_role(user: StaffUser, *roles: StaffRole) -> None:
    if user.role not in roles:
        allowed = " or ".join(str(r) for r in roles)
        raise NotAllowed(f"Only a {allowed} may do that.", code="role_required")


def require_lead_of(user: StaffUser, team_id: str) -> None:
    require_role(user, StaffRole.LEAD, StaffRole.ADMIN)
    require_team(user, team_id)


def require_assignee_or_lead(user: StaffUser, handoff: Handoff) -> None:
    """Only the agent who has it, or a lead of its team, may act for the conversation."""
    require_team(user, handoff.team_id)
    if handoff.assignee_id not in (None, user.id) and user.role is StaffRole.AGENT:
        raise NotAllowed("Another agent has this conversation.", code="not_assignee")


def may_reveal(user: StaffUser, reveal_roles: Iterable[str]) -> bool:
    return str(user.role) in {r.strip() for r in reveal_roles}


def audit(
    session: Session,
    user: StaffUser | None,
    action: str,
    *,
    team_id: str | None = None,
    conversation_id: str | None = None,
    **detail: Any,
) -> AuditEntry:
    entry = AuditEntry(
        user_id=user.id if user else None,
        username=user.username if user else "system",
        action=action,
        team_id=team_id,
        conversation_id=conversation_id,
        detail=detail or None,
    )
    session.add(entry)
    session.flush()
    return entry
