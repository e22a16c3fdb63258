"""The hourly rollup on PostgreSQL: several action servers add to it at once, and its hours are UTC hours
whatever time zone the database server runs in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from escalation.analytics import rollup
from funddesk.db import Question, QuestionHour, make_engine, migrate
from tests.web.db_fixtures import POSTGRES_URL, postgres_schema

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
HOURS = [T0 + timedelta(hours=n) for n in range(150)]


@pytest.fixture
def unmigrated() -> Iterator[Engine]:
    with postgres_schema() as made:
        yield made


@pytest.fixture
def engine(unmigrated: Engine) -> Engine:
    migrate.upgrade(unmigrated)
    return unmigrated


def _questions(hours: list[datetime]) -> list[Question]:
    return [Question(asked_at=hour, text="q", lang="en", decision="answer") for hour in hours]


def test_writers_adding_the_same_hours_in_opposite_orders_at_once_never_deadlock(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        rollup.add(session, _questions(HOURS))  # every hour exists: each writer's upsert locks rows
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(hours: list[datetime]) -> None:
        start.wait()
        try:
            for _ in range(40):
                with Session(engine) as session, session.begin():
                    rollup.add(session, _questions(hours))
        except BaseException as exc:  # a deadlock aborts the writer's batch (and its questions)
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(order,)) for order in (HOURS, HOURS[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with Session(engine) as session:
        assert session.scalar(select(func.sum(QuestionHour.count))) == len(HOURS) * 81


def test_rebuilding_the_rollup_counts_utc_hours_whatever_the_servers_time_zone(engine: Engine) -> None:
    asked = datetime(2026, 11, 23, 8, 45, tzinfo=UTC)  # 14:15 in Kolkata, a half-hour zone
    with Session(engine) as session, session.begin():
        session.add_all(_questions([asked]))
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL TIME ZONE 'Asia/Kolkata'"))
        rollup.rebuild(connection)
    with Session(engine) as session:
        [hour] = session.scalars(select(QuestionHour.hour)).all()
        assert hour == rollup.hour_of(asked)  # 08:00 UTC, as the question log's writer counts it


def test_the_migration_fills_utc_hours_whatever_the_servers_time_zone(unmigrated: Engine) -> None:
    with unmigrated.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
    kolkata = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema} -ctimezone=Asia/Kolkata"})
    try:
        migrate.upgrade(kolkata, "0004")
        asked = datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
        with kolkata.begin() as connection:
            connection.execute(
                text("INSERT INTO questions (asked_at, text, lang) VALUES (:at, 'q', 'en')"), {"at": asked}
            )
        migrate.upgrade(kolkata)
        with Session(kolkata) as session:
            assert session.scalars(select(QuestionHour.hour)).all() == [rollup.hour_of(asked)]
    finally:
        kolkata.dispose()
