"""Hand-offs as the web service runs them: each change is one database transaction
(:mod:`escalation.staff.handoff` does the state machine), then the live events that follow from it.

After any change to a team's queue, the consoles watching that team get the changed item, and
every investor still waiting in it gets their new place and estimate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from escalation.staff import access, accounts, queues
from escalation.staff import handoff as machine
from escalation.staff.errors import Conflict, Missing, NotAllowed
from funddesk.bot_payload import HandoffRequest
from funddesk.db import Conversation, Handoff, HandoffStatus, Message, Role, StaffUser, State, repository
from funddesk.db.repository import MessageDraft
from web.context import WebContext
from web.events import (
    Event,
    MessageCreated,
    QueueChanged,
    QueueJson,
    QueuePosition,
    StaffEvent,
    StateChanged,
    Typing,
    message_json,
)
from web.staff import notices
from web.staff.serializers import ItemJson, StaffMessageJson, item_json, staff_message_json

T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outcome:
    """What one transaction changed: the events to publish once it has committed."""

    events: list[Event]
    teams: set[str]  # queues whose waiting investors get new places
    item: ItemJson | None = None
    opened_for: str | None = None  # the reason of a hand-off it opened, counted once committed


def request_from_bot(
    ctx: WebContext, session: Session, conversation_id: str, request: HandoffRequest, lang: str
) -> Outcome:
    """The bot asked for a person (``handoff_requested``): queue the conversation, tell the investor."""
    team = ctx.router.route(entry_team=request.team, fund_code=request.fund)
    return open_handoff(
        ctx,
        session,
        conversation_id,
        team_id=team,
        reason=str(request.reason),
        lang=lang,
        fund_code=request.fund,
        entry_id=request.faq_id,
    )


def open_handoff(
    ctx: WebContext,
    session: Session,
    conversation_id: str,
    *,
    team_id: str,
    reason: str,
    lang: str,
    fund_code: str | None = None,
    entry_id: str | None = None,
    by: StaffUser | None = None,
) -> Outcome:
    moment = now()
    staffed = ctx.hours.is_open(moment) and accounts.online_count(session, team_id, moment) > 0
    request = machine.Request(team_id, reason, lang, fund_code, entry_id, ticket=not staffed)
    handoff, created = machine.open_handoff(session, conversation_id, request)
    outcome = Outcome([], {handoff.team_id})
    if created:
        outcome.opened_for = reason
        place = machine.position(session, handoff)
        if handoff.ticket:
            said = notices.ticket(lang, ctx.hours.next_opening(moment) if not ctx.hours.is_open(moment) else None)
        else:
            online = accounts.online_count(session, team_id, moment)
            said = notices.queued(lang, place, machine.estimate_wait(session, team_id, place, online, moment))
        outcome.events += _system(session, conversation_id, said, lang, buttons=notices.back_button(lang))
        outcome.events.append(StateChanged(conversation_id, str(State.WAITING)))
        outcome.events.append(StaffEvent("state", conversation_id, {"state": str(State.WAITING)}))
        access.audit(session, by, "handoff", team_id=team_id, conversation_id=conversation_id, reason=reason)
    outcome.item = item_json_of(session, handoff, moment)
    outcome.events.append(QueueChanged(handoff.team_id, handoff.id, dict(outcome.item)))
    return outcome


def claim(ctx: WebContext, session: Session, user: StaffUser, conversation_id: str) -> Outcome:
    handoff = _open_of(session, conversation_id)
    access.require_team(user, handoff.team_id)
    moment = now()
    handoff = machine.claim(session, handoff.id, user, moment)
    access.audit(session, user, "claim", team_id=handoff.team_id, conversation_id=conversation_id)
    events = _system(
        session, conversation_id, notices.text("joined", handoff.lang, name=user.display_name), handoff.lang
    )
    return _changed(session, handoff, moment, events, State.STAFF)


def release(ctx: WebContext, session: Session, user: StaffUser, conversation_id: str) -> Outcome:
    handoff, moment = _step(session, user, conversation_id, "release", machine.release)
    events = _system(session, conversation_id, notices.text("released", handoff.lang), handoff.lang)
    return _changed(session, handoff, moment, events, State.WAITING)


def release_all_of(session: Session, admin: StaffUser, user: StaffUser) -> list[Outcome]:
    """A deactivated member of staff's conversations go back to their teams' queues (their places kept), each in
    the audit log: nobody is left talking to an account that can no longer answer."""
    outcomes = []
    for handoff in machine.held_by(session, user.id):
        moment = now()
        machine.release(session, handoff, moment)
        conversation = handoff.conversation_id
        access.audit(session, admin, "release", team_id=handoff.team_id, conversation_id=conversation, of=user.username)
        events = _system(session, conversation, notices.text("released", handoff.lang), handoff.lang)
        outcomes.append(_changed(session, handoff, moment, events, State.WAITING))
    return outcomes


def transfer(
    ctx: WebContext, session: Session, user: StaffUser, conversation_id: str, team_id: str, user_id: int | None
) -> Outcome:
    handoff = _open_of(session, conversation_id)
    access.require_assignee_or_lead(user, handoff)
    before, moment = handoff.team_id, now()
    to = accounts.find_user(session, user_id) if user_id is not None else None
    machine.transfer(session, handoff, moment, team_id=team_id, assignee=to)
    access.audit(
        session, user, "transfer", team_id=before, conversation_id=conversation_id, to_team=team_id, to_user=user_id
    )
    said = notices.text("transferred" if before != handoff.team_id else "transferred_within", handoff.lang)
    events = _system(session, conversation_id, said, handoff.lang)
    author = to.display_name if to else None
    outcome = _changed(session, handoff, moment, events, State.STAFF if to else State.WAITING, author=author)
    if before != handoff.team_id:  # gone from the old queue
        outcome.events.append(QueueChanged(before, handoff.id, None))
        outcome.teams.add(before)
    return outcome


def resolve(ctx: WebContext, session: Session, user: StaffUser, conversation_id: str) -> Outcome:
    handoff, _ = _step(session, user, conversation_id, "resolve", machine.resolve)
    said = notices.text("returned", handoff.lang, name=user.display_name)
    return _closed(session, handoff, _system(session, conversation_id, said, handoff.lang))


def cancel_by_investor(session: Session, conversation_id: str) -> Outcome:
    handoff = _open_of(session, conversation_id)
    machine.cancel(session, handoff, now())
    access.audit(session, None, "investor_left_queue", team_id=handoff.team_id, conversation_id=conversation_id)
    return _closed(
        session, handoff, _system(session, conversation_id, notices.text("left_queue", handoff.lang), handoff.lang)
    )


def staff_message(
    session: Session, user: StaffUser, conversation_id: str, text: str, *, internal: bool
) -> tuple[Outcome, StaffMessageJson]:
    """A reply to the investor, or an internal note only staff see. Replies need the conversation claimed."""
    handoff = _open_of(session, conversation_id)
    if internal:
        access.require_team(user, handoff.team_id)
    else:
        access.require_assignee_or_lead(user, handoff)
        if handoff.status is not HandoffStatus.ACTIVE:
            raise Conflict("Claim the conversation before replying.", code="not_claimed")
    moment = now()
    draft = MessageDraft(Role.STAFF, text, language=handoff.lang)
    [row] = repository.add_messages(session, conversation_id, [draft])
    row.internal, row.author_id = internal, user.id
    if not internal:
        machine.note_staff_reply(handoff, moment)
    session.flush()
    access.audit(
        session,
        user,
        "note" if internal else "reply",
        team_id=handoff.team_id,
        conversation_id=conversation_id,
        message_id=row.id,
    )
    staff_json = staff_message_json(row, {user.id: user.display_name})
    events: list[Event] = [StaffEvent("message", conversation_id, {"message": dict(staff_json)})]
    if not internal:
        events.append(MessageCreated(conversation_id, message_json(row, author=user.display_name)))
    item = item_json_of(session, handoff, moment)
    events.append(QueueChanged(handoff.team_id, handoff.id, dict(item)))
    return Outcome(events, set(), item), staff_json


def investor_message(session: Session, message: Message) -> Outcome:
    """An investor's message while people have the conversation: it goes to the console."""
    handoff = machine.open_handoff_of(session, message.conversation_id)
    events: list[Event] = [
        StaffEvent("message", message.conversation_id, {"message": dict(staff_message_json(message, {}))})
    ]
    if handoff is not None:
        events.append(QueueChanged(handoff.team_id, handoff.id, dict(item_json_of(session, handoff, now()))))
    return Outcome(events, set())


