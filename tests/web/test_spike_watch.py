"""The spike watch in the action path, on a real database: questions logged, a burst opens one
incident for the right team, staff's answer ends the holding reply, and state survives a restart."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from escalation.analytics import rollup
from escalation.spikes.series import bucket_of
from escalation.spikes.tails import share_tail
from escalation.spikes.unwatched import Unwatched
from escalation.spikes.watch import Asked, SpikeWatch, pipeline_config
from escalation.spikes.worker import DetectorWorker
from funddesk.db import Database, Incident, IncidentConversation, IncidentStatus, Question
from tests.web.spike_watch_helpers import ROUTER, T0, burst_about_900001, quiet_traffic, spike_database, vector, watch


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = spike_database(tmp_path)
    yield database
    database.dispose()


def test_a_burst_of_a_new_question_opens_one_incident_for_the_owning_team(db: Database, tmp_path: Path) -> None:
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    seen = []
    for i in range(40):  # 40 investors in 10 minutes ask about fund 900001's drop
        asked = Asked("why did 900001 drop 5% today?", "en", vector(0), f"conv{i}", "900001", "nav", 0.3, "fallback",
                      moment=moment + timedelta(seconds=15 * i))  # fmt: skip
        seen.append(spikes.observe(asked))
    spikes.close()
    opened = [o for o in seen if o.opened]
    assert len(opened) == 1
    assert all(o.holding for o in seen[seen.index(opened[0]) :])
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert incident.team_id == "ir" and incident.fund_code == "900001"
        assert incident.status is IncidentStatus.OPEN and incident.count >= 10
        evidence = incident.evidence  # with the share of all questions it passed
        assert evidence is not None and evidence["share_total"] >= evidence["observed"] >= 8
        share = share_tail(evidence["observed"], evidence["share_total"], evidence["share_expected"])
        assert evidence["share_p_value"] == pytest.approx(share, rel=0.1), evidence
        assert session.scalar(select(func.count()).select_from(Question)) == 2 * 12 * 5 + 40
        # Everyone who asked in the spike, before it was detected too, will get the answer.
        assert session.scalar(select(func.count()).select_from(IncidentConversation)) == 40


def test_an_incident_is_charted_from_its_first_moment_with_the_bucket_still_being_counted_last(
    db: Database, tmp_path: Path
) -> None:
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    seen = burst_about_900001(spikes, moment, until_opened=True)
    assert seen[-1].opened
    opened_at = spikes.local(moment + timedelta(seconds=15 * (len(seen) - 1)))  # the fund company's time, as charted
    with db.session() as session:  # as the console first shows it: the row the opening question wrote
        [incident] = session.scalars(select(Incident)).all()
    *closed, (start, count, expected, marker) = incident.series or []
    assert marker == "open" and all(len(point) == 3 for point in closed)
    assert datetime.fromisoformat(start) <= opened_at < datetime.fromisoformat(start) + timedelta(minutes=5)
    assert count >= 8 > expected  # the questions that raised the alarm, against what a whole bucket should hold
    spikes.close()


def test_an_open_incidents_chart_moves_on_with_the_buckets_when_its_questions_stop(
    db: Database, tmp_path: Path
) -> None:
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    assert any(o.opened for o in burst_about_900001(spikes, moment))
    spikes.flush()  # the writer's pass: the burst and its incident are written
    quiet_traffic(spikes, moment + timedelta(minutes=15), 1)  # an hour of the usual questions, none about 900001
    spikes.close()  # the last pass
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
    *closed, (start, count, _, marker) = incident.series or []
    assert marker == "open" and count == 0  # the bucket being counted at the last write, an hour on
    assert datetime.fromisoformat(start) >= spikes.local(moment + timedelta(minutes=70))
    assert all(len(point) == 3 for point in closed) and max(point[1] for point in closed) >= 8


def test_a_surge_that_asks_no_entry_does_not_take_the_faqs_answered_questions_of_its_cluster(
    db: Database, tmp_path: Path
) -> None:
    """A cluster of many topics (a model that cannot read the language): the routine questions the FAQ answered
    in it, before the surge was detected or after, are not the surge's, and will not get its published answer."""
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    for i in range(48):
        routine = i % 6 == 5  # one in six: a password question the FAQ answers, in the same cluster
        text, who, entry, score, decision = (
            ("I forgot my password", "routine", "password", 0.9, "answer")
            if routine
            else ("is 900001 safe after the drop?", "surge", None, 0.2, "fallback")
        )
        at = moment + timedelta(seconds=12 * i)
        asked = Asked(text, "en", vector(0), f"{who}{i}", None, entry, score, decision, moment=at)
        observed = spikes.observe(asked)
        if routine:
            assert not observed.holding  # the investor gets the FAQ's answer
    spikes.close()
    with db.session() as session:
        [incident] = session.scalars(select(Incident)).all()
        assert incident.evidence is not None and incident.evidence.get("asks") is None
        linked = session.scalars(select(IncidentConversation.conversation_id)).all()
        assert linked and all(c.startswith("surge") for c in linked)


