"""One spike detector for several action servers, on the real PostgreSQL: each server only logs its questions, one
elected worker detects over the shared log, and a takeover after the leader dies decides exactly as before."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from actions.__main__ import handoff_router, open_spike_watch
from escalation.spikes import question_log
from escalation.spikes.election import Leadership
from escalation.spikes.pipeline import Spike
from escalation.spikes.question_log import aware
from escalation.spikes.watch import Asked, SpikeWatch, pipeline_config
from escalation.spikes.worker import DetectorWorker
from escalation.staff import accounts
from escalation.staff.teams import TeamConfig
from funddesk.db import Database, Incident, IncidentConversation, IncidentStatus, Question, make_engine, migrate
from funddesk.settings import Settings
from tests.web.db_fixtures import POSTGRES_URL, postgres_schema
from tests.web.spike_watch_helpers import ROUTER, T0, spike_database, topic_vectors

pytestmark = pytest.mark.integration
BURST = 40


def stream() -> list[Asked]:
    """Two quiet hours of five usual topics, then 40 investors in 10 minutes asking why fund 900001 dropped."""
    vector = topic_vectors(0)
    asked = []
    for slot in range(2 * 12):
        for topic in range(1, 6):  # distinct moments: event order is the stream's order
            moment = T0 + timedelta(minutes=5 * slot, seconds=10 * topic)
            asked.append(Asked(f"usual question {topic}", "en", vector(topic), f"q{slot}-{topic}", moment=moment))
    burst_start = T0 + timedelta(hours=2)
    for i in range(BURST):
        asked.append(Asked("why did 900001 drop 5% today?", "en", vector(0), f"conv{i}", "900001", "nav", 0.3,
                           "fallback", moment=burst_start + timedelta(seconds=15 * i)))  # fmt: skip
    return asked


STREAM = stream()


@pytest.fixture
def schema() -> Iterator[str]:
    """A migrated PostgreSQL schema of its own (skipped, saying why, when PostgreSQL is unreachable)."""
    with postgres_schema() as engine:
        migrate.upgrade(engine)
        database = Database(engine)
        with database.session(write=True) as session:
            accounts.sync_teams(session, [TeamConfig("desk", "Desk"), TeamConfig("ir", "IR")])
        yield str(_scalar(engine, "SELECT current_schema()"))


@dataclass
class Server:
    """One action server: its own engine, its question log front, its detector worker, the webhooks it sent."""

    db: Database
    front: SpikeWatch
    worker: DetectorWorker
    webhooks: list[str]


def action_server(schema: str, tmp_path: Path, n: int) -> Server:
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    db = Database(engine)
    webhooks: list[str] = []

    def watch(*, detect: bool) -> SpikeWatch:
        spikes = SpikeWatch(db, router=ROUTER, team_of_entry=lambda e: "ir" if e == "nav" else None,
                            state_file=tmp_path / f"state-{n}.json", webhook_url="http://127.0.0.1:9/hook",
                            config=pipeline_config(0), detect=detect)  # fmt: skip

        def notify(spike: Spike, team: str) -> None:
            webhooks.append(spike.id)

        spikes._notify = notify  # type: ignore[method-assign]
        return spikes

    return Server(db, watch(detect=False), DetectorWorker(db, lambda: watch(detect=True)), webhooks)


def feed(servers: list[Server], questions: list[Asked], *, every: int = 25) -> None:
    """Each server logs its share of the questions (alternately); every worker runs a pass every few questions."""
    for i, asked in enumerate(questions):
        servers[i % len(servers)].front.observe(asked)
        if i % every == every - 1:
            run(servers)
    run(servers)


def run(servers: list[Server]) -> None:
    for server in servers:
        server.front.flush()
    for server in servers:
        server.worker.step()


def decisions(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every question's cluster and incident, in event order, and every incident as stored."""
    with db.session() as session:
        # looked up by each question's incident_id, which is None for a question in no incident
        keys: dict[int | None, str] = {id_: key for id_, key in session.execute(select(Incident.id, Incident.key))}
        filed = session.execute(
            select(Question.asked_at, Question.cluster_id, Question.incident_id).order_by(Question.asked_at)
        ).all()
        incidents = session.execute(
            select(Incident.key, Incident.cluster_id, Incident.detected_at, Incident.started_at, Incident.count)
        ).all()
    return [(aware(at), cluster, keys.get(i)) for at, cluster, i in filed], [
        (key, cluster, aware(detected), aware(started), count) for key, cluster, detected, started, count in incidents
    ]


