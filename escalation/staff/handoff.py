"""The life of a hand-off, as one state machine (every change is one transaction's work):

    bot ──open──▶ waiting ──claim──▶ active ──resolve──▶ back to the bot
                   ▲   │               │
                   │   └──transfer─────┤ (to another team's queue, or straight to an agent)
                   └──────release──────┘
    waiting/active ──cancel (the investor goes back to the bot)──▶ back to the bot

The conversation's ``state`` follows: waiting → ``waiting``, active → ``staff``, closed → ``bot``.
While it is not ``bot`` the web service never asks the bot, so nobody gets two answers.
A claim is a conditional UPDATE: of any number of agents claiming at once, exactly one wins.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalation.staff.errors import Conflict, Invalid, Missing
from funddesk.bot_payload import HandoffReason
from funddesk.db import Conversation, Handoff, HandoffStatus, State, Team, repository
from funddesk.db.base import as_utc
from funddesk.db.staff import StaffUser

REASONS = tuple(str(reason) for reason in HandoffReason)  # written once, in funddesk.bot_payload
OPEN = (HandoffStatus.WAITING, HandoffStatus.ACTIVE)
HISTORY = timedelta(days=7)  # recent enough to estimate waits from
HISTORY_SIZE = 20
MIN_ESTIMATE_SECONDS = 30


@dataclass(frozen=True)
class Request:
    """Why and where a conversation leaves the bot."""

    team_id: str
    reason: str
    lang: str = "en"
    fund_code: str | None = None
    entry_id: str | None = None
    ticket: bool = False  # nobody can answer now: the investor leaves a message


def open_handoff(session: Session, conversation_id: str, request: Request) -> tuple[Handoff, bool]:
    """The conversation's open hand-off, created if there is none; ``True`` if it was created."""
    if request.reason not in REASONS:
        raise Invalid(f"unknown hand-off reason {request.reason!r}", code="unknown_reason")
    conversation = _conversation(session, conversation_id, lock=True)
    existing = open_handoff_of(session, conversation_id)
    if existing is not None:
        return existing, False
    if session.get(Team, request.team_id) is None:
        raise Invalid(f"no team {request.team_id!r}", code="unknown_team")
    handoff = Handoff(
        conversation_id=conversation_id,
        team_id=request.team_id,
        status=HandoffStatus.WAITING,
        ticket=request.ticket,
        reason=request.reason,
        lang=request.lang,
        fund_code=request.fund_code,
        entry_id=request.entry_id,
    )
    try:
        with session.begin_nested():  # another replica may open one at the same moment
            session.add(handoff)
            session.flush()
    except IntegrityError:
        raced = open_handoff_of(session, conversation_id)
        if raced is None:
            raise
        return raced, False
    conversation.state = State.WAITING
    session.flush()
    return handoff, True


def open_handoff_of(session: Session, conversation_id: str) -> Handoff | None:
    query = select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN))
    return session.scalars(query).first()


