"""``python -m escalation warm-start PAST.csv [--replace]``: teach the service's spike detector an old chat log.

``PAST.csv`` has the format of ``replay-questions`` (header ``timestamp,text`` and optionally ``fund_code``;
wall-clock times in the fund company's time zone). Each question is read, embedded and matched against the
knowledge base as the service does it. The detector then learns them in time order
(:mod:`escalation.spikes.warm_start`), and its state is saved where the service starts from: the in-line
detector's state file (SQLite), or the elected detector's snapshot in the database (PostgreSQL).

Run it before the service starts, or with the service stopped: a running detector would overwrite the state.
It refuses, with exit status 2 and nothing saved, in these cases:
- on PostgreSQL, an action server's detector is running (it holds the detector's election);
- a detector state exists already (``--replace`` replaces it and what it had learned);
- the question log holds a question asked before the history ends (the detector's time only runs forward);
- the FAQ folder is missing or serves no entry (``FUNDDESK_KB_DIR``: every entry's series would go unlearned);
- the file is bad (``file:line: message``, as the replay commands report it).
On success it prints one JSON object: what was learned and where it was saved.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from escalation.spikes import question_log, warm_start
from escalation.spikes.election import Leadership
from escalation.spikes.pipeline import QuestionPipeline
from escalation.spikes.replay import InputError, Row, question_rows, reading
from escalation.spikes.state_file import pipeline_state, write_state_file
from escalation.spikes.watch import pipeline_config
from escalation.spikes.worker import DETECTOR_NAME
from funddesk.db import Database, database_url, migrate
from funddesk.db import Question as LoggedQuestion
from funddesk.settings import Settings, load


class Refused(Exception):
    """The detector already has a state or a log the history would go back before."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m escalation warm-start", description=__doc__.split("\n\n")[0])
    parser.add_argument("history", metavar="PAST.csv")
    parser.add_argument("--replace", action="store_true", help="replace a detector state that exists already")
    args = parser.parse_args(argv[1:])
    settings = load()
    try:
        rows = question_rows(args.history)
        if not rows:
            raise InputError(args.history, 1, "no questions to learn from")
        db = Database.from_url(database_url(settings.database_url, settings.data_dir))
        try:
            migrate.require_current(db.engine)
            result = warm(settings, db, rows, replace=args.replace)
        finally:
            db.engine.dispose()
    except (InputError, Refused) as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


def warm(settings: Settings, db: Database, rows: list[Row], *, replace: bool = False) -> dict[str, object]:
    """Learn ``rows`` (sorted by time) into a fresh pipeline and save it as the service's detector state."""
    zone = ZoneInfo(settings.timezone)
    shared = db.engine.dialect.name == "postgresql"
    state_file = settings.spike_state_path
    ends = rows[-1].moment.replace(tzinfo=zone).astimezone(UTC)
    # On PostgreSQL the detector runs where the election is won: holding it keeps every action server's detector
    # from reading (and snapshotting) until the new state is saved, and a running one makes this refuse.
    election = Leadership(db.engine, DETECTOR_NAME)
    if not election.hold():
        raise Refused("an action server's spike detector is running on this database: stop the service first")
    try:
        return _warm(settings, db, rows, ends, shared=shared, state_file=state_file, replace=replace)
    finally:
        election.release()


def _warm(
    settings: Settings, db: Database, rows: list[Row], ends: datetime, *, shared: bool, state_file: Path, replace: bool
) -> dict[str, object]:
    with db.session() as session:
        exists = question_log.load_snapshot(session, DETECTOR_NAME) is not None if shared else state_file.is_file()
        where = "the database's detector snapshot" if shared else str(state_file)
        if exists and not replace:
            raise Refused(f"{where} exists: the detector has a state already (--replace replaces it)")
        earlier = session.scalar(select(func.count()).where(LoggedQuestion.asked_at <= ends))
        if earlier:
            raise Refused(f"the question log holds {earlier} questions asked before the history ends ({ends})")
        taken = question_log.last_incident_number(session)
    pipeline = QuestionPipeline(pipeline_config(settings.spike_warmup_minutes))
    with reading(settings, knowledge_base=True) as read:  # each row as the service would have matched it
        learned = warm_start.learn(pipeline, read(rows))
    pipeline.next_incident = max(pipeline.next_incident, taken + 1)
    state = pipeline_state(pipeline)
    if shared:
        with db.session(write=True) as session:
            question_log.save_snapshot(session, DETECTOR_NAME, question_log.START, state)
    else:
        write_state_file(state_file, state)
    return {
        "questions": learned.questions,
        "first": _stamp(learned.first),
        "last": _stamp(learned.last),
        "clusters": learned.clusters,
        "series": learned.series,
        "surges": learned.surges,
        "saved_to": where,
    }


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat(sep=" ") if moment is not None else None
