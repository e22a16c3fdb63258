"""An incident's life in the spike watch across restarts, a locked database and staff's answer: it is filed once,
ends when staff close it (also while the service is down) or when its surge is over after an answer, and the next
surge of its question is a new incident."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from escalation.spikes import incident_webhook, question_log
from escalation.spikes import watch as watch_module
from escalation.spikes.question_log import aware
from escalation.spikes.watch import Asked, IncidentsUnwritten, SpikeWatch
from escalation.spikes.worker import DetectorWorker
from funddesk.db import Database, Incident, IncidentConversation, IncidentStatus, Question, engine
from tests.web.spike_watch_helpers import T0, burst_about_900001, quiet_traffic, spike_database, vector, watch


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = spike_database(tmp_path)
    yield database
    database.dispose()


def test_an_incident_staff_closed_while_the_service_was_down_holds_no_one_after_the_restart(
    db: Database, tmp_path: Path
) -> None:
    first = watch(db, tmp_path)
    moment = quiet_traffic(first, T0, 2)
    assert any(o.opened for o in burst_about_900001(first, moment))
    first.close()
    with db.session(write=True) as session:
        session.execute(update(Incident).values(status=IncidentStatus.CLOSED))
    second = watch(db, tmp_path)
    second.start()
    later = burst_about_900001(second, moment + timedelta(minutes=11), prefix="late")[0]
    second.close()
    assert later.incident is None and not later.holding


def test_a_watch_that_lost_its_state_numbers_its_incidents_after_those_already_filed(
    db: Database, tmp_path: Path
) -> None:
    """Before, its first incident took the key of one filed long ago: the console never showed it, and its askers
    were told the team was preparing an answer."""
    first = watch(db, tmp_path)
    moment = quiet_traffic(first, T0, 2)
    burst_about_900001(first, moment)
    first.close()
    with db.session(write=True) as session:
        session.execute(update(Incident).values(status=IncidentStatus.CLOSED))
    (tmp_path / "spikes.json").unlink()
    second = watch(db, tmp_path)
    second.start()
    seen = burst_about_900001(second, quiet_traffic(second, T0 + timedelta(days=1), 2), prefix="next")
    second.close()
    [opened] = [o.opened for o in seen if o.opened]
    with db.session() as session:
        statuses = {key: status for key, status in session.execute(select(Incident.key, Incident.status))}
    assert statuses == {"i1": IncidentStatus.CLOSED, opened[0]: IncidentStatus.OPEN} and opened[0] != "i1"


def test_a_question_that_opens_an_incident_while_another_process_holds_the_database_is_answered_and_filed_later(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite keeps one writer at a time: another process's long write (a retention run, a backup) can outlast the
    busy timeout. Before, the question that opened the incident failed, and the incident was never written."""
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)
    db.engine.dispose()  # connections made from now on wait 200 ms, not 10 s
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    spikes.flush()
    other_process = sqlite3.connect(tmp_path / "spikes.sqlite3", isolation_level=None)
    other_process.execute("BEGIN EXCLUSIVE")
    seen = burst_about_900001(spikes, moment)
    assert [o.opened for o in seen if o.opened] == [("i1",)]
    assert seen[-1].holding
    with pytest.raises(OperationalError, match="database is locked"):
        spikes.flush()
    other_process.execute("ROLLBACK")
    other_process.close()
    spikes.close()
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert (incident.key, incident.team_id, incident.status) == ("i1", "ir", IncidentStatus.OPEN)
        assert session.scalar(select(func.count()).select_from(Question)) == 2 * 12 * 5 + 40
        assert session.scalar(select(func.count()).select_from(IncidentConversation)) == 40


def test_an_incident_the_database_refused_until_the_service_stopped_is_filed_after_the_restart(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)
    db.engine.dispose()
    first = watch(db, tmp_path)
    moment = quiet_traffic(first, T0, 2)
    first.flush()
    other_process = sqlite3.connect(tmp_path / "spikes.sqlite3", isolation_level=None)
    other_process.execute("BEGIN EXCLUSIVE")
    burst_about_900001(first, moment)
    with pytest.raises(OperationalError, match="database is locked"):
        first.close()  # its questions are lost, its detector's state is saved
    other_process.execute("ROLLBACK")
    other_process.close()
    second = watch(db, tmp_path)
    second.start()
    second.close()
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert (incident.key, incident.team_id, incident.status) == ("i1", "ir", IncidentStatus.OPEN)
    assert "i1" in second.pipeline.incidents


def _refused(session: Any, row: Any) -> bool:
    raise ValueError("a row this database will not take")


