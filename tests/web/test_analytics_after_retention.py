"""Retention keeps the analytics' counts (SQLite and PostgreSQL): an anonymized clarify is still known to have
been picked or not, and a team's conversations are still its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from escalation.analytics import repository
from escalation.analytics.repository import Range
from funddesk.db import Role, retention
from tests.web.analytics_data import Traffic

ASKED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SPAN = Range(ASKED - timedelta(days=1), ASKED + timedelta(days=1))


def counted(session: Session) -> tuple[list[int], tuple[int, int]]:
    """The gaps' sizes, and the service desk's conversations (started, handed off)."""
    team = Range(SPAN.start, SPAN.end, "service-desk")
    return [g.count for g in repository.gap_groups(session, SPAN)], repository.conversation_counts(session, team)


def test_knowledge_gaps_and_a_teams_conversations_count_the_same_once_retention_has_anonymized_them(
    session: Session,
) -> None:
    data = Traffic(session, ASKED)
    data.team("service-desk")
    picked = data.conversation()
    data.question(picked, "Which fee?", "clarify", cluster_id="c1")
    data.message(picked, Role.INVESTOR, "Fees", at=ASKED + timedelta(minutes=1), payload='/choose_faq{"faq_id":"fees"}')
    unpicked = data.conversation()
    data.question(unpicked, "Which fee then?", "clarify", cluster_id="c1")
    session.flush()
    assert counted(session) == ([1], (2, 0))

    before = ASKED + timedelta(days=40)
    retention.anonymize_conversations(session, retention.due_conversations(session, before))
    retention.anonymize_questions(session, before)
    session.expire_all()
    assert counted(session) == ([1], (2, 0))


def test_a_sender_id_that_is_no_conversation_of_ours_is_dropped_with_the_words(session: Session) -> None:
    data = Traffic(session, ASKED)
    data.team("service-desk")
    phone = data.question(data.conversation(), "What fee?", "fallback")
    sender: str | None = "13812345678"  # another channel's sender: a phone number
    phone.conversation_id = sender  # as str | None: mypy would keep it a str past expire_all()
    session.flush()
    assert retention.anonymize_questions(session, ASKED + timedelta(days=40)).questions == 1
    session.expire_all()
    assert (phone.text, phone.conversation_id) == ("", None)