def close(servers: list[Server]) -> None:
    for server in servers:
        server.worker.close()
        server.front.close()
        server.db.dispose()


def test_two_servers_logging_halves_of_a_surge_open_one_incident_at_the_bucket_one_detector_sees(
    schema: str, tmp_path: Path
) -> None:
    alone = SpikeWatch(_sqlite(tmp_path), router=ROUTER, team_of_entry=lambda e: "ir" if e == "nav" else None,
                       state_file=tmp_path / "alone.json", config=pipeline_config(0))  # fmt: skip
    opened = [key for asked in STREAM for key in alone.observe(asked).opened]
    alone.close()
    expected = decisions(alone.db)

    servers = [action_server(schema, tmp_path, n) for n in (1, 2)]
    feed(servers, STREAM)
    assert [s.worker.leadership.leading for s in servers] == [True, False]  # the first to try leads
    assert decisions(servers[0].db) == expected  # every question's cluster and incident; the incident's bucket
    assert len(expected[1]) == 1 and [row[0] for row in expected[1]] == opened
    with servers[0].db.session() as session:
        assert session.scalar(select(func.count()).select_from(IncidentConversation)) == BURST
        assert session.scalar(select(Incident.team_id)) == "ir"
    assert servers[0].webhooks == opened and servers[1].webhooks == []

    late = Asked("why did 900001 drop 5% today?", "en", STREAM[-1].embedding, "late", "900001",
                 moment=STREAM[-1].moment + timedelta(seconds=5))  # fmt: skip
    with servers[1].db.session() as session:
        servers[1].front.view.refresh(session)  # what its writer thread does every half second
    held = servers[1].front.observe(late)  # the server that does not detect still gives the holding reply
    assert held.incident == opened[0] and held.holding
    close(servers)


def test_once_the_surge_is_over_the_elected_detector_says_so_and_no_server_holds_its_askers(
    schema: str, tmp_path: Path
) -> None:
    servers = [action_server(schema, tmp_path, n) for n in (1, 2)]
    feed(servers, STREAM)
    vector, start = topic_vectors(0), STREAM[-1].moment + timedelta(minutes=5)  # the usual topics, for two hours
    quiet = [Asked(f"usual question {topic}", "en", vector(topic), f"after{slot}-{topic}",
                   moment=start + timedelta(minutes=5 * slot, seconds=10 * topic))
             for slot in range(2 * 12) for topic in range(1, 6)]  # fmt: skip
    feed(servers, quiet)
    with servers[0].db.session() as session:
        ended = session.scalar(select(Incident.surge_ended_at))
        servers[1].front.view.refresh(session)
    later = replace(STREAM[-1], conversation_id="later", moment=quiet[-1].moment + timedelta(seconds=5))
    observed = servers[1].front.observe(later)
    close(servers)
    assert ended is not None and STREAM[-1].moment + timedelta(hours=1) <= aware(ended) <= quiet[-1].moment
    assert (observed.incident, observed.holding) == (None, False)