def test_once_staff_answer_the_holding_reply_stops(db: Database, tmp_path: Path) -> None:
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)
    for i in range(40):
        spikes.observe(
            Asked("why did 900001 drop?", "en", vector(0), f"c{i}", "900001", moment=moment + timedelta(seconds=15 * i))
        )
    with db.session(write=True) as session:
        session.execute(update(Incident).values(status=IncidentStatus.ANSWERED))
    spikes.sync_status()
    later = spikes.observe(
        Asked("why did 900001 drop?", "en", vector(0), "late", "900001", moment=moment + timedelta(minutes=11))
    )
    spikes.close()
    assert later.incident is not None and not later.holding


def test_the_watch_picks_up_where_it_left_off_after_a_restart(db: Database, tmp_path: Path) -> None:
    first = watch(db, tmp_path)
    moment = quiet_traffic(first, T0, 1)
    first.close()
    second = watch(db, tmp_path)
    assert second.pipeline.questions == first.pipeline.questions
    assert sorted(second.pipeline.clusterer.clusters) == sorted(first.pipeline.clusterer.clusters)
    same = second.observe(Asked("usual question 1", "en", vector(1), moment=moment))
    assert same.cluster_id in first.pipeline.clusterer.clusters
    second.close()


def test_a_watch_saves_until_when_it_watched_and_skips_the_time_it_was_down_after_a_restart(
    db: Database, tmp_path: Path
) -> None:
    stopped = T0 + timedelta(hours=1)
    first = SpikeWatch(
        db, router=ROUTER, team_of_entry=lambda _: None, state_file=tmp_path / "s.json", clock=lambda: stopped
    )
    quiet_traffic(first, T0, 1)
    first.close()
    assert json.loads((tmp_path / "s.json").read_text())["watched_until"] == "2026-11-23T10:30:00"  # Shanghai time
    back = stopped + timedelta(days=2)
    second = SpikeWatch(
        db, router=ROUTER, team_of_entry=lambda _: None, state_file=tmp_path / "s.json", clock=lambda: back
    )
    assert second.pipeline.bank.unwatched == Unwatched(
        bucket_of(datetime(2026, 11, 23, 10, 30)), bucket_of(datetime(2026, 11, 25, 10, 30))
    )
    second.observe(Asked("usual question 1", "en", vector(1), moment=back + timedelta(minutes=1)))
    assert not second.pipeline.bank.paused  # the two days were skipped, and it watches again
    second.close()


def test_an_elected_detector_restored_from_its_snapshot_skips_the_time_when_no_server_was_up_to_lead(
    db: Database, tmp_path: Path
) -> None:
    spikes = dict(
        router=ROUTER, team_of_entry=lambda e: None, state_file=tmp_path / "s.json", config=pipeline_config(0)
    )
    front = SpikeWatch(db, detect=False, **spikes)  # type: ignore[arg-type]
    stopped = quiet_traffic(front, T0, 1)  # every server stops after the last question ...
    back = stopped + timedelta(days=2)  # ... and the first starts again two days later
    first = DetectorWorker(db, lambda: SpikeWatch(db, clock=lambda: stopped, **spikes))  # type: ignore[arg-type]
    front.flush()
    first.step()
    first.close()  # its last snapshot says until when it watched
    front.close()
    second = DetectorWorker(db, lambda: SpikeWatch(db, clock=lambda: back, **spikes))  # type: ignore[arg-type]
    second.step()
    watch = second.watch
    assert watch is not None
    assert watch.pipeline.bank.unwatched == Unwatched(bucket_of(watch.local(stopped)), bucket_of(watch.local(back)))
    second.close()


def test_a_question_without_an_embedding_is_not_clustered(db: Database, tmp_path: Path) -> None:
    spikes = watch(db, tmp_path)
    assert spikes.observe(Asked("hello", "en", None)).cluster_id is None
    spikes.close()


