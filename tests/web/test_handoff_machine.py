"""The hand-off state machine on a real database (SQLite and PostgreSQL), each test rolled back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from escalation.staff import accounts
from escalation.staff import handoff as machine
from escalation.staff.errors import Conflict, Invalid
from escalation.staff.teams import TeamConfig
from funddesk.db import Conversation, Database, Handoff, HandoffStatus, StaffRole, StaffUser, State, repository

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def _setup(session: Session) -> tuple[str, StaffUser, StaffUser]:
    accounts.sync_teams(session, [TeamConfig("desk", "Desk", 120), TeamConfig("other", "Other", 60)])
    conversation = repository.create_conversation(session).conversation.id
    anna = accounts.create_user(session, "anna", "a long password", role=StaffRole.AGENT, teams=["desk"])
    bo = accounts.create_user(session, "bo", "a long password", role=StaffRole.AGENT, teams=["desk", "other"])
    return conversation, anna, bo


def _state(session: Session, conversation_id: str) -> State:
    found = session.get(Conversation, conversation_id, populate_existing=True)
    assert found is not None
    return found.state


def test_a_conversation_goes_bot_waiting_staff_and_back_to_bot(session: Session) -> None:
    conversation, anna, _ = _setup(session)
    handoff, created = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
    assert created and _state(session, conversation) is State.WAITING
    machine.claim(session, handoff.id, anna, NOW)
    assert _state(session, conversation) is State.STAFF
    machine.resolve(session, machine.get(session, handoff.id), NOW)
    assert _state(session, conversation) is State.BOT
    assert machine.get(session, handoff.id).status is HandoffStatus.RESOLVED


def test_a_message_left_while_nobody_was_there_waits_as_a_ticket_until_someone_claims_it(session: Session) -> None:
    conversation, anna, _ = _setup(session)
    ticket, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested", ticket=True))
    assert ticket.ticket and ticket.status is HandoffStatus.WAITING and machine.position(session, ticket) == 1
    machine.claim(session, ticket.id, anna, NOW)
    assert _state(session, conversation) is State.STAFF


def test_asking_twice_keeps_one_open_hand_off(session: Session) -> None:
    conversation, _, _ = _setup(session)
    first, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
    second, created = machine.open_handoff(session, conversation, machine.Request("desk", "fallback"))
    assert second.id == first.id and not created


def test_a_released_conversation_keeps_its_place_in_the_queue(session: Session) -> None:
    conversation, anna, _ = _setup(session)
    later = repository.create_conversation(session).conversation.id
    first, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
    second, _ = machine.open_handoff(session, later, machine.Request("desk", "requested"))
    machine.claim(session, first.id, anna, NOW)
    assert machine.position(session, machine.get(session, second.id)) == 1
    machine.release(session, machine.get(session, first.id), NOW)
    assert machine.position(session, machine.get(session, first.id)) == 1
    assert machine.position(session, machine.get(session, second.id)) == 2


def test_a_claimed_conversation_cannot_be_claimed_again(session: Session) -> None:
    conversation, anna, bo = _setup(session)
    handoff, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
    machine.claim(session, handoff.id, anna, NOW)
    with pytest.raises(Conflict, match="active"):
        machine.claim(session, handoff.id, bo, NOW)


def test_a_transfer_to_an_agent_outside_the_team_is_refused(session: Session) -> None:
    conversation, anna, bo = _setup(session)
    handoff, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
    with pytest.raises(Invalid, match="not in team other"):
        machine.transfer(session, handoff, NOW, team_id="other", assignee=anna)
    machine.transfer(session, handoff, NOW, team_id="other", assignee=bo)
    assert handoff.status is HandoffStatus.ACTIVE and _state(session, conversation) is State.STAFF


def test_a_resolved_hand_off_cannot_be_resolved_twice(session: Session) -> None:
    conversation, _, _ = _setup(session)
    handoff, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
    machine.resolve(session, handoff, NOW)
    with pytest.raises(Conflict):
        machine.resolve(session, handoff, NOW)


def test_an_unknown_team_or_reason_is_refused(session: Session) -> None:
    conversation, _, _ = _setup(session)
    with pytest.raises(Invalid, match="no team"):
        machine.open_handoff(session, conversation, machine.Request("nowhere", "requested"))
    with pytest.raises(Invalid, match="reason"):
        machine.open_handoff(session, conversation, machine.Request("desk", "because"))


def test_the_wait_estimate_comes_from_recent_handling_times_or_is_not_given(session: Session) -> None:
    conversation, anna, _ = _setup(session)
    assert machine.estimate_wait(session, "desk", 1, 1, NOW) is None  # no history: no invented figure
    handoff, _ = machine.open_handoff(session, conversation, machine.Request("desk", "requested"))
    machine.claim(session, handoff.id, anna, NOW - timedelta(minutes=10))
    machine.resolve(session, machine.get(session, handoff.id), NOW - timedelta(minutes=6))
    assert machine.estimate_wait(session, "desk", 2, 1, NOW) == 480
    assert machine.estimate_wait(session, "desk", 2, 2, NOW) == 240


def test_only_members_with_a_connected_console_count_as_online(session: Session) -> None:
    _, anna, _ = _setup(session)
    login = accounts.open_session(session, anna, NOW, timedelta(hours=1))
    assert accounts.online_count(session, "desk", NOW) == 0
    row = accounts.find_session(session, login.token, NOW)
    assert row is not None
    accounts.mark_online(session, row.id, NOW + accounts.ONLINE_FOR)
    assert accounts.online_count(session, "desk", NOW) == 1
    assert accounts.online_count(session, "other", NOW) == 0
    assert accounts.online_count(session, "desk", NOW + timedelta(minutes=2)) == 0  # the console went quiet


def test_an_expired_session_opens_nothing(session: Session) -> None:
    _, anna, _ = _setup(session)
    login = accounts.open_session(session, anna, NOW, timedelta(hours=1))
    assert accounts.find_session(session, login.token, NOW + timedelta(minutes=59)) is not None
    assert accounts.find_session(session, login.token, NOW + timedelta(hours=1)) is None
    assert accounts.find_session(session, "forged", NOW) is None


def test_of_many_agents_claiming_at_the_same_moment_exactly_one_wins(migrated_engine: Engine) -> None:
    db = Database(migrated_engine)
    with db.session(write=True) as session:
        accounts.sync_teams(session, [TeamConfig("race", "Race", 120)])
        conversation = repository.create_conversation(session).conversation.id
        agents = [
            accounts.create_user(session, f"racer{i}", "a long password", role=StaffRole.AGENT, teams=["race"])
            for i in range(6)
        ]
        handoff_id = machine.open_handoff(session, conversation, machine.Request("race", "requested"))[0].id
    results: list[str] = []
    start = threading.Barrier(len(agents))

    def claim(agent: StaffUser) -> None:
        start.wait()
        try:
            with db.session(write=True) as session:
                machine.claim(session, handoff_id, agent, NOW)
            results.append("won")
        except Conflict:
            results.append("lost")

    threads = [threading.Thread(target=claim, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(results) == ["lost"] * (len(agents) - 1) + ["won"]
    finally:
        with db.session(write=True) as session:
            session.execute(delete(Handoff).where(Handoff.id == handoff_id))
            session.execute(delete(Conversation).where(Conversation.id == conversation))
            session.execute(delete(StaffUser).where(StaffUser.username.like("racer%")))