def test_when_the_leader_dies_mid_surge_the_other_takes_over_and_decides_exactly_as_one_uninterrupted_run(
    schema: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "u").mkdir()
    with postgres_schema() as other:
        migrate.upgrade(other)
        with Database(other).session(write=True) as session:
            accounts.sync_teams(session, [TeamConfig("desk", "Desk"), TeamConfig("ir", "IR")])
        uninterrupted = action_server(str(_scalar(other, "SELECT current_schema()")), tmp_path / "u", 1)
        feed([uninterrupted], STREAM)
        expected = decisions(uninterrupted.db)
        expected_state = incidents_of(uninterrupted.worker)
        close([uninterrupted])

    servers = [action_server(schema, tmp_path, n) for n in (1, 2)]
    leader, follower = servers
    # The leader's last snapshot is from before the surge, so the next leader decides the incident again.
    surge = STREAM[-BURST].moment
    snapshot = leader.worker.save
    leader.worker.save = lambda: snapshot() if leader.worker.position[0] < surge else None  # type: ignore[method-assign]
    cut = len(STREAM) - BURST // 2  # in the middle of the surge, after the incident opened
    feed(servers, STREAM[:cut])
    assert leader.webhooks and leader.worker.leadership.leading and not follower.worker.leadership.leading
    caplog.set_level(logging.INFO, "escalation.spikes")
    leader.worker.leadership.release()  # it dies: its lock's session ends, as when the process is killed
    feed([follower], STREAM[cut:])
    assert follower.worker.leadership.leading
    assert follower.worker.position == (STREAM[-1].moment, follower.worker.position[1])
    replayed = [r.getMessage() for r in caplog.records if "was already open" in r.getMessage()]
    assert replayed == [f"incident {expected[1][0][0]} was already open (another action server opened it)"]

    assert decisions(follower.db) == expected
    assert incidents_of(follower.worker) == expected_state
    assert leader.webhooks == [expected[1][0][0]] and follower.webhooks == []  # one webhook, from the first
    leader.worker.watch = None
    close(servers)


def test_two_servers_opening_the_same_incident_key_at_once_store_one_row(schema: str, tmp_path: Path) -> None:
    servers = [action_server(schema, tmp_path, n) for n in (1, 2)]
    start = threading.Barrier(2)
    won: list[bool] = []

    def open_incident(server: Server) -> None:
        row = dict(key="i1", cluster_id="c1", label="why?", fund_code=None, team_id="desk",
                   status=IncidentStatus.OPEN, started_at=T0, detected_at=T0, count=30, baseline=0.5)  # fmt: skip
        with server.db.session(write=True) as session:
            start.wait()
            won.append(question_log.insert_incident_if_absent(session, row))

    threads = [threading.Thread(target=open_incident, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with servers[0].db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1
    assert sorted(won) == [False, True]
    close(servers)


def test_on_sqlite_one_process_leads_without_an_election_and_detects_from_its_log(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    spikes = dict(
        router=ROUTER, team_of_entry=lambda e: None, state_file=tmp_path / "s.json", config=pipeline_config(0)
    )
    front = SpikeWatch(db, detect=False, **spikes)  # type: ignore[arg-type]
    worker = DetectorWorker(db, lambda: SpikeWatch(db, **spikes))  # type: ignore[arg-type]
    for asked in STREAM:
        front.observe(asked)
    front.flush()
    worker.step()
    assert worker.leadership.leading
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1
        assert session.scalar(select(func.count()).where(Question.cluster_id.is_(None))) == 0
    worker.close()
    front.close()


def incidents_of(worker: DetectorWorker) -> list[dict[str, Any]]:
    assert worker.watch is not None
    return [asdict(replace(i, series=[])) for i in worker.watch.pipeline.incidents.values()]


def _sqlite(tmp_path: Path) -> Database:
    return spike_database(tmp_path, "alone.sqlite3")


def _scalar(engine: Engine, query: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(query)).scalar()


def test_when_the_leaders_session_ends_another_server_leads_and_the_old_leader_steps_down(schema: str) -> None:
    engines = [make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}) for _ in (1, 2)]
    first, second = (Leadership(engine) for engine in engines)
    assert first.hold() and not second.hold()
    assert first._connection is not None
    pid = first._connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with engines[1].connect() as admin:  # the session dies, as when the leader's process or network does
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    deadline = time.monotonic() + 5  # the server ends the session at once; give it a moment all the same
    while not second.hold() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert second.leading
    assert not first.hold() and not first.leading
    second.release()
    assert first.hold()
    first.release()
    for engine in engines:
        engine.dispose()


def test_action_servers_started_on_postgresql_elect_one_detector_that_hands_over_when_it_stops(
    schema: str, tmp_path: Path
) -> None:
    """The servers' own wiring (``actions.__main__``), threads and all, on a log that holds a surge."""
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    settings = Settings(data_dir=tmp_path, database_url=url, spike_warmup_minutes=0)
    kb = SimpleNamespace(embedder=None, index=SimpleNamespace(entries=[]), entry=lambda entry_id: None)
    # The stream's times are long past, so the settle delay cannot order its logging: log it before the servers
    # start (live, a question is read once every server's write of anything asked before it has committed).
    earlier = SpikeWatch(Database(make_engine(url)), router=ROUTER, team_of_entry=lambda e: None,
                         state_file=tmp_path / "x.json", detect=False)  # fmt: skip
    for asked in STREAM[: len(STREAM) - 10]:
        earlier.observe(asked)
    earlier.close()
    opened: list[int] = []
    # Two action servers: each its own pool on the one database.
    servers = [
        open_spike_watch(settings, handoff_router(settings), kb, Database(make_engine(url)), opened.append)
        for _ in (1, 2)
    ]
    fronts, detectors = [front for front, _ in servers], [d for _, d in servers]
    assert all(not front.detect for front in fronts) and all(d is not None for d in detectors)

    def incidents() -> int:
        with fronts[0].db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Incident)) or 0)

    assert wait_for(lambda: opened == [1], seconds=30)  # counted once the pass that opened it is done
    leaders = [d for d in detectors if d is not None and d.leadership.leading]
    assert len(leaders) == 1 and incidents() == 1
    leaders[0].close()  # it stops (a restart, a deploy): the other server takes the lead within an election period
    [other] = [d for d in detectors if d is not None and d is not leaders[0]]
    assert wait_for(lambda: other.leadership.leading, seconds=15)
    for asked in STREAM[len(STREAM) - 10 :]:
        fronts[1].observe(asked)
    with fronts[0].db.session() as session:
        total = len(STREAM)
        filed = select(func.count()).where(Question.cluster_id.is_not(None))
        assert wait_for(lambda: session.scalar(filed) == total, seconds=30)
    assert incidents() == 1 and opened == [1]
    other.close()
    for front in fronts:
        front.close()
        front.db.dispose()
    earlier.db.dispose()


