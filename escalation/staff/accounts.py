"""Staff accounts, console sessions and who is online.

A session token lives only in the investor-invisible, HttpOnly cookie; the database keeps its
SHA-256. Each session also has a CSRF token the console sends back in a header on every
state-changing request. "Online" means a console's live connection is open (it refreshes
``online_until`` while connected), so a closed laptop stops counting within a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from escalation.staff import passwords
from escalation.staff.errors import Conflict, Invalid, Missing, NotAllowed
from escalation.staff.teams import TeamConfig
from funddesk.db import StaffRole, StaffSession, StaffUser, Team, TeamMember
from funddesk.db.base import as_utc

ONLINE_FOR = timedelta(seconds=60)  # the console refreshes this every 20 s while connected


@dataclass(frozen=True)
class Login:
    user: StaffUser
    token: str  # goes into the cookie; never stored
    csrf_token: str
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: StaffRole,
    display_name: str | None = None,
    teams: Iterable[str] = (),
) -> StaffUser:
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise Invalid("A username is letters, digits, '.', '-' or '_' (at most 64).", code="bad_username")
    if session.scalars(select(StaffUser).where(StaffUser.username == username)).first() is not None:
        raise Conflict(f"The username {username!r} is taken.", code="username_taken")
    try:
        password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise Invalid(str(exc), code="weak_password") from exc
    user = StaffUser(username=username, display_name=display_name or username, password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    set_teams(session, user, teams)
    return user


def set_teams(session: Session, user: StaffUser, team_ids: Iterable[str]) -> None:
    wanted = sorted(set(team_ids))
    found = session.scalars(select(Team).where(Team.id.in_(wanted))).all()
    missing = set(wanted) - {t.id for t in found}
    if missing:
        raise Invalid(f"no such team: {', '.join(sorted(missing))}", code="unknown_team")
    user.teams = list(found)
    session.flush()


def set_password(user: StaffUser, password: str) -> None:
    try:
        user.password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise Invalid(str(exc), code="weak_password") from exc


def find_user(session: Session, user_id: int) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None:
        raise Missing("No such user.", code="user_not_found")
    return user


def users(session: Session) -> Sequence[StaffUser]:
    return session.scalars(select(StaffUser).order_by(StaffUser.username)).all()


def display_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """The names staff messages are signed with, by user id."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The user these credentials prove, or None. The right password for a deactivated account is refused as such
    (:class:`NotAllowed`, ``account_deactivated``), so its owner learns why rather than retyping it: only someone who
    knows the password learns that."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip().lower())).first()
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        return None
    if not user.active:
        raise NotAllowed("This account is deactivated; an admin can reactivate it.", code="account_deactivated")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def open_session(session: Session, user: StaffUser, now: datetime, lifetime: timedelta) -> Login:
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))  # old logins, anyone's
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    row = StaffSession(id=hash_token(token), user_id=user.id, csrf_token=csrf, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return Login(user, token, csrf, row.expires_at)


def find_session(session: Session, token: str | None, now: datetime) -> StaffSession | None:
    """The live session behind a cookie: unexpired, of an active user."""
    if not token:
        return None
    row = session.get(StaffSession, hash_token(token))
    if row is None or as_utc(row.expires_at) <= now or not row.user.active:
        return None
    return row


def close_session(session: Session, token: str) -> None:
    row = session.get(StaffSession, hash_token(token))
    if row is not None:
        session.delete(row)
        session.flush()


def close_sessions_of(session: Session, user: StaffUser) -> None:
    """Deactivating a user or changing their password logs them out everywhere."""
    for row in session.scalars(select(StaffSession).where(StaffSession.user_id == user.id)):
        session.delete(row)
    session.flush()


def mark_online(session: Session, session_id: str, until: datetime | None) -> None:
    session.execute(update(StaffSession).where(StaffSession.id == session_id).values(online_until=until))


def online_count(session: Session, team_id: str, now: datetime) -> int:
    """Distinct members of the team with a console connected."""
    query = (
        select(func.count(func.distinct(StaffSession.user_id)))
        .join(TeamMember, TeamMember.user_id == StaffSession.user_id)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(TeamMember.team_id == team_id, StaffSession.online_until > now, StaffUser.active.is_(True))
    )
    return int(session.scalar(query) or 0)


def online_counts(session: Session, team_ids: Iterable[str], now: datetime) -> dict[str, int]:
    """``online_count`` for several teams in one query (teams with nobody online are absent)."""
    query = (
        select(TeamMember.team_id, func.count(func.distinct(StaffSession.user_id)))
        .join(StaffSession, StaffSession.user_id == TeamMember.user_id)
        .join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(TeamMember.team_id.in_(list(team_ids)), StaffSession.online_until > now, StaffUser.active.is_(True))
        .group_by(TeamMember.team_id)
    )
    return {team_id: int(count) for team_id, count in session.execute(query)}


def sync_teams(session: Session, configured: Iterable[TeamConfig]) -> None:
    """Create the configured teams that are missing and keep names current (leads own the SLA)."""
    for team in configured:
        row = session.get(Team, team.id)
        if row is None:
            session.add(Team(id=team.id, name=team.name, sla_seconds=team.sla_seconds))
        elif row.name != team.name:
            row.name = team.name
    session.flush()


def teams(session: Session) -> Sequence[Team]:
    return session.scalars(select(Team).order_by(Team.id)).all()


def find_team(session: Session, team_id: str) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise Missing("No such team.", code="team_not_found")
    return team


def create_team(session: Session, team: TeamConfig) -> Team:
    if session.get(Team, team.id) is not None:
        raise Conflict(f"The team {team.id!r} exists.", code="team_exists")
    row = Team(id=team.id, name=team.name, sla_seconds=team.sla_seconds)
    session.add(row)
    session.flush()
    return row