def answer_every_incident(db: Database, spikes: SpikeWatch) -> None:
    spikes.flush()
    with db.session(write=True) as session:
        session.execute(update(Incident).values(status=IncidentStatus.ANSWERED))
    spikes.sync_status()


def test_a_new_surge_after_an_answered_incident_that_staff_left_open_opens_a_new_incident(
    db: Database, tmp_path: Path
) -> None:
    """Before, the fund's next NAV drop joined last week's answered incident: nobody was paged, and its askers got
    last week's answer."""
    spikes = watch(db, tmp_path)
    burst_about_900001(spikes, quiet_traffic(spikes, T0, 2))
    answer_every_incident(db, spikes)
    moment = quiet_traffic(spikes, T0 + timedelta(days=3), 24)
    spikes.sync_status()
    seen = burst_about_900001(spikes, moment, prefix="next")
    spikes.close()
    [opened] = [o.opened for o in seen if o.opened]
    assert opened == ("i2",) and seen[-1].incident == "i2" and seen[-1].holding
    with db.session() as session:
        statuses = {key: status for key, status in session.execute(select(Incident.key, Incident.status))}
    assert statuses == {"i1": IncidentStatus.ANSWERED, "i2": IncidentStatus.OPEN}


def test_an_incident_answered_while_its_surge_goes_on_keeps_taking_its_askers(db: Database, tmp_path: Path) -> None:
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    first = burst_about_900001(spikes, moment)
    answer_every_incident(db, spikes)
    go_on = burst_about_900001(spikes, moment + timedelta(minutes=10), prefix="more")
    spikes.sync_status()
    later = burst_about_900001(spikes, moment + timedelta(minutes=20), prefix="late")
    spikes.close()
    assert not any(o.opened for o in go_on + later)
    assert {o.incident for o in first[-5:] + go_on + later} == {"i1"}
    assert not any(o.holding for o in go_on + later)  # the published answer serves them


def test_an_unanswered_incident_stops_holding_its_askers_once_its_surge_is_over(db: Database, tmp_path: Path) -> None:
    """Before, its askers were told the team was preparing an answer "right now" for as long as nobody in the console
    acted, days after the surge; and the question's next surge joined it and paged nobody."""
    spikes = watch(db, tmp_path)
    first = burst_about_900001(spikes, quiet_traffic(spikes, T0, 2))
    spikes.flush()
    moment = quiet_traffic(spikes, T0 + timedelta(days=1), 3)
    spikes.sync_status()
    later = spikes.observe(Asked("why did 900001 drop?", "en", vector(0), "later", "900001", "nav", moment=moment))
    seen = burst_about_900001(spikes, moment + timedelta(minutes=5), prefix="next")
    spikes.close()
    assert first[-1].holding and (later.incident, later.holding) == (None, False)  # the FAQ answers it again
    assert [o.opened for o in seen if o.opened] == [("i2",)] and seen[-1].holding
    with db.session() as session:
        rows = {row.key: row for row in session.scalars(select(Incident))}
    assert rows["i1"].status is IncidentStatus.OPEN  # staff still see it, and may still answer its askers
    ended = rows["i1"].surge_ended_at
    assert ended is not None and T0 + timedelta(days=1) < aware(ended) <= moment
    assert rows["i2"].surge_ended_at is None
    saved = json.loads((tmp_path / "spikes.json").read_text(encoding="utf-8"))
    assert [incident["id"] for incident in saved["incidents"]] == ["i2"]  # the state forgets what it is done with


def test_the_first_question_after_a_quiet_night_that_ended_the_surge_is_answered_from_the_faq(
    db: Database, tmp_path: Path
) -> None:
    """The surge ends as the question's arrival closes the quiet buckets, before the writer's next pass closes the
    incident: that question got the holding reply and joined the incident."""
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    burst_about_900001(spikes, moment)
    spikes.flush()
    spikes.sync_status()
    morning = spikes.observe(
        Asked("why did 900001 drop?", "en", vector(0), "morning", "900001", "nav", moment=moment + timedelta(hours=18))
    )
    spikes.close()
    assert (morning.incident, morning.holding) == (None, False)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(IncidentConversation)) == 40