def wait_for(condition: Callable[[], bool], *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_first_elected_detector_goes_on_from_the_in_line_detector_without_reusing_its_incident_keys(
    tmp_path: Path,
) -> None:
    db = _sqlite(tmp_path)
    spikes = dict(router=ROUTER, team_of_entry=lambda e: None, config=pipeline_config(0))
    before = SpikeWatch(db, state_file=tmp_path / "before.json", **spikes)  # type: ignore[arg-type]
    assert [key for asked in STREAM for key in before.observe(asked).opened] == ["i1"]
    before.close()
    worker = DetectorWorker(db, lambda: SpikeWatch(db, state_file=tmp_path / "new.json", **spikes))  # type: ignore[arg-type]
    worker.step()
    assert worker.watch is not None and worker.watch.pipeline.next_incident == 2
    assert worker.position[0] == STREAM[-1].moment and worker.watch.pipeline.questions == 0  # nothing read twice
    worker.close()


def test_a_question_logged_after_the_detector_read_past_its_time_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = _sqlite(tmp_path)
    spikes = dict(
        router=ROUTER, team_of_entry=lambda e: None, state_file=tmp_path / "s.json", config=pipeline_config(0)
    )
    front = SpikeWatch(db, detect=False, **spikes)  # type: ignore[arg-type]
    worker = DetectorWorker(db, lambda: SpikeWatch(db, **spikes), snapshot_every=0)  # type: ignore[arg-type]
    for asked in STREAM[:50]:
        front.observe(asked)
    front.flush()
    worker.step()
    front.observe(replace(STREAM[50], moment=STREAM[10].moment))  # its write came far too late
    for asked in STREAM[51:60]:
        front.observe(asked)
    front.flush()
    worker.step()
    assert any("1 questions were logged after it had read past them" in r.getMessage() for r in caplog.records)
    worker.close()
    front.close()
