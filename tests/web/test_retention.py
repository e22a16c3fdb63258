"""Retention on SQLite and PostgreSQL: old conversations and questions lose their words, keep their counts."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from escalation.spikes import incident_rows
from funddesk.db import (
    Conversation,
    Database,
    Feedback,
    Incident,
    IncidentConversation,
    IncidentStatus,
    Message,
    Question,
    Role,
    State,
    Team,
    database_url,
    migrate,
    repository,
    retention,
)
from funddesk.db import __main__ as db_command
from funddesk.db.repository import MessageDraft
from tests.web.conftest import MakeApi

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
OLD, RECENT = NOW - timedelta(days=40), NOW - timedelta(days=2)


def conversation(session: Session, last_message_at: datetime, *, state: State = State.BOT) -> str:
    created = repository.create_conversation(session).conversation
    created.state = state
    [asked, answered] = repository.add_messages(
        session,
        created.id,
        [
            MessageDraft(Role.INVESTOR, "my phone is 13812345678, when does redemption money arrive?"),
            MessageDraft(Role.BOT, "Within T+3.", entry_id="redemption-arrival", decision="answer", meta={"v": 1}),
        ],
    )
    asked.created_at = answered.created_at = created.created_at = last_message_at
    repository.add_feedback(session, created.id, helpful=True, entry_id="redemption-arrival", entry_version=None)
    session.flush()
    return created.id


def question(session: Session, asked_at: datetime, conversation_id: str | None) -> Question:
    row = Question(
        conversation_id=conversation_id,
        asked_at=asked_at,
        text="when does redemption money arrive?",
        lang="en",
        embedding=np.ones(4, dtype=np.float32).tobytes(),
        decision="answer",
        entry_id="redemption-arrival",
    )
    session.add(row)
    session.flush()
    return row


def sweep(session: Session, days: int = 30) -> retention.Swept:
    before = retention.cutoff(days, NOW)
    swept = retention.anonymize_conversations(session, retention.due_conversations(session, before))
    swept.add(retention.anonymize_questions(session, before))
    session.expire_all()
    return swept


def test_a_conversation_past_the_period_keeps_its_counts_but_not_its_words(session: Session) -> None:
    old = conversation(session, OLD)
    question(session, OLD, old)
    assert sweep(session) == retention.Swept(conversations=1, messages=2, questions=1)

    kept = session.get(Conversation, old)
    assert kept is not None and kept.token_hash == retention.ANONYMIZED
    messages = session.scalars(select(Message).where(Message.conversation_id == old).order_by(Message.id)).all()
    assert [(m.role, m.text, m.meta, m.decision) for m in messages] == [
        (Role.INVESTOR, "", None, None),
        (Role.BOT, "", None, "answer"),
    ]
    [logged] = session.scalars(select(Question).where(Question.entry_id == "redemption-arrival")).all()
    assert (logged.text, logged.embedding, logged.conversation_id, logged.decision) == ("", None, old, "answer")
    assert session.scalar(select(Feedback.helpful).where(Feedback.conversation_id == old)) is True


def test_recent_conversations_and_those_still_with_staff_are_left_alone(session: Session) -> None:
    recent = conversation(session, RECENT)
    waiting = conversation(session, OLD, state=State.WAITING)
    question(session, RECENT, recent)
    assert sweep(session) == retention.Swept()
    for conversation_id in (recent, waiting):
        texts = session.scalars(select(Message.text).where(Message.conversation_id == conversation_id)).all()
        assert texts[0].startswith("my phone is")


def test_a_second_sweep_finds_nothing_left_to_do(session: Session) -> None:
    conversation(session, OLD)
    question(session, OLD, None)
    sweep(session)
    assert sweep(session) == retention.Swept()


def test_the_age_of_a_conversation_is_the_time_since_its_last_message(session: Session) -> None:
    long_running = conversation(session, OLD)
    [late] = repository.add_messages(session, long_running, [MessageDraft(Role.INVESTOR, "still there?")])
    late.created_at = RECENT
    session.flush()
    assert sweep(session).conversations == 0


@pytest.mark.parametrize("days", ["-1", "100000000", "a week"])
def test_the_command_refuses_a_period_it_cannot_count_back_with_a_clear_error(
    days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        db_command.main(["retention", "--days", days])
    assert exited.value.code == 2 and "--days" in capsys.readouterr().err  # argparse's usage error, no traceback


def test_the_command_anonymizes_what_the_setting_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = migrated_sqlite(tmp_path)
    with db.session(write=True) as session:
        conversation(session, datetime.now(UTC) - timedelta(days=40))
    db.dispose()
    monkeypatch.setenv("FUNDDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FUNDDESK_RETENTION_DAYS", "30")
    assert db_command.main(["retention"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "retention_days": 30,
        "conversations": 1,
        "messages": 2,
        "questions": 0,
        "incident_links": 0,
        "dialog_events": 0,
    }


def test_with_retention_days_zero_nothing_is_ever_anonymized(tmp_path: Path) -> None:
    db = migrated_sqlite(tmp_path)
    with db.session(write=True) as session:
        conversation(session, datetime.now(UTC) - timedelta(days=4000))
    assert retention.sweep(db, 0, datetime.now(UTC)) == retention.Swept()
    db.dispose()


def test_the_web_service_sweeps_by_itself_once_started(tmp_path: Path, make_api: MakeApi) -> None:
    db = migrated_sqlite(tmp_path / "var")
    with db.session(write=True) as session:
        old = conversation(session, datetime.now(UTC) - timedelta(days=40))
    make_api(retention_days=30)  # the settings fixture's data_dir is tmp_path / "var"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with db.session() as session:
            found = session.get(Conversation, old)
            if found is not None and found.token_hash == retention.ANONYMIZED:
                break
        time.sleep(0.1)
    else:
        pytest.fail("the web service did not anonymize the old conversation within 10 s")
    db.dispose()


def migrated_sqlite(data_dir: Path) -> Database:
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database.from_url(database_url("", data_dir))
    migrate.upgrade(db.engine)
    return db


def test_rasas_old_dialog_events_are_deleted_but_not_those_of_a_conversation_with_staff(session: Session) -> None:
    # The table as Rasa's SQL tracker store creates it in this database under make run-prod.
    session.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                         "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, data TEXT)"))  # fmt: skip
    waiting = conversation(session, OLD, state=State.WAITING)
    rows = [("old-sender", OLD), ("recent-sender", RECENT), (waiting, OLD)]
    for number, (sender, moment) in enumerate(rows):
        session.execute(
            text("INSERT INTO events (id, sender_id, type_name, timestamp, data) VALUES (:i, :s, 'user', :t, :d)"),
            {"i": number, "s": sender, "t": moment.timestamp(), "d": '{"text": "my card is 6222021234567890128"}'},
        )
    swept = retention.delete_dialog_events(session, retention.cutoff(30, NOW))
    assert swept.dialog_events == 1
    left = session.execute(text("SELECT sender_id FROM events ORDER BY id")).scalars().all()
    assert left == ["recent-sender", waiting]


def test_without_rasas_table_there_are_no_dialog_events_to_delete(session: Session) -> None:
    assert retention.delete_dialog_events(session, NOW) == retention.Swept()


def test_an_old_incident_link_of_another_channels_sender_loses_the_id_but_still_counts(session: Session) -> None:
    session.add(Team(id="investor-relations", name="Investor relations"))
    session.flush()
    incident = Incident(
        key="i1", cluster_id="c1", label="Why did fund 900001 drop?", team_id="investor-relations",
        status=IncidentStatus.OPEN, started_at=OLD, detected_at=OLD, count=20, baseline=0.5,
    )  # fmt: skip
    session.add(incident)
    session.flush()
    ours = conversation(session, OLD)
    links = [("13812345678", OLD), (ours, OLD), ("13900001111", RECENT)]  # REST senders named by phone number
    for conversation_id, asked_at in links:
        session.add(IncidentConversation(incident_id=incident.id, conversation_id=conversation_id, asked_at=asked_at))
    session.flush()
    before = retention.cutoff(30, NOW)
    assert retention.anonymize_incident_links(session, before) == retention.Swept(incident_links=1)
    assert retention.anonymize_incident_links(session, before) == retention.Swept()  # done once
    session.expire_all()
    kept = session.scalars(select(IncidentConversation.conversation_id)).all()
    assert "13812345678" not in kept and {ours, "13900001111"} <= set(kept)
    assert incident_rows.row_of(session, incident).conversations == 3


def test_a_later_sweep_reads_only_the_questions_that_aged_since_the_one_before(session: Session) -> None:
    question(session, OLD, None)  # before the earlier sweep's cutoff: that sweep's work
    question(session, NOW - timedelta(days=30, hours=12), None)  # aged out since
    earlier_cutoff = retention.cutoff(30, NOW - timedelta(days=1))
    swept = retention.anonymize_questions(session, retention.cutoff(30, NOW), since=earlier_cutoff)
    assert swept.questions == 1
    session.expire_all()
    texts = session.scalars(select(Question.text).order_by(Question.asked_at)).all()
    assert texts[0] != retention.ANONYMIZED and texts[1] == retention.ANONYMIZED