def reveal(session: Session, user: StaffUser, conversation_id: str, message_id: int, reveal_roles: list[str]) -> str:
    if not access.may_reveal(user, reveal_roles):
        raise NotAllowed("Your role may not reveal personal data.", code="reveal_not_allowed")
    team_id = team_of(session, conversation_id)
    access.require_team(user, team_id)
    message = repository.find_message(session, conversation_id, message_id)
    if message is None:
        raise Missing("No such message.", code="message_not_found")
    access.audit(session, user, "reveal", team_id=team_id, conversation_id=conversation_id, message_id=message_id)
    return message.text


def team_of(session: Session, conversation_id: str) -> str:
    """The team whose queue the conversation is (or last was) in."""
    never = NotAllowed("That conversation has never been with staff.", code="not_handed_off")
    return _found(session, conversation_id, queues.last_team_of(session, conversation_id), never)


def transcript(session: Session, conversation_id: str) -> list[StaffMessageJson]:
    rows = list(repository.history(session, conversation_id, include_internal=True))
    authors = accounts.display_names(session, (row.author_id for row in rows if row.author_id is not None))
    return [staff_message_json(row, authors) for row in rows]


def positions(session: Session, team_id: str) -> list[Event]:
    """Each waiting investor's place in the team's queue, and the estimate for it (in a fixed number of queries)."""
    moment = now()
    waiting = queues.waiting(session, team_id)
    if not waiting:
        return []
    online = accounts.online_count(session, team_id, moment)
    durations = machine.handling_times(session, team_id, moment)
    events: list[Event] = []
    for place, handoff in enumerate(waiting, 1):
        estimate = machine.estimate(durations, place, online)
        events.append(QueuePosition(handoff.conversation_id, place, estimate, handoff.ticket))
    return events