def test_no_personal_number_reaches_the_question_log_incidents_webhook_state_or_log_lines(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Asked built with the raw message (not the actions' masked text) is masked by observe itself."""
    sent: list[dict[str, Any]] = []

    class Accepted:
        def raise_for_status(self) -> None:
            pass

    def post(url: str, *, json: dict[str, Any], timeout: float) -> Accepted:
        sent.append(json)
        return Accepted()

    monkeypatch.setattr(httpx, "post", post)  # the module the watch posts through
    caplog.set_level(logging.DEBUG)
    spikes = watch(db, tmp_path)
    spikes.webhook_url = "http://hooks.invalid/incidents"
    moment = quiet_traffic(spikes, T0, 2)
    numbers = []
    for i in range(40):  # a burst, each investor adding an ID-card, phone or bank-card number
        number = (f"110101199003{i:05d}3", f"1381234{i:04d}", f"622202123456789{i:04d}")[i % 3]
        numbers.append(number)
        text = f"why did 900001 drop 5% today? my number is {number}"
        spikes.observe(Asked(text, "en", vector(0), f"conv{i}", "900001", "nav", 0.3, "fallback",
                             moment=moment + timedelta(seconds=15 * i)))  # fmt: skip
    spikes.close()
    deadline = time.monotonic() + 10
    while not sent and time.monotonic() < deadline:
        time.sleep(0.05)  # the webhook goes out on its own thread

    with db.session() as session:
        asked = session.scalars(select(Question.text).where(Question.conversation_id.is_not(None))).all()
        [incident] = session.scalars(select(Incident)).all()
        stored = [*asked, incident.label, *(incident.samples or [])]
    assert len(asked) == 40 and all("[id ••••" in t or "[phone ••••" in t or "[card ••••" in t for t in asked)
    assert sent, "the incident webhook was not sent"
    assert any("incident" in r.getMessage() and "opened" in r.getMessage() for r in caplog.records)
    everything = {
        "questions table and incident": "\n".join(stored),
        "webhook": json.dumps(sent, ensure_ascii=False),
        "state file": (tmp_path / "spikes.json").read_text(encoding="utf-8"),
        "log": "\n".join(r.getMessage() for r in caplog.records),
    }
    for where, text in everything.items():
        assert not [n for n in numbers if n in text], where
        assert not re.search(r"(?<![\d.])\d{11,}", text), where  # a long digit run that is not a float's decimals


def test_questions_whose_write_failed_are_written_on_the_next_pass(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spikes = watch(db, tmp_path)
    for i in range(3):
        spikes.observe(Asked(f"usual question {i}", "en", vector(1), f"conv{i}", moment=T0 + timedelta(minutes=i)))
    real_session = db.session

    def database_away(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("the database is restarting")

    monkeypatch.setattr(db, "session", database_away)
    with pytest.raises(ConnectionError):
        spikes.flush()
    monkeypatch.setattr(db, "session", real_session)
    spikes.observe(Asked("one more", "en", vector(2), "conv9", moment=T0 + timedelta(minutes=5)))
    spikes.close()
    with db.session() as session:
        texts = session.scalars(select(Question.text).order_by(Question.asked_at)).all()
    assert texts == ["usual question 0", "usual question 1", "usual question 2", "one more"]


def test_a_question_that_opens_an_incident_while_the_log_is_written_waits_for_neither(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer holds the database (on SQLite, the process's one write turn) while a question holds the pipeline
    and opens an incident, which needs a write. Before, the writer then waited for the pipeline: each waited for the
    other for good, and every other process found the database locked."""
    spikes = watch(db, tmp_path)
    moment = quiet_traffic(spikes, T0, 2)  # queued for the writer, not written yet
    inside, go, opening = threading.Event(), threading.Event(), threading.Event()
    add, open_incident = rollup.add, SpikeWatch._open

    def held_inside_the_write(session: Any, logged: Any) -> None:
        inside.set()
        go.wait(30)
        add(session, logged)

    def opening_while_holding_the_pipeline(self: SpikeWatch, spike: Any, at: datetime) -> str:
        opening.set()
        return open_incident(self, spike, at)

    monkeypatch.setattr(rollup, "add", held_inside_the_write)
    monkeypatch.setattr(SpikeWatch, "_open", opening_while_holding_the_pipeline)

    def burst() -> None:
        for i in range(40):
            at = moment + timedelta(seconds=15 * i)
            spikes.observe(Asked("why did 900001 drop 5% today?", "en", vector(0), f"conv{i}", "900001", moment=at))

    writer, asking = threading.Thread(target=spikes.flush, daemon=True), threading.Thread(target=burst, daemon=True)
    writer.start()
    assert inside.wait(30)
    asking.start()
    assert opening.wait(30)  # that question holds the pipeline now, and its incident needs the database
    go.set()
    writer.join(30)
    asking.join(30)
    assert not writer.is_alive() and not asking.is_alive()
    spikes.close()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1
        assert session.scalar(select(func.count()).select_from(Question)) == 2 * 12 * 5 + 40
