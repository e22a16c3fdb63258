"""Retention on PostgreSQL with several web replicas: each sweeps every hour, and two sweeps at once share the
work instead of rewriting each other's conversations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from funddesk.db import migrate, retention
from tests.web.db_fixtures import postgres_schema
from tests.web.test_retention import NOW, OLD, conversation

pytestmark = pytest.mark.integration


@pytest.fixture
def engine() -> Iterator[Engine]:
    with postgres_schema() as made:
        migrate.upgrade(made)
        yield made


def test_two_sweeps_at_once_take_different_conversations(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        old = {conversation(session, OLD) for _ in range(3)}
    before = retention.cutoff(30, NOW)
    with Session(engine) as first, Session(engine) as second:
        taken = set(retention.due_conversations(first, before))  # the first replica's batch, not committed yet
        assert taken == old
        assert retention.due_conversations(second, before) == []  # locked rows are the first's to anonymize
        first.rollback()
        assert set(retention.due_conversations(second, before)) == old  # and free again when it gives them up