def position_of(ctx: WebContext, session: Session, conversation_id: str) -> QueuePosition | None:
    """A waiting investor's place, for a widget that (re)connects."""
    handoff = machine.open_handoff_of(session, conversation_id)
    if handoff is None or handoff.status is not HandoffStatus.WAITING:
        return None
    moment, place = now(), machine.position(session, handoff)
    online = accounts.online_count(session, handoff.team_id, moment)
    estimate = machine.estimate_wait(session, handoff.team_id, place, online, moment)
    return QueuePosition(conversation_id, place, estimate, handoff.ticket)


def state_of(ctx: WebContext, session: Session, conversation_id: str) -> tuple[State, QueueJson | None]:
    """The conversation's state and, while waiting, the investor's place, read together.

    Answers carry both so a widget never pairs a state with a place from another moment.
    """
    conversation = _require_conversation(session, conversation_id)
    place = position_of(ctx, session, conversation_id) if conversation.state is State.WAITING else None
    return conversation.state, place.place() if place is not None else None


async def publish(ctx: WebContext, outcome: Outcome) -> None:
    """Send what a committed change means to everyone listening, then the new queue places."""
    if outcome.opened_for is not None:  # counted here, not in the transaction, which may run twice
        ctx.metrics.handoffs.labels(outcome.opened_for).inc()
    for event in outcome.events:
        await ctx.hub.publish(event)
    for team_id in sorted(outcome.teams):
        for event in await ctx.run_db(lambda s, t=team_id: positions(s, t)):  # type: ignore[misc]
            await ctx.hub.publish(event)


async def staff_typing(ctx: WebContext, user: StaffUser, conversation_id: str, active: bool) -> None:
    await ctx.hub.publish(Typing(conversation_id, "staff", active, author=user.display_name))


async def investor_typing(ctx: WebContext, conversation_id: str, active: bool) -> None:
    await ctx.hub.publish(StaffEvent("typing", conversation_id, {"role": "investor", "active": active}))


def item_json_of(session: Session, handoff: Handoff, moment: datetime) -> ItemJson:
    """One queue card, read for it (after a change to that hand-off)."""
    return item_json(queues.row_of(session, handoff), moment)


def _step(
    session: Session,
    user: StaffUser,
    conversation_id: str,
    action: str,
    step: Callable[[Session, Handoff, datetime], Handoff],
) -> tuple[Handoff, datetime]:
    """One step of the state machine on the open hand-off, by its assignee or a lead, in the audit log."""
    handoff = _open_of(session, conversation_id)
    access.require_assignee_or_lead(user, handoff)
    moment = now()
    step(session, handoff, moment)
    access.audit(session, user, action, team_id=handoff.team_id, conversation_id=conversation_id)
    return handoff, moment


def _open_of(session: Session, conversation_id: str) -> Handoff:
    with_bot = Conflict("The conversation is with the bot, not in a queue.", code="not_in_queue")
    return _found(session, conversation_id, machine.open_handoff_of(session, conversation_id), with_bot)


def _found(session: Session, conversation_id: str, found: T | None, otherwise: Exception) -> T:
    """What was looked up for the conversation, or why there is none: no such conversation (404), or ``otherwise``."""
    if found is None:
        _require_conversation(session, conversation_id)
        raise otherwise
    return found


def _require_conversation(session: Session, conversation_id: str) -> Conversation:
    """The conversation, or 404: told apart from one that exists but is not where the caller expected it."""
    conversation = repository.find_conversation(session, conversation_id)
    if conversation is None:
        raise Missing("No such conversation.", code="conversation_not_found")
    return conversation


def _system(
    session: Session, conversation_id: str, said: str, lang: str, buttons: list[dict[str, str]] | None = None
) -> list[Event]:
    [row] = repository.add_messages(
        session, conversation_id, [MessageDraft(Role.SYSTEM, said, buttons=buttons, language=lang)]
    )
    return [
        MessageCreated(conversation_id, message_json(row)),
        StaffEvent("message", conversation_id, {"message": dict(staff_message_json(row, {}))}),
    ]


def _changed(
    session: Session, handoff: Handoff, moment: datetime, events: list[Event], state: State, author: str | None = None
) -> Outcome:
    item = item_json_of(session, handoff, moment)
    events += [
        StateChanged(handoff.conversation_id, str(state), author),
        StaffEvent("state", handoff.conversation_id, {"state": str(state)}),
        QueueChanged(handoff.team_id, handoff.id, dict(item)),
    ]
    return Outcome(events, {handoff.team_id}, item)


def _closed(session: Session, handoff: Handoff, events: list[Event]) -> Outcome:
    events += [
        StateChanged(handoff.conversation_id, str(State.BOT)),
        StaffEvent("state", handoff.conversation_id, {"state": str(State.BOT)}),
        QueueChanged(handoff.team_id, handoff.id, None),
    ]
    return Outcome(events, {handoff.team_id})
