"""A queue view reads its cards in a fixed number of queries, however long the queue is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from escalation.staff import accounts
from escalation.staff import handoff as machine
from escalation.staff.queues import open_rows, row_of
from escalation.staff.teams import TeamConfig
from funddesk.db import Role, StaffRole, repository
from funddesk.db.repository import MessageDraft
from web.events import QueuePosition
from web.staff.handoff_service import positions
from web.staff.serializers import item_json

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queue_of(session: Session, waiting: int) -> list[str]:
    """``waiting`` conversations asked for a person, each after a message; the first is claimed by an agent."""
    accounts.sync_teams(session, [TeamConfig("desk", "Desk", 90)])
    agent = accounts.create_user(session, f"agent{waiting}", "a long password", role=StaffRole.AGENT, teams=["desk"])
    conversations = []
    for n in range(waiting):
        conversation = repository.create_conversation(session).conversation.id
        repository.add_messages(session, conversation, [MessageDraft(Role.INVESTOR, f"question {n}")])
        handoff, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
        if n == 0:
            machine.claim(session, handoff.id, agent, NOW)
        conversations.append(conversation)
    session.flush()
    session.expire_all()
    return conversations


def cards(session: Session) -> list[dict[str, Any]]:
    return [dict(item_json(row, NOW)) for row in open_rows(session, ["desk"])["desk"]]


def test_the_queue_view_costs_the_same_queries_for_three_cards_as_for_thirty(session: Session) -> None:
    queue_of(session, 3)
    with counted(session) as few:
        assert len(cards(session)) == 3
    queue_of(session, 27)
    with counted(session) as many:
        assert len(cards(session)) == 30
    assert len(many) == len(few) <= 4, many


def test_cards_read_together_match_cards_read_one_at_a_time(session: Session) -> None:
    conversations = queue_of(session, 5)
    together = cards(session)
    one_by_one = [dict(item_json(row_of(session, row.handoff), NOW)) for row in open_rows(session, ["desk"])["desk"]]
    assert together == one_by_one
    assert [card["position"] for card in together] == [0, 1, 2, 3, 4]  # the claimed one has no place
    assert [card["conversation_id"] for card in together] == conversations
    assert all(card["last_message"]["text"].startswith("question") for card in together)
    assert {card["sla_seconds"] for card in together} == {90}


def test_the_places_sent_to_waiting_investors_cost_the_same_queries_for_three_as_for_thirty(session: Session) -> None:
    queue_of(session, 4)  # one claimed, three waiting
    with counted(session) as few:
        assert len(positions(session, "desk")) == 3
    queue_of(session, 28)  # one more claimed, 27 more waiting
    with counted(session) as many:
        places = positions(session, "desk")
    # positions() returns any Event: one that is no QueuePosition shows in the comparison as itself
    assert [e.position if isinstance(e, QueuePosition) else e for e in places] == list(range(1, 31))
    assert len(many) == len(few) <= 3, many
