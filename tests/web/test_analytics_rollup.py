"""The hourly rollup of the question log: kept by the writer in step with the questions (whose gaps show
personal numbers masked), filled by the migration from questions already logged, and equal to counting
the questions again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from escalation.analytics import report, rollup
from escalation.analytics.repository import Range
from escalation.spikes.watch import Asked, SpikeWatch, pipeline_config
from escalation.staff import accounts
from escalation.staff.teams import Router, TeamConfig
from funddesk.db import Database, Question, QuestionHour, make_engine, migrate
from tests.web.db_fixtures import BACKENDS, postgres_schema

T0 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def _rollup(session: Session) -> dict[tuple[datetime, str, str, str], int]:
    rows = session.execute(select(QuestionHour.hour, QuestionHour.team_id, QuestionHour.lang, QuestionHour.decision,
                                  QuestionHour.count))  # fmt: skip
    return {(rollup.hour_of(h), team, lang, decision): n for h, team, lang, decision, n in rows}


def test_the_question_logs_writer_counts_each_question_in_the_rollup_and_its_gap_shows_it_masked(
    tmp_path: Path,
) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}"))
    migrate.upgrade(db.engine)
    with db.session(write=True) as session:
        accounts.sync_teams(session, [TeamConfig("desk", "Desk"), TeamConfig("ir", "IR")])
    router = Router(frozenset({"desk", "ir"}), {"900001": "ir"}, "desk")
    spikes = SpikeWatch(
        db, router=router, team_of_entry=lambda _: None, state_file=tmp_path / "s.json", config=pipeline_config(0)
    )
    vector = np.ones(8, dtype=np.float32) / np.sqrt(8)
    for n in range(5):
        fund = "900001" if n < 2 else None
        asked = "why? my ID card is 110101199003074512" if n == 4 else "why?"
        spikes.observe(
            Asked(asked, "en", vector, fund_code=fund, decision="fallback", moment=T0 + timedelta(minutes=n))
        )
    spikes.observe(Asked("how?", "en", vector, decision="answer", moment=T0 + timedelta(hours=1)))
    spikes.close()
    with db.session() as session:
        teams = [q.team_id for q in session.scalars(select(Question).order_by(Question.id))]
        assert teams == ["ir", "ir", "desk", "desk", "desk", "desk"]
        hour = T0.replace(minute=0)
        assert _rollup(session) == {
            (hour, "ir", "en", "fallback"): 2,
            (hour, "desk", "en", "fallback"): 3,
            (hour + timedelta(hours=1), "desk", "en", "answer"): 1,
        }
        [gap] = report.gaps(session, Range(T0 - timedelta(days=1), T0 + timedelta(days=1)))
        assert gap.size == 5 and "why?" in gap.samples
        assert not any("110101199003074512" in sample for sample in gap.samples)  # masked when logged
        assert any("••••4512" in sample for sample in gap.samples)
    db.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
        yield made
        made.dispose()
    else:
        with postgres_schema() as made:
            yield made


def _log(session: Session, moments: list[datetime], decision: str | None) -> list[Question]:
    rows = [Question(asked_at=m, text="q", lang="en", decision=decision) for m in moments]
    session.add_all(rows)
    return rows


def test_the_migration_fills_the_rollup_from_questions_already_logged(engine: Engine) -> None:
    migrate.upgrade(engine, "0004")
    with engine.begin() as connection:
        for minutes in (0, 10, 70):
            connection.execute(
                text("INSERT INTO questions (asked_at, text, lang, decision) VALUES (:at, 'q', 'en', 'fallback')"),
                {"at": T0 + timedelta(minutes=minutes)},
            )
    migrate.upgrade(engine)
    with Session(engine) as session:
        hour = T0.replace(minute=0)
        assert _rollup(session) == {
            (hour, "", "en", "fallback"): 2,
            (hour + timedelta(hours=1), "", "en", "fallback"): 1,
        }


def test_adding_to_the_rollup_equals_counting_the_questions_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        rollup.add(session, _log(session, [T0, T0 + timedelta(minutes=5)], "answer"))
        rollup.add(session, _log(session, [T0 + timedelta(minutes=9), T0 + timedelta(hours=3)], None))
        rollup.add(session, _log(session, [T0 + timedelta(minutes=1)], "answer"))
    with Session(engine) as session:
        added = _rollup(session)
    with engine.begin() as connection:
        rollup.rebuild(connection)
    with Session(engine) as session:
        assert _rollup(session) == added
        assert added[T0.replace(minute=0), "", "en", "answer"] == 3