def get(session: Session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    if handoff is None:
        raise Missing("No such hand-off.", code="handoff_not_found")
    return handoff


def claim(session: Session, handoff_id: int, user: StaffUser, now: datetime) -> Handoff:
    won = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.WAITING)
        .values(status=HandoffStatus.ACTIVE, assignee_id=user.id, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        handoff = get(session, handoff_id)
        who = handoff.assignee.display_name if handoff.assignee else "someone"
        raise Conflict(f"Already {handoff.status} ({who}).", code="already_claimed")
    handoff = get(session, handoff_id)
    _set_state(session, handoff.conversation_id, State.STAFF)
    return handoff


def held_by(session: Session, user_id: int) -> list[Handoff]:
    """The conversations a member of staff has now (claimed or transferred to them)."""
    query = select(Handoff).where(Handoff.assignee_id == user_id, Handoff.status == HandoffStatus.ACTIVE)
    return list(session.scalars(query.order_by(Handoff.id)))


def release(session: Session, handoff: Handoff, now: datetime) -> Handoff:
    """Back to the team's queue, keeping its place (the queue is ordered by when it first arrived)."""
    _require(handoff, HandoffStatus.ACTIVE)
    handoff.status, handoff.assignee_id, handoff.updated_at = HandoffStatus.WAITING, None, now
    _set_state(session, handoff.conversation_id, State.WAITING)
    return handoff


def transfer(
    session: Session, handoff: Handoff, now: datetime, *, team_id: str, assignee: StaffUser | None = None
) -> Handoff:
    """To another team's queue, or straight to one agent (who must be in that team)."""
    _require(handoff, *OPEN)
    if session.get(Team, team_id) is None:
        raise Invalid(f"no team {team_id!r}", code="unknown_team")
    if assignee is not None and team_id not in assignee.team_ids:
        raise Invalid(f"{assignee.username} is not in team {team_id}", code="not_in_team")
    handoff.team_id, handoff.updated_at = team_id, now
    if assignee is None:
        handoff.status, handoff.assignee_id = HandoffStatus.WAITING, None
        _set_state(session, handoff.conversation_id, State.WAITING)
    else:
        handoff.status, handoff.assignee_id = HandoffStatus.ACTIVE, assignee.id
        handoff.claimed_at = handoff.claimed_at or now
        _set_state(session, handoff.conversation_id, State.STAFF)
    session.flush()
    return handoff


def resolve(session: Session, handoff: Handoff, now: datetime) -> Handoff:
    """Staff hand the conversation back to the bot."""
    return _close(session, handoff, HandoffStatus.RESOLVED, now)


def cancel(session: Session, handoff: Handoff, now: datetime) -> Handoff:
    """The investor goes back to the bot."""
    return _close(session, handoff, HandoffStatus.CANCELLED, now)


def note_staff_reply(handoff: Handoff, now: datetime) -> None:
    if handoff.first_response_at is None:
        handoff.first_response_at = now


def position(session: Session, handoff: Handoff) -> int:
    """1 for the next in line. Only waiting hand-offs have a place."""
    if handoff.status is not HandoffStatus.WAITING:
        return 0
    ahead = select(func.count()).where(
        Handoff.team_id == handoff.team_id, Handoff.status == HandoffStatus.WAITING, Handoff.id < handoff.id
    )
    return int(session.scalar(ahead) or 0) + 1


def estimate_wait(session: Session, team_id: str, place: int, online: int, now: datetime) -> int | None:
    """Seconds until a person answers, from how long the team's recent conversations took."""
    return estimate(handling_times(session, team_id, now), place, online)


def handling_times(session: Session, team_id: str, now: datetime) -> list[float]:
    """Seconds from claim to resolution of the team's recent conversations (read once per queue)."""
    query = (
        select(Handoff.claimed_at, Handoff.resolved_at)
        .where(
            Handoff.team_id == team_id,
            Handoff.status == HandoffStatus.RESOLVED,
            Handoff.claimed_at.is_not(None),
            Handoff.resolved_at > now - HISTORY,
        )
        .order_by(Handoff.id.desc())
        .limit(HISTORY_SIZE)
    )
    return [
        (as_utc(done) - as_utc(started)).total_seconds() for started, done in session.execute(query) if started and done
    ]


def estimate(durations: list[float], place: int, online: int) -> int | None:
    """``place / online`` conversations must end before this one starts, each taking the median
    handling time. None without history: better no figure than an invented one."""
    if not durations or place <= 0:
        return None
    return max(MIN_ESTIMATE_SECONDS, round(statistics.median(durations) * place / max(1, online)))


def _close(session: Session, handoff: Handoff, status: HandoffStatus, now: datetime) -> Handoff:
    _require(handoff, *OPEN)
    handoff.status, handoff.resolved_at, handoff.updated_at = status, now, now
    _set_state(session, handoff.conversation_id, State.BOT)
    return handoff


def _require(handoff: Handoff, *statuses: HandoffStatus) -> None:
    if handoff.status not in statuses:
        raise Conflict(f"The conversation is already {handoff.status}.", code=f"handoff_{handoff.status}")


def _conversation(session: Session, conversation_id: str, *, lock: bool = False) -> Conversation:
    conversation = repository.find_conversation(session, conversation_id, lock=lock)
    if conversation is None:
        raise Missing("No such conversation.", code="conversation_not_found")
    return conversation


def _set_state(session: Session, conversation_id: str, state: State) -> None:
    _conversation(session, conversation_id).state = state
    session.flush()
