"""The queries the API (and next the staff console) share, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from funddesk.db import Message, Role, State, repository
from funddesk.db.repository import MessageDraft


def answer(entry_id: str = "redemption-arrival", version: str = "v1") -> MessageDraft:
    return MessageDraft(
        Role.BOT, "Proceeds arrive T+1.", entry_id=entry_id, entry_version=version, score=0.9,
        decision="answer", language="en", meta={"type": "faq_match"},
    )  # fmt: skip


def prompt() -> MessageDraft:
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    return MessageDraft(Role.BOT, "Did that answer your question?", buttons=buttons)


def test_a_new_conversation_keeps_only_a_hash_of_its_token(session: Session) -> None:
    created = repository.create_conversation(session, lang="zh")
    found = repository.find_conversation(session, created.conversation.id)
    assert found is not None and (found.lang, found.state) == ("zh", State.BOT)
    assert created.token not in found.token_hash and len(found.token_hash) == 64
    assert repository.token_matches(found, created.token)
    assert not repository.token_matches(found, created.token + "x")


def test_messages_come_back_in_order_with_their_audit_and_buttons(session: Session) -> None:
    conversation = repository.create_conversation(session).conversation
    repository.add_messages(session, conversation.id, [MessageDraft(Role.INVESTOR, "<img src=x onerror=alert(1)>")])
    repository.add_messages(session, conversation.id, [answer(), prompt()])
    session.expire_all()
    question, reply, ask = repository.history(session, conversation.id)
    assert question.text == "<img src=x onerror=alert(1)>"
    assert (reply.entry_id, reply.entry_version, reply.score, reply.decision) == (
        "redemption-arrival",
        "v1",
        0.9,
        "answer",
    )
    assert reply.meta == {"type": "faq_match"} and reply.created_at is not None
    assert ask.buttons == [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert [m.id for m in repository.history(session, conversation.id, after_id=reply.id)] == [ask.id]


def test_a_button_counts_as_offered_only_in_its_own_conversation(session: Session) -> None:
    mine = repository.create_conversation(session).conversation
    other = repository.create_conversation(session).conversation
    repository.add_messages(session, mine.id, [prompt()])
    assert repository.offered_button(session, mine.id, "/affirm") == {"title": "Yes", "payload": "/affirm"}
    assert repository.offered_button(session, other.id, "/affirm") is None
    assert repository.offered_button(session, mine.id, "/request_human") is None


def test_feedback_is_tied_to_the_latest_answer_from_its_entry(session: Session) -> None:
    conversation = repository.create_conversation(session).conversation
    first, _ = repository.add_messages(session, conversation.id, [answer("a"), prompt()])
    second, _ = repository.add_messages(session, conversation.id, [answer("b", "v7"), prompt()])
    on_a = repository.add_feedback(session, conversation.id, helpful=False, entry_id="a", entry_version=None)
    unnamed = repository.add_feedback(session, conversation.id, helpful=True, entry_id=None, entry_version=None)
    assert (on_a.message_id, on_a.entry_version) == (first.id, "v1")
    assert (unnamed.message_id, unnamed.entry_id, unnamed.entry_version) == (second.id, "b", "v7")
    assert [f.helpful for f in repository.feedback_for(session, conversation.id)] == [False, True]


def test_the_state_changes_and_counts_follow_what_was_stored(session: Session) -> None:
    conversation = repository.create_conversation(session).conversation
    repository.set_state(session, conversation, State.WAITING)
    repository.add_messages(session, conversation.id, [MessageDraft(Role.INVESTOR, "hi"), answer()])
    session.expire_all()
    found = repository.find_conversation(session, conversation.id)
    assert found is not None and found.state is State.WAITING
    assert repository.count_messages(session, conversation.id) == 2
    assert repository.count_messages(session, conversation.id, role=Role.INVESTOR) == 1


def test_a_message_needs_an_existing_conversation(session: Session) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Message(conversation_id="missing", role=Role.BOT, text="orphan"))
        session.flush()


def test_the_database_itself_refuses_an_unknown_role(session: Session) -> None:
    conversation = repository.create_conversation(session).conversation
    insert = text(
        "INSERT INTO messages (conversation_id, role, text, created_at) VALUES (:conversation, :role, 'x', :at)"
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(insert, {"conversation": conversation.id, "role": "robot", "at": conversation.created_at})


def test_each_test_starts_from_an_empty_database(session: Session) -> None:
    assert repository.count_conversations(session) == 0
    repository.create_conversation(session)  # rolled back after the test
