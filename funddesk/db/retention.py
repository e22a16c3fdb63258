"""Retention: after ``retention_days``, conversations keep their numbers and lose their words.

Nothing is deleted: analytics count conversations, messages, feedback, hand-offs and questions
by date range, so rows stay and what could identify an investor goes:

- ``conversations``: kept; the token hash is emptied (``ANONYMIZED``), so no token opens one again.
  Counts by day and language stay.
- ``messages``: kept; text emptied, buttons and bot metadata dropped, a clicked button's payload dropped
  but for the fact that a clarify choice was clicked (``CHOICE``). Decisions and the entries answered stay.
- ``questions``: kept; text and embedding emptied; the conversation id dropped unless it is one of ours
  (a random id; another channel's sender id could be a phone number). Spike and analytics counts stay:
  a team's conversations and whether a clarify was picked are still known.
- ``feedback`` and ``handoffs``: kept as they are; they hold no words (entry, helpful, team, times).
- ``incident_conversations`` (who asked about an incident, to push them its answer): kept; a link asked
  before the period whose id is no conversation of ours (another channel's sender id, which could be a
  phone number) gets a random id instead (``EXPIRED`` and 32 hex digits), so the incident's count of
  conversations stays. Such a link never gets an answer pushed anyway; links to our conversations stay.
- Rasa's ``events`` (its SQL tracker store, in this database under ``make run-prod``): deleted past
  the period, but for conversations still with staff. They hold every message's words, and Rasa
  replays only the current session (it expires after an hour), so nothing live reads them.

A conversation's age is the time since its last message. One still with staff (waiting or
active) is left alone whatever its age: it is not over. Questions age on their own (the REST
channel logs questions of senders that are no conversation here), and so do incident links. Incidents
keep their samples, which were masked when logged, and the audit log is the staff's record: both are
untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, column, delete, func, inspect, literal, select, table, update
from sqlalchemy.orm import Session

from funddesk.db.engine import Database
from funddesk.db.incidents import IncidentConversation, Question
from funddesk.db.models import Conversation, Message, State

ANONYMIZED = ""  # the token hash, message text and question text of anonymized rows
CHOICE = "/choose_faq"  # what is kept of a clicked clarify choice (escalation/analytics: was it picked?)
BATCH = 500  # conversations per transaction: short transactions, however much is due
EXPIRED = "expired-"  # how an anonymized incident link's conversation id begins (ours are 32 hex digits)


@dataclass
class Swept:
    conversations: int = 0
    messages: int = 0
    questions: int = 0
    incident_links: int = 0
    dialog_events: int = 0

    def add(self, other: Swept) -> None:
        self.conversations += other.conversations
        self.messages += other.messages
        self.questions += other.questions
        self.incident_links += other.incident_links
        self.dialog_events += other.dialog_events


def cutoff(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


def due_conversations(session: Session, before: datetime, limit: int = BATCH) -> Sequence[str]:
    """Ids of conversations with the bot, not yet anonymized, whose last message is before ``before``."""
    last = select(func.max(Message.created_at)).where(Message.conversation_id == Conversation.id).scalar_subquery()
    query = (
        select(Conversation.id)
        .where(Conversation.token_hash != ANONYMIZED, Conversation.state == State.BOT)
        .where(func.coalesce(last, Conversation.created_at) < before)
        .limit(limit)
        # PostgreSQL: locked until the batch commits, so a replica sweeping at once takes other conversations
        # (and one a hand-off is changing right now is skipped, not anonymized under it).
        .with_for_update(of=Conversation, skip_locked=True)
    )
    return session.scalars(query).all()


def anonymize_conversations(session: Session, ids: Sequence[str]) -> Swept:
    if not ids:
        return Swept()
    session.execute(update(Conversation).where(Conversation.id.in_(ids)).values(token_hash=ANONYMIZED))
    messages = _updated(
        session,
        update(Message)
        .where(Message.conversation_id.in_(ids))
        .values(
            text=ANONYMIZED,
            payload=case((Message.payload.like(CHOICE + "%"), literal(CHOICE)), else_=None),
            buttons=None,
            meta=None,
        ),
    )
    return Swept(conversations=len(ids), messages=messages)


def anonymize_questions(session: Session, before: datetime, since: datetime | None = None) -> Swept:
    """Questions asked before ``before``; from ``since`` on if given (an earlier sweep did the rest), so an
    hourly sweep reads an hour of the log through the ``asked_at`` index, not all of its history."""
    done = (Question.text == ANONYMIZED) & Question.embedding.is_(None)
    ours = Question.conversation_id.in_(select(Conversation.id))
    window = (
        Question.asked_at < before if since is None else (Question.asked_at >= since) & (Question.asked_at < before)
    )
    questions = _updated(
        session,
        update(Question)
        .where(window, ~done)
        .values(text=ANONYMIZED, embedding=None, conversation_id=case((ours, Question.conversation_id), else_=None)),
    )
    return Swept(questions=questions)


def anonymize_incident_links(session: Session, before: datetime) -> Swept:
    """Links asked before ``before`` whose id is not one of our conversations: a random id instead.

    The table holds only links to spikes' questions, so reading all of it at every sweep is cheap."""
    link = IncidentConversation
    due = session.execute(
        select(link.incident_id, link.conversation_id).where(
            link.asked_at < before,
            link.conversation_id.not_in(select(Conversation.id)),
            ~link.conversation_id.startswith(EXPIRED),
        )
    ).all()
    for incident_id, conversation_id in due:
        session.execute(
            update(link)
            .where(link.incident_id == incident_id, link.conversation_id == conversation_id)
            .values(conversation_id=EXPIRED + uuid.uuid4().hex)
        )
    return Swept(incident_links=len(due))


# Rasa's own table, not one of our models: only the two columns the sweep reads.
RASA_EVENTS = table("events", column("sender_id"), column("timestamp"))


def delete_dialog_events(session: Session, before: datetime) -> Swept:
    """Rasa's tracker events older than ``before`` (a float UNIX time there), if Rasa keeps them here."""
    if not inspect(session.connection()).has_table("events"):
        return Swept()
    with_staff = select(Conversation.id).where(Conversation.state != State.BOT)
    statement = delete(RASA_EVENTS).where(
        RASA_EVENTS.c.timestamp < before.timestamp(), RASA_EVENTS.c.sender_id.not_in(with_staff)
    )
    return Swept(dialog_events=_updated(session, statement))


def sweep(db: Database, days: int, now: datetime, since: datetime | None = None) -> Swept:
    """Anonymize everything older than ``days`` (0: nothing), a batch of conversations per transaction.
    ``since``: the cutoff of an earlier sweep of this process, whose questions are done."""
    swept = Swept()
    if days <= 0:
        return swept
    before = cutoff(days, now)
    while True:
        with db.session(write=True) as session:
            batch = anonymize_conversations(session, due_conversations(session, before))
        swept.add(batch)
        if batch.conversations < BATCH:
            break
    with db.session(write=True) as session:
        swept.add(anonymize_questions(session, before, since))
        swept.add(anonymize_incident_links(session, before))
        swept.add(delete_dialog_events(session, before))
    return swept


def _updated(session: Session, statement: Any) -> int:
    return cast(CursorResult[Any], session.execute(statement)).rowcount