def test_the_fund_teams_webhook_hears_once_that_the_surge_is_over_and_whether_it_was_answered(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(incident_webhook, "post", lambda url, body: sent.append(body))
    spikes = watch(db, tmp_path)
    spikes.webhook_url = "http://hooks.invalid/incidents"
    burst_about_900001(spikes, quiet_traffic(spikes, T0, 2))
    spikes.flush()
    quiet_traffic(spikes, T0 + timedelta(days=1), 3)
    spikes.sync_status()
    spikes.sync_status()  # the end is recorded, and told, once
    spikes.close()
    deadline = time.monotonic() + 10
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # each webhook goes out on a thread of its own
    assert [body["type"] for body in sent] == ["incident_opened", "incident_surge_ended"]
    opened, ended = sent
    assert (ended["incident"], ended["team"], ended["fund_code"], ended["answered"]) == ("i1", "ir", "900001", False)
    assert ended["count"] >= 40 and ended["surge_ended_at"].startswith("2026-11-24T")
    # Opened at Shanghai wall-clock time, as always, and at the same moment in UTC, comparable with the end.
    at, at_utc = datetime.fromisoformat(opened["detected_at"]), datetime.fromisoformat(opened["detected_at_utc"])
    assert at.tzinfo is None and at_utc.utcoffset() == timedelta(0)
    assert at_utc == at.replace(tzinfo=ZoneInfo("Asia/Shanghai")) < datetime.fromisoformat(ended["surge_ended_at"])


def test_an_unanswered_incident_holds_its_askers_while_its_surge_goes_on(db: Database, tmp_path: Path) -> None:
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    burst_about_900001(spikes, moment)
    spikes.flush()
    spikes.sync_status()
    go_on = burst_about_900001(spikes, moment + timedelta(minutes=10), prefix="more")
    spikes.sync_status()
    spikes.close()
    assert all(o.incident == "i1" and o.holding for o in go_on)
    with db.session() as session:
        assert session.scalar(select(Incident.surge_ended_at)) is None


def test_an_incident_whose_row_the_database_keeps_refusing_never_stops_the_question_log(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    insert = question_log.insert_incident_if_absent

    monkeypatch.setattr(question_log, "insert_incident_if_absent", _refused)
    burst_about_900001(spikes, moment)
    with pytest.raises(RuntimeError, match=r"incidents \['i1'\] are not written yet"):
        spikes.flush()
    with db.session() as session:  # every question is in the log all the same
        assert session.scalar(select(func.count()).select_from(Question)) == 2 * 12 * 5 + 40
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
    monkeypatch.setattr(question_log, "insert_incident_if_absent", insert)
    spikes.close()
    with db.session() as session:  # filed at last, with everyone who asked in its surge
        assert session.scalar(select(Incident.key)) == "i1"
        assert session.scalar(select(func.count()).select_from(IncidentConversation)) == 40


def test_while_the_database_refuses_an_incident_the_writer_still_saves_the_detectors_state(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, each writer pass stopped at the refusal: no save, and nothing staff did in the console was read."""
    monkeypatch.setattr(watch_module, "SAVE_EVERY", 0.0)
    monkeypatch.setattr(question_log, "insert_incident_if_absent", _refused)
    spikes = watch(db, tmp_path)
    burst_about_900001(spikes, quiet_traffic(spikes, T0, 2))
    spikes.start()
    state, deadline = tmp_path / "spikes.json", time.monotonic() + 10
    while not (state.is_file() and '"i1"' in state.read_text(encoding="utf-8")) and time.monotonic() < deadline:
        time.sleep(0.05)
    saved = state.is_file() and '"i1"' in state.read_text(encoding="utf-8")
    with pytest.raises(IncidentsUnwritten):  # still refused at the stop: said so, and kept in the state to refile
        spikes.close()
    assert saved, "the writer never saved the state while the incident was refused"


def test_the_elected_detector_keeps_leading_while_the_database_refuses_an_incident_and_the_next_leader_files_it(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the refusal failed the leader's pass before its snapshot: it stepped down, and every pass after it read
    the whole log since the last snapshot again, to be refused again. A snapshot taken meanwhile held the incident,
    and the next leader never filed it."""
    front = watch(db, tmp_path, detect=False)
    burst_about_900001(front, quiet_traffic(front, T0, 2))
    front.flush()
    insert = question_log.insert_incident_if_absent

    monkeypatch.setattr(question_log, "insert_incident_if_absent", _refused)
    leader = DetectorWorker(db, lambda: watch(db, tmp_path))
    assert leader.step() == 2 * 12 * 5 + 40 and leader.step() == 0  # no pass failed, nothing was read twice
    with db.session() as session:
        snapshot = question_log.load_snapshot(session, leader.name)
        assert snapshot is not None and snapshot.position[1] == 2 * 12 * 5 + 40
        assert session.scalar(select(func.count()).where(Question.cluster_id.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
    leader.close()
    monkeypatch.setattr(question_log, "insert_incident_if_absent", insert)
    successor = DetectorWorker(db, lambda: watch(db, tmp_path))
    successor.step()
    successor.close()
    front.close()
    with db.session() as session:  # filed at last, with everyone who asked in its surge
        assert session.scalar(select(Incident.key)) == "i1"
        assert session.scalar(select(func.count()).select_from(IncidentConversation)) == 40
